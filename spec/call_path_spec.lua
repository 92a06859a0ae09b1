-- The sans-IO core and the call path, with scripted transports: what is
-- validated, what goes on the wire, how answers and failures are read, and
-- how retries and token renewal behave. No network here.
local tingting = require "tingting"
local core = require "tingting.core"
local cjson = require "cjson"
local script = require "spec.helpers.scripted"

local BASE = "http://127.0.0.1:9"

-- An integer on 5.3+; a whole number on 5.1 and LuaJIT (make test-compat).
local function is_integer(v)
  if math.type then return math.type(v) == "integer" end
  return type(v) == "number" and v == math.floor(v)
end

local function envelope(status, data, message)
  return cjson.encode { status = status, success = status < 400, message = message or cjson.null,
    errors = {}, data = data }
end

local function b64url(s)
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
  return ((s:gsub(".", function(x)
    local r, b = "", x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return alphabet:sub(c + 1, c + 1)
  end))
end

local function jwt(claims)
  return b64url('{"alg":"HS256","typ":"JWT"}') .. "." .. b64url(cjson.encode(claims)) .. ".sig"
end

-- A transport that answers from a script: a list of {status, body, headers}
-- or {nil, err} entries, consumed in order; records every request.
local scripted = script.transport

local function session(t, extra)
  return script.session({ base_url = BASE, access_token = jwt { exp = os.time() + 3600, token_type = "access" },
    refresh_token = "refresh-1", transport = t }, extra)
end

local CAMPAIGN = { id = 8, name = "sample individual campaign", user_phone = {}, services = "PHONE",
  description = "IPO", usable_tags = { "tags_name", "tags_age" } }

describe("tingting module", function()
  it("has a version and the error helpers", function()
    assert.equal("0.1.0", tingting.VERSION)
    assert.is_function(tingting.is_error)
    assert.is_false(tingting.is_error({ kind = "api" }))
  end)

  it("lists every documented endpoint", function()
    local ops = {}
    for _, ep in ipairs(tingting.endpoints()) do ops[ep.op] = ep end
    for _, op in ipairs { "login", "refresh", "user", "owned_numbers", "available_numbers", "buy_number",
      "release_number", "campaigns", "campaign", "create_campaign", "update_campaign", "delete_campaign",
      "begin", "campaign_numbers", "add_number", "report", "report_summary", "number", "update_number",
      "delete_number", "test_voice", "send_otp" } do
      assert.is_table(ops[op], op)
    end
    assert.equal("DELETE", ops.release_number.method)
    assert.is_false(ops.send_otp.idempotent)
    assert.is_true(ops.update_campaign.idempotent)
  end)
end)

describe("session options", function()
  it("refuses plain http to a non-loopback host unless allowed", function()
    local s, err = tingting.session { base_url = "http://example.org", transport = scripted {} }
    assert.is_nil(s)
    assert.equal("validation", err.kind)
    assert.equal("base_url", err.field)
    assert.truthy(tingting.session { base_url = "http://example.org", allow_insecure_http = true,
      transport = scripted {} })
    assert.truthy(tingting.session { base_url = "http://localhost:8787/", transport = scripted {} })
  end)

  it("refuses base URLs with credentials, other schemes or control characters", function()
    for _, url in ipairs { "https://u:p@app.tingting.io", "ftp://app.tingting.io", "file:///etc/passwd",
      "https://app.tingting.io/\r\nX: y", "https://app.tingting.io/?a=b", "app.tingting.io" } do
      local s, err = tingting.session { base_url = url, transport = scripted {} }
      assert.is_nil(s, url)
      assert.equal("base_url", err.field, url)
    end
  end)

  it("names unknown and mistyped options", function()
    local _, err = tingting.session { base_ulr = "https://x" }
    assert.equal("base_ulr", err.field)
    _, err = tingting.session { timeout = "10" }
    assert.equal("timeout", err.field)
    _, err = tingting.session { max_retries = -1 }
    assert.equal("max_retries", err.field)
    _, err = tingting.session { email = "a@b.c" }
    assert.equal("password", err.field)
  end)

  it("strips a trailing slash and reads token_expires from the token", function()
    local exp = os.time() + 100
    local s = assert(tingting.session { base_url = "https://app.tingting.io/", transport = scripted {},
      access_token = jwt { exp = exp } })
    assert.equal("https://app.tingting.io", s.base_url)
    assert.equal(exp, s.token_expires)
    assert.is_true(s.logged_in)
  end)

  it("never shows tokens or the password in tostring", function()
    local access = jwt { exp = os.time() + 100 }
    local s = session(scripted {}, { access_token = access, email = "test@gmail.com", password = "s3cret!" })
    local text = tostring(s)
    assert.matches("tingting.session", text, 1, true)
    assert.not_matches(access, text, 1, true)
    assert.not_matches("s3cret", text, 1, true)
    assert.not_matches("refresh-1", text, 1, true)
  end)

  it("has read-only fields and raises when used after close", function()
    local s = session(scripted {})
    assert.has_error(function() s.base_url = "x" end)
    s:close()
    s:close() -- twice is fine
    assert.is_true(s.closed)
    assert.is_nil(s.access_token)
    assert.has_error(function() s:user() end, nil)
  end)
end)

describe("validation before sending", function()
  local t, s
  before_each(function()
    t = scripted {}
    s = session(t)
  end)
  after_each(function() assert.equal(0, #t.requests, "a request was sent") end)

  local function check(err, field, pattern)
    assert.is_true(tingting.is_error(err))
    assert.equal("validation", err.kind)
    assert.equal(field, err.field)
    assert.is_false(err.sent)
    if pattern then assert.matches(pattern, err.message) end
  end

  it("names the field and allowed values of enums", function()
    local _, err = s:create_campaign { name = "x", services = "FAX", individual_number = { "9843818700" } }
    check(err, "services", "PHONE|SMS")
    _, err = s:test_voice { message = "hi", voice_input = "robot" }
    check(err, "voice_input", "np_rija|np_prasanna|np_binod")
    _, err = s:send_otp { number = "9851023212", message = "{otp}", sms_send_options = "pigeon" }
    check(err, "sms_send_options", "text|voice")
    _, err = s:send_otp { number = "9851023212", message = "{otp}", sms_send_options = "text", otp_options = "x" }
    check(err, "otp_options", "personnel|generated")
  end)

  it("requires the documented fields", function()
    local _, err = s:create_campaign { services = "SMS", individual_number = { "9843818700" } }
    check(err, "name", "required")
    _, err = s:create_campaign { name = "x", services = "SMS" }
    check(err, "individual_number")
    _, err = s:send_otp { number = "9851023212", sms_send_options = "text" }
    check(err, "message", "required")
    _, err = s:test_voice {}
    check(err, "message")
  end)

  it("rejects unknown fields by name", function()
    local _, err = s:send_otp { number = "9851023212", message = "{otp}", sms_send_options = "text", opt = 1 }
    check(err, "opt", "unknown field")
  end)

  it("checks ids: positive integers only", function()
    for _, bad in ipairs { 0, -3, 1.5, 0 / 0, math.huge, "8", "../8", {}, 2 ^ 60 } do
      local _, err = s:campaign(bad)
      check(err, "id")
    end
  end)

  it("checks phone numbers and normalizes separators and the country prefix", function()
    local _, err = s:send_otp { number = "98-abc", message = "{otp}", sms_send_options = "text" }
    check(err, "number")
    _, err = s:send_otp { number = "123", message = "{otp}", sms_send_options = "text" }
    check(err, "number", "at least 7")
    assert.equal("9843818700", tingting.normalize_phone("+977 984-381-8700"))
    assert.equal("9843818700", tingting.normalize_phone("00977 9843818700"))
    assert.equal("98675432123", tingting.normalize_phone(98675432123))
  end)

  it("refuses a leading 0 where the number goes on the wire as a JSON integer", function()
    local _, err = s:create_campaign { name = "x", services = "SMS",
      individual_number = { "9843818700", "01-4412345" } }
    check(err, "individual_number[2]", "cannot start with 0")
    -- a string on the wire keeps its 0: the OTP number
    local req = assert(core.build(s, "send_otp", { number = "0987654321", message = "{otp}",
      sms_send_options = "text" }))
    assert.matches('"number":"0987654321"', req.body, 1, true)
  end)

  it("enforces the OTP rules", function()
    local _, err = s:send_otp { number = "9851023212", message = "Your code", sms_send_options = "text" }
    check(err, "message", "{otp}")
    _, err = s:send_otp { number = "9851023212", message = "{otp}", sms_send_options = "text",
      otp_options = "personnel" }
    check(err, "otp", "personnel")
    _, err = s:send_otp { number = "9851023212", message = "{otp}", sms_send_options = "text",
      otp_options = "generated", otp = "1234" }
    check(err, "otp")
    _, err = s:send_otp { number = "9851023212", message = "{otp}", sms_send_options = "text", otp_length = 0 }
    check(err, "otp_length")
  end)

  it("checks files: present, regular, readable", function()
    local _, err = s:create_campaign { name = "x", services = "SMS", send_to_number_file = "/no/such.xlsx" }
    check(err, "send_to_number_file", "no such file")
    _, err = s:create_campaign { name = "x", services = "SMS", send_to_number_file = "/tmp" }
    check(err, "send_to_number_file", "regular")
  end)

  it("checks schedule_date, status and priority of begin", function()
    local c = core.session_of and nil
    assert.is_nil(c)
    local camp = select(1, (function()
      local tr = scripted { { 200, envelope(200, { details = { CAMPAIGN } }) } }
      local s2 = session(tr)
      return s2:campaign(8)
    end)())
    local _, err = camp:begin { message = "hi", schedule_date = "2023-13-09T17:07" }
    check(err, "schedule_date")
    _, err = camp:begin { message = "hi", schedule_date = "tomorrow" }
    check(err, "schedule_date", "YYYY%-MM%-DDTHH:MM")
    _, err = camp:begin { status = { "failed", "lost" } }
    check(err, "status", "hungup|unanswered|failed|terminated|completed")
    _, err = camp:begin { priority = "video" }
    check(err, "priority", "audio|message")
    _, err = camp:begin {}
    check(err, "message", "message or aud_file")
    _, err = camp:begin { message = "नमस्कार {tags_salary}" }
    check(err, "message", "tags_salary")
    _, err = camp:begin { audio = "/tmp/a.mp3" }
    check(err, "audio", "aud_file")
  end)

  it("refuses invalid UTF-8, NUL bytes and oversized strings", function()
    local _, err = s:test_voice { message = "\255\254" }
    check(err, "message", "UTF%-8")
    _, err = s:test_voice { message = "a\0b" }
    check(err, "message", "NUL")
    _, err = s:test_voice { message = string.rep("x", 1024 * 1024) }
    check(err, "message", "too long")
  end)

  it("refuses a non-table argument without raising", function()
    local _, err = s:create_campaign("name")
    check(err, "arguments")
  end)
end)

describe("requests on the wire", function()
  it("sends the documented JSON with phone numbers as exact integers", function()
    local t = scripted { { 201, envelope(201, { details = { CAMPAIGN } }) } }
    local s = session(t)
    assert(s:create_campaign { name = "sample", services = "PHONE",
      individual_number = { "9876543210", 98675432123 } })
    local req = t.requests[1]
    assert.equal("POST", req.method)
    assert.equal(BASE .. "/api/system/campaigns/", req.url)
    assert.equal("application/json", req.headers["Content-Type"])
    assert.matches("^Bearer ", req.headers.Authorization)
    assert.matches('"individual_number":[9876543210,98675432123]', req.body, 1, true)
    assert.is_false(req.idempotent)
  end)

  it("sends the OTP number as a string, and multipart when a file goes", function()
    local t = scripted {
      { 200, envelope(200, { details = { number = "9851023212", otp = "12345" } }) },
      { 201, envelope(201, { details = { CAMPAIGN } }) },
    }
    local s = session(t)
    assert(s:send_otp { number = "9851023212", message = "Hi {otp}", sms_send_options = "text",
      otp_options = "personnel", otp = "12345" })
    assert.matches('"number":"9851023212"', t.requests[1].body, 1, true)
    local f = os.tmpname()
    local fh = assert(io.open(f, "w"))
    fh:write("number\n9843818700\n")
    fh:close()
    assert(s:create_campaign { name = "bulk", services = "SMS", send_to_number_file = f })
    os.remove(f)
    local form = t.requests[2].form
    assert.is_nil(t.requests[2].body)
    local names = {}
    for _, p in ipairs(form) do names[p.name] = p end
    assert.equal(f, names.send_to_number_file.file)
    assert.equal("SMS", names.services.value)
  end)

  it("passes Devanagari byte-exact", function()
    local msg = "नमस्कार, {tags_name}, टिङ्टिंगमा हजुरलाई स्वागत छ"
    local t = scripted {
      { 200, envelope(200, { details = { CAMPAIGN } }) },
      { 200, envelope(200, { ["hold amount"] = "3 credits on hold" }) },
    }
    local s = session(t)
    local c = assert(s:campaign(8))
    assert(c:begin { message = msg })
    assert.equal(msg, cjson.decode(t.requests[2].body).message)
  end)

  it("formats an epoch schedule_date in Nepal time (UTC+05:45)", function()
    local t = scripted {
      { 200, envelope(200, { details = { CAMPAIGN } }) },
      { 200, envelope(200, { ["hold amount"] = "1 credits on hold" }) },
      { 200, envelope(200, { ["hold amount"] = "1 credits on hold" }) },
    }
    local s = session(t)
    local c = assert(s:campaign(8))
    assert(c:begin { message = "hi", schedule_date = 0 })
    assert.equal("1970-01-01T05:45", cjson.decode(t.requests[2].body).schedule_date)
    -- 2023-05-09T11:22 UTC is 17:07 in Kathmandu, the docs' sample
    assert(c:begin { message = "hi", schedule_date = 1683631320 })
    assert.equal("2023-05-09T17:07", cjson.decode(t.requests[3].body).schedule_date)
  end)
end)

describe("answers", function()
  it("builds campaign and number objects with integer ids and digit-string numbers", function()
    local t = scripted {
      { 200, envelope(200, { details = { CAMPAIGN } }) },
      { 200, envelope(200, { ["number-lists"] = { { id = 34, number = 98675432123, campaing = "Sample",
        available_tags = { tags_name = "Ram" }, status = "not started", duration = cjson.null,
        playback = cjson.null, credit_consumed = 8 } } }) },
    }
    local s = session(t)
    local c = assert(s:campaign(8))
    assert.is_true(is_integer(c.id))
    assert.equal("tingting.campaign{id=8, name=\"sample individual campaign\", services=\"PHONE\"}", tostring(c))
    local list = assert(c:numbers())
    local n = list[1]
    assert.equal("98675432123", n.number)
    assert.equal("Sample", n.campaign)
    assert.is_true(is_integer(n.credit_consumed))
    assert.is_nil(n.duration)
    assert.equal("Ram", n.available_tags.tags_name)
    assert.has_error(function() n.status = "completed" end)
    -- a table read from an object cannot change the object
    local tags = c.usable_tags
    tags[1] = "changed"
    assert.equal("tags_name", c.usable_tags[1])
    assert.same(c:fields().usable_tags, { "tags_name", "tags_age" })
    assert.equal(c, s:campaign(8) or c)
  end)

  it("maps failures to error kinds with the server's messages", function()
    local cases = {
      { 400, cjson.encode { status = 400, success = false, message = "name: This field is required.",
        errors = { name = { "This field is required." } }, data = {} }, "api", "name" },
      { 401, cjson.encode { detail = "Given token not valid for any token type", code = "token_not_valid" }, "auth" },
      { 404, envelope(404, {}, "Campaign not found."), "not_found" },
      { 429, "", "rate_limited" },
      { 502, "<html><head><title>502 Bad Gateway</title></head></html>", "server" },
      { 400, cjson.encode { services = { "\"FAX\" is not a valid choice." } }, "api", "services" },
    }
    for _, case in ipairs(cases) do
      local s = assert(tingting.session { base_url = BASE, transport = scripted { { case[1], case[2] } },
        access_token = jwt { exp = os.time() + 3600 }, max_retries = 0 })
      local _, err = s:create_campaign { name = "x", services = "SMS", individual_number = { "9843818700" } }
      assert.equal(case[3], err.kind, case[2])
      assert.equal(case[1], err.status)
      assert.equal("create_campaign", err.op)
      assert.equal("POST", err.method)
      assert.equal("/api/system/campaigns/", err.path)
      if case[4] then assert.equal(case[4], err.field) end
      assert.is_string(err.message)
    end
  end)

  it("formats errors as the contract shows", function()
    local body = cjson.encode { status = 400, success = false, message = "name: This field is required.",
      errors = { name = { "This field is required." } }, data = {} }
    local s = session(scripted { { 400, body } })
    local _, err = s:create_campaign { name = "x", services = "SMS", individual_number = { "9843818700" } }
    assert.equal("tingting: api error 400 in create_campaign (POST /api/system/campaigns/): "
      .. "name: This field is required.", tostring(err))
  end)

  it("reports a non-JSON success body as a decode error", function()
    local s = session(scripted { { 200, "<html>oops</html>" } })
    local _, err = s:user()
    assert.equal("decode", err.kind)
  end)

  it("accepts an empty 204 for release", function()
    local s = session(scripted { { 204, "" } })
    assert.is_true(s:release_number("b7142c5ae3b673d944d81c83bda4f5de"))
  end)
end)

describe("retry policy", function()
  it("retries idempotent calls on 5xx with growing backoff, up to max_retries", function()
    local t = scripted { { 503, "" }, { 502, "" }, { 200, envelope(200, { user_details = { first_name = "A" } }) } }
    local s = session(t)
    local user = assert(s:user())
    assert.equal("A", user.first_name)
    assert.equal(3, #t.requests)
    assert.equal(2, #t.sleeps)
    assert.is_true(t.sleeps[1] >= 0.25 and t.sleeps[1] <= 0.5)
    assert.is_true(t.sleeps[2] >= 0.5 and t.sleeps[2] <= 1)
  end)

  it("gives up after max_retries and says it was retryable", function()
    local t = scripted { { 500, "" }, { 500, "" }, { 500, "" }, { 500, "" } }
    local s = session(t, { max_retries = 2 })
    local _, err = s:user()
    assert.equal("server", err.kind)
    assert.equal(3, #t.requests)
  end)

  it("never retries a non-idempotent call that may have been processed", function()
    for _, answer in ipairs { { 500, "" }, { 502, "" }, { nil, { kind = "network", message = "reset", sent = true } },
      { nil, { kind = "timeout", message = "timed out", sent = true } } } do
      local t = scripted { answer, { 200, envelope(200, { details = {} }) } }
      local s = session(t)
      local _, err = s:send_otp { number = "9851023212", message = "{otp}", sms_send_options = "text" }
      assert.is_table(err)
      assert.equal(1, #t.requests)
      assert.is_true(err.sent)
    end
  end)

  it("retries a non-idempotent call that provably was not processed (429, never sent)", function()
    local ok_answer = { 200, envelope(200, { details = { number = "9851023212" } }) }
    local t = scripted { { 429, "", { ["retry-after"] = "1" } },
      { nil, { kind = "network", message = "connect failed", sent = false } }, ok_answer }
    local s = session(t)
    assert(s:send_otp { number = "9851023212", message = "{otp}", sms_send_options = "text" })
    assert.equal(3, #t.requests)
    assert.equal(1, t.sleeps[1]) -- Retry-After honoured
  end)

  it("does not wait out a Retry-After beyond 60 s", function()
    local t = scripted { { 429, "", { ["retry-after"] = "120" } } }
    local s = session(t)
    local _, err = s:user()
    assert.equal("rate_limited", err.kind)
    assert.equal(120, err.retry_after)
    assert.equal(1, #t.requests)
  end)

  it("never retries 4xx answers", function()
    local t = scripted { { 400, envelope(400, {}, "bad") } }
    local _, err = session(t):user()
    assert.equal("api", err.kind)
    assert.equal(1, #t.requests)
  end)
end)

describe("tokens", function()
  local LOGIN = function()
    return 200, envelope(200, { token = { access = jwt { exp = os.time() + 86400, n = math.random() },
      refresh = "refresh-new" }, user_data = { first_name = "Adwait" } }, "Successfully logged in")
  end

  it("logs in lazily on the first call when credentials are given", function()
    local t = scripted { LOGIN, { 200, envelope(200, { user_details = { first_name = "Adwait" } }) } }
    local s = assert(tingting.session { base_url = BASE, transport = t, email = "test@gmail.com",
      password = "test" })
    assert.is_false(s.logged_in)
    assert(s:user())
    assert.equal("login", t.requests[1].op)
    assert.is_true(s.logged_in)
  end)

  it("refreshes once on 401 token_not_valid and replays the call", function()
    local seen = {}
    local t = scripted {
      { 401, cjson.encode { detail = "Given token not valid for any token type", code = "token_not_valid" } },
      { 200, cjson.encode { access = jwt { exp = os.time() + 86400 } } },
      { 200, envelope(200, { user_details = { first_name = "A" } }) },
    }
    local s = session(t, { on_tokens = function(a, r) seen[#seen + 1] = { a, r } end })
    assert(s:user())
    assert.equal("refresh", t.requests[2].op)
    assert.equal(1, #seen)
    assert.equal(s.access_token, seen[1][1])
    assert.equal("Bearer " .. s.access_token, t.requests[3].headers.Authorization)
  end)

  it("logs in again when the refresh token is no longer accepted", function()
    local t = scripted {
      { 401, cjson.encode { detail = "expired", code = "token_not_valid" } },
      { 401, cjson.encode { detail = "Token is invalid or expired", code = "token_not_valid" } },
      LOGIN,
      { 200, envelope(200, { user_details = { first_name = "A" } }) },
    }
    local s = session(t, { email = "test@gmail.com", password = "test" })
    assert(s:user())
    assert.same({ "user", "refresh", "login", "user" },
      { t.requests[1].op, t.requests[2].op, t.requests[3].op, t.requests[4].op })
  end)

  it("refreshes before the access token expires", function()
    local t = scripted {
      { 200, cjson.encode { access = jwt { exp = os.time() + 86400 } } },
      { 200, envelope(200, { user_details = {} }) },
    }
    local s = session(t, { access_token = jwt { exp = os.time() + 5 } })
    assert(s:user())
    assert.equal("refresh", t.requests[1].op)
  end)

  it("renews a short-lived token a quarter of its lifetime early, not before every call", function()
    local now = os.time()
    local t = scripted { { 200, envelope(200, { user_details = {} }) } }
    local s = session(t, { access_token = jwt { iat = now, exp = now + 8 } })
    assert(s:user())
    assert.same({ "user" }, { t.requests[1].op, t.requests[2] and t.requests[2].op })
    t = scripted {
      { 200, cjson.encode { access = jwt { iat = now, exp = now + 8 } } },
      { 200, envelope(200, { user_details = {} }) },
    }
    s = session(t, { access_token = jwt { iat = now - 7, exp = now + 1 } })
    assert(s:user())
    assert.equal("refresh", t.requests[1].op)
  end)

  it("refuses a token with CR/LF from the server as a decode error, and never raises after", function()
    local evil = function()
      return 200, envelope(200, { token = { access = "x.y.z\r\nX-Evil: 1", refresh = "r" },
        user_data = { first_name = "A" } })
    end
    local t = scripted { evil, evil }
    local s = assert(tingting.session { base_url = BASE, transport = t, email = "test@gmail.com",
      password = "test" })
    local user, err = s:login()
    assert.is_nil(user)
    assert.equal("decode", err.kind)
    assert.is_nil(s.access_token)
    local ok, res, uerr = pcall(s.user, s)
    assert.is_true(ok, tostring(res))
    assert.is_nil(res)
    assert.equal("decode", uerr.kind)
    assert.equal(2, #t.requests) -- two logins, no user call with a broken header
  end)

  it("takes over a renewal that never finished (its request was ended) once past its deadline", function()
    local t = scripted {
      { 200, cjson.encode { access = jwt { exp = os.time() + 86400 } } },
      { 200, envelope(200, { user_details = {} }) },
    }
    local s = session(t, { access_token = jwt { exp = os.time() - 10 } })
    local st = core.state(s)
    st.renewing = require("tingting.clock").now() - 1 -- left behind by a renewal that vanished
    assert(s:user())
    assert.equal("refresh", t.requests[1].op)
    assert.is_nil(st.renewing)
  end)

  it("says so when not logged in and no credentials are known, sending nothing", function()
    local t = scripted {}
    local s = assert(tingting.session { base_url = BASE, transport = t })
    local _, err = s:user()
    assert.equal("auth", err.kind)
    assert.is_false(err.sent)
    assert.equal(0, #t.requests)
  end)
end)

describe("template", function()
  local template = tingting.template
  it("lists, checks and renders tags, UTF-8 safe", function()
    local msg = "नमस्कार, {tags_name}, हजुर {tags_age} वर्षको हुनुहुन्छ {tags_name}"
    assert.same({ "tags_name", "tags_age" }, template.tags(msg))
    assert.is_true(template.check(msg, { "tags_name", "tags_age" }))
    local ok, why = template.check(msg, { "tags_name" })
    assert.is_nil(ok)
    assert.matches("{tags_age}", why, 1, true)
    local out, missing = template.render(msg, { tags_name = "राम" })
    assert.equal("नमस्कार, राम, हजुर {tags_age} वर्षको हुनुहुन्छ राम", out)
    assert.same({ "tags_age" }, missing)
    assert.equal("age 25", (template.render("age {tags_age}", { tags_age = 25 })))
  end)
end)
