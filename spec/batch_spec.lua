-- c:add_numbers against the emulator: validation first, dedupe, skip existing,
-- progress, and exactly-once under injected faults, proven from the server's state.
local tingting = require "tingting"
local emu = require "spec.helpers.emulator"
local B = require "spec.helpers.batch"

local ADD = "^/api/system/campaigns/number/%d+/?$"

local server_numbers = emu.server_numbers

local make_numbers = B.make_numbers

describe("add_numbers", function()
  local s, c
  before_each(function() s, c = B.start_legacy("batch") end)
  after_each(function() B.finish(s) end)

  it("validates, normalizes and dedupes before sending, and skips numbers already there", function()
    local seen = {}
    local report = assert(c:add_numbers({ "9843818700", "+977 984-111-2222", "9841112222", "12", "abc",
      { number = "9841113333", available_tags = { tags_x = "no such tag" } }, 9841114444 }, {
        on_progress = function(done, total) seen[#seen + 1] = { done, total } end }))
    assert.equal(2, report.added)
    assert.equal(2, report.skipped) -- one already in the campaign, one duplicate
    assert.equal(3, #report.invalid)
    assert.equal(0, #report.failed)
    assert.equal(2, #report.numbers)
    assert.same({ { 1, 2 }, { 2, 2 } }, seen)
    local counts = server_numbers(c.id)
    assert.equal(1, counts["9841112222"])
    assert.equal(1, counts["9841114444"])
    assert.equal(1, counts["9843818700"])
  end)

  it("adds records with tags within the campaign's usable tags", function()
    local path = os.tmpname() .. ".csv"
    local f = assert(io.open(path, "w"))
    f:write("number,tags_name\n9843818700,राम\n")
    f:close()
    local bulk = assert(s:create_campaign { name = "bulk", services = "SMS", send_to_number_file = path })
    os.remove(path)
    bulk = assert(bulk:reload())
    local report = assert(bulk:add_numbers { { number = "9841000001", available_tags = { tags_name = "सीता" } } })
    assert.equal(1, report.added)
    assert.equal("सीता", report.numbers[1].available_tags.tags_name)
  end)

  it("adds every valid number exactly once under 10% faults of every kind", function()
    local list = make_numbers(300)
    B.every_fault(ADD, { cut = 0.03, after = 0.03, status = 0.02 })
    local report = assert(c:add_numbers(list, { concurrency = 8 }))
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
    assert.is_true(report.added >= #list * 0.95)
  end)

  it("adds a number once when its request timed out but the server still added it", function()
    local quick = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test",
      timeout = 1 })
    local qc = assert(quick:campaign(c.id))
    -- answered after the client gave up: the number lands 0.5 s after the timeout
    emu.fault { method = "POST", path = ADD, kind = "delay", delay_ms = 1500, count = 3 }
    local list = make_numbers(10, 300)
    local report = assert(qc:add_numbers(list, { concurrency = 4 }))
    emu.clear_faults()
    require("socket").sleep(1) -- past the delayed requests, whatever they did
    assert.equal(10, report.added)
    assert.equal(0, #report.failed)
    local counts = server_numbers(c.id)
    for _, number in ipairs(list) do assert.equal(1, counts[number], number) end
    quick:close()
  end)

  it("reports a batch refused by the server as failed with the error", function()
    emu.fault { method = "POST", path = ADD, kind = "status", status = 400, count = 1 }
    local report = assert(c:add_numbers(make_numbers(3, 500), { concurrency = 1 }))
    assert.equal(2, report.added)
    assert.equal(1, #report.failed)
    assert.equal("api", report.failed[1].err.kind)
  end)

  it("propagates an error raised by on_progress and leaves the session usable", function()
    local ok, err = pcall(c.add_numbers, c, make_numbers(20, 700), {
      on_progress = function(done) if done == 3 then error("stop here") end end })
    assert.is_false(ok)
    assert.matches("stop here", err)
    assert(s:user())
  end)
end)
