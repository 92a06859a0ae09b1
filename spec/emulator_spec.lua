-- The emulator's promises: every documented endpoint with its shapes and spellings,
-- every error class, the run simulation, credits, reports, OTP, uploads, the admin
-- API and every fault kind. Talks HTTP only (luasocket), no client library.
local emu = require "spec.helpers.emulator"
local cjson = require "cjson"
local socket = require "socket"

local access, refresh

-- lua-cjson decodes every number as a float; ids are integers.
local function integers(v)
  if type(v) == "number" then return math.tointeger(v) or v end
  if type(v) == "table" then
    for k, x in pairs(v) do v[k] = integers(x) end
  end
  return v
end

-- Calls the API with the current access token unless headers.Authorization is given
-- (false sends none). Returns status, decoded body (or the raw text), headers, text.
local function api(method, path, body, headers)
  local h = {}
  for k, v in pairs(headers or {}) do h[k] = v end
  if h.Authorization == nil then h.Authorization = "Bearer " .. access end
  if h.Authorization == false then h.Authorization = nil end
  local status, text, rh = emu.http(method, path, body, h)
  assert(status, text)
  local ok, decoded = pcall(cjson.decode, text)
  return status, ok and integers(decoded) or text, rh, text
end

local function create(body)
  local status, res = api("POST", "/api/system/campaigns/", body)
  assert.equal(201, status)
  return res.data.details[1]
end

local function campaign_numbers(id)
  local status, res = api("GET", "/api/system/campaigns/number/" .. id .. "/")
  assert.equal(200, status)
  return res.data["number-lists"]
end

local function upload(parts)
  local body, ct = emu.multipart(parts)
  return api("POST", "/api/system/campaigns/", body, { ["Content-Type"] = ct })
end

