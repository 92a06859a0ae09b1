-- The retry policy of docs/design.md, one spec per row of the policy:
-- which ops are idempotent, which failures are retried for which ops, backoff
-- with jitter and its cap, Retry-After (honoured, capped), max_retries and
-- err.sent. The rows run against call.retryable / call.backoff and through
-- the whole call path on a scripted transport; the last block proves on the
-- emulator that libcurl never resends a non-idempotent request by itself.
local tingting = require "tingting"
local call = require "tingting.call"
local cjson = require "cjson"
local emu = require "spec.helpers.emulator"
local script = require "spec.helpers.scripted"

local policy = call.policy

local function envelope(status, data)
  return cjson.encode { status = status, success = status < 400, message = cjson.null, errors = {}, data = data }
end

local USER_OK = { 200, envelope(200, { user_details = { first_name = "A" } }) }
local OTP_OK = { 200, envelope(200, { details = { number = "9851023212" } }) }
local OTP = { number = "9851023212", message = "Code {otp}", sms_send_options = "text" }

-- Answers from a script, records requests and sleeps.
local scripted = script.transport

local function session(t, extra)
  return script.session({ base_url = "http://127.0.0.1:9", access_token = "a.b.c", transport = t }, extra)
end

local function err_of(kind, status, sent)
  return { kind = kind, status = status, sent = sent }
end

