-- Every method of the public API against the emulator, over the default
-- libcurl transport: what a script sees, and what the server ends up holding.
local tingting = require "tingting"
local emu = require "spec.helpers.emulator"

local function new_session(extra)
  local opts = { base_url = emu.url(), email = "test@gmail.com", password = "test" }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return assert(tingting.session(opts))
end

local tmpfile = emu.tmpfile

local function state_campaign(id)
  for _, c in ipairs(emu.state().campaigns or {}) do
    if math.tointeger(c.id) == id then return c end
  end
end

describe("API against the emulator", function()
  local s
  before_each(function()
    emu.reset()
    s = new_session()
  end)
  after_each(function() s:close() end)

  describe("accounts", function()
    it("logs in and reads the user", function()
      local user = assert(s:login())
      assert.equal("Adwait", user.first_name)
      assert.is_true(s.logged_in)
      assert.is_true(s.token_expires > os.time())
      local details = assert(s:user())
      assert.equal("adw8", details.username)
      assert.equal("9843818700", details.contact_number)
    end)

    it("refreshes the access token", function()
      assert(s:login())
      local before = s.access_token
      assert.is_true(s:refresh())
      assert.not_equal(before, s.access_token)
      assert(s:user())
    end)

    it("reports wrong credentials as an auth error", function()
      local bad = new_session { password = "wrong" }
      local _, err = bad:login()
      assert.equal("auth", err.kind)
      assert.equal(401, err.status)
      assert.not_matches("wrong", tostring(err), 1, true)
    end)

    it("resumes from tokens without logging in", function()
      local access, refresh = emu.login()
      emu.clear_requests()
      local s2 = assert(tingting.session { base_url = emu.url(), access_token = access, refresh_token = refresh })
      assert(s2:user())
      for _, r in ipairs(emu.requests()) do assert.not_equal("/api/accounts/login/", r.path) end
    end)
  end)

  describe("phone numbers", function()
    it("lists, buys and releases numbers", function()
      local available = assert(s:available_numbers())
      assert.is_true(#available > 0)
      local sid = available[1].phone_number_sid
      assert.is_string(available[1].phone_number)
      local bought = assert(s:buy_number(sid))
      assert.equal(sid, bought.phone_number_sid)
      local owned = assert(s:owned_numbers())
      assert.equal(sid, owned[#owned].phone_number_sid)
      assert.is_true(s:release_number(sid))
      for _, p in ipairs(assert(s:owned_numbers())) do assert.not_equal(sid, p.phone_number_sid) end
    end)

    it("refuses an unknown SID", function()
      local _, err = s:buy_number("0000")
      assert.is_table(err)
      assert.is_true(err.kind == "api" or err.kind == "not_found")
    end)
  end)

  describe("campaigns", function()
    it("creates from a list, with the docs' 11-digit numbers sent exactly", function()
      local c = assert(s:create_campaign { name = "sample individual campaign", services = "PHONE",
        individual_number = { 9876543210, "98675432123" }, description = "IPO opened" })
      assert.equal("integer", math.type(c.id))
      assert.equal("PHONE", c.services)
      local numbers = assert(c:numbers())
      local got = {}
      for _, n in ipairs(numbers) do got[n.number] = true end
      assert.is_true(got["9876543210"])
      assert.is_true(got["98675432123"])
    end)

    it("creates from an uploaded CSV whose tags_* columns become usable tags", function()
      local path = tmpfile("number,tags_name,tags_age\n9843818700,राम,34\n9851022343,सीता,29\n", ".csv")
      local c = assert(s:create_campaign { name = "bulk", services = "SMS", send_to_number_file = path })
      os.remove(path)
      c = assert(s:campaign(c.id))
      local tags = c.usable_tags
      table.sort(tags)
      assert.same({ "tags_age", "tags_name" }, tags)
      local names = {}
      for _, n in ipairs(assert(c:numbers())) do names[n.number] = n.available_tags.tags_name end
      assert.equal("राम", names["9843818700"])
      assert.equal("सीता", names["9851022343"])
    end)

    it("creates from an uploaded .xlsx", function()
      local path = tmpfile(emu.xlsx { { "number", "tags_name" }, { "9843818700", "Ram" } }, ".xlsx")
      local c = assert(s:create_campaign { name = "xlsx", services = "SMS", send_to_number_file = path })
      os.remove(path)
      assert.equal(1, #assert(c:numbers()))
    end)

    it("lists one page or every page", function()
      emu.config { page_size = 2 }
      for i = 1, 5 do
        assert(s:create_campaign { name = "c" .. i, services = "SMS", individual_number = { "9843818700" } })
      end
      local page, pagination = assert(s:campaigns { page = 2 })
      assert.equal(page.pagination, pagination)
      assert.equal(2, #page)
      assert.equal(5, pagination.total_items)
      assert.is_true(pagination.has_next)
      local all = assert(s:campaigns())
      assert.equal(5, #all)
    end)

    it("updates, reloads and deletes", function()
      local c = assert(s:create_campaign { name = "old", services = "SMS", individual_number = { "9843818700" } })
      assert.equal(c, c:update { name = "new name", description = "Election campaign for 2023" })
      assert.equal("new name", c.name)
      assert.equal("new name", state_campaign(c.id).name)
      assert.equal(c, c:reload())
      assert.is_true(c:delete())
      local _, err = s:campaign(c.id)
      assert.equal("not_found", err.kind)
    end)
  end)

  describe("numbers", function()
    local c
    before_each(function()
      local path = tmpfile("number,tags_name\n9843818700,Ram\n", ".csv")
      c = assert(s:create_campaign { name = "tags", services = "PHONE", send_to_number_file = path })
      os.remove(path)
    end)

    it("adds a number with tags, reads, edits and deletes it", function()
      local n = assert(c:add_number("9832123432", { tags_name = "नाम" }))
      assert.equal("9832123432", n.number)
      assert.equal("नाम", n.available_tags.tags_name)
      local same = assert(s:number(n.id))
      assert.equal(n, same)
      assert.equal(n, n:update { number = "9832123433", available_tags = { tags_name = "Hari" } })
      assert.equal("9832123433", n.number)
      assert.is_true(n:delete())
      local _, err = s:number(n.id)
      assert.equal("not_found", err.kind)
    end)

    it("refuses tags outside the campaign's usable tags (server side too)", function()
      local _, err = c:add_number("9832123432", { tags_salary = "1" })
      assert.equal("api", err.kind)
      assert.equal(400, err.status)
    end)
  end)

  describe("running a campaign", function()
    it("begins with a message, holds credits, and moves numbers to terminal statuses", function()
      emu.config { run_speed = 0 }
      local c = assert(s:create_campaign { name = "run", services = "SMS",
        individual_number = { "9843818700", "9851022343", "9801234567" } })
      local res = assert(c:begin { message = "नमस्कार, टिङ्टिंगमा हजुरलाई स्वागत छ", voice_input = "np_binod",
        length_factor = 1.4 })
      assert.is_string(res["hold amount"])
      local terminal = { completed = true, failed = true, hungup = true, unanswered = true, terminated = true }
      for _, n in ipairs(assert(c:numbers())) do assert.is_true(terminal[n.status], n.status) end
      local summary = assert(s:report_summary())
      assert.is_table(summary.summary)
    end)

    it("runs individual numbers, re-runs by status, and schedules", function()
      emu.config { run_speed = 0 }
      local c = assert(s:create_campaign { name = "rerun", services = "PHONE",
        individual_number = { "9843818700", "9851022343" } })
      local numbers = assert(c:numbers())
      assert(c:begin { message = "hello", individual = { numbers[1].id } })
      assert(c:begin { message = "again", status = { "failed, hungup", "unanswered", "completed", "terminated" } })
      assert(c:begin { message = "later", schedule_date = os.time() + 3600 })
    end)

    it("begins with an uploaded audio file", function()
      emu.config { run_speed = 0 }
      local c = assert(s:create_campaign { name = "audio", services = "PHONE", individual_number = { "9843818700" } })
      local mp3 = tmpfile("ID3\3\0\0\0\0\0\0fake mp3", ".mp3")
      assert(c:begin { aud_file = mp3, voice_input = "np_rija" })
      os.remove(mp3)
    end)

    it("downloads the report to memory and to a file", function()
      emu.config { run_speed = 0 }
      local c = assert(s:create_campaign { name = "report", services = "SMS", individual_number = { "9843818700" } })
      assert(c:begin { message = "hi" })
      local csv = assert(c:report())
      assert.matches("^id,number,status", csv)
      assert.matches("9843818700", csv, 1, true)
      local path = os.tmpname()
      assert.is_true(c:report(path))
      local f = assert(io.open(path, "rb"))
      assert.equal(csv, f:read("a"))
      f:close()
      os.remove(path)
    end)
  end)

  describe("voice and OTP", function()
    it("tests a voice", function()
      local res = assert(s:test_voice { message = "नमस्कार", voice_input = "np_prasanna" })
      assert.matches("^http", res.audio_url)
    end)

    it("sends a personnel OTP by text and a generated one by voice", function()
      local d = assert(s:send_otp { number = "9851023212", message = "Hi your OTP is {otp}",
        sms_send_options = "text", otp_options = "personnel", otp = "12345" })
      assert.equal("9851023212", d.number)
      assert.equal("12345", d.otp)
      assert.equal("Hi your OTP is 1 2 3 4 5", d.message)
      d = assert(s:send_otp { number = "9851023212", message = "Code {otp}", sms_send_options = "voice",
        otp_options = "generated", otp_length = 6 })
      assert.matches("^%d%d%d%d%d%d$", d.otp)
    end)
  end)
end)
