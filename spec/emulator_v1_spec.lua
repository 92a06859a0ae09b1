-- The emulator's v1 face (docs/api/v1.md): accounts and credentials, account
-- information, campaigns and their list, one state with the legacy face, the admin
-- additions and faults on v1 paths. HTTP only. Contacts, runs, reports and OTP:
-- emulator_v1_contacts_spec.lua.
local emu = require "spec.helpers.emulator"
local V = require "spec.helpers.emulator_v1"
local cjson = require "cjson"

local api, create, keys = V.api, V.create, V.keys
local null = cjson.null

-- Options of V.api sending only the given credential.
local function bearer(token) return { auth = false, headers = { Authorization = "Bearer " .. token } } end
local function cookie(name, value) return { auth = false, headers = { Cookie = name .. "=" .. value } } end

local ISO_US = "^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%d%d%d%d%+05:45$"

-- The keys of #15 (campaign details).
local DETAIL_KEYS = { "audio_file", "bulk_file", "campaign_action_count", "category", "credit_limit",
  "description", "draft", "failover_target", "id", "length_factor", "message", "name",
  "progress_percent", "schedule", "services", "sms_message", "status", "updated_at", "user_phone",
  "voice" }

local function without(list, drop, add)
  local out = {}
  for _, k in ipairs(list) do
    if k ~= drop then out[#out + 1] = k end
  end
  if add then out[#out + 1] = add end
  table.sort(out)
  return out
end

-- Raw login: the Set-Cookie lines exactly as sent.
local function raw_login()
  local body = '{"email":"test@gmail.com","password":"test"}'
  local answer = emu.raw("POST /api/v1/auths/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    .. "Content-Type: application/json\r\nContent-Length: " .. #body .. "\r\nConnection: close\r\n\r\n" .. body)
  local cookies = {}
  for line in answer:gmatch("Set%-Cookie: ([^\r\n]*)") do
    cookies[line:match("^(%w+)=")] = line
  end
  return cookies, answer
end

describe("emulator v1", function()
  before_each(V.fresh)

  describe("accounts", function()
    it("login answers {has_logged_in, message} and sets HttpOnly access and refresh cookies", function()
      local cookies, answer = raw_login()
      assert.truthy(answer:match("^HTTP/1%.1 200"))
      assert.truthy(answer:find('{"has_logged_in":true,"message":"Login Successful"}', 1, true))
      for _, name in ipairs({ "access", "refresh" }) do
        local c = cookies[name]
        assert.truthy(c, name .. " cookie")
        assert.truthy(c:match("^" .. name .. "=[%w_-]+%.[%w_-]+%.[%w_-]+;"), c)
        assert.truthy(c:find("; HttpOnly", 1, true), c)
        assert.truthy(c:find("; Path=/", 1, true), c)
        assert.truthy(c:find("; Max-Age=86400", 1, true), c)
        assert.falsy(c:find("Secure", 1, true), "no Secure over plain http")
      end
      assert.falsy(answer:match("\r\n\r\n.*eyJ"), "no token in the body")
    end)

    it("login refuses a wrong password (401 detail) and a missing field (400 field error)", function()
      local status, res = api("POST", "auths/login/", { email = "test@gmail.com", password = "x" }, { auth = false })
      assert.equal(401, status)
      assert.same({ detail = "No active account found with the given credentials" }, res)
      status, res = api("POST", "auths/login/", { email = "test@gmail.com" }, { auth = false })
      assert.equal(400, status)
      assert.same({ password = { "This field is required." } }, res)
    end)

    it("every endpoint takes Bearer <API token>, Bearer <access JWT> and the access cookie", function()
      for _, path in ipairs({ "auths/user-profile/", "campaign/", "voice-models/", "dashboard/",
        "auths/get-api-keys/", "auths/list/send-otps/" }) do
        for _, how in ipairs({ "token", "jwt", "cookie" }) do
          local status = api("GET", path, nil, { auth = how })
          assert.equal(200, status, path .. " by " .. how)
        end
      end
    end)

    it("answers 401 without credentials and for a bad JWT, cookie or API token", function()
      local status, res, h = api("GET", "campaign/", nil, { auth = false })
      assert.equal(401, status)
      assert.same({ detail = "Authentication credentials were not provided." }, res)
      assert.equal('Bearer realm="api"', h["www-authenticate"])
      status, res = api("GET", "campaign/", nil, bearer("a.b.c"))
      assert.equal(401, status)
      assert.equal("token_not_valid", res.code)
      status, res = api("GET", "campaign/", nil, cookie("access", "a.b.c"))
      assert.equal(401, status)
      assert.equal("token_not_valid", res.code)
      status, res = api("GET", "campaign/", nil, bearer(("0"):rep(64)))
      assert.equal(401, status)
      assert.same({ detail = "Invalid token." }, res)
    end)

    it("refresh by the refresh cookie sets a new access cookie that works", function()
      local status, res, h = api("POST", "auths/login/refresh/", nil,
        cookie("refresh", V.refresh))
      assert.equal(200, status)
      assert.same({ message = "Session Refreshed Successfully" }, res)
      local access = V.cookie(h, "access")
      assert.truthy(access)
      assert.truthy(h["set-cookie"]:find("HttpOnly", 1, true))
      assert.equal(200, (api("GET", "campaign/", nil, cookie("access", access))))
    end)

    it("refresh also takes the refresh token as a JSON body, as the PHP client sends it", function()
      local status, res, h = api("POST", "auths/login/refresh/", { refresh = V.refresh }, { auth = false })
      assert.equal(200, status)
      assert.equal("Session Refreshed Successfully", res.message)
      local access = V.cookie(h, "access")
      assert.equal(200, (api("GET", "auths/user-profile/", nil, bearer(access))))
    end)

    it("refresh answers the documented errors: none 400, bad or not a refresh token 401", function()
      local status, res = api("POST", "auths/login/refresh/", nil, { auth = false })
      assert.equal(400, status)
      assert.same({ message = "No refresh token provided" }, res)
      for _, bad in ipairs({ "x.y.z", V.access }) do
        status, res = api("POST", "auths/login/refresh/", nil, cookie("refresh", bad))
        assert.equal(401, status)
        assert.same({ message = "Failed To Refresh The Session" }, res)
      end
    end)

    it("generate-api-keys answers a 64-hex token and soft-deletes the previous one", function()
      local old = V.token
      local status, res = api("POST", "auths/generate-api-keys/", nil, { auth = "cookie" })
      assert.equal(200, status)
      assert.equal("New API token generated successfully", res.message)
      assert.truthy(res.token:match("^" .. ("%x"):rep(64) .. "$"))
      assert.equal(401, (api("GET", "campaign/", nil, bearer(old))))
      V.token = res.token
      assert.equal(200, (api("GET", "campaign/")))
      status = api("POST", "auths/generate-api-keys/", nil, { auth = "jwt" })
      assert.equal(200, status)
    end)

    it("generate-api-keys needs a login session: an API token alone is refused", function()
      local status, res = api("POST", "auths/generate-api-keys/")
      assert.equal(403, status)
      assert.truthy(res.detail:find("login session", 1, true))
      assert.equal(401, (api("POST", "auths/generate-api-keys/", nil, { auth = false })))
    end)

    it("get-api-keys answers token, last_used and created_at (UTC, Z), 404 before any", function()
      local status, res = api("GET", "auths/get-api-keys/")
      assert.equal(200, status)
      assert.same({ "created_at", "last_used", "token" }, keys(res))
      assert.equal(V.token, res.token)
      assert.truthy(res.created_at:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ$"))
      assert.truthy(res.last_used:match("Z$"), "used by this very request")
      emu.http("DELETE", "/__emulator__/api-token")
      status, res = api("GET", "auths/get-api-keys/", nil, { auth = "jwt" })
      assert.equal(404, status)
      assert.same({ message = "No API token found. Please generate one first." }, res)
    end)

    it("the v1 face logs in the legacy account: a legacy access token works on v1", function()
      local legacy = emu.login()
      local status, res = api("GET", "auths/user-profile/", nil, bearer(legacy))
      assert.equal(200, status)
      assert.equal("test@gmail.com", res.user.email)
      status = emu.http("GET", "/api/accounts/user_details/", nil, { Authorization = "Bearer " .. V.access })
      assert.equal(200, status)
    end)
  end)

  describe("account information", function()
    it("user-profile answers the reference's shape", function()
      local status, res = api("GET", "auths/user-profile/")
      assert.equal(200, status)
      assert.same({ "address", "contact_no", "id", "is_verified_contact", "profile_picture", "user" }, keys(res))
      assert.same({ first_name = "Adwait", last_name = "Upadhyaya", username = "adw8", email = "test@gmail.com" },
        res.user)
      assert.equal(1, res.id)
      assert.equal("9843818700", res.contact_no)
      assert.is_true(res.is_verified_contact)
    end)

    it("dashboard answers every documented key with its type, over `days`", function()
      local status, res = api("GET", "dashboard/?days=30")
      assert.equal(200, status)
      assert.same({ "call_outcomes", "campaign_type_ratio", "campaigns", "credit_spent", "credit_usage_overtime",
        "credits_used", "outbound_calls", "outbound_sms", "playback_distribution", "remaining_credits",
        "top_performing_campaign", "total_call_duration", "total_credits_purchased", "total_owned_numbers",
        "total_playback" }, keys(res))
      for _, k in ipairs({ "total_credits_purchased", "credits_used", "remaining_credits", "outbound_calls",
        "outbound_sms", "total_owned_numbers", "credit_spent" }) do
        assert.is_number(res[k], k)
      end
      for _, k in ipairs({ "campaigns", "total_playback", "top_performing_campaign", "playback_distribution",
        "campaign_type_ratio", "call_outcomes", "credit_usage_overtime" }) do
        assert.is_table(res[k], k)
      end
      assert.truthy(res.total_call_duration:match("^%d%d:%d%d:%d%d$"))
      assert.equal(10000, res.remaining_credits)
      assert.equal(400, (api("GET", "dashboard/?days=0")))
      assert.equal(400, (api("GET", "dashboard/?days=x")))
    end)

    it("active broker phones and active phone numbers list the same E.164 senders", function()
      local s1, a = api("GET", "active-broker-phone/")
      local s2, b = api("GET", "phone-number/active/")
      assert.equal(200, s1)
      assert.equal(200, s2)
      assert.same({ { id = 1, phone_number = "+9779876565435" } }, a)
      assert.same(a, b)
    end)

    it("a number bought on the legacy face becomes a sender", function()
      local st = emu.state()
      local sid = st.available_numbers[1].phone_number_sid
      local access = emu.login()
      emu.http("POST", "/api/system/phone_numbers/", { phone_sid = sid }, { Authorization = "Bearer " .. access })
      local _, list = api("GET", "active-broker-phone/")
      assert.equal(2, #list)
      assert.equal("+977" .. st.available_numbers[1].phone_number, list[2].phone_number)
    end)

    it("voice-models lists the reference's five voices, premium Rija and np_shreegya included", function()
      local status, res = api("GET", "voice-models/")
      assert.equal(200, status)
      assert.same({
        { id = 1, voice_display_name = "Rija", voice_internal_name = "np_rija", is_premium = false },
        { id = 2, voice_display_name = "Rija premium", voice_internal_name = "np_rija", is_premium = true },
        { id = 3, voice_display_name = "Prashanna", voice_internal_name = "np_prashanna", is_premium = false },
        { id = 4, voice_display_name = "Binod", voice_internal_name = "np_binod", is_premium = false },
        { id = 5, voice_display_name = "Shreegya", voice_internal_name = "np_shreegya", is_premium = false },
      }, res)
    end)
  end)

  describe("campaigns", function()
    local SAMPLE = { name = "example test campaign", services = "PHONE", user_phone = { 1 },
      message = "नमस्ते तिङ्तिङ् मा स्वागत् छ", sms_message = "नमस्ते", description = "Test message",
      schedule = "2025-07-08" }

    it("create answers 201 and the reference's shape: main_audit, schedule in Nepal time", function()
      local c = create(SAMPLE)
      assert.same(without(DETAIL_KEYS, "campaign_action_count", "main_audit"), keys(c))
      assert.equal("example test campaign", c.name)
      assert.equal("Not Started", c.status)
      assert.equal("2025-07-08T00:00:00+05:45", c.schedule)
      assert.same({ 1 }, c.user_phone)
      assert.equal("1.00", c.length_factor)
      assert.equal(null, c.voice)
      assert.equal(null, c.audio_file)
      assert.is_string(c.main_audit)
      assert.is_false(c.draft)
      assert.same({}, c.failover_target)
      assert.truthy(c.updated_at:match(ISO_US))
      assert.equal("नमस्ते तिङ्तिङ् मा स्वागत् छ", c.message)
    end)

    it("create takes 'PHONE & SMS' as 'SMS & PHONE', a voice as an id, an object or a name", function()
      local c = create { name = "a", services = "PHONE & SMS", sms_message = "s", voice = { id = 5 } }
      assert.equal("SMS & PHONE", c.services)
      assert.equal(5, c.voice)
      assert.equal(3, create({ name = "b", services = "PHONE", voice = "np_prasanna" }).voice)
      assert.equal(2, create({ name = "c", services = "PHONE", voice = "2" }).voice)
    end)

    it("create refuses bad input with DRF field errors", function()
      local cases = {
        { { services = "PHONE" }, "name" },
        { { name = "x" }, "services" },
        { { name = "x", services = "FAX" }, "services" },
        { { name = "x", services = "SMS" }, "sms_message" },
        { { name = "x", services = "SMS & PHONE" }, "sms_message" },
        { { name = "x", services = "PHONE", user_phone = { 99 } }, "user_phone" },
        { { name = "x", services = "PHONE", voice = 9 }, "voice" },
        { { name = "x", services = "PHONE", schedule = "08/07/2025" }, "schedule" },
        { { name = "x", services = "PHONE", credit_limit = "lots" }, "credit_limit" },
      }
      for _, case in ipairs(cases) do
        local status, res = api("POST", "campaign/create/", case[1])
        assert.equal(400, status, case[2])
        assert.same({ case[2] }, keys(res))
        assert.is_string(res[case[2]][1])
      end
    end)

    it("schedule takes a date, a time with Z, an offset or none (Nepal time)", function()
      local cases = {
        ["2025-07-09"] = "2025-07-09T00:00:00+05:45",
        ["2025-07-09T14:46"] = "2025-07-09T14:46:00+05:45",
        ["2025-07-09T09:01:00.000Z"] = "2025-07-09T14:46:00+05:45",
        ["2025-07-09T10:16:00+01:15"] = "2025-07-09T14:46:00+05:45",
      }
      for input, want in pairs(cases) do
        assert.equal(want, create({ name = "s", services = "PHONE", schedule = input }).schedule, input)
      end
    end)

    it("details answers #15's shape with voice as an id; an unknown id is a 404 detail", function()
      local c = create(SAMPLE)
      api("PATCH", "campaign/create/" .. c.id .. "/message/", { voice = 3 })
      local status, res = api("GET", "campaign/" .. c.id .. "/")
      assert.equal(200, status)
      assert.same(DETAIL_KEYS, keys(res))
      assert.equal(3, res.voice)
      assert.equal(0, res.campaign_action_count)
      assert.equal(0, res.progress_percent)
      status, res = api("GET", "campaign/999/")
      assert.equal(404, status)
      assert.same({ detail = "Not found." }, res)
    end)

    it("update by PATCH, POST (JSON or form) and PUT answers #15's shape without bulk_file", function()
      local c = create(SAMPLE)
      local status, res = api("PATCH", "campaign/" .. c.id .. "/", { name = "renamed", services = "SMS & PHONE",
        message = "", sms_message = "नमस्ते", schedule = "2025-07-09" })
      assert.equal(200, status)
      assert.same(without(DETAIL_KEYS, "bulk_file"), keys(res))
      assert.equal("renamed", res.name)
      assert.equal("SMS & PHONE", res.services)
      assert.equal("", res.message)
      assert.equal("2025-07-09T00:00:00+05:45", res.schedule)
      status, res = api("POST", "campaign/" .. c.id .. "/", "name=by+form&schedule=",
        { headers = { ["Content-Type"] = "application/x-www-form-urlencoded" } })
      assert.equal(200, status)
      assert.equal("by form", res.name)
      assert.equal(null, res.schedule)
      status, res = api("PUT", "campaign/" .. c.id .. "/", { description = "put" })
      assert.equal(200, status)
      assert.equal("put", res.description)
      assert.equal(400, (api("PATCH", "campaign/" .. c.id .. "/", { services = "FAX" })))
      assert.equal(404, (api("PATCH", "campaign/999/", { name = "x" })))
    end)

    it("delete answers 204 with no body; the campaign and its contacts are gone", function()
      local c = create(SAMPLE)
      V.add(c.id, { { number = "9841234567" } })
      local status, _, _, text = api("DELETE", "campaign/" .. c.id .. "/")
      assert.equal(204, status)
      assert.equal("", text)
      assert.equal(404, (api("GET", "campaign/" .. c.id .. "/")))
      assert.equal(404, (api("DELETE", "campaign/" .. c.id .. "/")))
      assert.same({}, emu.state().campaigns)
    end)

    it("set message answers voice, texts, category, draft and length_factor", function()
      local c = create(SAMPLE)
      local status, res = api("PATCH", "campaign/create/" .. c.id .. "/message/", { voice = 3, category = "Text" })
      assert.equal(200, status)
      assert.same({ voice = 3, sms_message = "नमस्ते", message = SAMPLE.message, category = "Text",
        draft = false, length_factor = "1.00" }, res)
      status, res = api("POST", "campaign/create/" .. c.id .. "/message/",
        { voice = "np_shreegya", category = "audio", length_factor = "1.5", message = "new", draft = "True" })
      assert.equal(200, status)
      assert.same({ voice = 5, sms_message = "नमस्ते", message = "new", category = "Audio", draft = true,
        length_factor = "1.50" }, res)
      assert.equal(400, (api("PATCH", "campaign/create/" .. c.id .. "/message/", { category = "Video" })))
      assert.equal(400, (api("PATCH", "campaign/create/" .. c.id .. "/message/", { length_factor = 9 })))
      assert.equal(404, (api("PATCH", "campaign/create/999/message/", { voice = 1 })))
    end)
  end)

  describe("campaign list", function()
    local function names(res)
      local out = {}
      for i, c in ipairs(res.results) do out[i] = c.name end
      return out
    end

    it("answers the paginated envelope; items have #10's shape with voice as an object", function()
      local c = create { name = "one", services = "PHONE", voice = 5 }
      local status, res = api("GET", "campaign/")
      assert.equal(200, status)
      assert.same({ "count", "next", "previous", "results", "total_pages" }, keys(res))
      assert.same({ count = 1, total_pages = 1, next = null, previous = null },
        { count = res.count, total_pages = res.total_pages, next = res.next, previous = res.previous })
      assert.same(DETAIL_KEYS, keys(res.results[1]))
      assert.equal(c.id, res.results[1].id)
      assert.same({ id = 5, voice_display_name = "Shreegya", voice_internal_name = "np_shreegya",
        is_premium = false }, res.results[1].voice)
    end)

    it("pages by limit/offset with absolute next/previous URLs from the request's Host and scheme", function()
      for i = 1, 25 do create { name = string.format("c%02d", i), services = "PHONE" } end
      local h = { headers = { Host = "example.test:8080", ["X-Forwarded-Proto"] = "https" } }
      local _, res = api("GET", "campaign/?status=Not+Started&limit=10", nil, h)
      assert.equal(25, res.count)
      assert.equal(3, res.total_pages)
      assert.equal(10, #res.results)
      assert.equal("https://example.test:8080/api/v1/campaign/?limit=10&offset=10&status=Not%20Started", res.next)
      assert.equal(null, res.previous)
      _, res = api("GET", "campaign/?limit=10&offset=10", nil, h)
      assert.equal("https://example.test:8080/api/v1/campaign/?limit=10&offset=20", res.next)
      assert.equal("https://example.test:8080/api/v1/campaign/?limit=10", res.previous)
      _, res = api("GET", "campaign/?limit=10&offset=20")
      assert.equal(5, #res.results)
      assert.equal(null, res.next)
      assert.truthy(res.previous:match("^http://127%.0%.0%.1:%d+/api/v1/campaign/%?limit=10&offset=10$"), res.previous)
      _, res = api("GET", "campaign/?limit=4&offset=5")
      assert.equal("c20", res.results[1].name)
      assert.truthy(res.previous:match("limit=4&offset=1$"), res.previous)
      assert.equal(7, res.total_pages)
      _, res = api("GET", "campaign/?offset=100")
      assert.same({}, res.results)
    end)

    it("refuses limit over 10 or under 1, a negative offset and bad filter values (400 per field)", function()
      local cases = { ["limit=11"] = "limit", ["limit=0"] = "limit", ["offset=-1"] = "offset",
        ["sort_by=newest"] = "sort_by", ["status=done"] = "status", ["draft=maybe"] = "draft",
        ["from_date=yesterday"] = "from_date", ["to_date=1.5"] = "to_date" }
      for query, field in pairs(cases) do
        local status, res = api("GET", "campaign/?" .. query)
        assert.equal(400, status, query)
        assert.same({ field }, keys(res), query)
      end
    end)

    it("filters by exact status, case-insensitive search and draft (default non-drafts)", function()
      create { name = "Alpha news", services = "PHONE" }
      create { name = "beta NEWS", services = "PHONE" }
      create { name = "gamma", services = "PHONE", draft = true }
      local _, res = api("GET", "campaign/?search=news&sort_by=asc")
      assert.same({ "Alpha news", "beta NEWS" }, names(res))
      for _, q in ipairs({ "draft=true", "draft=True" }) do
        _, res = api("GET", "campaign/?" .. q)
        assert.same({ "gamma" }, names(res), q)
      end
      _, res = api("GET", "campaign/?draft=False")
      assert.equal(2, res.count)
      _, res = api("GET", "campaign/?status=Not%20Started")
      assert.equal(2, res.count)
      _, res = api("GET", "campaign/?status=Completed")
      assert.equal(0, res.count)
    end)

    it("sorts by updated_at: newest first by default and with des/desc, oldest first with asc", function()
      local a = create { name = "a", services = "PHONE" }
      create { name = "b", services = "PHONE" }
      create { name = "c", services = "PHONE" }
      api("PATCH", "campaign/" .. a.id .. "/", { description = "touched" })
      local _, res = api("GET", "campaign/")
      assert.same({ "a", "c", "b" }, names(res))
      for _, s in ipairs({ "des", "desc" }) do
        _, res = api("GET", "campaign/?sort_by=" .. s)
        assert.same({ "a", "c", "b" }, names(res))
      end
      _, res = api("GET", "campaign/?sort_by=asc")
      assert.same({ "b", "c", "a" }, names(res))
    end)

    it("from_date/to_date (Unix seconds) bound updated_at; to_date covers its whole Nepal day", function()
      create { name = "now", services = "PHONE" }
      local now = os.time()
      local function count(q) local _, r = api("GET", "campaign/?" .. q) return r.count end
      assert.equal(1, count("from_date=" .. (now - 60)))
      assert.equal(0, count("from_date=" .. (now + 3600 * 30)))
      assert.equal(1, count("to_date=" .. (now + 60)))
      assert.equal(0, count("to_date=" .. (now - 3600 * 30)))
      -- The start of today (Nepal time) still includes today's campaigns.
      local offset = 5 * 3600 + 45 * 60
      local today = (now + offset) // 86400 * 86400 - offset
      assert.equal(1, count("to_date=" .. today))
      assert.equal(1, count(string.format("from_date=%d&to_date=%d", now - 60, now + 60)))
    end)
  end)

  describe("one state with the legacy face", function()
    it("a campaign created on the legacy face is listed and detailed on v1", function()
      local access = emu.login()
      local _, text = emu.http("POST", "/api/system/campaigns/", { name = "legacy", services = "SMS",
        individual_number = { 9841234567 }, description = "d" }, { Authorization = "Bearer " .. access })
      local id = math.tointeger(cjson.decode(text).data.details[1].id)
      local _, res = api("GET", "campaign/")
      assert.equal(1, res.count)
      assert.equal("legacy", res.results[1].name)
      assert.equal(1, res.results[1].campaign_action_count)
      local status, c = api("GET", "campaign/" .. id .. "/")
      assert.equal(200, status)
      assert.equal("SMS", c.services)
      assert.equal("d", c.description)
      local _, contacts = api("GET", "campaign-detail/" .. id .. "/")
      assert.equal("9841234567", contacts.results[1].number)
      assert.equal("NTC", contacts.results[1].carrier)
    end)

    it("a campaign and contacts created on v1 show on the legacy face", function()
      local c = create { name = "v1 made", services = "PHONE", description = "x", user_phone = { 1 } }
      V.add(c.id, { { number = "9801234567", other_variables = { name = "Ram" } } })
      local access = emu.login()
      local _, text = emu.http("GET", "/api/system/campaigns/" .. c.id .. "/details", nil,
        { Authorization = "Bearer " .. access })
      local legacy = cjson.decode(text).data.details[1]
      assert.equal("v1 made", legacy.name)
      assert.equal("PHONE", legacy.services)
      assert.same({ 1 }, legacy.user_phone)
      _, text = emu.http("GET", "/api/system/campaigns/number/" .. c.id .. "/", nil,
        { Authorization = "Bearer " .. access })
      local n = cjson.decode(text).data["number-lists"][1]
      assert.equal(9801234567, n.number)
      assert.same({ name = "Ram" }, n.available_tags)
      assert.equal("v1 made", n.campaing)
    end)

    it("credits are one account: a v1 OTP and a legacy OTP draw on the same balance", function()
      api("POST", "auths/send/otp/", { number = "9851023212", message = "{otp}", sms_send_options = "text",
        company_name = "prixa" })
      local access = emu.login()
      emu.http("POST", "/api/system/send/otp/", { number = "9851023212", message = "{otp}",
        sms_send_options = "voice" }, { Authorization = "Bearer " .. access })
      assert.same({ available = 9997, on_hold = 0, consumed = 3 }, emu.state().credits)
      local _, d = api("GET", "dashboard/")
      assert.equal(9997, d.remaining_credits)
    end)
  end)

  describe("admin API and faults on v1 paths", function()
    it("POST /__emulator__/api-token makes a usable token and soft-deletes the previous one", function()
      local old = V.token
      local status, text = emu.http("POST", "/__emulator__/api-token")
      assert.equal(201, status)
      local rec = cjson.decode(text)
      assert.same({ "created_at", "last_used", "token" }, keys(rec))
      assert.equal(200, (api("GET", "campaign/", nil, bearer(rec.token))))
      assert.equal(401, (api("GET", "campaign/", nil, bearer(old))))
      assert.equal(rec.token, emu.state().api_token.token)
      status, text = emu.http("DELETE", "/__emulator__/api-token")
      assert.equal(200, status)
      assert.same({ revoked = true }, cjson.decode(text))
      assert.equal(401, (api("GET", "campaign/", nil, bearer(rec.token))))
    end)

    it("POST /__emulator__/expire {access} expires the access cookie; the refresh cookie renews it", function()
      local status, text = emu.http("POST", "/__emulator__/expire", { access = true })
      assert.equal(200, status)
      assert.same({ expired = { "access" } }, cjson.decode(text))
      local res
      status, res = api("GET", "campaign/", nil, { auth = "cookie" })
      assert.equal(401, status)
      assert.equal("token_not_valid", res.code)
      assert.equal(401, (api("GET", "campaign/", nil, { auth = "jwt" })))
      assert.equal(200, (api("GET", "campaign/")), "the API token is unaffected")
      local _, _, h = api("POST", "auths/login/refresh/", nil, cookie("refresh", V.refresh))
      V.access = V.cookie(h, "access")
      assert.equal(200, (api("GET", "campaign/", nil, { auth = "cookie" })))
    end)

    it("expire {refresh} and {api_token} end the refresh cookie and the API token", function()
      emu.http("POST", "/__emulator__/expire", { refresh = true, api_token = true })
      local status = api("POST", "auths/login/refresh/", nil, cookie("refresh", V.refresh))
      assert.equal(401, status)
      assert.equal(401, (api("GET", "campaign/")))
      assert.equal(200, (api("GET", "campaign/", nil, { auth = "cookie" })))
      assert.equal(400, (emu.http("POST", "/__emulator__/expire", {})))
      assert.equal(400, (emu.http("POST", "/__emulator__/expire", { access = "yes" })))
    end)

    it("a status fault on a v1 path and method answers DRF's detail with Retry-After, once", function()
      emu.fault { method = "GET", path = "/api/v1/campaign/", kind = "status", status = 503, retry_after = 2,
        count = 1 }
      local status, res, h = api("GET", "campaign/")
      assert.equal(503, status)
      assert.same({ detail = "Service Unavailable (injected fault)" }, res)
      assert.equal("2", h["retry-after"])
      assert.equal(200, (api("GET", "campaign/")))
      assert.equal(201, (api("POST", "campaign/create/", { name = "x", services = "PHONE" })))
    end)

    it("pattern faults match v1 paths: a drop after processing keeps the state change", function()
      emu.fault { method = "POST", path = "^/api/v1/campaign/create", kind = "drop", after = true, count = 1 }
      local status = emu.http("POST", "/api/v1/campaign/create/", { name = "dropped", services = "PHONE" },
        { Authorization = "Bearer " .. V.token })
      assert.is_nil(status)
      assert.equal("dropped", emu.state().campaigns[1].name)
      assert.equal(1, emu.count("/api/v1/campaign/create/", "POST"))
    end)

    it("the request log lists v1 requests; unknown paths are 404 and wrong methods 405 (DRF shapes)", function()
      emu.clear_requests()
      api("GET", "voice-models/")
      local status, res = api("GET", "no-such-thing/")
      assert.equal(404, status)
      assert.same({ detail = "Not found." }, res)
      status, res = api("GET", "run-campaign/1/")
      assert.equal(405, status)
      assert.same({ detail = 'Method "GET" not allowed.' }, res)
      local log = emu.requests()
      assert.equal("/api/v1/voice-models/", log[1].path)
      assert.equal(200, log[1].status)
      assert.equal(404, log[2].status)
    end)

    it("legacy paths keep the legacy envelope after v1 requests", function()
      api("GET", "campaign/999/")
      local access = emu.login()
      local status, text = emu.http("GET", "/api/system/campaigns/999/details", nil,
        { Authorization = "Bearer " .. access })
      assert.equal(404, status)
      local res = cjson.decode(text)
      assert.is_false(res.success)
      assert.equal("Campaign not found.", res.message)
    end)
  end)
end)
