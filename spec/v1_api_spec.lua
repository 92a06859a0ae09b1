-- Every v1 method of the public API against the emulator's v1 face, over
-- the default libcurl transport: what a script sees (the normalised
-- objects), what reached the server (the emulator's request log) and what
-- the server ends up holding (its state).
local tingting = require "tingting"
local emu = require "spec.helpers.emulator"
local V = require "spec.helpers.emulator_v1"

local function key_session(extra)
  local opts = { base_url = emu.url(), api_key = V.token }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return assert(tingting.session(opts))
end

-- The log's entries since the last clear, as "METHOD path?query".
local function log()
  local out = {}
  for _, r in ipairs(emu.requests()) do
    local q = r.query
    out[#out + 1] = r.method .. " " .. r.path .. ((q and q ~= "") and ("?" .. q) or "")
  end
  return out
end

describe("v1 API against the emulator", function()
  local s
  before_each(function()
    V.fresh()
    emu.clear_requests()
    s = key_session()
  end)
  after_each(function() s:close() end)

  describe("account", function()
    it("reads the profile, the API token, the dashboard, voices and sender numbers", function()
      local p = assert(s:user())
      assert.equal("test@gmail.com", p.user.email)
      assert.equal(V.token, assert(s:api_token()).token)
      local d = assert(s:dashboard { days = 7 })
      assert.is_number(d.remaining_credits)
      local voices = assert(s:voice_models())
      assert.equal(5, #voices)
      assert.equal("np_shreegya", voices[5].voice_internal_name)
      local senders = assert(s:sender_numbers())
      assert.matches("^%+977", senders[1].phone_number)
      assert.same(senders, assert(s:owned_numbers()))
      assert.same({ "GET /api/v1/auths/user-profile/", "GET /api/v1/auths/get-api-keys/",
        "GET /api/v1/dashboard/?days=7", "GET /api/v1/voice-models/", "GET /api/v1/active-broker-phone/",
        "GET /api/v1/phone-number/active/" }, log())
    end)

    it("logs in with email and password (cookies), refreshes, and generates an API token", function()
      local tokens = {}
      local l = assert(tingting.session { base_url = emu.url(), api = "v1", email = "test@gmail.com",
        password = "test", on_tokens = function(a, r) tokens[#tokens + 1] = { a, r } end })
      assert.is_true(l:login())
      assert.is_true(l.logged_in)
      assert.is_string(l.refresh_token)
      assert(l:user())
      assert.is_true(l:refresh())
      local token = assert(l:generate_api_token())
      assert.equal(64, #token)
      -- the new token works, the one before is revoked (one valid per user)
      assert(key_session({ api_key = token }):user())
      local _, err = s:user()
      assert.equal("auth", err.kind)
      assert.equal(401, err.status)
      assert.equal(2, #tokens)
      assert.same({ "POST /api/v1/auths/login/", "GET /api/v1/auths/user-profile/",
        "POST /api/v1/auths/login/refresh/", "POST /api/v1/auths/generate-api-keys/",
        "GET /api/v1/auths/user-profile/", "GET /api/v1/auths/user-profile/" }, log())
    end)

    it("logs in lazily and renews an expired access cookie once, by the refresh cookie", function()
      local l = assert(tingting.session { base_url = emu.url(), api = "v1", email = "test@gmail.com",
        password = "test" })
      assert(l:user())
      emu.http("POST", "/__emulator__/expire", { access = true })
      assert(l:user())
      assert.same({ "POST /api/v1/auths/login/", "GET /api/v1/auths/user-profile/",
        "GET /api/v1/auths/user-profile/", "POST /api/v1/auths/login/refresh/",
        "GET /api/v1/auths/user-profile/" }, log())
    end)

    it("does not try to renew an API token the server no longer takes", function()
      emu.http("POST", "/__emulator__/expire", { api_token = true })
      local _, err = s:user()
      assert.equal("auth", err.kind)
      assert.equal("Invalid token.", err.message)
      assert.same({ "GET /api/v1/auths/user-profile/" }, log())
    end)
  end)

  describe("campaigns", function()
    it("creates, reads, updates, sets the message, lists and deletes", function()
      local c = assert(s:create_campaign { name = "ipo", services = "PHONE & SMS", user_phone = { 1 },
        message = "नमस्ते {name}", sms_message = "नमस्ते", schedule = "2030-07-08" })
      assert.equal("SMS & PHONE", c.services)
      assert.equal("Not Started", c.status)
      assert.equal("2030-07-08T00:00:00+05:45", c.schedule)
      assert.is_true(math.type(c.id) == "integer")
      assert(c:set_message { voice = 3, category = "Text", length_factor = 1.2 })
      assert.equal(3, c.voice)
      assert.equal("Text", c.category)
      assert(c:update { name = "ipo 2030", schedule = "" })
      assert.equal("ipo 2030", c.name)
      assert.is_nil(c.schedule)
      local again = assert(s:campaign(c.id))
      assert.equal(3, again.voice)
      local list = assert(s:campaigns { search = "2030" })
      assert.equal(1, #list)
      assert.equal(3, list[1].voice) -- #10 sends the voice as an object
      assert.equal("Prashanna", list[1]:fields().voice_model.voice_display_name)
      assert.is_true(c:delete())
      local _, err = s:campaign(c.id)
      assert.equal("not_found", err.kind)
      assert.same({ "POST /api/v1/campaign/create/", "PATCH /api/v1/campaign/create/" .. c.id .. "/message/",
        "PATCH /api/v1/campaign/" .. c.id .. "/", "GET /api/v1/campaign/" .. c.id .. "/",
        "GET /api/v1/campaign/?limit=10&offset=0&search=2030", "DELETE /api/v1/campaign/" .. c.id .. "/",
        "GET /api/v1/campaign/" .. c.id .. "/" }, log())
    end)

    it("reads every page, one page with its pagination, and iterates page by page", function()
      for i = 1, 23 do V.create { name = "c" .. i, services = "PHONE" } end
      emu.clear_requests()
      local all = assert(s:campaigns())
      local meta = all.pagination
      assert.equal(23, #all)
      assert.equal(23, meta.count)
      assert.equal(3, #log())
      local page, p = assert(s:campaigns { limit = 5, offset = 5, sort_by = "asc" })
      assert.equal(page.pagination, p)
      assert.equal(5, #page)
      assert.equal("c6", page[1].name)
      assert.equal(23, p.count)
      assert.equal(5, p.total_pages)
      assert.matches("offset=10", p.next)
      emu.clear_requests()
      local names = {}
      for c in s:each_campaign { sort_by = "asc" } do names[#names + 1] = c.name end
      assert.equal(23, #names)
      assert.equal("c23", names[23])
      assert.equal(3, #log())
    end)

    it("runs a campaign with its message set first, previews its voice and downloads the report", function()
      local c = assert(s:create_campaign { name = "run", services = "PHONE", user_phone = { 1 } })
      assert(c:add_number("9841234567", { name = "Ram" }))
      local url = assert(c:test_voice { message = "namaste", voice_input = "np_binod" })
      assert.matches("^http.*%.mp3$", url)
      local res = assert(c:begin { message = "नमस्ते {tags_name}", voice = 3, category = "Text" })
      assert.matches("Began", res.message)
      local csv = assert(c:report())
      assert.matches("^id,number,status", csv)
      assert.matches("9841234567", csv)
      local path = os.tmpname()
      assert.is_true(c:report(path))
      local f = assert(io.open(path))
      assert.matches("^id,number", f:read("a"))
      f:close()
      os.remove(path)
      local survey = assert(s:survey_report(c.id, { format = "json" }))
      assert.equal(c.id, survey.survey_id)
      assert.matches("^contact_id,number", assert(s:survey_report(c.id)))
    end)
  end)

  describe("contacts", function()
    local c
    before_each(function()
      c = assert(s:create_campaign { name = "contacts", services = "PHONE", user_phone = { 1 } })
      emu.clear_requests()
    end)

    it("adds a contact and gets it back with the server's id", function()
      local n = assert(c:add_number("+977 984-1234567", { name = "Jane", age = 22 }))
      assert.is_true(math.type(n.id) == "integer")
      assert.equal("9841234567", n.number)
      assert.equal(c.id, n.campaign)
      assert.same({ name = "Jane", age = 22 }, n.available_tags)
      local _, err = c:add_number("9841234567")
      assert.equal("api", err.kind)
      assert.equal("number", err.field)
      local held = emu.state().campaigns[1].numbers
      assert.equal(1, #held)
    end)

    it("lists contacts (every page, one page, lazily) with carriers and durations", function()
      local contacts = {}
      for i = 0, 12 do contacts[#contacts + 1] = { number = ("98%08d"):format(41000000 + i) } end
      V.add(c.id, contacts)
      local all = assert(c:numbers())
      local meta = all.pagination
      assert.equal(13, #all)
      assert.equal("NTC", all[1].carrier)
      assert.equal(0, all[1].duration)
      assert.equal(13, meta.count)
      local page, p = assert(c:numbers { limit = 3, offset = 12 })
      assert.equal(page.pagination, p)
      assert.equal(1, #page)
      assert.equal(13, p.count)
      local n = 0
      for number in c:each_number() do
        n = n + 1
        assert.equal("tingting.number", getmetatable(number).__name)
      end
      assert.equal(13, n)
    end)

    it("edits a contact's number and variables, reads the variables, calls it and deletes it", function()
      local n = assert(c:add_number("9841234567", { name = "Ram" }))
      assert(c:set_message { message = "नमस्ते {name}" })
      assert(n:update { number = "9808684325", available_tags = { age = "24" } })
      assert.equal("9808684325", n.number)
      assert.same({ name = "Ram", age = "24" }, n.available_tags)
      assert.same({ name = "Ram", age = "24" }, assert(n:attributes()))
      local call = assert(n:demo_call())
      assert.equal("9808684325", call.number)
      assert.equal("नमस्ते Ram", call.rendered_message)
      assert.is_true(n:delete())
      assert.same({ "POST /api/v1/campaign/" .. c.id .. "/add-contact/",
        "PATCH /api/v1/campaign/create/" .. c.id .. "/message/",
        "PATCH /api/v1/phone-number/update/" .. n.id .. "/", "PATCH /api/v1/campaign/" .. n.id .. "/attributes/",
        "GET /api/v1/campaign/" .. n.id .. "/attributes/", "POST /api/v1/demo-call/" .. n.id .. "/",
        "DELETE /api/v1/phone-number/delete/" .. n.id .. "/" }, log())
    end)

    it("uploads a contacts file (PATCH bulk_file)", function()
      local path = emu.tmpfile("numbers,name\n9801356897,Ram\n9812345698,Sita\n", ".csv")
      local res = assert(c:upload_numbers(path))
      os.remove(path)
      assert.equal(2, res.total_validated_rows)
      assert.same({}, res.error_list)
      assert.equal(2, #assert(c:numbers()))
    end)
  end)

  describe("OTP", function()
    it("sends an OTP with company_name and lists the ones sent", function()
      local d = assert(s:send_otp { number = "9851023212", message = "Code {otp}", sms_send_options = "voice",
        voice_input = "np_rija", otp = "4321", company_name = "prixa" })
      assert.equal("prixa", d.company_name)
      assert.equal("np_rija", d.voice_input)
      local list = assert(s:otps())
      assert.equal("9851023212", list[1].phone_number)
      assert.equal("4321", list[1].otp)
    end)
  end)

  describe("what v1 does not have", function()
    local cases = {
      { "report_summary", function() return s:report_summary() end, "dashboard" },
      { "s:number", function() return s:number(1) end, "c:numbers%(%)" },
      { "available_numbers", function() return s:available_numbers() end, "sender_numbers" },
      { "s:test_voice", function() return s:test_voice { message = "x" } end, "c:test_voice" },
    }
    for _, case in ipairs(cases) do
      it(case[1] .. " is unsupported, naming the equivalent, and sends nothing", function()
        local res, err = case[2]()
        assert.is_nil(res)
        assert.equal("unsupported", err.kind)
        assert.is_false(err.sent)
        assert.matches("v1", err.message)
        assert.matches(case[3], err.message)
        assert.same({}, log())
      end)
    end

    it("n:reload() is unsupported, pointing at c:numbers() and n:attributes()", function()
      local c = assert(s:create_campaign { name = "r", services = "PHONE" })
      local n = assert(c:add_number("9841234567"))
      local _, err = n:reload()
      assert.equal("unsupported", err.kind)
      assert.matches("n:attributes%(%)", err.message)
    end)

    it("generate_api_token on an API-token session: auth, nothing sent", function()
      local _, err = s:generate_api_token()
      assert.equal("auth", err.kind)
      assert.is_false(err.sent)
      assert.same({}, log())
    end)
  end)

  describe("what legacy does not have", function()
    it("voice_models on a legacy session names the three voices", function()
      local l = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com",
        password = "test" })
      assert.equal("legacy", l.api)
      local _, err = l:voice_models()
      assert.equal("unsupported", err.kind)
      assert.is_false(err.sent)
      assert.matches("np_rija, np_prasanna and np_binod", err.message)
      local _, derr = l:dashboard()
      assert.matches("report_summary", derr.message)
      assert.same({}, log())
    end)
  end)
end)
