-- The emulator's v1 face, continued: contacts (one, a list, bulk .csv/.xlsx files), the
-- contact list with carriers, attributes, number edit and delete, test speak, demo
-- call, runs (now or scheduled, with the Bikram Sambat date), reports and OTP.
local emu = require "spec.helpers.emulator"
local V = require "spec.helpers.emulator_v1"
local cjson = require "cjson"

package.path = emu.root .. "/emulator/lua/?.lua;" .. package.path
local bsdate = require "tingting_emu.bsdate"

local api, create, add, keys = V.api, V.create, V.add, V.keys
local null = cjson.null

local ITEM_KEYS = { "call_duration", "carrier", "credit_consumed", "credit_consumed_SMS", "id", "number",
  "playback", "status", "updated_at" }
local CONTACT_KEYS = { "campaing", "created_at", "credit_consumed", "credit_consumed_SMS", "deleted_at",
  "duration", "failover_sms_sent", "id", "number", "other_variables", "playback", "status", "updated_at",
  "uuid" }

local function upload(id, parts, opts)
  local body, ct = emu.multipart(parts)
  opts = opts or {}
  return api(opts.method or "PATCH", "campaign/create/" .. id .. "/detail/", body,
    { headers = { ["Content-Type"] = opts.content_type or ct } })
end

local function contacts_of(id, query)
  local status, res = api("GET", "campaign-detail/" .. id .. "/" .. (query or ""))
  assert.equal(200, status)
  return res
end

