-- Batch add benchmark: c:add_numbers against the emulator with a fixed
-- latency per request, at several concurrencies, against the latency bound
-- (N x latency / concurrency). Run by `make bench` (which starts the emulator)
-- or: TINGTING_EMULATOR_URL=http://127.0.0.1:8787 lua5.4 bench/add_numbers.lua [N] [latency_ms]
package.path = "./lua/?.lua;./lua/?/init.lua;./?.lua;" .. package.path
package.cpath = "./build/lua5.4/?.so;" .. package.cpath
local tingting = require "tingting"
local emu = require "spec.helpers.emulator"
local socket = require "socket"

local N = tonumber(arg[1]) or 2000
local LATENCY = tonumber(arg[2]) or 20
local CONCURRENCIES = { 1, 4, 16, 64 }
if os.getenv("BENCH_CONCURRENCY") then
  CONCURRENCIES = {}
  for c in os.getenv("BENCH_CONCURRENCY"):gmatch("%d+") do CONCURRENCIES[#CONCURRENCIES + 1] = tonumber(c) end
end

local function numbers(n, base)
  local out = {}
  for i = 1, n do out[i] = tostring(9700000000 + base + i) end
  return out
end

local rows = {}
for _, conc in ipairs(CONCURRENCIES) do
  emu.reset()
  emu.config { latency_ms = LATENCY }
  local s = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test" })
  local c = assert(s:create_campaign { name = "bench", services = "SMS", individual_number = { "9843818700" } })
  -- one at a time is slow by design: measure it on a slice and scale
  local n = (conc == 1 and LATENCY > 0) and math.min(N, 200) or N
  local list = numbers(n, conc * 100000)
  local t0 = socket.gettime()
  local report = assert(c:add_numbers(list, { concurrency = conc }))
  local dt = socket.gettime() - t0
  assert(report.added == n, ("added %d of %d"):format(report.added, n))
  local per = dt / n
  local bound = LATENCY / 1000 / conc
  rows[#rows + 1] = { conc = conc, n = n, seconds = dt, full = per * N, per_ms = per * 1000,
    rps = n / dt, ratio = bound > 0 and per / bound or nil }
  s:close()
end
emu.config { latency_ms = 0 }

print(("add_numbers: %d numbers, emulator latency %d ms"):format(N, LATENCY))
print(("%-12s %10s %12s %12s %10s %12s"):format("concurrency", "measured", "time for N", "per number", "req/s",
  "vs bound"))
for _, r in ipairs(rows) do
  print(("%-12d %10s %11.2fs %10.2fms %10.0f %12s"):format(r.conc, r.n .. " nums", r.full, r.per_ms, r.rps,
    r.ratio and ("%.2fx"):format(r.ratio) or "-"))
end
local one, sixteen
for _, r in ipairs(rows) do
  if r.conc == 1 then one = r end
  if r.conc == 16 then sixteen = r end
end
if one and sixteen then
  print(("concurrency 16 is %.1fx faster than one at a time"):format(one.per_ms / sixteen.per_ms))
end
