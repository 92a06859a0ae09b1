-- The OTP service of examples/openresty in Debian's nginx + Lua module
-- (LuaJIT), against the emulator, checked from outside with HTTP: on the
-- cosocket transport (the example's own) and on subrequests (ngx).
local socket = require "socket"
local emu = require "spec.helpers.emulator"
local ngxh = require "spec.helpers.openresty"

local NUMBER = "9851023212"

local function send(srv, number)
  return srv:post("/otp/send", { number = number or NUMBER })
end

local function verify(srv, code, number)
  return srv:post("/otp/verify", { number = number or NUMBER, code = code })
end

-- A number per request, so cooldowns never get in the way.
local function numbers(n, base)
  local out = {}
  for i = 1, n do out[i] = { path = "/otp/send", body = { number = tostring((base or 9800000000) + i) } } end
  return out
end

-- {status = count}; failed requests count under their error message
local function statuses(results)
  local by = {}
  for _, r in ipairs(results) do
    local k = r.status or tostring(r.body and r.body.message or r.body)
    by[k] = (by[k] or 0) + 1
  end
  return by
end

-- (the loop's body keeps the indentation it had before it ran twice)
for _, transport in ipairs { "cosocket", "ngx" } do

describe("OpenResty OTP service on " .. transport .. " #openresty", function()
  local srv

  -- Short-lived codes so expiry and cooldown are quick to see.
  setup(function()
    emu.reset()
    emu.config { latency_ms = 0 }
    srv = ngxh.start { workers = 2, transport = transport, env = { OTP_TTL = 3, OTP_RESEND_AFTER = 1,
      OTP_MAX_ATTEMPTS = 3, OTP_MAX_SENDS = 50, OTP_LENGTH = 6 } }
  end)

  teardown(function()
    local errors = srv and srv:stop() or {}
    assert.same({}, errors, "nginx logged errors:\n" .. table.concat(errors, "\n"))
  end)

  before_each(function() socket.sleep(1.05) end) -- past the previous test's resend cooldown

  it("sends a generated code by SMS through the API and accepts it once", function()
    local status, body = send(srv)
    assert.equal(200, status)
    assert.same({ ok = true, number = NUMBER, expires_in = 3, resend_after = 1, via = "text" }, body)
    local code, sms = ngxh.last_code(NUMBER)
    assert.matches("^%d%d%d%d%d%d$", code)
    assert.equal("personnel", sms.otp_options)
    assert.equal("text", sms.sms_send_options)
    assert.equal("Your verification code is " .. code:gsub("%d", " %0"):sub(2), sms.message)
    status, body = verify(srv, code)
    assert.equal(200, status)
    assert.same({ ok = true }, body)
    -- one use only
    status, body = verify(srv, code)
    assert.equal(403, status)
    assert.equal("expired", body.reason)
  end)

  it("says how many attempts are left after a wrong code, and still takes the right one", function()
    assert.equal(200, (send(srv)))
    local code = ngxh.last_code(NUMBER)
    local wrong = code == "000000" and "111111" or "000000"
    local status, body = verify(srv, wrong)
    assert.equal(403, status)
    assert.equal("mismatch", body.reason)
    assert.equal(2, body.attempts_left)
    status = verify(srv, code)
    assert.equal(200, status)
  end)

  it("locks the code after max_attempts wrong ones, even against the right code", function()
    assert.equal(200, (send(srv)))
    local code = ngxh.last_code(NUMBER)
    local wrong = code == "000000" and "111111" or "000000"
    for left = 2, 0, -1 do
      local status, body = verify(srv, wrong)
      assert.equal(403, status)
      assert.equal(left, body.attempts_left)
    end
    local status, body, headers = verify(srv, code)
    assert.equal(429, status)
    assert.equal("locked", body.reason)
    assert.is_not_nil(headers["retry-after"])
  end)

  it("refuses a resend inside the cooldown with Retry-After, and a new code replaces the old", function()
    assert.equal(200, (send(srv)))
    local first = ngxh.last_code(NUMBER)
    local status, body, headers = send(srv)
    assert.equal(429, status)
    assert.equal("rate_limited", body.reason)
    assert.equal("1", headers["retry-after"])
    socket.sleep(1.05)
    assert.equal(200, (send(srv)))
    local second = ngxh.last_code(NUMBER)
    if first ~= second then
      assert.equal(403, (verify(srv, first)))
    end
    assert.equal(200, (verify(srv, second)))
  end)

  it("lets a code expire after its ttl", function()
    assert.equal(200, (send(srv)))
    local code = ngxh.last_code(NUMBER)
    socket.sleep(3.2)
    local status, body = verify(srv, code)
    assert.equal(403, status)
    assert.equal("expired", body.reason)
  end)

  if transport == "cosocket" then
    it("answers first and sends the code from ngx.timer.at (POST /otp/send_later)", function()
      local number = "9851023299"
      local status, body = srv:post("/otp/send_later", { number = number })
      assert.equal(202, status)
      assert.same({ ok = true, queued = true }, body)
      local code
      for _ = 1, 100 do
        code = ngxh.last_code(number)
        if code then break end
        socket.sleep(0.02)
      end
      assert.matches("^%d%d%d%d%d%d$", code)
      assert.equal(200, (verify(srv, code, number)))
    end)
  end

  it("answers bad input with 400 or 405 and a JSON reason, sending nothing", function()
    emu.clear_requests()
    local cases = {
      { "POST", "/otp/send", '{"number": "12"}' },
      { "POST", "/otp/send", "not json" },
      { "POST", "/otp/send", "[1, 2]" },
      { "POST", "/otp/send", '{"number": "9851023212", "extra": 1}' },
      { "POST", "/otp/send", '{"number": true}' },
      { "POST", "/otp/verify", '{"number": "9851023212"}' },
      { "POST", "/otp/verify", '{"number": "9851023212", "code": "12ab"}' },
      { "POST", "/otp/verify", '{"number": "9851023212", "code": 123456}' },
    }
    for _, c in ipairs(cases) do
      local status, body = srv:http(c[1], c[2], c[3])
      assert.equal(400, status, c[3])
      assert.equal("invalid", body.reason, c[3])
      assert.is_string(body.message)
    end
    local status, body, headers = srv:http("GET", "/otp/send")
    assert.equal(405, status)
    assert.equal("POST", headers.allow)
    assert.equal("method_not_allowed", body.reason)
    assert.equal(0, ngxh.count("/api/system/send/otp/"))
  end)
end)

end

-- Run fn(srv) on a fresh instance, stop it, then fail with fn's error or
-- with nginx's logged errors (shown either way).
local function with_server(opts, fn, allow_errors)
  local srv = ngxh.start(opts)
  local ok, err = pcall(fn, srv)
  emu.config { latency_ms = 0, access_ttl = 86400 }
  local errors = srv:stop()
  local log = #errors > 0 and ("\nnginx logged:\n" .. table.concat(errors, "\n")) or ""
  assert(ok, tostring(err) .. log)
  if not allow_errors then assert.same({}, errors, log) end
end

for _, transport in ipairs { "cosocket", "ngx" } do

describe("OpenResty transport " .. transport .. " #openresty", function()
  it("does not block the worker while OTP sends wait on a slow API", function()
    emu.reset()
    with_server({ workers = 1, transport = transport }, function(srv)
      assert.equal(200, (send(srv, "9800000001"))) -- logged in and warm
      emu.config { latency_ms = 1000 }
      local bodies = {}
      for i = 1, 4 do bodies[i] = { number = tostring(9800000010 + i) } end
      local wait = srv:background_posts("/otp/send", bodies)
      socket.sleep(0.3) -- the sends are now waiting on the API
      local t0 = socket.gettime()
      local status = srv:http("GET", "/health")
      local probe = socket.gettime() - t0
      local sends = wait()
      emu.config { latency_ms = 0 }
      assert.equal(200, status)
      assert.is_true(probe < 0.1, ("/health took %.3f s"):format(probe))
      for _, r in ipairs(sends) do
        assert.equal(200, r.status)
        assert.is_true(r.secs >= 1, "a send did not wait for the slow API")
      end
    end)
  end)

  it("logs in once for many concurrent first requests across workers", function()
    emu.reset()
    emu.config { latency_ms = 50 } -- so the first requests overlap the login
    with_server({ workers = 2, transport = transport }, function(srv)
      emu.clear_requests()
      local results = srv:many(numbers(40), 40)
      assert.same({ [200] = 40 }, statuses(results))
      assert.equal(1, ngxh.count("/api/accounts/login/"))
      assert.equal(40, ngxh.count("/api/system/send/otp/"))
    end)
  end)

  it("refreshes an expired access token once for many concurrent requests", function()
    emu.reset()
    emu.config { access_ttl = 2, latency_ms = 20 }
    with_server({ workers = 2, transport = transport }, function(srv)
      -- every worker holds the token: each answers a request
      assert.same({ [200] = 20 }, statuses(srv:many(numbers(20, 9810000000), 20)))
      socket.sleep(2.2) -- the access token has expired
      emu.clear_requests()
      local results = srv:many(numbers(40, 9820000000), 40)
      assert.same({ [200] = 40 }, statuses(results))
      assert.equal(1, ngxh.count("/api/accounts/token/refresh/"))
      assert.equal(0, ngxh.count("/api/accounts/login/"))
    end)
  end)

  it("serves 50 connections for 10 s under wrk without one failed request", function()
    emu.reset()
    emu.config { latency_ms = 0, credits = 1000000000 }
    local env = { OTP_RESEND_AFTER = 0, OTP_MAX_SENDS = 1000 }
    with_server({ workers = 2, transport = transport, env = env }, function(srv)
      local r = ngxh.wrk(srv.url, 50, 10)
      assert.is_true(r.total > 1000, r.output)
      assert.equal(0, r.non2xx, r.output)
      assert.equal(0, r.errors, r.output)
      -- every answered request sent one OTP through the API (and those still
      -- in flight when wrk stopped, at most one per connection)
      local sent = #emu.state().otps
      assert.is_true(sent >= r.total and sent <= r.total + 50, ("%d sent for %d answers"):format(sent, r.total))
    end)
  end)
end)

end

describe("OpenResty, blocking curl transport #openresty", function()
  it("(for contrast) with the blocking curl transport the same probe waits", function()
    emu.reset()
    with_server({ workers = 1, transport = "curl" }, function(srv)
      assert.equal(200, (send(srv, "9800000001")))
      emu.config { latency_ms = 1000 }
      local wait = srv:background_posts("/otp/send", { { number = "9800000011" } })
      socket.sleep(0.3)
      local t0 = socket.gettime()
      assert.equal(200, (srv:http("GET", "/health")))
      local probe = socket.gettime() - t0
      wait()
      emu.config { latency_ms = 0 }
      assert.is_true(probe > 0.4, ("/health took only %.3f s"):format(probe))
    end)
  end)
end)
