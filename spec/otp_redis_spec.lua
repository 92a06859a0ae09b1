-- tingting.otp on tingting.store.redis in plain Lua, against the emulator
-- and a private redis-server: two store objects stand for two hosts.
local tingting = require "tingting"
local otp = require "tingting.otp"
local emu = require "spec.helpers.emulator"
local otph = require "spec.helpers.otp"
local redish = require "spec.helpers.redis"

local NUMBER = otph.NUMBER

local delivered, other = otph.delivered, otph.other

describe("tingting.otp on tingting.store.redis", function()
  local srv, s

  -- a "host": its own store object (own connections) and flow
  local function host(opts)
    local o = { session = s, store = assert(tingting.store.redis { port = srv.port, timeout = 0.5 }) }
    for k, v in pairs(opts or {}) do o[k] = v end
    return assert(otp.new(o))
  end

  setup(function() srv = redish.start() end)
  teardown(function() if srv then srv:stop() end end)
  before_each(function()
    emu.reset()
    srv:cmd("FLUSHALL")
    s = otph.session()
  end)
  after_each(function() s:close() end)

  it("verifies on one host a code sent through another, once", function()
    local a, b = host(), host()
    local info = assert(a:send("+977 9851023212"))
    assert.same({ number = NUMBER, expires_in = 300, resend_after = 60, sends_left = 4, via = "text" }, info)
    local code = delivered()
    assert.is_true(b:verify("09851023212", code))
    local ok, why = a:verify(NUMBER, code)
    assert.is_false(ok)
    assert.equal("expired", why)
  end)

  it("shares the HMAC key through Redis when no secret is given, and stores no code", function()
    local a = host { length = 10 }
    assert(a:send(NUMBER))
    local code = delivered()
    local keys = srv:keys()
    assert.is_true(#keys >= 4, table.concat(keys, " "))
    for _, k in ipairs(keys) do
      assert.matches("^tingting:otp:", k)
      assert.is_nil(k:find(code, 1, true))
      local v = srv:cmd("GET", k)
      assert.is_nil(tostring(v):find(code, 1, true), k)
    end
    assert.is_true(host():verify(NUMBER, code))
  end)

  it("holds the cooldown and max_sends across hosts", function()
    local a, b = host { resend_after = 1, max_sends = 2, send_window = 60 }, host { resend_after = 1, max_sends = 2 }
    assert(a:send(NUMBER))
    local info, why, detail = b:send(NUMBER)
    assert.is_nil(info)
    assert.equal("rate_limited", why)
    assert.equal(1, detail.retry_after)
    require("socket").sleep(1.05)
    info = assert(b:send(NUMBER))
    assert.equal(0, info.sends_left)
    require("socket").sleep(1.05)
    info, why, detail = a:send(NUMBER)
    assert.is_nil(info)
    assert.equal("rate_limited", why)
    assert.is_true(detail.retry_after > 50 and detail.retry_after <= 60)
    assert.equal(2, #emu.state().otps)
  end)

  it("counts wrong codes across hosts, then locks even the right one", function()
    local a, b = host { max_attempts = 3 }, host { max_attempts = 3 }
    assert(a:send(NUMBER))
    local code = delivered()
    local _, why, detail = a:verify(NUMBER, other(code))
    assert.equal("mismatch", why)
    assert.equal(2, detail.attempts_left)
    _, _, detail = b:verify(NUMBER, other(code))
    assert.equal(1, detail.attempts_left)
    _, _, detail = a:verify(NUMBER, other(code))
    assert.equal(0, detail.attempts_left)
    local ok
    ok, why, detail = b:verify(NUMBER, code)
    assert.is_false(ok)
    assert.equal("locked", why)
    assert.is_true(detail.retry_after > 0 and detail.retry_after <= 60)
  end)

  it("gives a new code a new attempt budget, and the old code no longer verifies", function()
    local a = host { resend_after = 0, max_attempts = 2 }
    assert(a:send(NUMBER))
    local first = delivered()
    a:verify(NUMBER, other(first))
    a:verify(NUMBER, other(first))
    assert(a:send(NUMBER))
    local second = delivered()
    if second ~= first then
      local ok, why = a:verify(NUMBER, first)
      assert.is_false(ok)
      assert.equal("mismatch", why)
    end
    assert.is_true(a:verify(NUMBER, second))
  end)

  it("rolls back a send the API refused: no code, no cooldown, no count", function()
    local a = host()
    emu.config { credits = 0 }
    local info, why, detail = a:send(NUMBER)
    assert.is_nil(info)
    assert.equal("send_failed", why)
    assert.equal("api", detail.err.kind)
    assert.same({ "tingting:otp:secret" }, srv:keys())
    emu.config { credits = 1000 }
    info = assert(a:send(NUMBER))
    assert.equal(4, info.sends_left)
  end)

  it("keeps the code when the API's answer was lost (it may have been sent)", function()
    local a = host()
    assert(s:login())
    emu.fault { path = "/api/system/send/otp/", kind = "drop", after = true, count = 1 }
    local info, why, detail = a:send(NUMBER)
    assert.is_nil(info)
    assert.equal("send_failed", why)
    assert.is_true(detail.delivered_maybe)
    assert.is_true(host():verify(NUMBER, delivered()))
  end)

  it("fails closed while Redis is down, sending nothing, and works again once it is back", function()
    local a, b = host(), host()
    assert(a:send(NUMBER))
    local code = delivered()
    srv:halt()
    emu.clear_requests()
    local info, why, detail = a:send("9851023213")
    assert.is_nil(info)
    assert.equal("unavailable", why)
    assert.is_true(tingting.is_error(detail.err))
    assert.equal("network", detail.err.kind)
    assert.matches("Redis", detail.err.message)
    local ok
    ok, why, detail = b:verify(NUMBER, code)
    assert.is_false(ok)
    assert.equal("unavailable", why)
    assert.equal("network", detail.err.kind)
    assert.matches("Redis", tostring(detail.err))
    -- a flow made while Redis is down is made all the same, and fails closed too
    local c = host()
    info, why = c:send("9851023214")
    assert.is_nil(info)
    assert.equal("unavailable", why)
    assert.equal(0, emu.count("/api/system/send/otp/"))
    srv:start() -- empty: the old code is gone with it
    ok, why = b:verify(NUMBER, code)
    assert.is_false(ok)
    assert.equal("expired", why)
    assert(a:send("9851023213"))
    assert.is_true(c:verify("9851023213", delivered("9851023213")))
  end)

  it("reloads its scripts after SCRIPT FLUSH in the middle of a flow", function()
    local a = host()
    assert(a:send(NUMBER))
    srv:cmd("SCRIPT", "FLUSH")
    assert.is_true(a:verify(NUMBER, delivered()))
  end)

  it("refuses a verify against a record another send has replaced (the flow then reads the new one)", function()
    local store = assert(tingting.store.redis { port = srv.port })
    local k = { code = "otp:1", cool = "otp:1:cool", sends = "otp:1:sends", tries = "otp:1:tries:a" }
    assert.equal(1, store:otp_begin_send(k, { record = "A", nonce = "a", ttl = 60, resend_after = 0,
      max_sends = 5, send_window = 60 }))
    assert.equal(2, store:otp_begin_send(k, { record = "B", nonce = "b", ttl = 60, resend_after = 0,
      max_sends = 5, send_window = 60 }))
    assert.equal("changed", (store:otp_verify(k, { record = "A", matched = true, max_attempts = 5 })))
    assert.equal("B", store:get("otp:1"))
    assert.equal("ok", (store:otp_verify(k, { record = "B", matched = true, max_attempts = 5 })))
    assert.equal("expired", (store:otp_verify(k, { record = "B", matched = true, max_attempts = 5 })))
  end)
end)
