-- c:add_numbers on v1 against the emulator: several contacts a POST (the
-- `contacts` form), and still each number exactly once under faults, proven
-- from the server's state.
local tingting = require "tingting"
local batch = require "tingting.batch"
local emu = require "spec.helpers.emulator"
local V = require "spec.helpers.emulator_v1"
local B = require "spec.helpers.batch"

local ADD = "^/api/v1/campaign/%d+/add%-contact/?$"

local server_numbers = emu.server_numbers

local make_numbers = B.make_numbers

local function adds()
  local n = 0
  for _, r in ipairs(emu.requests()) do
    if r.method == "POST" and r.path:match(ADD) then n = n + 1 end
  end
  return n
end

describe("v1 add_numbers", function()
  local s, c
  before_each(function() s, c = B.start_v1("batch") end)
  after_each(function() B.finish(s) end)

  it("sends the numbers in groups of contacts, each once, with their variables", function()
    local list = make_numbers(120)
    list[#list + 1] = { number = "9841000001", available_tags = { name = "सीता", age = 30 } }
    local report = assert(c:add_numbers(list, { concurrency = 2 }))
    assert.equal(121, report.added)
    assert.equal(0, #report.failed)
    assert.equal(121, #report.numbers)
    assert.equal(math.ceil(121 / batch.GROUP_SIZE), adds())
    local counts = server_numbers(c.id)
    for _, number in ipairs(make_numbers(120)) do assert.equal(1, counts[number], number) end
    local last = report.numbers[121]
    assert.equal("9841000001", last.number)
    assert.same({ name = "सीता", age = 30 }, last.available_tags)
    assert.is_true(math.type(last.id) == "integer")
  end)

  it("validates first, skips what the campaign holds, and refuses only the records at fault", function()
    local results = {}
    local report = assert(c:add_numbers({ "9843818700", "+977 984-111-2222", "9841112222", "12",
      { number = "9841113333", available_tags = { ["bad key"] = 1 } }, 9841114444 },
      { on_result = function(item, n, err) results[#results + 1] = { item, n ~= nil, err and err.kind } end }))
    assert.equal(2, report.added)
    assert.equal(2, report.skipped)
    assert.equal(2, #report.invalid)
    assert.matches("available_tags", report.invalid[2].reason)
    assert.equal(6, #results)
    local counts = server_numbers(c.id)
    assert.equal(1, counts["9841112222"])
    assert.equal(1, counts["9841114444"])
    assert.is_nil(counts["9841113333"])
  end)

  it("counts a number the server skips as skipped (skip_existing = false)", function()
    local report = assert(c:add_numbers({ "9843818700", "9841234567" }, { skip_existing = false }))
    assert.equal(1, report.added)
    assert.equal(1, report.skipped)
    assert.equal(1, server_numbers(c.id)["9843818700"])
  end)

  it("takes an iterator, keeping nothing unless asked", function()
    local list, i = make_numbers(60, 1000), 0
    local report = assert(c:add_numbers(function()
      i = i + 1
      return list[i]
    end))
    assert.equal(60, report.added)
    assert.is_nil(report.numbers)
  end)

  it("adds every valid number exactly once under faults of every kind", function()
    local list = make_numbers(400, 2000)
    B.every_fault(ADD, { cut = 0.08, after = 0.1, status = 0.05 })
    local report = assert(c:add_numbers(list, { concurrency = 4 }))
    emu.clear_faults()
    local counts = server_numbers(c.id)
    local failed = B.failed_numbers(report)
    for _, number in ipairs(list) do
      if failed[number] then
        assert.is_nil(counts[number], number .. " failed but is in the campaign")
      else
        assert.equal(1, counts[number], number)
      end
    end
    assert.equal(#list, report.added + #report.failed)
    assert.is_true(report.added >= #list * 0.9)
  end)

  it("adds a group once when its request timed out but the server still added it", function()
    local quick = assert(tingting.session { base_url = emu.url(), api_key = V.token, timeout = 1 })
    local qc = assert(quick:campaign(c.id))
    emu.fault { method = "POST", path = ADD, kind = "delay", delay_ms = 1500, count = 1 }
    local list = make_numbers(30, 3000)
    local report = assert(qc:add_numbers(list))
    emu.clear_faults()
    require("socket").sleep(1)
    assert.equal(30, report.added)
    local counts = server_numbers(c.id)
    for _, number in ipairs(list) do assert.equal(1, counts[number], number) end
    quick:close()
  end)

  describe("upload_numbers", function()
    local function tmp_count()
      local dir = os.getenv("TMPDIR") or "/tmp"
      local p = io.popen("ls " .. dir .. " | grep -c '^tingting-.*%.xlsx$'")
      local n = tonumber(p:read("a")) or 0
      p:close()
      return n
    end

    it("uploads a list of records as a temporary .xlsx, removed afterwards", function()
      local before = tmp_count()
      local res = assert(c:upload_numbers { "9801356897",
        { number = "9812345698", available_tags = { name = "Sita" } } })
      assert.equal(2, res.total_validated_rows)
      assert.equal(before, tmp_count())
      local counts = server_numbers(c.id)
      assert.equal(1, counts["9801356897"])
      local numbers = assert(c:numbers())
      assert.equal(3, #numbers)
      local r = emu.requests()
      assert.equal("PATCH", r[#r - 1].method)
      assert.matches("^/api/v1/campaign/create/%d+/detail/$", r[#r - 1].path)
    end)

    it("uploads an iterator", function()
      local i = 0
      local res = assert(c:upload_numbers(function()
        i = i + 1
        if i <= 25 then return tostring(9801000000 + i) end
      end))
      assert.equal(25, res.total_validated_rows)
    end)

    it("refuses a bad record before sending anything, leaving no file", function()
      local before = tmp_count()
      emu.clear_requests()
      local res, err = c:upload_numbers { "9801356897", "12" }
      assert.is_nil(res)
      assert.equal("validation", err.kind)
      assert.equal("bulk_file", err.field)
      assert.matches("item 2", err.message)
      assert.equal(before, tmp_count())
      assert.equal(0, #emu.requests())
    end)
  end)
end)
