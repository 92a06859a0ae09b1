-- The emulator's campaign runs (simulation, credits, re-runs), reports, test voice
-- and OTP. HTTP only.
local emu = require "spec.helpers.emulator"
local C = require "spec.helpers.emulator_client"
local socket = require "socket"

local api, create, campaign_numbers, upload = C.api, C.create, C.campaign_numbers, C.upload
local expect_field_error = C.expect_field_error

describe("emulator", function()
  before_each(C.fresh)

  describe("runs", function()
    local function phone_campaign(count)
      local list = {}
      for i = 1, count do list[i] = 9841000000 + i end
      return create { name = "run", services = "PHONE", individual_number = list }
    end

    it("with run_speed 0 every number ends in a terminal status and credits settle", function()
      emu.config { run_speed = 0 }
      local c = phone_campaign(10)
      local status, res = api("POST", "/api/system/campaigns/" .. c.id .. "/begin/",
        { message = "नमस्कार", voice_input = "np_prasanna", length_factor = "1.4" })
      assert.equal(200, status)
      assert.equal("Campaign is running!!", res.message)
      assert.equal("20 credits on hold for run campaign.", res.data["hold amount"])
      local used = 0
      for _, n in ipairs(campaign_numbers(c.id)) do
        assert.truthy(({ completed = 1, failed = 1, hungup = 1, unanswered = 1, terminated = 1 })[n.status])
        assert.is_number(n.duration)
        used = used + n.credit_consumed
      end
      local st = emu.state()
      assert.same({ available = 10000 - used, on_hold = 0, consumed = used }, st.credits)
    end)

    it("with a run_speed, numbers go from not started through in progress to terminal", function()
      emu.config { run_speed = 0.4 }
      local c = phone_campaign(2)
      api("POST", "/api/system/campaigns/" .. c.id .. "/begin/", { message = "hi" })
      assert.equal("not started", campaign_numbers(c.id)[1].status)
      assert.equal(4, emu.state().credits.on_hold)
      socket.sleep(0.5)
      assert.equal("in progress", campaign_numbers(c.id)[1].status)
      socket.sleep(0.4)
      assert.not_equal("in progress", campaign_numbers(c.id)[1].status)
      assert.equal(0, emu.state().credits.on_hold)
    end)

    it("a future schedule_date keeps numbers scheduled; a past one runs now", function()
      emu.config { run_speed = 0 }
      local c = phone_campaign(1)
      local status = api("POST", "/api/system/campaigns/" .. c.id .. "/begin/",
        { message = "hi", schedule_date = "2099-05-09T17:07" })
      assert.equal(200, status)
      assert.equal("scheduled", campaign_numbers(c.id)[1].status)
      assert.equal("scheduled", emu.state().campaigns[1].numbers[1].status)
      local c2 = phone_campaign(1)
      local res
      status, res = api("POST", "/api/system/campaigns/" .. c2.id .. "/begin/",
        { message = "hi", schedule_date = "2023-05-09T17:07" })
      assert.equal(200, status, res.message)
      assert.not_equal("scheduled", campaign_numbers(c2.id)[1].status)
      expect_field_error("schedule_date", api("POST", "/api/system/campaigns/" .. c2.id .. "/begin/",
        { message = "hi", schedule_date = "09/05/2023" }))
    end)

    it("outcomes are deterministic for a seed", function()
      local function outcomes()
        C.fresh()
        emu.config { run_speed = 0, seed = 42 }
        local c = phone_campaign(8)
        api("POST", "/api/system/campaigns/" .. c.id .. "/begin/", { message = "hi" })
        local out = {}
        for _, n in ipairs(campaign_numbers(c.id)) do out[#out + 1] = n.status .. ":" .. tostring(n.duration) end
        return table.concat(out, ",")
      end
      assert.equal(outcomes(), outcomes())
    end)

    it("a re-run by status reuses the last message and targets only those numbers", function()
      emu.config { run_speed = 0 }
      local c = phone_campaign(20)
      api("POST", "/api/system/campaigns/" .. c.id .. "/begin/", { message = "hi" })
      local before, targeted = {}, 0
      for _, n in ipairs(campaign_numbers(c.id)) do
        before[n.id] = n.status
        if n.status == "failed" or n.status == "hungup" then targeted = targeted + 1 end
      end
      assert.is_true(targeted > 0, "seed 1 should fail or hang up some of 20 numbers")
      local status, res = api("POST", "/api/system/campaigns/" .. c.id .. "/begin/",
        { status = { "failed, hungup" } })
      assert.equal(200, status, res.message)
      assert.equal(targeted * 2 .. " credits on hold for run campaign.", res.data["hold amount"])
      local st = emu.state()
      for _, n in ipairs(st.campaigns[1].numbers) do
        local again = before[n.id] == "failed" or before[n.id] == "hungup"
        assert.equal(again and 2 or 1, n.attempts)
      end
      expect_field_error("status", api("POST", "/api/system/campaigns/" .. c.id .. "/begin/",
        { status = { "lost" } }))
    end)

    it("needs priority when the campaign has both a message and audio", function()
      emu.config { run_speed = 0 }
      local c = phone_campaign(1)
      api("POST", "/api/system/campaigns/" .. c.id .. "/begin/", { message = "hi" })
      local body, ct = emu.multipart { { name = "aud_file", filename = "a.mp3", content = "ID3xxxx",
        type = "audio/mpeg" } }
      local status, res = api("POST", "/api/system/campaigns/" .. c.id .. "/begin/", body,
        { ["Content-Type"] = ct })
      assert.equal(200, status, res.message)
      expect_field_error("priority", api("POST", "/api/system/campaigns/" .. c.id .. "/begin/",
        { status = { "completed", "failed", "hungup", "unanswered", "terminated" } }))
      status = api("POST", "/api/system/campaigns/" .. c.id .. "/begin/",
        { priority = "audio", status = { "completed", "failed", "hungup", "unanswered", "terminated" } })
      assert.equal(200, status)
    end)

    it("refuses bad input, foreign number ids and runs beyond the credits", function()
      local c = phone_campaign(3)
      local other = phone_campaign(1)
      local P = "/api/system/campaigns/" .. c.id .. "/begin/"
      expect_field_error("message", api("POST", P, {}))
      expect_field_error("voice_input", api("POST", P, { message = "hi", voice_input = "np_robot" }))
      expect_field_error("priority", api("POST", P, { message = "hi", priority = "video" }))
      local foreign = campaign_numbers(other.id)[1].id
      expect_field_error("individual", api("POST", P, { message = "hi", individual = { foreign } }))
      expect_field_error("message", api("POST", P, { message = "Hi {tags_name}" }))
      emu.config { credits = 5 }
      local status, res = api("POST", P, { message = "hi" })
      assert.equal(400, status)
      assert.truthy(res.message:find("^Insufficient credits"))
      assert.equal(5, emu.state().credits.available)
    end)

    it("runs only the individual number ids given", function()
      emu.config { run_speed = 0 }
      local c = phone_campaign(3)
      local ids = campaign_numbers(c.id)
      local status = api("POST", "/api/system/campaigns/" .. c.id .. "/begin/",
        { message = "hi", individual = { ids[1].id } })
      assert.equal(200, status)
      local statuses = {}
      for _, n in ipairs(campaign_numbers(c.id)) do statuses[#statuses + 1] = n.status end
      assert.not_equal("not started", statuses[1])
      assert.equal("not started", statuses[2])
      assert.equal("not started", statuses[3])
    end)
  end)

  describe("reports", function()
    it("download is a CSV attachment with one column per usable tag", function()
      emu.config { run_speed = 0 }
      local xl = emu.xlsx { { "number", "tags_name" }, { "9843818700", "राम, ठूलो" } }
      local _, res = upload { { name = "name", value = "r" }, { name = "services", value = "SMS" },
        { name = "send_to_number_file", filename = "n.xlsx", content = xl } }
      local id = res.data.details[1].id
      api("POST", "/api/system/campaigns/" .. id .. "/begin/", { message = "hi {tags_name}" })
      local status, _, h, text = api("GET", "/api/system/campaigns/report/download/?campaign_id=" .. id)
      assert.equal(200, status)
      assert.equal("text/csv; charset=utf-8", h["content-type"])
      assert.equal('attachment; filename="campaign_' .. id .. '_report.csv"', h["content-disposition"])
      local header, row = text:match("^([^\r\n]*)\r\n([^\r\n]*)")
      assert.equal("id,number,status,duration,playback,credit_consumed,tags_name", header)
      assert.truthy(row:find('9843818700', 1, true))
      assert.truthy(row:find('"राम, ठूलो"', 1, true))
      assert.equal(404, (api("GET", "/api/system/campaigns/report/download/?campaign_id=999")))
      expect_field_error("campaign_id", api("GET", "/api/system/campaigns/report/download/"))
    end)

    it("summary counts numbers by status and shows credits", function()
      emu.config { run_speed = 0 }
      local c = create { name = "s", services = "SMS", individual_number = { 9841000001, 9841000002 } }
      create { name = "t", services = "PHONE", individual_number = { 9841000003 } }
      api("POST", "/api/system/campaigns/" .. c.id .. "/begin/", { message = "hi" })
      local status, res = api("GET", "/api/system/campaigns/report/summary/")
      assert.equal(200, status)
      local s = res.data.summary[2]
      assert.equal(c.id, s.campaign_id)
      assert.equal("s", s.campaign_name)
      assert.equal(2, s.total_numbers)
      assert.equal(2, s.completed + s.failed)
      assert.equal(1, res.data.summary[1].not_started)
      assert.equal(10000 - s.credit_consumed, res.data.credits.available)
      assert.equal(s.credit_consumed, res.data.credits.consumed)
    end)
  end)

  describe("test voice and OTP", function()
    it("test voice answers an audio URL that serves audio/mpeg", function()
      local status, res = api("POST", "/api/system/test/voice/", { message = "नमस्कार" })
      assert.equal(200, status)
      assert.equal("np_rija", res.data.voice_input)
      assert.equal("नमस्कार", res.data.message)
      local path = res.data.audio_url:match("^http://[^/]+(/media/test_voice/%d+%.mp3)$")
      assert.truthy(path, res.data.audio_url)
      local st, body, h = emu.http("GET", path)
      assert.equal(200, st)
      assert.equal("audio/mpeg", h["content-type"])
      assert.equal("ID3", body:sub(1, 3))
      expect_field_error("voice_input", api("POST", "/api/system/test/voice/", { message = "x", voice_input = "np_x" }))
    end)

    it("a personnel OTP is echoed with its digits spaced out, as in the docs", function()
      local status, res = api("POST", "/api/system/send/otp/", { number = "9851023212",
        message = "Hi your OTP is {otp}", sms_send_options = "text", otp_options = "personnel", otp = "12345" })
      assert.equal(200, status)
      assert.equal("OTP Sent Successfully.", res.message)
      assert.same({ number = "9851023212", otp_options = "personnel", message = "Hi your OTP is 1 2 3 4 5",
        otp = "12345", sms_send_options = "text" }, res.data.details)
    end)

    it("a generated OTP has otp_length digits (default 4) and is logged in the state", function()
      local _, res = api("POST", "/api/system/send/otp/", { number = "9851023212",
        message = "{otp}", sms_send_options = "voice" })
      assert.truthy(res.data.details.otp:match("^%d%d%d%d$"))
      assert.equal("generated", res.data.details.otp_options)
      _, res = api("POST", "/api/system/send/otp/", { number = "9851023212",
        message = "code {otp}", sms_send_options = "voice", otp_options = "generated", otp_length = "6" })
      local code = res.data.details.otp
      assert.truthy(code:match("^%d%d%d%d%d%d$"))
      assert.equal("code " .. code:gsub("%d", " %0"):sub(2), res.data.details.message)
      local otps = emu.state().otps
      assert.equal(2, #otps)
      assert.equal(code, otps[2].otp)
      assert.equal("9851023212", otps[2].number)
    end)

    it("refuses a personnel OTP without otp, a message without {otp} and bad options", function()
      local P = "/api/system/send/otp/"
      local base = { number = "9851023212", message = "{otp}", sms_send_options = "text" }
      local function with(t)
        local b = {}
        for k, v in pairs(base) do b[k] = v end
        for k, v in pairs(t) do b[k] = v end
        return b
      end
      expect_field_error("otp", api("POST", P, with { otp_options = "personnel" }))
      expect_field_error("message", api("POST", P, with { message = "no code" }))
      expect_field_error("sms_send_options", api("POST", P, with { sms_send_options = "pigeon" }))
      expect_field_error("otp_length", api("POST", P, with { otp_length = 11 }))
      expect_field_error("number", api("POST", P, with { number = { 1 } }))
      expect_field_error("extra", api("POST", P, with { extra = 1 }))
    end)
  end)

end)
