-- The v1 dialect on the wire, with a scripted transport (no network): for
-- every v1 operation the request a method makes (method, path, query,
-- headers, body) and how the reference's sample answer is read.
local tingting = require "tingting"
local cjson = require "cjson"
local script = require "spec.helpers.scripted"

local BASE = "http://127.0.0.1:9"
local KEY = ("ab12"):rep(16) -- 64 hex digits, as the reference's API tokens

local scripted = script.transport

local function session(t, extra)
  return script.session({ base_url = BASE, api_key = KEY, transport = t }, extra)
end

local JSON = { ["content-type"] = "application/json" }
local function ok(body, status)
  return { status or 200, type(body) == "string" and body or cjson.encode(body), JSON }
end

local CAMPAIGN = { id = 79, name = "example test campaign", services = "PHONE", status = "Not Started",
  sms_message = "", message = "नमस्ते {name}", description = "", schedule = "2025-07-08T00:00:00+05:45",
  category = "", user_phone = { 3 }, progress_percent = 0, voice = 3, draft = false, length_factor = "1.00" }
local CONTACT = { id = 123, number = "9861566372", status = "not started", call_duration = "10s",
  playback = "91", credit_consumed = 0, credit_consumed_SMS = 0, carrier = "NTC" }

-- A campaign object of session s (read from a scripted campaign answer).
local function campaign_of(s, t)
  table.insert(t.answers, 1, ok(CAMPAIGN))
  return assert(s:campaign(79))
end

local function decode(body) return body and cjson.decode(body) end

