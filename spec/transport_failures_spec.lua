-- Transport failures as the user meets them through a session: a
-- certificate that does not verify and https spoken to an http server are
-- final (one attempt, not retryable, a message that says what is wrong); a
-- Retry-After of 0 still backs off; a call that gives up after retries says
-- what happened and how many attempts it made. Against the emulator, and an
-- `openssl s_server` with a self-signed certificate for TLS.
local tingting = require "tingting"
local call = require "tingting.call"
local core = require "tingting.core"
local emu = require "spec.helpers.emulator"
local tls = require "spec.helpers.tls"

local USER = "/api/accounts/user_details/"

-- The attempts a call made, from its on_log lines: one "->" line per attempt.
local function logger()
  local lines = {}
  return lines, function(line) lines[#lines + 1] = line end
end

local function attempts(lines)
  local n = 0
  for _, l in ipairs(lines) do
    if l:find(" -> ", 1, true) then n = n + 1 end
  end
  return n
end

-- The curl transport, with sleeps recorded rather than slept.
local function recording_curl()
  local curl = core.curl {}
  local t = { sleeps = {}, requests = 0 }
  function t:request(req)
    self.requests = self.requests + 1
    return curl:request(req)
  end
  function t:sleep(s) self.sleeps[#self.sleeps + 1] = s end
  function t:close() curl:close() end
  return t
end

describe("transport failures", function()
  local access

  before_each(function()
    emu.reset()
    access = emu.login()
    emu.clear_requests()
  end)
  after_each(function() emu.clear_faults() end)

  describe("a certificate that does not verify", function()
    local certs, port, pid

    setup(function()
      certs = tls.certs()
      port = tls.free_port(18700)
      local p = assert(io.popen(("openssl s_server -accept %d -cert %s/cert.pem -key %s/key.pem -www -quiet "
        .. ">/dev/null 2>&1 & echo $!"):format(port, certs.dir, certs.dir)))
      pid = tonumber(p:read("*l"))
      p:close()
      for _ = 1, 100 do
        if not emu.port_free(port) then break end
        tingting.sleep(0.05)
      end
      assert.is_false(emu.port_free(port), "openssl s_server did not start")
    end)
    teardown(function()
      if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
      tls.remove(certs)
    end)

    it("is tried once, even with max_retries = 3, and the error says the certificate failed", function()
      local lines, on_log = logger()
      local s = assert(tingting.session { base_url = "https://127.0.0.1:" .. port, access_token = access,
        max_retries = 3, on_log = on_log })
      local res, err = s:user()
      s:close()
      assert.is_nil(res)
      assert.equal(1, attempts(lines))
      assert.equal("network", err.kind)
      assert.is_false(err.retryable)
      assert.is_false(err.sent)
      assert.equal(1, err.attempts)
      assert.matches("certificate", err.message)
      assert.matches("ca_file", err.message)
    end)

    it("is refused the same way for a request that is not idempotent", function()
      local lines, on_log = logger()
      local s = assert(tingting.session { base_url = "https://127.0.0.1:" .. port, access_token = access,
        max_retries = 3, on_log = on_log })
      local _, err = s:send_otp { number = "9851023212", message = "Code {otp}", sms_send_options = "text" }
      s:close()
      assert.equal(1, attempts(lines))
      assert.is_false(err.retryable)
      assert.matches("certificate", err.message)
    end)
  end)

  it("https against an http server: one attempt, and the error says the server does not speak https", function()
    local hostport = emu.url():match("^http://([^/]+)")
    local lines, on_log = logger()
    local s = assert(tingting.session { base_url = "https://" .. hostport, access_token = access,
      max_retries = 3, on_log = on_log })
    local res, err = s:user()
    s:close()
    assert.is_nil(res)
    assert.equal(1, attempts(lines))
    assert.equal("network", err.kind)
    assert.is_false(err.retryable)
    assert.is_false(err.sent)
    assert.matches("TLS handshake failed: " .. hostport:gsub("%p", "%%%0") .. " does not speak https", err.message)
    assert.matches("base_url http://", err.message, 1, true)
    assert.equal(0, emu.count(USER))
  end)

  describe("Retry-After", function()
    for _, ra in ipairs { "0", "-5", "Thu, 01 Jan 1970 00:00:00 GMT" } do
      it(("of %q still backs off the first step before the retry"):format(ra), function()
        emu.fault { method = "GET", path = USER, kind = "status", status = 503, retry_after = ra, count = 1 }
        local t = recording_curl()
        local s = assert(tingting.session { base_url = emu.url(), access_token = access, transport = t })
        assert(s:user())
        s:close()
        t:close()
        assert.equal(2, emu.count(USER))
        assert.equal(1, #t.sleeps)
        assert.is_true(t.sleeps[1] >= call.policy.backoff_base / 2, tostring(t.sleeps[1]))
        assert.is_true(t.sleeps[1] <= call.policy.backoff_base, tostring(t.sleeps[1]))
      end)
    end

    it("longer than the first step is honoured as given", function()
      emu.fault { method = "GET", path = USER, kind = "status", status = 429, retry_after = 2, count = 1 }
      local t = recording_curl()
      local s = assert(tingting.session { base_url = emu.url(), access_token = access, transport = t })
      assert(s:user())
      s:close()
      t:close()
      assert.same({ 2 }, t.sleeps)
    end)
  end)

  describe("a call that gives up after retries", function()
    local saved
    before_each(function()
      saved = call.policy.backoff_base
      call.policy.backoff_base = 0.01
    end)
    after_each(function() call.policy.backoff_base = saved end)

    it("on 503s says what the server answered and how many attempts were made", function()
      emu.fault { method = "GET", path = USER, kind = "status", status = 503, count = 3 }
      local s = assert(tingting.session { base_url = emu.url(), access_token = access, max_retries = 2 })
      local _, err = s:user()
      s:close()
      assert.equal(3, emu.count(USER))
      assert.equal("server", err.kind)
      assert.equal(503, err.status)
      assert.equal(3, err.attempts)
      assert.is_true(err.retryable)
      assert.matches("Service Unavailable", err.message)
      assert.matches("%(3 attempts%)$", err.message)
      assert.matches("server error 503 in user %(GET " .. USER .. "%): .*%(3 attempts%)$", tostring(err))
    end)

    it("on timeouts says it timed out, after how long, and how many attempts were made", function()
      emu.fault { method = "GET", path = USER, kind = "delay", delay_ms = 1500, count = 2 }
      local s = assert(tingting.session { base_url = emu.url(), access_token = access, max_retries = 1,
        timeout = 0.5 })
      local _, err = s:user()
      s:close()
      assert.equal("timeout", err.kind)
      assert.equal(2, err.attempts)
      assert.matches("^timed out after 0%.5%d* s waiting for the answer %(2 attempts%)$", err.message)
    end)

    it("that was not retried carries attempts = 1 and its message as it was", function()
      emu.fault { method = "GET", path = USER, kind = "status", status = 503, count = 1 }
      local s = assert(tingting.session { base_url = emu.url(), access_token = access, max_retries = 0 })
      local _, err = s:user()
      s:close()
      assert.equal(1, err.attempts)
      assert.not_matches("attempts", err.message)
    end)
  end)
end)