local function b64url_json(part)
  local s = part:gsub("-", "+"):gsub("_", "/")
  s = s .. string.rep("=", (4 - #s % 4) % 4)
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  local bits = s:gsub("=", ""):gsub(".", function(c)
    local v = alphabet:find(c, 1, true) - 1
    local out = ""
    for i = 5, 0, -1 do out = out .. ((v >> i) & 1) end
    return out
  end)
  local bytes = bits:gsub("%d%d%d%d%d%d%d%d", function(b) return string.char(tonumber(b, 2)) end)
  return cjson.decode((bytes:gsub("[01]+$", "")))
end

local function expect_field_error(field, status, res)
  assert.equal(400, status)
  assert.is_false(res.success)
  assert.is_table(res.errors[field], "errors should name " .. field)
  assert.truthy(res.message:find(field .. ": ", 1, true), res.message)
end

describe("emulator", function()
  before_each(function()
    emu.reset()
    access, refresh = emu.login()
  end)

  describe("accounts", function()
    it("login answers SimpleJWT-shaped HS256 tokens and the user's names", function()
      local status, res = api("POST", "/api/accounts/login/",
        { email = "test@gmail.com", password = "test" }, { Authorization = false })
      assert.equal(200, status)
      assert.equal("Successfully logged in", res.message)
      assert.same({ first_name = "Adwait", last_name = "Upadhyaya", email = "test@gmail.com" },
        res.data.user_data)
      local h, p = res.data.token.access:match("^([^.]+)%.([^.]+)%.[%w_-]+$")
      assert.same({ alg = "HS256", typ = "JWT" }, b64url_json(h))
      local claims = b64url_json(p)
      assert.equal("access", claims.token_type)
      assert.equal(86400, claims.exp - claims.iat)
      assert.truthy(claims.jti:match("^%x+$") and #claims.jti == 32)
      assert.equal(1, claims.user_id)
      assert.equal("refresh", b64url_json(res.data.token.refresh:match("^[^.]+%.([^.]+)")).token_type)
      assert.falsy(res.data.token.access:find("=", 1, true))
    end)

    it("login with wrong credentials is a 401 envelope", function()
      local status, res = api("POST", "/api/accounts/login", { email = "test@gmail.com", password = "x" },
        { Authorization = false })
      assert.equal(401, status)
      assert.equal("No active account found with the given credentials", res.message)
      assert.is_false(res.success)
    end)

    it("refresh answers a bare new access token that works", function()
      local status, res = api("POST", "/api/accounts/token/refresh/", { refresh = refresh },
        { Authorization = false })
      assert.equal(200, status)
      assert.same({ "access" }, (function() local k = {} for n in pairs(res) do k[#k + 1] = n end return k end)())
      assert.equal(200, (api("GET", "/api/accounts/user_details/", nil,
        { Authorization = "Bearer " .. res.access })))
    end)

    it("refresh refuses an access token and garbage with token_not_valid", function()
      for _, t in ipairs({ access, "garbage" }) do
        local status, res = api("POST", "/api/accounts/token/refresh/", { refresh = t },
          { Authorization = false })
        assert.equal(401, status)
        assert.same({ detail = "Token is invalid or expired", code = "token_not_valid" }, res)
      end
    end)

    it("user_details answers the documented user", function()
      local status, res = api("GET", "/api/accounts/user_details/")
      assert.equal(200, status)
      assert.same({ first_name = "Adwait", last_name = "Upadhyaya", email = "test@gmail.com",
        username = "adw8", is_verified_email = true, contact_number = "9843818700",
        is_verified_phone = true, address = "Rose village, balkot, 41" }, res.data.user_details)
    end)

    it("a missing or unreadable Authorization header is 'credentials were not provided'", function()
      for _, h in ipairs({ false, "Token abc", "Bearer", "Bearer a b" }) do
        local status, res = api("GET", "/api/accounts/user_details/", nil, { Authorization = h })
        assert.equal(401, status)
        assert.same({ detail = "Authentication credentials were not provided." }, res)
      end
    end)

    it("bad signature, refresh-as-access, expired and pre-reset tokens are token_not_valid", function()
      local forged = access:sub(1, -3) .. (access:sub(-2) == "AA" and "BB" or "AA")
      local old = access
      emu.config { access_ttl = 0 }
      local expired = emu.login()
      emu.reset()
      for _, t in ipairs({ forged, refresh, expired, old }) do
        local status, res = api("GET", "/api/accounts/user_details/", nil, { Authorization = "Bearer " .. t })
        assert.equal(401, status)
        assert.equal("token_not_valid", res.code)
        assert.equal("Given token not valid for any token type", res.detail)
        assert.equal("access", res.messages[1].token_type)
      end
    end)
  end)

  describe("phone numbers", function()
    it("lists owned and available numbers in the documented shape and spelling", function()
      local status, res = api("GET", "/api/system/owned/phone_numbers")
      assert.equal(200, status)
      local owned = res.data.owned_numbers[1]
      assert.equal("9876565435", owned.phone_number)
      assert.equal("b7142c5ae3b673d944d81c83bda4f5de", owned.phone_number_sid)
      assert.equal(40, owned.rate)
      assert.equal(cjson.null, owned.call_url)
      status, res = api("GET", "/api/system/phone_numbers")
      assert.equal(200, status)
      assert.equal("Number Lists Retrived Successfully!!", res.message)
      assert.equal(9, #res.data.number_lists)
      assert.truthy(res.data.number_lists[1].phone_number_sid:match("^%x+$"))
    end)

    it("buy moves a number to owned; release answers 204 with no body and moves it back", function()
      local _, res = api("GET", "/api/system/phone_numbers/")
      local p = res.data.number_lists[1]
      local status, bought = api("POST", "/api/system/phone_numbers/", { phone_sid = p.phone_number_sid })
      assert.equal(200, status)
      assert.equal(p.phone_number .. " number bought successfully!!", bought.message)
      assert.same(p, bought.data.number_details[1])
      assert.equal(2, #select(2, api("GET", "/api/system/owned/phone_numbers")).data.owned_numbers)
      local st, _, _, text = api("DELETE", "/api/system/phone_numbers", { phone_sid = p.phone_number_sid })
      assert.equal(204, st)
      assert.equal("", text)
      assert.equal(1, #select(2, api("GET", "/api/system/owned/phone_numbers")).data.owned_numbers)
    end)

    it("unknown SIDs are 404 and a missing SID is 400, naming phone_sid", function()
      local status, res = api("POST", "/api/system/phone_numbers/", { phone_sid = "nope" })
      assert.equal(404, status)
      assert.is_table(res.errors.phone_sid)
      status = api("DELETE", "/api/system/phone_numbers", { phone_sid = "nope" })
      assert.equal(404, status)
      expect_field_error("phone_sid", api("POST", "/api/system/phone_numbers/", {}))
    end)
  end)

  describe("campaigns", function()
    it("create answers 201 with the documented details list; numbers stay exact", function()
      local status, res = api("POST", "/api/system/campaigns/", { name = "sample individual campaign",
        services = "PHONE", individual_number = { 9876543210, 98675432123 },
        description = "IPO" })
      assert.equal(201, status)
      assert.equal("Campaign Created Successfully", res.message)
      assert.same({ id = 1, name = "sample individual campaign", user_phone = {}, services = "PHONE",
        description = "IPO", usable_tags = {} }, res.data.details[1])
      local _, list, _, text = api("GET", "/api/system/campaigns/number/1/")
      assert.truthy(text:find('"number":98675432123', 1, true))
      assert.equal("Number related to sample individual campaign campaign Retrived successfully",
        list.data.messages)
      local n = list.data["number-lists"][1]
      assert.equal("sample individual campaign", n.campaing)
      assert.equal("not started", n.status)
      assert.equal(cjson.null, n.duration)
    end)

    it("lists 10 per page, newest first, with the pagination block", function()
      for i = 1, 12 do create { name = "c" .. i, services = "SMS", individual_number = { 9800000000 + i } } end
      local status, res = api("GET", "/api/system/campaigns")
      assert.equal(200, status)
      assert.same({ total_items = 12, total_pages = 2, page_number = 1, has_next = true,
        has_previous = false, links = {} }, res.pagination)
      assert.equal("Campaign Successfully Retrieved", res.result.messages)
      assert.equal(10, #res.result["campaign-lists"])
      assert.equal(12, res.result["campaign-lists"][1].id)
      status, res = api("GET", "/api/system/campaigns?page=2")
      assert.equal(200, status)
      assert.equal(2, #res.result["campaign-lists"])
      assert.is_true(res.pagination.has_previous)
      status, res = api("GET", "/api/system/campaigns/?page=3")
      assert.equal(404, status)
      assert.same({ detail = "Invalid page." }, res)
    end)

    it("details, partial update and delete use the docs' spellings", function()
      local c = create { name = "a", services = "PHONE", individual_number = { 9876543210 } }
      local status, res = api("GET", "/api/system/campaigns/" .. c.id .. "/details")
      assert.equal(200, status)
      assert.equal("Details Retrived successfully", res.data.messages)
      status, res = api("PUT", "/api/system/campaigns/" .. c.id .. "/update/", { description = "new" })
      assert.equal(200, status)
      assert.equal("Campaign details successfully updated.", res.message)
      assert.equal("a", res.data.details[1].name)
      assert.equal("new", res.data.details[1].description)
      local nid = campaign_numbers(c.id)[1].id
      status, res = api("DELETE", "/api/system/campaigns/" .. c.id .. "/delete")
      assert.equal(200, status)
      assert.equal("Campaign Deleted Succesfully", res.data.camaign)
      assert.equal(404, (api("GET", "/api/system/campaigns/" .. c.id .. "/details/")))
      assert.equal(404, (api("GET", "/api/system/number/" .. nid .. "/")))
    end)

    it("unknown ids and paths are 404 envelopes; wrong methods are 405", function()
      local status, res = api("GET", "/api/system/campaigns/99/details")
      assert.equal(404, status)
      assert.is_false(res.success)
      status, res = api("GET", "/api/nowhere/")
      assert.equal(404, status)
      assert.equal("Not found.", res.message)
      status, res = api("GET", "/api/system/campaigns/1/begin/")
      assert.equal(405, status)
      assert.same({ detail = 'Method "GET" not allowed.' }, res)
    end)

    it("rejects missing, unknown, wrongly typed and invalid fields by name", function()
      local P = "/api/system/campaigns/"
      expect_field_error("name", api("POST", P, { services = "SMS", individual_number = { 9800000000 } }))
      local status, res = api("POST", P, { name = "x", services = "SMS", individual_number = { 9800000000 },
        colour = "red" })
      expect_field_error("colour", status, res)
      assert.equal("colour: Unknown field.", res.message)
      local one = { 9800000000 }
      expect_field_error("name", api("POST", P, { name = 5, services = "SMS", individual_number = one }))
      expect_field_error("services", api("POST", P, { name = "x", services = "FAX", individual_number = one }))
      expect_field_error("individual_number",
        api("POST", P, { name = "x", services = "SMS", individual_number = "9800000000" }))
      expect_field_error("individual_number",
        api("POST", P, { name = "x", services = "SMS", individual_number = { 12 } }))
      expect_field_error("send_to_number_file",
        api("POST", P, { name = "x", services = "SMS", send_to_number_file = "n.xlsx" }))
    end)

    it("malformed JSON and a wrong content type are 400 envelopes", function()
      local status, res = api("POST", "/api/system/campaigns/", '{"name": ',
        { ["Content-Type"] = "application/json" })
      assert.equal(400, status)
      assert.truthy(res.message:find("JSON parse error", 1, true))
      status, res = api("POST", "/api/system/campaigns/", "name=x", { ["Content-Type"] = "text/plain" })
      assert.equal(400, status)
      assert.truthy(res.message:find("Unsupported media type", 1, true))
    end)

    it("bodies over 1 MiB are refused with a 413 envelope", function()
      local big = cjson.encode { name = string.rep("x", 1024 * 1024 + 10), services = "SMS" }
      local status, res = api("POST", "/api/system/campaigns/", big, { ["Content-Type"] = "application/json" })
      assert.equal(413, status)
      assert.is_false(res.success)
    end)
  end)

  describe("numbers files", function()
    it("an .xlsx sets usable_tags and tags, Devanagari byte-exact", function()
      local xl = emu.xlsx { { "number", "tags_name", "tags_age" }, { "9843818700", "राम", 25 },
        { "984-381-8701", "सीता", 30 } }
      local status, res = upload { { name = "name", value = "bulk" }, { name = "services", value = "SMS" },
        { name = "send_to_number_file", filename = "numbers.xlsx", content = xl } }
      assert.equal(201, status)
      assert.same({ "tags_name", "tags_age" }, res.data.details[1].usable_tags)
      local nums = campaign_numbers(res.data.details[1].id)
      assert.equal(9843818701, nums[1].number)
      assert.same({ tags_name = "सीता", tags_age = 30 }, nums[1].available_tags)
      assert.same({ tags_name = "राम", tags_age = 25 }, nums[2].available_tags)
    end)

    it("reads a deflated .xlsx with inline strings and rich text", function()
      local f = assert(io.open("spec/fixtures/deflated.xlsx", "rb"))
      local xl = f:read("a")
      f:close()
      local status, res = upload { { name = "name", value = "d" }, { name = "services", value = "PHONE" },
        { name = "send_to_number_file", filename = "deflated.xlsx", content = xl } }
      assert.equal(201, status, res.message)
      local nums = campaign_numbers(res.data.details[1].id)
      assert.equal(9851022343, nums[1].number)
      assert.same({ tags_name = "Sita & Gita", tags_city = "Pokhara" }, nums[1].available_tags)
      assert.same({ tags_name = "राम", tags_city = "काठमाडौं" }, nums[2].available_tags)
    end)

    it("reads a .csv with quoted fields; the first column holds numbers when none is named so", function()
      local csv = 'phone,tags_name,tags_note\r\n9843818700,"राम","a, ""b"""\n 9851 022343 ,Sita,\n'
      local status, res = upload { { name = "name", value = "c" }, { name = "services", value = "SMS" },
        { name = "send_to_number_file", filename = "n.csv", content = csv, type = "text/csv" } }
      assert.equal(201, status, res.message)
      local nums = campaign_numbers(res.data.details[1].id)
      assert.equal(2, #nums)
      assert.same({ tags_name = "राम", tags_note = 'a, "b"' }, nums[2].available_tags)
      assert.equal(9851022343, nums[1].number)
    end)

    it("a bad row is a 400 naming the row; other file types are refused", function()
      local xl = emu.xlsx { { "number" }, { "9843818700" }, { "12ab" } }
      local status, res = upload { { name = "name", value = "b" }, { name = "services", value = "SMS" },
        { name = "send_to_number_file", filename = "n.xlsx", content = xl } }
      expect_field_error("send_to_number_file", status, res)
      assert.truthy(res.message:find("Row 3", 1, true), res.message)
      status, res = upload { { name = "name", value = "b" }, { name = "services", value = "SMS" },
        { name = "send_to_number_file", filename = "n.txt", content = "hello" } }
      expect_field_error("send_to_number_file", status, res)
    end)
  end)

  describe("campaign numbers", function()
    local cid
    before_each(function()
      local xl = emu.xlsx { { "number", "tags_name" }, { "9843818700", "Ram" } }
      local _, res = upload { { name = "name", value = "tagged" }, { name = "services", value = "PHONE" },
        { name = "send_to_number_file", filename = "n.xlsx", content = xl } }
      cid = res.data.details[1].id
    end)

    it("add answers 201 with the number; info, edit and delete use the docs' keys", function()
      local status, res = api("POST", "/api/system/campaigns/number/" .. cid .. "/",
        { number = 9832123432, available_tags = { tags_name = "नाम" } })
      assert.equal(201, status)
      local n = res.data.details
      assert.equal(9832123432, n.number)
      assert.equal("tagged", n.campaing)
      assert.same({ tags_name = "नाम" }, n.available_tags)
      status, res = api("GET", "/api/system/number/" .. n.id .. "/")
      assert.equal(200, status)
      assert.equal("9832123432 details retrieved successfully!!", res.data.messages)
      assert.equal(n.id, res.data["number-detail"].id)
      status, res = api("PUT", "/api/system/number/" .. n.id .. "/", { number = 9832123433 })
      assert.equal(200, status)
      assert.equal("Action details successfully updated.", res.message)
      assert.equal(9832123433, res.data.details.number)
      assert.same({ tags_name = "नाम" }, res.data.details.available_tags)
      status, res = api("DELETE", "/api/system/campaigns/number/" .. n.id .. "/delete/")
      assert.equal(200, status)
      assert.equal("9832123433 of campaign tagged deleted Successfully!!", res.data["campaign-details"])
      assert.equal(1, #campaign_numbers(cid))
    end)

    it("tags outside the campaign's usable_tags are a 400 naming the tag", function()
      local status, res = api("POST", "/api/system/campaigns/number/" .. cid .. "/",
        { number = 9832123432, available_tags = { tags_age = 5 } })
      expect_field_error("available_tags", status, res)
      assert.truthy(res.message:find("tags_age", 1, true))
      expect_field_error("number", api("POST", "/api/system/campaigns/number/" .. cid .. "/",
        { number = "nine" }))
      expect_field_error("number", api("POST", "/api/system/campaigns/number/" .. cid .. "/", {}))
    end)
  end)

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
        emu.reset()
        access = emu.login()
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

  describe("admin API", function()
    it("config answers the full config; reset restores the defaults", function()
      local cfg = emu.config { latency_ms = 5, page_size = 3 }
      assert.same({ access_ttl = 86400, refresh_ttl = 86400, latency_ms = 5, run_speed = 1, seed = 1,
        page_size = 3, credits = 10000 }, cfg)
      emu.reset()
      assert.equal(10, emu.config().page_size)
      local status = emu.http("POST", "/__emulator__/config", { colour = 1 })
      assert.equal(400, status)
    end)

    it("latency_ms delays API answers but not admin answers", function()
      emu.config { latency_ms = 300 }
      local t0 = socket.gettime()
      api("GET", "/api/accounts/user_details/")
      assert.is_true(socket.gettime() - t0 >= 0.3)
      t0 = socket.gettime()
      emu.state()
      assert.is_true(socket.gettime() - t0 < 0.25)
    end)

    it("the request log lists API requests with status and fault; DELETE clears it", function()
      emu.clear_requests()
      api("GET", "/api/accounts/user_details/?x=1")
      api("GET", "/api/system/campaigns/5/details")
      local log = emu.requests()
      assert.equal(2, #log)
      assert.equal("GET", log[1].method)
      assert.equal("/api/accounts/user_details/", log[1].path)
      assert.equal("x=1", log[1].query)
      assert.equal(200, log[1].status)
      assert.equal(404, log[2].status)
      assert.is_number(log[1].time)
      emu.clear_requests()
      assert.equal(0, #emu.requests())
    end)

    it("state shows campaigns with numbers, owned numbers, credits and otps", function()
      create { name = "x", services = "PHONE", individual_number = { 98675432123 } }
      local st = emu.state()
      assert.equal("x", st.campaigns[1].name)
      assert.equal(98675432123, st.campaigns[1].numbers[1].number)
      assert.equal(1, #st.owned_numbers)
      assert.same({ available = 10000, on_hold = 0, consumed = 0 }, st.credits)
      assert.same({}, st.otps)
    end)
  end)

  describe("faults", function()
    after_each(function() emu.clear_faults() end)
    local USER = "/api/accounts/user_details/"
    local OTP = "/api/system/send/otp/"
    local otp_body = { number = "9851023212", message = "{otp}", sms_send_options = "text" }

    it("status answers the JSON envelope with Retry-After, then stops after count", function()
      local rule = emu.fault { method = "GET", path = USER, kind = "status", status = 429, retry_after = 2, count = 1 }
      assert.is_number(rule.id)
      local status, res, h = api("GET", USER)
      assert.equal(429, status)
      assert.equal("2", h["retry-after"])
      assert.is_false(res.success)
      assert.equal(429, res.status)
      assert.equal(200, (api("GET", USER)))
      local log = emu.requests()
      assert.equal("status", log[#log - 1].fault)
      assert.equal(cjson.null, log[#log].fault)
    end)

    it("status with body html answers an HTML page; kind html answers nginx's 502 page", function()
      emu.fault { path = USER, kind = "status", status = 503, body = "html", count = 1 }
      local status, _, h, text = api("GET", USER)
      assert.equal(503, status)
      assert.equal("text/html", h["content-type"])
      assert.truthy(text:find("<title>503 Service Unavailable</title>", 1, true))
      emu.fault { path = "^/api/accounts/", kind = "html", count = 1 }
      status, _, _, text = api("GET", USER)
      assert.equal(502, status)
      assert.truthy(text:find("<center>nginx</center>", 1, true))
    end)

    it("drop before processing closes without an answer and changes nothing", function()
      emu.fault { method = "POST", path = OTP, kind = "drop", count = 1 }
      local status = emu.http("POST", OTP, otp_body, { Authorization = "Bearer " .. access })
      assert.is_nil(status)
      assert.equal(0, #emu.state().otps)
      assert.equal(200, (api("POST", OTP, otp_body)))
    end)

    it("drop after processing changes state yet sends nothing", function()
      emu.fault { method = "POST", path = OTP, kind = "drop", after = true, count = 1 }
      local raw = emu.raw("POST " .. OTP .. " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " .. access
        .. "\r\nContent-Type: application/json\r\nContent-Length: " .. #cjson.encode(otp_body) .. "\r\n\r\n"
        .. cjson.encode(otp_body))
      assert.equal("", raw)
      assert.equal(1, #emu.state().otps)
    end)

    it("truncate promises the whole body but sends half of it, then closes", function()
      emu.fault { path = USER, kind = "truncate", count = 1 }
      local raw = emu.raw("GET " .. USER .. " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " .. access .. "\r\n\r\n")
      local head, body = raw:match("^(.-\r\n)\r\n(.*)$")
      local length = tonumber(head:match("[Cc]ontent%-[Ll]ength: (%d+)"))
      assert.truthy(head:match("^HTTP/1.1 200"))
      assert.equal(math.floor(length / 2), #body)
    end)

    it("delay answers normally after delay_ms", function()
      emu.fault { path = USER, kind = "delay", delay_ms = 300, count = 1 }
      local t0 = socket.gettime()
      assert.equal(200, (api("GET", USER)))
      assert.is_true(socket.gettime() - t0 >= 0.3)
    end)

    it("rate applies to a seed-determined share of matching requests", function()
      local function pattern()
        emu.reset()
        access = emu.login()
        emu.fault { path = USER, kind = "status", status = 500, rate = 0.5 }
        local out = {}
        for i = 1, 40 do out[i] = (api("GET", USER)) == 500 and "x" or "." end
        return table.concat(out)
      end
      local a, b = pattern(), pattern()
      assert.equal(a, b)
      local hits = select(2, a:gsub("x", ""))
      assert.is_true(hits > 8 and hits < 32, a)
    end)

    it("faults are listed and cleared; method narrows the match; bad rules are 400", function()
      emu.fault { method = "POST", path = USER, kind = "status", status = 500 }
      assert.equal(200, (api("GET", USER)))
      assert.equal(1, #emu.faults())
      emu.clear_faults()
      assert.equal(0, #emu.faults())
      assert.equal(400, (emu.http("POST", "/__emulator__/faults", { kind = "explode" })))
      assert.equal(400, (emu.http("POST", "/__emulator__/faults", { kind = "status", rate = 2 })))
    end)
  end)

  describe("launcher", function()
    it("says so when the port is taken, and leaves no prefix behind", function()
      local server = assert(socket.bind("127.0.0.1", 0))
      local _, port = server:getsockname()
      local p = io.popen("bin/tingting-emulator start --port " .. port .. " 2>&1")
      local out = p:read("a")
      local ok = p:close()
      server:close()
      assert.is_falsy(ok)
      assert.truthy(out:find("port " .. port .. " is already in use", 1, true), out)
      local tmp = os.getenv("TMPDIR") or "/tmp"
      assert.is_nil(io.open(tmp .. "/tingting-emulator-" .. port .. "/conf/nginx.conf"))
    end)
  end)
end)
