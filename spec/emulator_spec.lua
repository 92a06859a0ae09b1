-- The emulator's endpoints: documented shapes and spellings and every error class for
-- accounts, phone numbers, campaigns, numbers files and campaign numbers. HTTP only.
-- Runs, reports and OTP: emulator_run_spec.lua; admin API and faults: emulator_admin_spec.lua.
local emu = require "spec.helpers.emulator"
local C = require "spec.helpers.emulator_client"
local cjson = require "cjson"

local api, create, campaign_numbers, upload = C.api, C.create, C.campaign_numbers, C.upload
local expect_field_error = C.expect_field_error

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

describe("emulator", function()
  before_each(C.fresh)

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
      local status, res = api("POST", "/api/accounts/token/refresh/", { refresh = C.refresh },
        { Authorization = false })
      assert.equal(200, status)
      assert.same({ "access" }, (function() local k = {} for n in pairs(res) do k[#k + 1] = n end return k end)())
      assert.equal(200, (api("GET", "/api/accounts/user_details/", nil,
        { Authorization = "Bearer " .. res.access })))
    end)

    it("refresh refuses an access token and garbage with token_not_valid", function()
      for _, t in ipairs({ C.access, "garbage" }) do
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
      local forged = C.access:sub(1, -3) .. (C.access:sub(-2) == "AA" and "BB" or "AA")
      local old = C.access
      emu.config { access_ttl = 0 }
      local expired = emu.login()
      emu.reset()
      for _, t in ipairs({ forged, C.refresh, expired, old }) do
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
      -- numbers JSON does not have: a leading zero, hex, NaN
      for _, bad in ipairs { "014412345", "0x24AB0D0D6A", "NaN" } do
        status, res = api("POST", "/api/system/campaigns/",
          '{"name": "x", "services": "SMS", "individual_number": [' .. bad .. ']}',
          { ["Content-Type"] = "application/json" })
        assert.equal(400, status, bad)
        assert.truthy(res.message:find("JSON parse error", 1, true), bad)
      end
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

end)
