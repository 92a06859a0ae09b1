-- tingting.otp in plain Lua (memory store, libcurl transport) against the
-- emulator: what a script's user sees, and what the store holds.
local socket = require "socket"
local tingting = require "tingting"
local otp = require "tingting.otp"
local emu = require "spec.helpers.emulator"
local otph = require "spec.helpers.otp"

local NUMBER = otph.NUMBER

local session = otph.session
local delivered, other = otph.delivered, otph.other

describe("tingting.otp", function()
  local s
  before_each(function()
    emu.reset()
    s = session()
  end)
  after_each(function() s:close() end)

  describe("options", function()
    local cases = {
      { {}, "session" },
      { { session = "x" }, "session" },
      { { ttl = 0 }, "ttl" },
      { { ttl = 1.5 }, "ttl" },
      { { length = 3 }, "length" },
      { { length = 11 }, "length" },
      { { max_attempts = 0 }, "max_attempts" },
      { { resend_after = -1 }, "resend_after" },
      { { max_sends = "5" }, "max_sends" },
      { { via = "fax" }, "via" },
      { { message = "no placeholder" }, "message" },
      { { store = {} }, "store" },
      { { store = tingting.store.file("/tmp/x") }, "store" },
      { { secret = "short" }, "secret" },
      { { colour = "blue" }, "colour" },
    }
    for _, c in ipairs(cases) do
      it("refuses a bad " .. c[2] .. " with a validation error naming it", function()
        local opts = { session = s }
        for k, v in pairs(c[1]) do opts[k] = v end
        if c[2] == "session" then opts.session = c[1].session end
        local flow, err = otp.new(opts)
        assert.is_nil(flow)
        assert.is_true(tingting.is_error(err))
        assert.equal("validation", err.kind)
        assert.equal(c[2], err.field)
        assert.matches(c[2], tostring(err))
      end)
    end
  end)

  it("sends a code of the configured length as the API's personnel OTP and accepts it once", function()
    local flow = assert(otp.new { session = s, length = 8, via = "voice", message = "कोड {otp}" })
    local info = assert(flow:send("+977 985-1023212"))
    assert.same({ number = NUMBER, expires_in = 300, resend_after = 60, sends_left = 4, via = "voice" }, info)
    local code, sms = delivered()
    assert.matches("^%d%d%d%d%d%d%d%d$", code)
    assert.equal("personnel", sms.otp_options)
    assert.equal("voice", sms.sms_send_options)
    assert.equal("कोड " .. code:gsub("%d", " %0"):sub(2), sms.message)
    assert.is_true(flow:verify(NUMBER, code))
    local ok, why = flow:verify(NUMBER, code)
    assert.is_false(ok)
    assert.equal("expired", why)
  end)

  it("stores only an HMAC: no stored value contains the code", function()
    local store = tingting.store.memory()
    local flow = assert(otp.new { session = s, store = store, length = 10 })
    assert(flow:send(NUMBER))
    local code = delivered()
    local n = 0
    for key, e in pairs(store.kv) do
      n = n + 1
      assert.is_nil(tostring(e.value):find(code, 1, true), key)
      assert.is_nil(key:find(code, 1, true))
    end
    assert.is_true(n >= 3)
    assert.is_true(flow:verify(NUMBER, code))
  end)

  it("counts wrong codes, then locks even the right one", function()
    local flow = assert(otp.new { session = s, max_attempts = 3, resend_after = 30 })
    assert(flow:send(NUMBER))
    local code = delivered()
    for left = 2, 0, -1 do
      local ok, why, detail = flow:verify(NUMBER, other(code))
      assert.is_false(ok)
      assert.equal("mismatch", why)
      assert.equal(left, detail.attempts_left)
    end
    local ok, why, detail = flow:verify(NUMBER, code)
    assert.is_false(ok)
    assert.equal("locked", why)
    assert.is_true(detail.retry_after > 0 and detail.retry_after <= 30)
  end)

  it("does not count malformed codes as attempts", function()
    local flow = assert(otp.new { session = s, max_attempts = 1 })
    assert(flow:send(NUMBER))
    local code = delivered()
    for _, bad in ipairs { "12ab", "", {}, 1.5, 123456, 1e20, math.huge, "12345678901" } do
      local ok, why = flow:verify(NUMBER, bad)
      assert.is_false(ok)
      assert.equal("invalid", why)
    end
    assert.is_true(flow:verify(NUMBER, code))
  end)

  it("refuses to send again inside resend_after, with the seconds to wait", function()
    local flow = assert(otp.new { session = s, resend_after = 1 })
    assert(flow:send(NUMBER))
    local info, why, detail = flow:send(NUMBER)
    assert.is_nil(info)
    assert.equal("rate_limited", why)
    assert.equal(1, detail.retry_after)
    assert.equal(1, #emu.state().otps)
    socket.sleep(1.1)
    assert(flow:send(NUMBER))
  end)

  it("keeps one budget for a number written with or without leading zeros", function()
    local flow = assert(otp.new { session = s, resend_after = 60 })
    assert(flow:send(NUMBER))
    local info, why = flow:send("0" .. NUMBER)
    assert.is_nil(info)
    assert.equal("rate_limited", why)
    assert.equal(1, #emu.state().otps)
  end)

  it("keeps one budget, one attempt count and one code for every way of writing a number", function()
    local flow = assert(otp.new { session = s, resend_after = 60, max_attempts = 3 })
    local info = assert(flow:send("+9779851023212"))
    assert.equal(NUMBER, info.number)
    assert.equal(NUMBER, select(2, delivered()).number) -- the API got the national number
    for _, form in ipairs { "009779851023212", "9779851023212", "09851023212", NUMBER } do
      local again, why = flow:send(form)
      assert.is_nil(again, form)
      assert.equal("rate_limited", why, form)
    end
    assert.equal(1, #emu.state().otps)
    local code = delivered()
    local _, _, d1 = flow:verify("09851023212", other(code))
    local _, _, d2 = flow:verify("9779851023212", other(code))
    assert.equal(2, d1.attempts_left)
    assert.equal(1, d2.attempts_left)
    assert.is_true(flow:verify("009779851023212", code))
    local ok, why = flow:verify(NUMBER, code)
    assert.is_false(ok)
    assert.equal("expired", why)
  end)

  it("puts the store's HMAC key back when a full store evicted it, so flows keep sharing it", function()
    local store = tingting.store.memory()
    local a = assert(otp.new { session = s, store = store, resend_after = 0 })
    local key = store:get("otp:secret")
    store:delete("otp:secret") -- what an LRU eviction does
    assert(a:send(NUMBER)) -- a reads its key on every use, and puts it back
    assert.equal(key, store:get("otp:secret"))
    local b = assert(otp.new { session = s, store = store }) -- a worker started later
    assert.is_true(b:verify(NUMBER, delivered()))
  end)

  it("caps the codes per number in a window", function()
    local flow = assert(otp.new { session = s, resend_after = 0, max_sends = 2, send_window = 60 })
    assert(flow:send(NUMBER))
    assert(flow:send(NUMBER))
    local info, why, detail = flow:send(NUMBER)
    assert.is_nil(info)
    assert.equal("rate_limited", why)
    assert.is_true(detail.retry_after > 50 and detail.retry_after <= 60)
    assert(flow:send("9851023213")) -- another number is not affected
  end)

  it("lets a code expire", function()
    local flow = assert(otp.new { session = s, ttl = 1 })
    assert(flow:send(NUMBER))
    local code = delivered()
    socket.sleep(1.1)
    local ok, why = flow:verify(NUMBER, code)
    assert.is_false(ok)
    assert.equal("expired", why)
  end)

  it("rolls back a send the API refused, so it can be tried again at once", function()
    local flow = assert(otp.new { session = s })
    emu.config { credits = 0 }
    local info, why, detail = flow:send(NUMBER)
    assert.is_nil(info)
    assert.equal("send_failed", why)
    assert.equal("api", detail.err.kind)
    assert.is_nil(detail.delivered_maybe)
    local ok, vwhy = flow:verify(NUMBER, "123456")
    assert.is_false(ok)
    assert.equal("expired", vwhy)
    emu.config { credits = 1000 }
    assert(flow:send(NUMBER)) -- no cooldown from the refused one
  end)

  it("keeps the code when the answer was lost: the SMS may have gone, and it verifies", function()
    local flow = assert(otp.new { session = s })
    assert(s:login())
    emu.fault { path = "/api/system/send/otp/", kind = "drop", after = true, count = 1 }
    local info, why, detail = flow:send(NUMBER)
    assert.is_nil(info)
    assert.equal("send_failed", why)
    assert.is_true(detail.delivered_maybe)
    assert.equal(1, #emu.state().otps) -- sent once, never twice
    assert.is_true(flow:verify(NUMBER, delivered()))
  end)

  it("refuses a bad number before sending anything", function()
    local flow = assert(otp.new { session = s })
    emu.clear_requests()
    local info, why, detail = flow:send("12")
    assert.is_nil(info)
    assert.equal("invalid", why)
    assert.matches("digits", detail.message)
    assert.same({}, emu.requests())
  end)

  it("shares codes between flows on one store, and not across secrets", function()
    local store = tingting.store.memory()
    local a = assert(otp.new { session = s, store = store })
    local b = assert(otp.new { session = s, store = store })
    assert(a:send(NUMBER))
    assert.is_true(b:verify(NUMBER, delivered()))
    local c = assert(otp.new { session = s, secret = ("k"):rep(32), resend_after = 0 })
    local d = assert(otp.new { session = s, secret = ("j"):rep(32), store = c.store })
    assert(c:send(NUMBER))
    local ok, why = d:verify(NUMBER, delivered())
    assert.is_false(ok)
    assert.equal("mismatch", why)
  end)

  it("never shows the code or the secret in tostring", function()
    local flow = assert(otp.new { session = s, secret = ("s"):rep(32) })
    assert(flow:send(NUMBER))
    local text = tostring(flow)
    assert.matches("^tingting.otp{", text)
    assert.is_nil(text:find(("s"):rep(32), 1, true))
    assert.is_nil(text:find(delivered(), 1, true))
  end)
end)

describe("tingting.store.memory key-value entries", function()
  it("adds once, counts, and expires", function()
    local m = tingting.store.memory()
    assert.is_true(m:add("k", "v", 1))
    local ok, err = m:add("k", "w", 1)
    assert.is_nil(ok)
    assert.equal("exists", err)
    assert.equal("v", m:get("k"))
    assert.equal(1, m:incr("n", 1, 1))
    assert.equal(3, m:incr("n", 2))
    assert.is_true(m:ttl("n") > 0 and m:ttl("n") <= 1)
    assert.is_nil(m:ttl("none"))
    socket.sleep(1.05)
    assert.is_nil(m:get("k"))
    assert.equal(1, m:incr("n", 1))
    assert.equal(0, m:ttl("n")) -- a new entry without a ttl
  end)
end)
