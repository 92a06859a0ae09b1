-- Memory: Lua heap and RSS across 100,000 calls (should stay flat after
-- warm-up), and the peak RSS of a 20,000-number batch. Run by `make bench`, or:
--   TINGTING_EMULATOR_URL=http://127.0.0.1:8787 lua5.4 bench/memory.lua [calls] [batch]
package.path = "./lua/?.lua;./lua/?/init.lua;./?.lua;" .. package.path
package.cpath = "./build/lua5.4/?.so;" .. package.cpath
local tingting = require "tingting"
local emu = require "spec.helpers.emulator"

local CALLS = tonumber(arg[1]) or 100000
local BATCH = tonumber(arg[2]) or 20000

local function status(field)
  local f = assert(io.open("/proc/self/status"))
  local text = f:read("a")
  f:close()
  return tonumber(text:match(field .. ":%s*(%d+) kB"))
end

emu.reset()
emu.config { latency_ms = 0 }
local s = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test" })
print(("Memory over %d calls of s:user() (Lua heap after a full GC, RSS)"):format(CALLS))
print(("%10s %12s %10s"):format("calls", "heap KiB", "RSS KiB"))
local step = CALLS // 10
for i = 1, CALLS do
  assert(s:user())
  if i % step == 0 or i == 1000 then
    collectgarbage()
    collectgarbage()
    print(("%10d %12.0f %10d"):format(i, collectgarbage("count"), status("VmRSS")))
  end
end

local c = assert(s:create_campaign { name = "memory", services = "SMS", individual_number = { "9843818700" } })
local list = {}
for i = 1, BATCH do list[i] = tostring(9600000000 + i) end
local before = status("VmHWM")
local report = assert(c:add_numbers(list, { concurrency = 16 }))
assert(report.added == BATCH)
collectgarbage()
print(("batch of %d numbers: peak RSS %d KiB (before the batch %d KiB), heap after %0.f KiB"):format(BATCH,
  status("VmHWM"), before, collectgarbage("count")))
s:close()