describe("emulator v1", function()
  before_each(V.fresh)

  describe("add contact", function()
    it("one contact (number as an int, other_variables) answers 201 {message}", function()
      local c = create { name = "c", services = "PHONE" }
      local status, res = api("POST", "campaign/" .. c.id .. "/add-contact/",
        { number = 9823561098, other_variables = { age = 23, name = "Rajesh", salary = 50000 } })
      assert.equal(201, status)
      assert.same({ message = "New Contact added" }, res)
      local item = contacts_of(c.id).results[1]
      assert.equal("9823561098", item.number)
      local _, vars = api("GET", "campaign/" .. item.id .. "/attributes/")
      assert.same({ age = 23, name = "Rajesh", salary = 50000 }, vars)
    end)

    it("one contact refuses a bad number, bad variables and a number already in the campaign", function()
      local c = create { name = "c", services = "PHONE" }
      local P = "campaign/" .. c.id .. "/add-contact/"
      local status, res = api("POST", P, { number = "98-abc" })
      assert.equal(400, status)
      assert.same({ "number" }, keys(res))
      assert.equal(400, (api("POST", P, {})))
      assert.equal(400, (api("POST", P, { number = "9841234567", other_variables = { 1, 2 } })))
      assert.equal(201, (api("POST", P, { number = "9841234567" })))
      status, res = api("POST", P, { number = "+977 984-1234567" })
      assert.equal(400, status)
      assert.same({ "number" }, keys(res))
      assert.equal(404, (api("POST", "campaign/999/add-contact/", { number = "9841234567" })))
    end)

    it("a contacts list answers created, skipped, errors and the created contacts with their ids", function()
      local c = create { name = "c", services = "PHONE" }
      add(c.id, { { number = "9841234567" } })
      local res = add(c.id, {
        { number = "9841234568", other_variables = {} },
        { number = "9841234569", other_variables = { name = "Jane", age = "22" } },
        { number = "9841234567" },          -- already in the campaign
        { number = "9841234569" },          -- twice in this request
        { number = "12ab" },
        { other_variables = { name = "no number" } },
      })
      assert.equal(2, res.created)
      assert.equal(2, res.skipped)
      assert.equal(2, #res.contacts)
      assert.same(CONTACT_KEYS, keys(res.contacts[1]))
      local jane = res.contacts[2]
      assert.equal("9841234569", jane.number)
      assert.same({ name = "Jane", age = "22" }, jane.other_variables)
      assert.equal(c.id, jane.campaing)
      assert.equal("not started", jane.status)
      assert.equal(null, jane.deleted_at)
      assert.equal("", jane.duration)
      assert.is_false(jane.failover_sms_sent)
      assert.truthy(jane.uuid:match("^%x+%-%x+%-4%x+%-%x+%-%x+$"))
      assert.truthy(jane.updated_at:match("^%u%l+%.? %d%d, %d%d%d%d, %d%d:%d%d [AP]M$"), jane.updated_at)
      assert.truthy(jane.created_at:match("%+05:45$"))
      assert.equal(2, #res.errors)
      assert.same({ 4, 5 }, { res.errors[1].index, res.errors[2].index })
      assert.same({ "number" }, keys(res.errors[1].errors))
      local ids = {}
      for _, item in ipairs(contacts_of(c.id).results) do ids[item.number] = item.id end
      assert.equal(jane.id, ids["9841234569"])
      assert.equal(res.contacts[1].id, ids["9841234568"])
    end)

    it("a contacts list with nothing new answers 200 and errors null", function()
      local c = create { name = "c", services = "PHONE" }
      add(c.id, { { number = "9841234567" } })
      local status, res = api("POST", "campaign/" .. c.id .. "/add-contact/",
        { contacts = { { number = 9841234567 } } })
      assert.equal(200, status)
      assert.same({ created = 0, skipped = 1, contacts = {}, errors = null }, res)
      assert.equal(400, (api("POST", "campaign/" .. c.id .. "/add-contact/", { contacts = {} })))
    end)
  end)

  describe("bulk contacts", function()
    local CSV = "numbers,name,age\r\n9801356897,अद्वैत,20\r\n9812345698,\"Ram, Jr\",21\r\n"
      .. "9745610235,शिखर,21\r\n9861111111,extra,30\r\nnot-a-number,x,1\r\n9801356897,dup,2\r\n"

    it("a .csv bulk_file creates contacts and answers error_list, samples and total_validated_rows", function()
      local c = create { name = "c", services = "PHONE" }
      local status, res = upload(c.id,
        { { name = "bulk_file", filename = "contacts.csv", type = "text/csv", content = CSV } })
      assert.equal(200, status)
      assert.same({ "error_list", "samples", "total_validated_rows" }, keys(res))
      assert.equal(4, res.total_validated_rows)
      assert.same({
        { column = "numbers", sample = { "9801356897", "9812345698", "9745610235" } },
        { column = "name", sample = { "अद्वैत", "Ram, Jr", "शिखर" } },
        { column = "age", sample = { "20", "21", "21" } },
      }, res.samples)
      assert.equal(2, #res.error_list)
      assert.equal(6, res.error_list[1].row)
      assert.equal("not-a-number", res.error_list[1].number)
      assert.truthy(res.error_list[2].error:find("Duplicate", 1, true))
      local list = contacts_of(c.id)
      assert.equal(4, list.count)
      local _, vars = api("GET", "campaign/" .. list.results[2].id .. "/attributes/")
      assert.same({ name = "Ram, Jr", age = "21" }, vars)
      local _, details = api("GET", "campaign/" .. c.id .. "/")
      assert.truthy(details.bulk_file:match("/media/campaign/%d+/bulk/contacts%.csv$"), details.bulk_file)
    end)

    it("an .xlsx bulk_file keeps numeric cells as numbers (zip-built file)", function()
      local c = create { name = "c", services = "PHONE" }
      local xlsx = emu.xlsx({ { "numbers", "name", "age", "salary" },
        { 9801356897, "अद्वैत", 20, "एक लाख" }, { 9812345698, "आशिष", 21, "दुइ लाख" },
        { 9745610235, "शिखर", 21, "तिन लाख" } })
      local status, res = upload(c.id, { { name = "bulk_file", filename = "numbers.xlsx", content = xlsx,
        type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" } })
      assert.equal(200, status)
      assert.same({
        { column = "numbers", sample = { "9801356897", "9812345698", "9745610235" } },
        { column = "name", sample = { "अद्वैत", "आशिष", "शिखर" } },
        { column = "age", sample = { 20, 21, 21 } },
        { column = "salary", sample = { "एक लाख", "दुइ लाख", "तिन लाख" } },
      }, res.samples)
      assert.same({}, res.error_list)
      assert.equal(3, res.total_validated_rows)
    end)

    it("an .xlsx made by the zip tool (deflated entries) is read too", function()
      local c = create { name = "c", services = "PHONE" }
      local dir = os.tmpname()
      os.remove(dir)
      assert(os.execute("mkdir -p " .. dir))
      for _, e in ipairs(emu.xlsx_parts({ { "number", "city" }, { "9851023212", "Lalitpur" } })) do
        local path = dir .. "/" .. e[1]
        os.execute("mkdir -p '" .. path:match("^(.*)/") .. "'")
        local f = assert(io.open(path, "wb"))
        f:write(e[2])
        f:close()
      end
      assert(os.execute("cd " .. dir .. " && zip -q -X -9 -r book.xlsx '[Content_Types].xml' _rels xl"))
      local f = assert(io.open(dir .. "/book.xlsx", "rb"))
      local bytes = f:read("a")
      f:close()
      os.execute("rm -rf " .. dir)
      local status, res = upload(c.id, { { name = "bulk_file", filename = "book.xlsx", content = bytes } })
      assert.equal(200, status)
      assert.equal(1, res.total_validated_rows)
      assert.same({ column = "city", sample = { "Lalitpur" } }, res.samples[2])
    end)

    it("takes POST and PUT as well as PATCH, and PHP's multipart labelled application/json", function()
      local c = create { name = "c", services = "PHONE" }
      local function file(n)
        return { { name = "bulk_file", filename = "a.csv", content = "numbers\n" .. n .. "\n" } }
      end
      assert.equal(200, (upload(c.id, file("9841000001"), { method = "POST" })))
      assert.equal(200, (upload(c.id, file("9841000002"), { method = "PUT" })))
      local status, res = upload(c.id, file("9841000003"), { method = "POST", content_type = "application/json" })
      assert.equal(200, status)
      assert.equal(1, res.total_validated_rows)
      assert.equal(3, contacts_of(c.id).count)
    end)

    it("refuses a missing file, a non-file field, an empty or unreadable file (400 bulk_file)", function()
      local c = create { name = "c", services = "PHONE" }
      local cases = {
        { { name = "other", value = "x" } },
        { { name = "bulk_file", value = "numbers.xlsx" } },
        { { name = "bulk_file", filename = "a.csv", content = "" } },
        { { name = "bulk_file", filename = "a.xlsx", content = "PK\3\4 broken" } },
        { { name = "bulk_file", filename = "a.pdf", content = "%PDF", type = "application/pdf" } },
      }
      for i, parts in ipairs(cases) do
        local status, res = upload(c.id, parts)
        assert.equal(400, status, "case " .. i)
        assert.same({ "bulk_file" }, keys(res), "case " .. i)
      end
      assert.equal(404, (upload(999, cases[3])))
    end)
  end)

  describe("contact list", function()
    it("items have #18's shape; carrier per contact and carrier_summary follow the prefix table", function()
      local c = create { name = "c", services = "PHONE" }
      add(c.id, { { number = "9841234567" }, { number = "9851234567" }, { number = "9861234567" },
        { number = "9741234567" }, { number = "9761234567" }, { number = "9801234567" },
        { number = "9811234567" }, { number = "9821234567" }, { number = "9701234567" },
        { number = "9611234567" }, { number = "9721234567" }, { number = "014412345" } })
      local res = contacts_of(c.id, "?limit=10")
      assert.same({ "carrier_summary", "count", "next", "previous", "results", "total_credits_consumed",
        "total_pages" }, keys(res))
      assert.same(ITEM_KEYS, keys(res.results[1]))
      local first = res.results[1]
      assert.same({ number = "9841234567", status = "not started", call_duration = "0s", playback = "",
        credit_consumed = 0, credit_consumed_SMS = 0, carrier = "NTC" },
        { number = first.number, status = first.status, call_duration = first.call_duration,
          playback = first.playback, credit_consumed = first.credit_consumed,
          credit_consumed_SMS = first.credit_consumed_SMS, carrier = first.carrier })
      assert.equal("Ncell", res.results[6].carrier)
      assert.same({ NTC = 5, Ncell = 4, Smart = 1, UTL = 1, other = 1 }, res.carrier_summary)
      assert.equal(0, res.total_credits_consumed)
      assert.equal(12, res.count)
      assert.equal(2, res.total_pages)
      assert.truthy(res.next:match("/api/v1/campaign%-detail/%d+/%?limit=10&offset=10$"), res.next)
      res = contacts_of(c.id, "?limit=10&offset=10")
      assert.equal(2, #res.results)
      assert.equal("other", res.results[2].carrier)
      assert.truthy(res.previous:match("%?limit=10$"))
      assert.equal(400, (api("GET", "campaign-detail/" .. c.id .. "/?limit=50")))
      assert.equal(404, (api("GET", "campaign-detail/999/")))
    end)

    it("filters by contact status and number search", function()
      local c = create { name = "c", services = "PHONE" }
      add(c.id, { { number = "9841234567" }, { number = "9851234567" } })
      assert.equal(1, contacts_of(c.id, "?search=985").count)
      assert.equal(2, contacts_of(c.id, "?status=not%20started").count)
      assert.equal(0, contacts_of(c.id, "?status=completed").count)
    end)
  end)

  describe("one contact", function()
    local c, id
    before_each(function()
      c = create { name = "c", services = "PHONE", message = "Hello {name}, {tags_age}" }
      id = add(c.id, { { number = "9841234567", other_variables = { name = "राहुल", age = 22 } } }).contacts[1].id
    end)

    it("attributes answer the variables; PATCH merges, a null removes a key", function()
      local status, res = api("GET", "campaign/" .. id .. "/attributes/")
      assert.equal(200, status)
      assert.same({ name = "राहुल", age = 22 }, res)
      status, res = api("PATCH", "campaign/" .. id .. "/attributes/", { age = "23", salary = "200000", name = null })
      assert.equal(200, status)
      assert.same({ age = "23", salary = "200000" }, res)
      assert.same(res, select(2, api("GET", "campaign/" .. id .. "/attributes/")))
      assert.equal(400, (api("PATCH", "campaign/" .. id .. "/attributes/", { nested = { 1 } })))
      assert.equal(404, (api("GET", "campaign/999/attributes/")))
    end)

    it("edit number answers a #18 item with the new carrier; bad numbers are a 400", function()
      local status, res = api("PATCH", "phone-number/update/" .. id .. "/", { number = 9808684325 })
      assert.equal(200, status)
      assert.same(ITEM_KEYS, keys(res))
      assert.equal("9808684325", res.number)
      assert.equal("Ncell", res.carrier)
      status, res = api("PATCH", "phone-number/update/" .. id .. "/", { number = "x" })
      assert.equal(400, status)
      assert.same({ "number" }, keys(res))
      assert.equal(404, (api("PATCH", "phone-number/update/999/", { number = "9808684325" })))
    end)

    it("delete answers {message}; the contact is gone", function()
      local status, res = api("DELETE", "phone-number/delete/" .. id .. "/")
      assert.equal(200, status)
      assert.same({ message = "Successfully Deleted." }, res)
      assert.equal(0, contacts_of(c.id).count)
      assert.equal(404, (api("DELETE", "phone-number/delete/" .. id .. "/")))
    end)

    it("demo call charges a call and renders {name} and {tags_age} from the variables", function()
      local status, res = api("POST", "demo-call/" .. id .. "/")
      assert.equal(200, status)
      assert.equal("Hello राहुल, 22", res.rendered_message)
      assert.equal(2, res.credits_used)
      assert.equal(9998, emu.state().credits.available)
      assert.equal(404, (api("POST", "demo-call/999/")))
      local bare = create { name = "no message", services = "PHONE" }
      local other = add(bare.id, { { number = "9851234567" } }).contacts[1].id
      assert.equal(400, (api("POST", "demo-call/" .. other .. "/")))
    end)

    it("test speak answers a JSON string: an MP3 URL; voice_input by id or name", function()
      local status, res, _, text = api("POST", "test-speak/riri/" .. c.id .. "/", { voice_input = 5, message = "yo" })
      assert.equal(200, status)
      assert.equal('"', text:sub(1, 1))
      assert.truthy(res:match("^http://127%.0%.0%.1:%d+/media/test_voice/%d+%.mp3$"), res)
      local st, body, h = emu.http("GET", res:match("^http://[^/]+(/.*)$"))
      assert.equal(200, st)
      assert.equal("audio/mpeg", h["content-type"])
      assert.equal("ID3", body:sub(1, 3))
      assert.equal(200, (api("POST", "test-speak/riri/" .. c.id .. "/", "message=hi&voice_input=np_rija",
        { headers = { ["Content-Type"] = "application/x-www-form-urlencoded" } })))
      assert.equal(400, (api("POST", "test-speak/riri/" .. c.id .. "/", { message = "x", voice_input = "np_x" })))
      assert.equal(400, (api("POST", "test-speak/riri/" .. c.id .. "/", {})))
      assert.equal(404, (api("POST", "test-speak/riri/999/", { message = "x" })))
    end)
  end)

  describe("run campaign", function()
    it("without a schedule begins now; contacts end in terminal statuses, credits settle", function()
      emu.config { run_speed = 0 }
      local c = create { name = "c", services = "SMS & PHONE", message = "m", sms_message = "s" }
      add(c.id, { { number = "9841234567" }, { number = "9801234567" } })
      local status, res = api("POST", "run-campaign/" .. c.id .. "/")
      assert.equal(200, status)
      assert.same({ message = "Campaign Began Successfully!!" }, res)
      local _, details = api("GET", "campaign/" .. c.id .. "/")
      assert.equal("Completed", details.status)
      assert.equal(100, details.progress_percent)
      local list = contacts_of(c.id)
      local terminal = { completed = true, hungup = true, unanswered = true, failed = true, terminated = true }
      local sum = 0
      for _, item in ipairs(list.results) do
        assert.truthy(terminal[item.status], item.status)
        assert.truthy(item.call_duration:match("^%d+s$"))
        sum = sum + item.credit_consumed + item.credit_consumed_SMS
      end
      assert.equal(sum, list.total_credits_consumed)
      assert.same({ available = 10000 - sum, on_hold = 0, consumed = sum }, emu.state().credits)
      local _, completed = api("GET", "campaign/?status=Completed")
      assert.equal(1, completed.count)
    end)

    it("while running the campaign is Running and a second run is refused", function()
      emu.config { run_speed = 30 }
      local c = create { name = "c", services = "PHONE", message = "m" }
      add(c.id, { { number = "9841234567" } })
      assert.equal(200, (api("POST", "run-campaign/" .. c.id .. "/")))
      local _, details = api("GET", "campaign/" .. c.id .. "/")
      assert.equal("Running", details.status)
      local status, res = api("POST", "run-campaign/" .. c.id .. "/")
      assert.equal(400, status)
      assert.is_string(res.detail)
      assert.equal(2, emu.state().credits.on_hold)
    end)

    it("with a future schedule answers the schedule as a Bikram Sambat date and Nepal time", function()
      local c = create { name = "c", services = "PHONE", message = "m", schedule = "2030-01-01T14:46:00" }
      add(c.id, { { number = "9841234567" } })
      local status, res = api("POST", "run-campaign/" .. c.id .. "/")
      assert.equal(200, status)
      local y, m, d = bsdate.from_ad(2030, 1, 1)
      assert.equal(string.format("Campaign Scheduled successfully for %04d-%02d-%02d at 14:46:00", y, m, d),
        res.message)
      assert.equal("Campaign Scheduled successfully for 2086-09-17 at 14:46:00", res.message)
      local _, details = api("GET", "campaign/" .. c.id .. "/")
      assert.equal("Scheduled", details.status)
      assert.equal("not started", contacts_of(c.id).results[1].status)
      local _, scheduled = api("GET", "campaign/?status=Scheduled")
      assert.equal(1, scheduled.count)
    end)

    it("refuses a campaign without contacts, without its texts, over its credit_limit or credits", function()
      local c = create { name = "c", services = "PHONE" }
      local P = "run-campaign/" .. c.id .. "/"
      local status, res = api("POST", P)
      assert.equal(400, status)
      assert.is_string(res.detail)
      add(c.id, { { number = "9841234567" }, { number = "9851234567" } })
      status, res = api("POST", P)
      assert.equal(400, status)
      assert.same({ "message" }, keys(res))
      api("PATCH", "campaign/" .. c.id .. "/", { message = "m", credit_limit = 3 })
      status, res = api("POST", P)
      assert.equal(400, status)
      assert.truthy(res.detail:find("credit_limit", 1, true))
      api("PATCH", "campaign/" .. c.id .. "/", { credit_limit = null })
      emu.config { credits = 3 }
      status, res = api("POST", P)
      assert.equal(400, status)
      assert.truthy(res.detail:find("Insufficient credits", 1, true))
      local sms = create { name = "s", services = "SMS", sms_message = "x" }
      add(sms.id, { { number = "9841234567" } })
      api("PATCH", "campaign/" .. sms.id .. "/", { sms_message = "" })
      status, res = api("POST", "run-campaign/" .. sms.id .. "/")
      assert.equal(400, status)
      assert.same({ "sms_message" }, keys(res))
      assert.equal(404, (api("POST", "run-campaign/999/")))
    end)

    it("a PHONE campaign's failover_target sends the fallback SMS for those outcomes", function()
      emu.config { run_speed = 0 }
      local c = create { name = "c", services = "PHONE", message = "m",
        failover_target = { "completed", "hungup", "unanswered", "failed", "terminated" } }
      local numbers = {}
      for i = 1, 10 do numbers[i] = { number = string.format("98412345%02d", i) } end
      add(c.id, numbers)
      api("POST", "run-campaign/" .. c.id .. "/")
      local sent = 0
      for _, item in ipairs(contacts_of(c.id).results) do sent = sent + item.credit_consumed_SMS end
      assert.is_true(sent > 0)
    end)
  end)

  describe("Bikram Sambat dates", function()
    it("converts known dates: the reference's 2025-07-09 = 2082-03-25 BS, new years, the epoch", function()
      local known = {
        { { 1943, 4, 14 }, { 2000, 1, 1 } }, { { 2017, 3, 28 }, { 2073, 12, 15 } },
        { { 2023, 4, 14 }, { 2080, 1, 1 } }, { { 2024, 4, 13 }, { 2081, 1, 1 } },
        { { 2025, 4, 14 }, { 2082, 1, 1 } }, { { 2025, 7, 9 }, { 2082, 3, 25 } },
        { { 2026, 4, 14 }, { 2083, 1, 1 } }, { { 2043, 4, 13 }, { 2099, 12, 30 } },
      }
      for _, k in ipairs(known) do
        assert.same(k[2], { bsdate.from_ad(k[1][1], k[1][2], k[1][3]) })
        assert.same(k[1], { bsdate.to_ad(k[2][1], k[2][2], k[2][3]) })
      end
      assert.is_nil(bsdate.from_ad(1943, 4, 13))
      assert.is_nil(bsdate.from_ad(2043, 4, 14))
    end)

    it("round-trips every day of the table and words an epoch time in Nepal time", function()
      for day = bsdate.days_from_civil(1943, 4, 14), bsdate.days_from_civil(2043, 4, 13), 7 do
        local y, m, d = bsdate.civil_from_days(day)
        assert.same({ y, m, d }, { bsdate.to_ad(bsdate.from_ad(y, m, d)) })
      end
      -- 2025-07-09 09:01 UTC is 14:46 in Nepal.
      local t = bsdate.days_from_civil(2025, 7, 9) * 86400 + 9 * 3600 + 60
      assert.same({ "2082-03-25", "14:46:00" }, { bsdate.format_epoch(t) })
    end)
  end)

  describe("reports", function()
    it("the campaign report is text/csv: #18's fields then one column per variable", function()
      local c = create { name = "c", services = "PHONE" }
      add(c.id, { { number = "9841234567", other_variables = { name = "Ram, Jr" } }, { number = "9801234567" } })
      for _, method in ipairs({ "GET", "POST" }) do
        local status, _, h, text = api(method, "download/report/" .. c.id .. "/")
        assert.equal(200, status)
        assert.equal("text/csv; charset=utf-8", h["content-type"])
        assert.truthy(h["content-disposition"]:find("attachment", 1, true))
        local lines = {}
        for line in text:gmatch("([^\r\n]+)") do lines[#lines + 1] = line end
        assert.equal("id,number,status,updated_at,call_duration,playback,credit_consumed,credit_consumed_SMS,"
          .. "carrier,name", lines[1])
        assert.truthy(lines[2]:match('^%d+,9841234567,not started,[^,]+,0s,,0,0,NTC,"Ram, Jr"$'), lines[2])
        assert.truthy(lines[3]:match(",Ncell,$"), lines[3])
      end
      assert.equal(404, (api("GET", "download/report/999/")))
    end)

    it("the survey report is CSV by default and JSON with format=json", function()
      local c = create { name = "s", services = "SURVEY" }
      add(c.id, { { number = "9841234567" } })
      local status, _, h, text = api("GET", "download/survey/" .. c.id .. "/report/")
      assert.equal(200, status)
      assert.equal("text/csv; charset=utf-8", h["content-type"])
      assert.truthy(text:match("^contact_id,number,status"))
      local res
      status, res, h = api("GET", "download/survey/" .. c.id .. "/report/?format=json")
      assert.equal(200, status)
      assert.equal("application/json", h["content-type"])
      assert.equal(c.id, res.survey_id)
      assert.equal(1, res.count)
      assert.equal("9841234567", res.results[1].number)
      assert.equal(404, (api("GET", "download/survey/999/report/")))
    end)
  end)

  describe("OTP", function()
    local TEXT = { number = "9851023212", message = "Hi your OTP is {otp}", sms_send_options = "text",
      otp_options = "personnel", otp = "12345", company_name = "prixa" }

    local function with(t)
      local b = {}
      for k, v in pairs(TEXT) do b[k] = v end
      for k, v in pairs(t) do b[k] = v end
      return b
    end

    it("send OTP by text answers the envelope with details, credits and company_name", function()
      local status, res = api("POST", "auths/send/otp/", TEXT)
      assert.equal(200, status)
      assert.same({ "data", "errors", "message", "status", "success" }, keys(res))
      assert.equal("OTP Sent Successfully.", res.message)
      assert.same({ number = "9851023212", otp_options = "personnel", message = "Hi your OTP is 1 2 3 4 5",
        otp = "12345", sms_send_options = "text", credits_used = 1, remaining_sms_credits = 9999,
        remaining_phone_credits = 9999, company_name = "prixa" }, res.data.details)
    end)

    it("send OTP by voice needs voice_input (a name or an id) and answers it with length_factor 1.0", function()
      local status, res, _, text = api("POST", "auths/send/otp/",
        with { sms_send_options = "voice", voice_input = "np_rija" })
      assert.equal(200, status)
      assert.equal("OTP Call Initiated Successfully.", res.message)
      assert.equal("np_rija", res.data.details.voice_input)
      assert.equal(2, res.data.details.credits_used)
      assert.truthy(text:find('"length_factor":1.0', 1, true))
      _, res = api("POST", "auths/send/otp/", with { sms_send_options = "voice", voice_input = 5 })
      assert.equal("np_shreegya", res.data.details.voice_input)
      status, res = api("POST", "auths/send/otp/", with { sms_send_options = "voice" })
      assert.equal(400, status)
      assert.is_false(res.success)
      assert.is_table(res.errors.voice_input)
    end)

    it("refuses like the legacy send_otp, in the envelope; company_name is required", function()
      local cases = {
        { with { company_name = cjson.null }, "company_name" },
        { with { otp = cjson.null }, "otp" },
        { with { message = "no code" }, "message" },
        { with { sms_send_options = "pigeon" }, "sms_send_options" },
        { with { otp_options = "generated", otp_length = 11, otp = cjson.null }, "otp_length" },
        { with { number = "12" }, "number" },
      }
      for _, case in ipairs(cases) do
        local status, res = api("POST", "auths/send/otp/", case[1])
        assert.equal(400, status, case[2])
        assert.is_false(res.success)
        assert.is_table(res.errors[case[2]], case[2])
        assert.truthy(res.message:find(case[2] .. ": ", 1, true))
      end
      emu.config { credits = 0 }
      local status, res = api("POST", "auths/send/otp/", TEXT)
      assert.equal(400, status)
      assert.truthy(res.message:find("Insufficient credits", 1, true))
    end)

    it("a generated OTP has otp_length digits", function()
      local status, res = api("POST", "auths/send/otp/",
        with { otp_options = "generated", otp = cjson.null, otp_length = 6 })
      assert.equal(200, status)
      assert.truthy(res.data.details.otp:match("^%d%d%d%d%d%d$"))
    end)

    it("the sent-OTP list is paginated with results as an object {status, success, errors, data}", function()
      for i = 1, 3 do api("POST", "auths/send/otp/", with { otp = "1234" .. i }) end
      local access = emu.login()
      emu.http("POST", "/api/system/send/otp/", { number = "9841234567", message = "{otp}",
        sms_send_options = "text", otp_options = "personnel", otp = "999" }, { Authorization = "Bearer " .. access })
      local status, res = api("GET", "auths/list/send-otps/?limit=2")
      assert.equal(200, status)
      assert.same({ "count", "next", "previous", "results", "total_pages" }, keys(res))
      assert.equal(4, res.count)
      assert.equal(2, res.total_pages)
      assert.truthy(res.next:match("limit=2&offset=2$"))
      assert.same({ "data", "errors", "status", "success" }, keys(res.results))
      assert.equal(200, res.results.status)
      assert.is_true(res.results.success)
      assert.same({}, res.results.errors)
      local first = res.results.data[1]
      assert.same({ "created_at", "id", "message", "otp", "otp_options", "phone_number", "sms_send_options" },
        keys(first))
      assert.equal("999", first.otp)
      assert.equal("9841234567", first.phone_number)
      assert.equal("12343", res.results.data[2].otp)
      status, res = api("GET", "auths/list/send-otps/?limit=2&offset=2")
      assert.equal(200, status)
      assert.equal("12341", res.results.data[2].otp)
      assert.equal(null, res.next)
    end)
  end)
end)