describe("v1 wire", function()
  local t, s
  before_each(function()
    local answers = {}
    t = scripted(answers)
    t.answers = answers
    s = session(t)
  end)

  local function answer(a) t.answers[#t.answers + 1] = a end
  local function last() return t.requests[#t.requests] end

  it("an API-token session is v1 and sends the token as Bearer to /api/v1/", function()
    assert.equal("v1", s.api)
    answer(ok { id = 35, user = { first_name = "Ram" }, contact_no = "9808365218" })
    local p = assert(s:user())
    assert.equal("Ram", p.user.first_name)
    local r = last()
    assert.equal("GET", r.method)
    assert.equal(BASE .. "/api/v1/auths/user-profile/", r.url)
    assert.equal("Bearer " .. KEY, r.headers.Authorization)
    assert.is_nil(r.body)
  end)

  -- op, call(s, c, n), method, path (after /api/v1/), body (decoded) or nil, answer, check(result, meta)
  local cases = {
    { "api_token", function(sess) return sess:api_token() end, "GET", "auths/get-api-keys/", nil,
      ok { token = "39106a38ac483eb4625308fe98411588", last_used = "2025-02-20T14:30:00.000Z" },
      function(r) assert.equal("39106a38ac483eb4625308fe98411588", r.token) end },
    { "dashboard", function(sess) return sess:dashboard { days = 30 } end, "GET", "dashboard/?days=30", nil,
      ok { total_credits_purchased = 1000, credits_used = 450, campaigns = {} },
      function(r) assert.equal(450, r.credits_used) end },
    { "voice_models", function(sess) return sess:voice_models() end, "GET", "voice-models/", nil,
      ok { { id = 1, voice_display_name = "Rija", voice_internal_name = "np_rija", is_premium = false } },
      function(r) assert.equal("np_rija", r[1].voice_internal_name) end },
    { "sender_numbers", function(sess) return sess:sender_numbers() end, "GET", "active-broker-phone/", nil,
      ok { { id = 1, phone_number = "+97715970425" } }, function(r) assert.equal(1, r[1].id) end },
    { "owned_numbers", function(sess) return sess:owned_numbers() end, "GET", "phone-number/active/", nil,
      ok { { id = 1, phone_number = "+97715970425" } }, function(r) assert.equal(1, #r) end },
    { "campaigns (a page, with filters)", function(sess)
        return sess:campaigns { limit = 10, offset = 0, status = "completed", search = "ipo 2025", draft = true,
          sort_by = "desc", from_date = 1751000000, to_date = 1751900000 }
      end, "GET", "campaign/?limit=10&offset=0&status=Completed&search=ipo%202025&draft=true&sort_by=des"
        .. "&from_date=1751000000&to_date=1751900000", nil,
      ok { count = 2, total_pages = 1, next = cjson.null, previous = cjson.null,
        results = { { id = 858, name = "rockabye", services = "PHONE", status = "Completed",
          voice = { id = 5, voice_display_name = "Shreegya", voice_internal_name = "np_shreegya" } } } },
      function(list, meta)
        assert.equal(858, list[1].id)
        assert.equal(5, list[1].voice) -- an id, from the #10 object
        assert.equal("np_shreegya", list[1]:fields().voice_model.voice_internal_name)
        assert.equal("Completed", list[1].status)
        assert.same({ count = 2, total_pages = 1 }, meta)
      end },
    { "campaign", function(sess) return sess:campaign(79) end, "GET", "campaign/79/", nil, ok(CAMPAIGN),
      function(c)
        assert.equal(79, c.id)
        assert.equal(3, c.voice)
        assert.equal("Not Started", c.status)
        assert.same({}, c.usable_tags)
      end },
    { "create_campaign", function(sess)
        return sess:create_campaign { name = "ipo", services = "PHONE & SMS", user_phone = { 3 },
          message = "नमस्ते {name}", sms_message = "नमस्ते", description = "d", schedule = 1751957160, voice = 3 }
      end, "POST", "campaign/create/",
      { name = "ipo", services = "SMS & PHONE", user_phone = { 3 }, message = "नमस्ते {name}",
        sms_message = "नमस्ते", description = "d", schedule = "2025-07-08T12:31:00+05:45", voice = 3 },
      ok(CAMPAIGN, 201), function(c) assert.equal(79, c.id) end },
    { "update_campaign", function(_, c) return c:update { name = "new", schedule = "" } end,
      "PATCH", "campaign/79/", { name = "new", schedule = "" }, ok(CAMPAIGN),
      function(c) assert.equal("tingting.campaign", getmetatable(c).__name) end },
    { "set_message", function(_, c) return c:set_message { voice = 3, category = "text", length_factor = 1.2 } end,
      "PATCH", "campaign/create/79/message/", { voice = 3, category = "Text", length_factor = "1.2" },
      ok { voice = 3, category = "Text", draft = false, length_factor = "1.20", message = "m", sms_message = "" },
      function(c) assert.equal("Text", c.category) assert.equal("1.20", c.length_factor) end },
    { "delete_campaign", function(_, c) return c:delete() end, "DELETE", "campaign/79/", nil, { 204, "", {} },
      function(r) assert.is_true(r) end },
    { "add_number", function(_, c) return c:add_number("+977 9841-234567", { name = "Jane", age = 22 }) end,
      "POST", "campaign/79/add-contact/",
      { contacts = { { number = "9841234567", other_variables = { name = "Jane", age = 22 } } } },
      ok({ created = 1, skipped = 0, errors = cjson.null, contacts = { { id = 9801692, number = "9841234567",
        status = "not started", other_variables = { name = "Jane", age = "22" }, duration = "",
        playback = "", campaing = 79 } } }, 201),
      function(n)
        assert.equal(9801692, n.id)
        assert.equal("9841234567", n.number)
        assert.equal(79, n.campaign)
        assert.same({ name = "Jane", age = "22" }, n.available_tags)
        assert.is_nil(n.duration)
      end },
    { "upload_numbers", function(_, c, _, file) return c:upload_numbers(file) end, "PATCH",
      "campaign/create/79/detail/", nil,
      ok { error_list = {}, samples = { { column = "numbers", sample = { "9801356897" } } }, total_validated_rows = 1 },
      function(r, _, req)
        assert.equal(1, r.total_validated_rows)
        assert.equal("bulk_file", req.form[1].name)
        assert.matches("%.csv$", req.form[1].file)
        assert.equal("text/csv", req.form[1].type)
      end },
    { "campaign_numbers (a page)", function(_, c) return c:numbers { limit = 5, offset = 5 } end, "GET",
      "campaign-detail/79/?limit=5&offset=5", nil,
      ok { count = 6, total_pages = 2, next = cjson.null, previous = "http://x/?limit=5", results = { CONTACT },
        total_credits_consumed = 0, carrier_summary = { NTC = 3 } },
      function(list, meta)
        local n = list[1]
        assert.equal(123, n.id)
        assert.equal(10, n.duration)
        assert.equal("10s", n.call_duration)
        assert.equal("NTC", n.carrier)
        assert.equal("91", n.playback)
        assert.same({}, n.available_tags)
        assert.equal(6, meta.count)
        assert.same({ NTC = 3 }, meta.carrier_summary)
      end },
    { "number_attributes", function(_, _, n) return n:attributes() end, "GET", "campaign/123/attributes/", nil,
      ok { age = 22, name = "राहुल" }, function(r) assert.equal("राहुल", r.name) end },
    { "update_number_attributes", function(_, _, n) return n:update { available_tags = { age = "22" } } end,
      "PATCH", "campaign/123/attributes/", { age = "22" }, ok { age = "22", name = "Ram" },
      function(n) assert.same({ age = "22", name = "Ram" }, n.available_tags) end },
    { "update_number", function(_, _, n) return n:update { number = 9808684325 } end,
      "PATCH", "phone-number/update/123/", { number = "9808684325" },
      ok { id = 123, number = "9808684325", status = "not started", call_duration = "0s", carrier = "Ncell" },
      function(n) assert.equal("9808684325", n.number) assert.equal(0, n.duration) end },
    { "delete_number", function(_, _, n) return n:delete() end, "DELETE", "phone-number/delete/123/", nil,
      ok { message = "Successfully Deleted." }, function(r) assert.is_true(r) end },
    { "test_voice", function(_, c) return c:test_voice { message = "yo", voice_input = 5 } end,
      "POST", "test-speak/riri/79/", { message = "yo", voice_input = 5 },
      ok '"https://riritwo.prixacdn.net/output/eccc.mp3"',
      function(r) assert.equal("https://riritwo.prixacdn.net/output/eccc.mp3", r) end },
    { "demo_call", function(_, _, n) return n:demo_call() end, "POST", "demo-call/123/", {},
      ok { message = "Demo Call Initiated Successfully" }, function(r) assert.matches("Demo Call", r.message) end },
    { "begin", function(_, c) return c:begin() end, "POST", "run-campaign/79/", {},
      ok { message = "Campaign Began Successfully!!" }, function(r) assert.matches("Began", r.message) end },
    { "report", function(_, c) return c:report() end, "GET", "download/report/79/", nil,
      { 200, "id,number\n1,9861566372\n", { ["content-type"] = "text/csv" } },
      function(r, _, req) assert.equal("id,number\n1,9861566372\n", r) assert.equal("*/*", req.headers.Accept) end },
    { "survey_report (JSON)", function(sess) return sess:survey_report(16294, { format = "json" }) end, "GET",
      "download/survey/16294/report/?format=json", nil, ok { survey_id = 16294, results = {} },
      function(r) assert.equal(16294, r.survey_id) end },
    { "survey_report (CSV)", function(sess) return sess:survey_report(16294) end, "GET",
      "download/survey/16294/report/", nil, { 200, "contact_id,number\n", { ["content-type"] = "text/csv" } },
      function(r) assert.equal("contact_id,number\n", r) end },
    { "send_otp", function(sess)
        return sess:send_otp { number = "9851023212", message = "Hi {otp}", sms_send_options = "voice",
          voice_input = "np_prasanna", otp = "12345", company_name = "prixa" }
      end, "POST", "auths/send/otp/",
      { number = "9851023212", message = "Hi {otp}", sms_send_options = "voice", voice_input = "np_prasanna",
        otp_options = "personnel", otp = "12345", company_name = "prixa" },
      ok { status = 200, success = true, message = "OTP Call Initiated Successfully.", errors = {},
        data = { details = { number = "9851023212", otp = "12345", credits_used = 2, company_name = "prixa" } } },
      function(r) assert.equal("prixa", r.company_name) assert.equal("9851023212", r.number) end },
    { "otps (a page)", function(sess) return sess:otps { limit = 10 } end, "GET", "auths/list/send-otps/?limit=10", nil,
      ok { count = 1, total_pages = 1, next = cjson.null, previous = cjson.null,
        results = { status = 200, success = true, errors = {}, data = { { id = 12, phone_number = "9861489014",
          otp = "12345" } } } },
      function(list, meta) assert.equal("9861489014", list[1].phone_number) assert.equal(1, meta.count) end },
  }

  for _, case in ipairs(cases) do
    local name, fn, method, path, body, ans, check = table.unpack(case)
    it(("%s: %s /api/v1/%s"):format(name, method, path), function()
      local c = campaign_of(s, t)
      table.insert(t.answers, 1, ok { count = 1, results = { CONTACT } })
      local n = assert(c:numbers { limit = 1 })[1]
      local file = os.tmpname() .. ".csv"
      local f = assert(io.open(file, "w"))
      f:write("numbers,name\n9801356897,Ram\n")
      f:close()
      local before = #t.requests
      answer(ans)
      local res, meta = fn(s, c, n, file)
      os.remove(file)
      assert(res ~= nil, meta and tostring(meta))
      local req = last()
      assert.equal(before + 1, #t.requests)
      assert.equal(method, req.method)
      assert.equal(BASE .. "/api/v1/" .. path, req.url)
      assert.equal("Bearer " .. KEY, req.headers.Authorization)
      assert.is_nil(req.headers.Cookie)
      if body then
        assert.equal("application/json", req.headers["Content-Type"])
        assert.same(body, decode(req.body))
      elseif method == "GET" or method == "DELETE" then
        assert.is_nil(req.body)
      end
      -- success is one value, but for a page asked for: its pagination,
      -- which is also the list's own field
      if meta ~= nil then assert.equal(res.pagination, meta) end
      check(res, type(res) == "table" and res.pagination or nil, req)
    end)
  end

  it("reads every page of a list, ten at a time, until the count is reached", function()
    local function page(from, to, count)
      local results = {}
      for i = from, to do results[#results + 1] = { id = i, name = "c" .. i, services = "SMS" } end
      return ok { count = count, total_pages = 2, next = cjson.null, previous = cjson.null, results = results }
    end
    answer(page(1, 10, 13))
    answer(page(11, 13, 13))
    local list = assert(s:campaigns { status = "Running" })
    assert.equal(13, #list)
    assert.equal(2, #t.requests)
    assert.equal(BASE .. "/api/v1/campaign/?limit=10&offset=0&status=Running", t.requests[1].url)
    assert.equal(BASE .. "/api/v1/campaign/?limit=10&offset=10&status=Running", t.requests[2].url)
  end)

  it("iterates lazily: a page is fetched when the one before is used up", function()
    answer(ok { count = 12, results = { { id = 1 }, { id = 2 }, { id = 3 }, { id = 4 }, { id = 5 },
      { id = 6 }, { id = 7 }, { id = 8 }, { id = 9 }, { id = 10 } } })
    answer(ok { count = 12, results = { { id = 11 }, { id = 12 } } })
    local it = s:each_campaign()
    assert.equal(0, #t.requests)
    assert.equal(1, it().id)
    assert.equal(1, #t.requests)
    for _ = 2, 10 do it() end
    assert.equal(1, #t.requests)
    assert.equal(11, it().id)
    assert.equal(2, #t.requests)
    assert.equal(12, it().id)
    assert.is_nil(it())
    assert.equal(2, #t.requests)
  end)

  it("ends an iteration with nil, err when a page cannot be read", function()
    answer({ 404, '{"detail": "Not found."}', JSON })
    local it = s:each_campaign()
    local c, err = it()
    assert.is_nil(c)
    assert.equal("not_found", err.kind)
    assert.equal("Not found.", err.message)
  end)

  it("reads DRF errors: detail, field lists and message", function()
    answer({ 400, '{"name": ["This field is required."]}', JSON })
    local _, err = s:campaign(1)
    assert.equal("api", err.kind)
    assert.equal("name", err.field)
    assert.equal("name: This field is required.", err.message)
    answer({ 401, '{"detail": "Invalid token."}', JSON })
    _, err = s:campaign(1)
    assert.equal("auth", err.kind)
    assert.equal("Invalid token.", err.message)
    answer({ 400, '{"message": "No refresh token provided"}', JSON })
    _, err = s:campaign(1)
    assert.equal("No refresh token provided", err.message)
  end)
end)

describe("v1 login session", function()
  local ACCESS = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDAsImlhdCI6MTcwMDAwMDAwMH0.sig"
  local ACCESS2 = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDEsImlhdCI6MTcwMDAwMDAwMX0.sig"

  local function cookies(access, refresh)
    local parts = {}
    if access then
      parts[#parts + 1] = "access=" .. access
        .. "; Expires=Wed, 21 Oct 2099 07:28:00 GMT; Max-Age=86400; Path=/; HttpOnly"
    end
    if refresh then parts[#parts + 1] = "refresh=" .. refresh .. "; Path=/; HttpOnly; SameSite=Lax" end
    return { ["set-cookie"] = table.concat(parts, ", "), ["content-type"] = "application/json" }
  end

  it("logs in by cookies, sends the access JWT as Bearer, refreshes by the refresh cookie", function()
    local t = scripted {
      { 200, '{"has_logged_in": true, "message": "Login Successful"}', cookies(ACCESS, "r1") },
      { 200, '{"id": 1}', JSON },
      { 200, '{"message": "Session Refreshed Successfully"}', cookies(ACCESS2, "r2") },
    }
    local seen = {}
    local s = assert(tingting.session { base_url = BASE, api = "v1", email = "e@x.io", password = "pw",
      transport = t, on_tokens = function(a, r) seen[#seen + 1] = { a, r } end })
    assert.equal("v1", s.api)
    assert.is_true(s:login())
    local login = t.requests[1]
    assert.equal(BASE .. "/api/v1/auths/login/", login.url)
    assert.same({ email = "e@x.io", password = "pw" }, cjson.decode(login.body))
    assert.is_nil(login.headers.Authorization)
    assert.equal(ACCESS, s.access_token)
    assert.equal("r1", s.refresh_token)
    assert(s:user())
    assert.equal("Bearer " .. ACCESS, t.requests[2].headers.Authorization)
    assert.is_true(s:refresh())
    local refresh = t.requests[3]
    assert.equal("POST", refresh.method)
    assert.equal(BASE .. "/api/v1/auths/login/refresh/", refresh.url)
    assert.equal("refresh=r1", refresh.headers.Cookie)
    assert.is_nil(refresh.headers.Authorization)
    assert.equal(ACCESS2, s.access_token)
    assert.equal("r2", s.refresh_token) -- a rotated refresh cookie is honoured
    assert.same({ { ACCESS, "r1" }, { ACCESS2, "r2" } }, seen)
    assert.not_matches(ACCESS, tostring(s), 1, true)
  end)

  it("renews after a 401 with the refresh cookie and replays, keeping the refresh token it had", function()
    local t = scripted {
      { 200, '{"has_logged_in": true}', cookies(ACCESS, "r1") },
      { 401, '{"detail": "Given token not valid for any token type", "code": "token_not_valid"}', JSON },
      { 200, '{"message": "Session Refreshed Successfully"}', cookies(ACCESS2) },
      { 200, '{"id": 1}', JSON },
    }
    local s = assert(tingting.session { base_url = BASE, api = "v1", email = "e@x.io", password = "pw",
      transport = t })
    assert(s:user())
    assert.equal("refresh=r1", t.requests[3].headers.Cookie)
    assert.equal("Bearer " .. ACCESS2, t.requests[4].headers.Authorization)
    assert.equal("r1", s.refresh_token)
  end)

  it("takes Set-Cookie as a list (the ngx transport may give one)", function()
    local t = scripted {
      { 200, '{"has_logged_in": true}',
        { ["set-cookie"] = { "access=" .. ACCESS .. "; Path=/", "refresh=r9; Path=/" } } },
    }
    local s = assert(tingting.session { base_url = BASE, api = "v1", transport = t })
    assert.is_true(s:login("e@x.io", "pw"))
    assert.equal(ACCESS, s.access_token)
    assert.equal("r9", s.refresh_token)
  end)

  it("refuses a login answer without an access cookie (decode)", function()
    local t = scripted { { 200, '{"has_logged_in": true}', JSON } }
    local s = assert(tingting.session { base_url = BASE, api = "v1", transport = t })
    local res, err = s:login("e@x.io", "pw")
    assert.is_nil(res)
    assert.equal("decode", err.kind)
    assert.matches("access cookie", err.message)
  end)
end)