describe("retry policy", function()
  it("row: GET, PUT, DELETE, login and refresh are idempotent; the six ops that act are not", function()
    local acting = { send_otp = true, begin = true, create_campaign = true, add_number = true,
      buy_number = true, test_voice = true }
    for _, ep in ipairs(tingting.endpoints()) do
      local want = not acting[ep.op]
      assert.equal(want, ep.idempotent, ep.op)
      if ep.method ~= "POST" then assert.is_true(ep.idempotent, ep.op) end
    end
    assert.is_true(call.endpoints.login.idempotent)
    assert.is_true(call.endpoints.refresh.idempotent)
  end)

  it("row: idempotent ops retry network errors, timeouts, 429, 500, 502, 503 and 504, and nothing else", function()
    for _, e in ipairs { err_of("network", nil, true), err_of("network", nil, false), err_of("timeout", nil, true),
      err_of("rate_limited", 429, true), err_of("server", 500, true), err_of("server", 502, true),
      err_of("server", 503, true), err_of("server", 504, true) } do
      assert.is_true(call.retryable(e, true), e.kind .. " " .. tostring(e.status))
    end
    for _, e in ipairs { err_of("server", 501, true), err_of("server", 505, true), err_of("api", 400, true),
      err_of("auth", 401, true), err_of("auth", 403, true), err_of("not_found", 404, true), err_of("api", 409, true),
      err_of("validation", nil, false), err_of("decode", 200, true) } do
      assert.is_false(call.retryable(e, true), e.kind .. " " .. tostring(e.status))
    end
  end)

  it("row: non-idempotent ops retry only what provably was not processed (never sent, or 429)", function()
    for _, e in ipairs { err_of("network", nil, false), err_of("timeout", nil, false),
      err_of("rate_limited", 429, true) } do
      assert.is_true(call.retryable(e, false), e.kind)
    end
    for _, e in ipairs { err_of("network", nil, true), err_of("timeout", nil, true), err_of("server", 500, true),
      err_of("server", 502, true), err_of("server", 503, true), err_of("server", 504, true),
      err_of("api", 400, true), err_of("validation", nil, false), err_of("decode", 200, true) } do
      assert.is_false(call.retryable(e, false), e.kind .. " " .. tostring(e.status))
    end
    -- and through the call path: an ambiguous failure of send_otp is one request
    local t = scripted { { nil, { kind = "network", message = "reset", sent = true } }, OTP_OK }
    local _, err = session(t):send_otp(OTP)
    assert.equal(1, #t.requests)
    assert.is_false(err.retryable)
    t = scripted { { nil, { kind = "network", message = "refused", sent = false } }, OTP_OK }
    assert(session(t):send_otp(OTP))
    assert.equal(2, #t.requests)
  end)

  it("row: backoff is min(base * 2^(n-1), cap) with jitter in [d/2, d]", function()
    assert.equal(0.5, policy.backoff_base)
    assert.equal(5, policy.backoff_cap)
    for n, d in ipairs { 0.5, 1, 2, 4, 5, 5, 5 } do
      assert.equal(d / 2, call.backoff(n, nil, function() return 0 end), "lower bound of retry " .. n)
      assert.equal(d, call.backoff(n, nil, function() return 1 end), "upper bound of retry " .. n)
    end
    local lo, hi = math.huge, 0
    for _ = 1, 500 do
      local v = call.backoff(2)
      lo, hi = math.min(lo, v), math.max(hi, v)
    end
    assert.is_true(lo >= 0.5 and hi <= 1, ("jitter stays in [0.5, 1]: %g..%g"):format(lo, hi))
    assert.is_true(hi - lo > 0.25, "jitter spreads over the range")
    assert.is_true(call.backoff(30) <= 5, "no overflow past the cap")
  end)

  it("row: the retry loop sleeps the backoff through the transport", function()
    local t = scripted { { 503, "" }, { 503, "" }, USER_OK }
    assert(session(t, { max_retries = 2 }):user())
    assert.equal(2, #t.sleeps)
    assert.is_true(t.sleeps[1] >= 0.25 and t.sleeps[1] <= 0.5)
    assert.is_true(t.sleeps[2] >= 0.5 and t.sleeps[2] <= 1)
  end)

  it("row: Retry-After is honoured (seconds or an HTTP date) instead of the backoff", function()
    assert.equal(7, call.backoff(1, 7))
    -- a date in the past means now, yet no sooner than the first backoff step
    assert.equal(0.25, call.backoff(1, -3, function() return 0 end))
    local t = scripted { { 503, "", { ["retry-after"] = "3" } }, USER_OK }
    assert(session(t):user())
    assert.same({ 3 }, t.sleeps)
    local date = os.date("!%a, %d %b %Y %H:%M:%S GMT", os.time() + 10)
    t = scripted { { 429, "", { ["retry-after"] = date } }, OTP_OK }
    assert(session(t):send_otp(OTP))
    assert.is_true(t.sleeps[1] >= 8 and t.sleeps[1] <= 10, tostring(t.sleeps[1]))
  end)

  it("row: Retry-After is capped at 60 s: beyond it the call fails at once and says when to retry", function()
    assert.equal(60, policy.retry_after_cap)
    assert.equal(60, call.backoff(1, 60))
    assert.is_nil(call.backoff(1, 61))
    local t = scripted { { 503, "", { ["retry-after"] = "3600" } }, USER_OK }
    local _, err = session(t):user()
    assert.equal(1, #t.requests)
    assert.equal(0, #t.sleeps)
    assert.equal(3600, err.retry_after)
    assert.is_true(err.retryable)
  end)

  it("row: max_retries bounds the attempts (default 2, 0 means one attempt)", function()
    for _, max in ipairs { 0, 1, 2, 3 } do
      local t = scripted {}
      local extra = max ~= 2 and { max_retries = max } or nil
      local _, err = session(t, extra):user()
      assert.equal(max + 1, #t.requests, "max_retries " .. max)
      assert.equal(max, #t.sleeps)
      assert.equal("server", err.kind)
      assert.is_true(err.retryable)
    end
    assert.is_nil(tingting.session { base_url = "http://127.0.0.1:9", max_retries = 11 })
    assert.is_nil(tingting.session { base_url = "http://127.0.0.1:9", max_retries = 1.5 })
  end)

  it("row: err.sent is false only when the request provably never reached the server", function()
    local s = session(scripted {})
    local _, verr = s:send_otp { number = "x", message = "{otp}", sms_send_options = "text" }
    assert.is_false(verr.sent)
    for _, case in ipairs {
      { { 500, "" }, true }, { { 400, envelope(400, {}) }, true }, { { 200, "not json" }, true },
      { { nil, { kind = "network", message = "refused", sent = false } }, false },
      { { nil, { kind = "network", message = "reset", sent = true } }, true },
      { { nil, { kind = "network", message = "unknown" } }, true }, -- unknown: it may have been
      { { nil, "a bare string error" }, true },
    } do
      local _, err = session(scripted { case[1] }, { max_retries = 0 }):send_otp(OTP)
      assert.equal(case[2], err.sent, tostring(err))
    end
    -- and the real transport: nothing listens on port 1
    local s1 = assert(tingting.session { base_url = "http://127.0.0.1:1", access_token = "a.b.c", max_retries = 0 })
    local _, nerr = s1:send_otp(OTP)
    assert.equal("network", nerr.kind)
    assert.is_false(nerr.sent)
    s1:close()
  end)
end)

describe("libcurl's own resend of a request on a reused connection", function()
  local saved
  before_each(function()
    emu.reset()
    saved = policy.backoff_base
    policy.backoff_base = 0.001
  end)
  after_each(function()
    policy.backoff_base = saved
    emu.clear_faults()
  end)

  local function count(method, path)
    local n = 0
    for _, r in ipairs(emu.requests()) do
      if r.method == method and r.path == path then n = n + 1 end
    end
    return n
  end

  it("never happens for send_otp: one request in the log, one OTP, err.sent = true", function()
    local s = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test" })
    assert(s:send_otp(OTP)) -- the connection is now kept alive
    emu.clear_requests()
    local before = #emu.state().otps
    emu.fault { method = "POST", path = "/api/system/send/otp/", kind = "drop", after = true, count = 1 }
    local res, err = s:send_otp(OTP)
    assert.is_nil(res)
    assert.equal("network", err.kind)
    assert.is_true(err.sent)
    assert.is_false(err.retryable)
    assert.equal(1, count("POST", "/api/system/send/otp/"))
    assert.equal(before + 1, #emu.state().otps)
    -- and the session goes on working on a new connection
    assert(s:user())
    s:close()
  end)

  it("does happen for an idempotent GET, which then succeeds", function()
    local s = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test",
      max_retries = 0 })
    assert(s:user())
    emu.clear_requests()
    emu.fault { method = "GET", path = "/api/accounts/user_details/", kind = "drop", after = true, count = 1 }
    assert(s:user()) -- no Lua retry allowed: libcurl resent it on a fresh connection
    assert.equal(2, count("GET", "/api/accounts/user_details/"))
    s:close()
  end)
end)
