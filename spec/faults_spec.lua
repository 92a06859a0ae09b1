-- Failure kinds over the real transport, with the emulator injecting faults,
-- counting what the server received.
local tingting = require "tingting"
local call = require "tingting.call"
local emu = require "spec.helpers.emulator"

local USER = "/api/accounts/user_details/"
local OTP = "/api/system/send/otp/"

local count = emu.count

local function otp_args()
  return { number = "9851023212", message = "Code {otp}", sms_send_options = "text" }
end

describe("faults", function()
  local s, access, refresh, saved_base
  before_each(function()
    emu.reset()
    access, refresh = emu.login()
    emu.clear_requests()
    s = assert(tingting.session { base_url = emu.url(), access_token = access, refresh_token = refresh,
      email = "test@gmail.com", password = "test", timeout = 2 })
    saved_base = call.policy.backoff_base
    call.policy.backoff_base = 0.01 -- keep the suite fast; the delays themselves are specified in 01
  end)
  after_each(function()
    call.policy.backoff_base = saved_base
    emu.clear_faults()
    s:close()
  end)

  it("refreshes an expired access token once and replays the call", function()
    emu.config { access_ttl = 1 }
    local saved = call.policy.refresh_margin
    call.policy.refresh_margin = -60 -- let the client believe its token is still good
    s:login()
    tingting.sleep(2.1)
    local ok, err = s:user()
    call.policy.refresh_margin = saved
    assert.is_table(ok, tostring(err))
    assert.equal(2, count(USER))
    assert.equal(1, count("/api/accounts/token/refresh/"))
  end)

  it("logs in again when the server no longer accepts the refresh token either", function()
    emu.reset() -- new signing secret: both tokens are now invalid
    local ok, err = s:user()
    assert.is_table(ok, tostring(err))
    assert.equal(1, count("/api/accounts/token/refresh/"))
    assert.equal(1, count("/api/accounts/login/"))
    assert.equal(2, count(USER))
  end)

  it("honours 429 with Retry-After, for a non-idempotent call too", function()
    emu.fault { method = "POST", path = OTP, kind = "status", status = 429, retry_after = 1, count = 1 }
    local t0 = os.time()
    assert(s:send_otp(otp_args()))
    assert.is_true(os.time() - t0 >= 1 - 1) -- at least the second boundary
    assert.equal(2, count(OTP))
  end)

  it("retries 5xx for idempotent calls only", function()
    emu.fault { method = "GET", path = USER, kind = "status", status = 503, count = 2 }
    assert(s:user())
    assert.equal(3, count(USER))
    emu.fault { method = "POST", path = OTP, kind = "status", status = 500, count = 1 }
    local _, err = s:send_otp(otp_args())
    assert.equal("server", err.kind)
    assert.equal(500, err.status)
    assert.equal(1, count(OTP))
  end)

  it("reads an HTML 502 page as a server error", function()
    emu.fault { method = "GET", path = USER, kind = "html", count = 3 }
    local _, err = s:user()
    assert.equal("server", err.kind)
    assert.equal(502, err.status)
    assert.matches("HTML", err.message)
  end)

  it("reports a dropped connection as a network error and retries only what is safe", function()
    emu.fault { method = "GET", path = USER, kind = "drop", count = 1 }
    assert(s:user())
    emu.fault { method = "POST", path = OTP, kind = "drop", count = 1, after = true }
    local _, err = s:send_otp(otp_args())
    assert.equal("network", err.kind)
    assert.is_true(err.sent)
    assert.equal(1, #emu.state().otps)
  end)

  it("reports a truncated body as a failure, never a partial result", function()
    emu.fault { method = "GET", path = USER, kind = "truncate", count = 5 }
    local res, err = s:user()
    assert.is_nil(res)
    assert.is_true(err.kind == "network" or err.kind == "decode")
  end)

  it("times out past the session timeout", function()
    emu.fault { method = "GET", path = USER, kind = "delay", delay_ms = 3000, count = 5 }
    local s1 = assert(tingting.session { base_url = emu.url(), access_token = access, timeout = 0.5,
      max_retries = 0 })
    local _, err = s1:user()
    assert.equal("timeout", err.kind)
    s1:close()
  end)

  it("says a refused connection was never sent", function()
    local s1 = assert(tingting.session { base_url = "http://127.0.0.1:1", access_token = access,
      max_retries = 0 })
    local _, err = s1:send_otp(otp_args())
    assert.equal("network", err.kind)
    assert.is_false(err.sent)
    s1:close()
  end)

  it("keeps secrets out of every error and log line", function()
    local lines = {}
    local s1 = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test",
      on_log = function(l) lines[#lines + 1] = l end })
    emu.fault { path = USER, kind = "status", status = 401, count = 1 }
    local _, err = s1:user()
    local _, err2 = s1:buy_number("nope")
    local s2 = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com",
      password = "Zx9-very-secret", on_log = function(l) lines[#lines + 1] = l end })
    local _, err3 = s2:user()
    assert.equal("auth", err3.kind)
    local texts = { tostring(err), tostring(err2), tostring(err3), tostring(s1), tostring(s2),
      table.concat(lines, "\n") }
    for _, text in ipairs(texts) do
      if s1.access_token then assert.not_matches(s1.access_token, text, 1, true) end
      if s1.refresh_token then assert.not_matches(s1.refresh_token, text, 1, true) end
      assert.not_matches("Bearer", text, 1, true)
      assert.not_matches("Zx9-very-secret", text, 1, true)
    end
    assert.is_true(#lines > 0)
    s1:close()
    s2:close()
  end)
end)

describe("deletes", function()
  it("treat a 404 after an answer was lost as done: the first attempt deleted it", function()
    emu.reset()
    local s = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test" })
    local c = assert(s:create_campaign { name = "gone", services = "SMS", individual_number = { "9843818700" } })
    local saved = call.policy.backoff_base
    call.policy.backoff_base = 0.01
    -- a fresh connection per request: on a reused one libcurl itself may replay the DELETE
    local function fresh(req)
      local t = tingting.transport.curl()
      local status, body, headers = t:request(req)
      t:close()
      return status, body, headers
    end
    local s2 = assert(tingting.session { base_url = emu.url(), access_token = s.access_token, transport = fresh })
    local c2 = assert(s2:campaign(c.id))
    emu.fault { method = "DELETE", path = "^/api/system/campaigns/%d+/delete", kind = "drop", after = true, count = 1 }
    local ok, err = c2:delete()
    call.policy.backoff_base = saved
    emu.clear_faults()
    assert.is_true(ok, tostring(err))
    local _, gone = s:campaign(c.id)
    assert.equal("not_found", gone.kind)
    -- a delete of something that never existed still says not_found
    local _, nf = s:number(999999)
    assert.equal("not_found", nf.kind)
    s2:close()
    s:close()
  end)
end)
