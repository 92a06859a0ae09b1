-- c:add_numbers on a stream: an iterator source (numbers.each_csv or any
-- function), a bounded window of requests, keep = false with on_result, and
-- exactly once under faults, proven from the emulator's state.
local tingting = require "tingting"
local core = require "tingting.core"
local numbers = require "tingting.numbers"
local emu = require "spec.helpers.emulator"
local B = require "spec.helpers.batch"

local ADD = "^/api/system/campaigns/number/%d+/?$"

local server_numbers = emu.server_numbers

local function counter(n, start)
  local i = 0
  return function()
    i = i + 1
    if i > n then return nil end
    return tostring(9810000000 + (start or 0) + i)
  end
end

describe("add_numbers on a stream", function()
  local s, c
  before_each(function() s, c = B.start_legacy("stream") end)
  after_each(function() B.finish(s) end)

  it("reads a CSV with each_csv, keeps no Number list by default, and tells every outcome", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "wb"))
    f:write("number\n")
    for i = 1, 200 do f:write(9810000000 + i, "\n") end
    f:write("9843818700\n12\n9810000001\n")
    f:close()
    local outcomes = { added = 0, skipped = 0, invalid = 0 }
    local report = assert(c:add_numbers(assert(numbers.each_csv(path)), { concurrency = 8,
      on_result = function(item, n, err)
        assert.is_table(item)
        if n then
          outcomes.added = outcomes.added + 1
          assert.equal(item.number, n.number)
        elseif err then
          outcomes.invalid = outcomes.invalid + 1
          assert.equal("validation", err.kind)
          assert.equal(203, item.line)
        else
          outcomes.skipped = outcomes.skipped + 1
        end
      end }))
    os.remove(path)
    assert.equal(200, report.added)
    assert.equal(2, report.skipped) -- one already there, one repeated
    assert.equal(1, #report.invalid)
    assert.is_nil(report.numbers)
    assert.same({ added = 200, skipped = 2, invalid = 1 }, outcomes)
    local counts = server_numbers(c.id)
    for i = 1, 200 do assert.equal(1, counts[tostring(9810000000 + i)]) end
  end)

  it("keeps the Numbers when asked, and calls on_progress without a total", function()
    local totals = {}
    local report = assert(c:add_numbers(counter(20), { keep = true,
      on_progress = function(done, total) totals[#totals + 1] = total == nil and done end }))
    assert.equal(20, #report.numbers)
    assert.equal(20, #totals)
    assert.is_true(totals[20] == 20)
  end)

  it("has at most eight times the concurrency of requests built at once, reading the source as it goes", function()
    local base = core.curl { timeout = 5 }
    local read, done, most, ahead = 0, 0, 0, 0
    local t = {
      request = function(_, req) return base:request(req) end,
      sleep = function(_, sec) return base:sleep(sec) end,
      many = function(_, reqs, concurrency, on_done)
        most = math.max(most, #reqs)
        ahead = math.max(ahead, read - done) -- items taken from the source, not yet answered
        return base:many(reqs, concurrency, function(...)
          done = done + 1
          return on_done(...)
        end)
      end,
    }
    local ts = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test",
      transport = t })
    local tc = assert(ts:campaign(c.id))
    local n = counter(500)
    local report = assert(tc:add_numbers(function() read = read + 1 return n() end, { concurrency = 4 }))
    assert.equal(500, report.added)
    assert.is_true(most <= 32, "a window of " .. most)
    assert.is_true(most >= 16)
    assert.is_true(ahead <= 32, ahead .. " items read ahead of their answers")
    ts:close()
    base:close()
  end)

  it("adds every number of a stream exactly once under faults of every kind", function()
    B.every_fault(ADD, { cut = 0.03, after = 0.03, status = 0.02 })
    local failed = {}
    local report = assert(c:add_numbers(counter(300, 1000), { concurrency = 8,
      on_result = function(item, _, err) if err then failed[item] = true end end }))
    emu.clear_faults()
    local counts = server_numbers(c.id)
    for i = 1, 300 do
      local number = tostring(9810001000 + i)
      if failed[number] then
        assert.is_nil(counts[number], number .. " failed but is in the campaign")
      else
        assert.equal(1, counts[number], number)
      end
    end
    assert.equal(300, report.added + #report.failed)
    assert.is_true(report.added >= 285)
  end)

  it("stops at a source's error, reporting it with everything read before it done", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "wb"))
    f:write("number\n9810000001\n9810000002\n9810000003,d\n9810000004\n")
    f:close()
    local report = assert(c:add_numbers(assert(numbers.each_csv(path))))
    os.remove(path)
    assert.equal(2, report.added)
    assert.equal("validation", report.error.kind)
    assert.equal(4, report.error.line)
    assert.is_nil(server_numbers(c.id)["9810000004"])
  end)

  it("refuses unknown options, a concurrency past 64 and a source of the wrong type, sending nothing", function()
    local before = #emu.requests()
    local _, err = c:add_numbers({ "9810000001" }, { concurency = 4 })
    assert.equal("validation", err.kind)
    assert.equal("concurency", err.field)
    assert.matches("concurency: unknown option; did you mean 'concurrency'?", err.message, 1, true)
    _, err = c:add_numbers({ "9810000001" }, { concurrency = 65 })
    assert.equal("concurrency", err.field)
    _, err = c:add_numbers({ "9810000001" }, { keep = "yes" })
    assert.equal("keep", err.field)
    _, err = c:add_numbers("9810000001")
    assert.equal("list", err.field)
    assert.equal(before, #emu.requests())
  end)
end)
