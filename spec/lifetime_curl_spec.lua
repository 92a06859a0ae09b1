-- Lifetimes on the real transport (what spec/lifetime_spec.lua and spec/batch_spec.lua leave out):
-- numbers, campaigns and sessions collected in any order, use after close of
-- every object kind, a batch interrupted by an error in on_progress and run
-- again, full collections during a curl multi run, and a session closed from
-- inside its own batch.
local tingting = require "tingting"
local call = require "tingting.call"
local emu = require "spec.helpers.emulator"

local function new_session()
  return assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test" })
end

local function numbers(n, base)
  local out = {}
  for i = 1, n do out[i] = tostring(9810000000 + base + i) end
  return out
end

describe("lifetimes on the curl transport", function()
  local saved
  before_each(function()
    emu.reset()
    saved = call.policy.backoff_base
    call.policy.backoff_base = 0.001
  end)
  after_each(function() call.policy.backoff_base = saved end)

  it("collects sessions, campaigns and numbers in any order", function()
    local keep = {}
    for round = 1, 6 do
      local s = new_session()
      local c = assert(s:create_campaign { name = "gc" .. round, services = "SMS",
        individual_number = { "9843818700" } })
      local list = assert(c:numbers())
      -- keep one kind per round, drop the others
      if round % 3 == 0 then keep[#keep + 1] = list[1]
      elseif round % 3 == 1 then keep[#keep + 1] = c
      else keep[#keep + 1] = s end
      s, c, list = nil, nil, nil -- luacheck: ignore 311
      collectgarbage()
      collectgarbage()
    end
    for _, v in ipairs(keep) do
      local text = tostring(v)
      assert.matches("^tingting%.", text)
      if text:find("^tingting%.number") then assert(v:reload()) end
      if text:find("^tingting%.campaign") then assert(v:reload()) end
      if text:find("^tingting%.session") then assert(v:user()) end
    end
    keep = nil -- luacheck: ignore 311
    collectgarbage()
    collectgarbage()
  end)

  it("raises on every method of every object once its session is closed; reads still work", function()
    local s = new_session()
    local c = assert(s:create_campaign { name = "closed", services = "SMS", individual_number = { "9843818700" } })
    local n = assert(c:numbers())[1]
    s:close()
    s:close()
    for name, fn in pairs { ["c:reload"] = function() return c:reload() end,
      ["c:numbers"] = function() return c:numbers() end,
      ["c:add_number"] = function() return c:add_number("9843818701") end,
      ["c:add_numbers"] = function() return c:add_numbers({ "9843818701" }) end,
      ["n:reload"] = function() return n:reload() end, ["n:delete"] = function() return n:delete() end,
      ["s:user"] = function() return s:user() end } do
      local ok, err = pcall(fn)
      assert.is_false(ok, name)
      assert.matches("session is closed", tostring(err), 1, true)
    end
    assert.equal("closed", c.name)
    assert.equal("9843818700", n.number)
    assert.is_table(c:fields())
    assert.matches("closed=true", tostring(s), 1, true)
  end)

  it("runs a batch again after an error in on_progress, adding each number exactly once", function()
    local s = new_session()
    local c = assert(s:create_campaign { name = "again", services = "SMS", individual_number = { "9843818700" } })
    local list = numbers(40, 100)
    local ok, err = pcall(c.add_numbers, c, list, { concurrency = 4,
      on_progress = function(done) if done == 10 then error("interrupted") end end })
    assert.is_false(ok)
    assert.matches("interrupted", err)
    local report = assert(c:add_numbers(list, { concurrency = 4 }))
    assert.equal(40, report.added + report.skipped)
    local seen = {}
    for _, n in ipairs(assert(c:numbers())) do
      assert.is_nil(seen[n.number], "added twice: " .. n.number)
      seen[n.number] = true
    end
    for _, number in ipairs(list) do assert.is_true(seen[number], number) end
    s:close()
  end)

  it("survives full collections and dropped references during a curl multi run", function()
    local s = new_session()
    local c = assert(s:create_campaign { name = "gc-run", services = "SMS", individual_number = { "9843818700" } })
    local others = {}
    for i = 1, 3 do others[i] = tingting.transport.curl() end
    local report = assert(c:add_numbers(numbers(60, 300), { concurrency = 8, on_progress = function(done)
      others[done % 3 + 1] = nil -- transports collected while ours runs
      collectgarbage()
      collectgarbage()
    end }))
    assert.equal(60, report.added)
    assert.equal(60, #report.numbers)
    assert.is_true(others[1] == nil or others[2] == nil or others[3] == nil)
    s:close()
  end)

  it("raises a clear error when the session is closed from inside its own batch", function()
    local s = new_session()
    local c = assert(s:create_campaign { name = "closing", services = "SMS", individual_number = { "9843818700" } })
    local ok, err = pcall(c.add_numbers, c, numbers(30, 500), { concurrency = 4,
      on_progress = function(done) if done == 5 then s:close() end end })
    assert.is_false(ok)
    assert.matches("closed", tostring(err))
    assert.is_true(s.closed)
    collectgarbage()
    collectgarbage()
    local s2 = new_session() -- the process goes on normally
    assert(s2:user())
    s2:close()
  end)
end)
