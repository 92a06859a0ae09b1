-- Soak: N calls (default 100,000) mixed across operations against the emulator
-- ($TINGTING_EMULATOR_URL) with about 5% injected faults of every kind. Checks
-- that nothing crashes, that every failure is a proper tingting.error, and
-- that the Lua heap (after a full collection) and the RSS stay flat after
-- warm-up. Exits non-zero when a check fails. `make soak` runs it.
--   TINGTING_EMULATOR_URL=... lua5.4 bench/soak.lua [N]
package.path = "lua/?.lua;lua/?/init.lua;./?.lua;" .. package.path
package.cpath = "build/lua5.4/?.so;" .. package.cpath
local tingting = require "tingting"
local call = require "tingting.call"
local emu = require "spec.helpers.emulator"
local socket = require "socket"

local N = tonumber(arg[1]) or 100000
local SAMPLE = N // 10
-- the retry delays themselves are not what is soaked here
call.policy.backoff_base = 0.0005

local function rss_kib()
  local f = io.open("/proc/self/status")
  local kib = f and tonumber(f:read("a"):match("VmRSS:%s*(%d+)")) or 0
  if f then f:close() end
  return kib
end

local function heap_kib()
  collectgarbage()
  collectgarbage()
  return math.floor(collectgarbage("count"))
end

emu.reset()
emu.config { credits = 100000000 }
local FAULTS = {
  { kind = "status", status = 503, rate = 0.01 }, { kind = "status", status = 429, rate = 0.01 },
  { kind = "status", status = 500, body = "html", rate = 0.01 }, { kind = "drop", rate = 0.005 },
  { kind = "drop", after = true, rate = 0.005 }, { kind = "truncate", rate = 0.01 },
}
for _, f in ipairs(FAULTS) do emu.fault(f) end

local s = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test",
  timeout = 5, max_retries = 2 })
assert(s:login())
local c = assert(s:create_campaign { name = "soak", services = "SMS", individual_number = { "9843818700" } })
local n = assert(c:numbers()[1])
local OTP = { number = "9851023212", message = "Code {otp}", sms_send_options = "text" }

local next_number = 9800000000
local MIX = {
  function() return s:user() end,
  function() return s:campaign(c.id) end,
  function() return c:numbers() end,
  function() return s:number(n.id) end,
  function() return n:update { available_tags = {} } end,
  function() return s:send_otp(OTP) end,
  function() return s:report_summary() end,
  function() return s:campaigns { page = 1 } end,
  function() return s:owned_numbers() end,
  function() -- add and delete, so the campaign does not grow
    next_number = next_number + 1
    local added, err = c:add_number(tostring(next_number))
    if not added then return nil, err end
    return added:delete()
  end,
  function() return s:create_campaign { name = "bad", services = "FAX", individual_number = { "1" } } end,
}

local stats = { ok = 0, failed = 0, kinds = {}, bad = 0 }
local samples = {}
local t0 = socket.gettime()
for i = 1, N do
  local ok, res, err = pcall(MIX[i % #MIX + 1])
  if not ok then
    io.stderr:write("soak: raised at call ", i, ": ", tostring(res), "\n")
    os.exit(1)
  end
  if res ~= nil then
    stats.ok = stats.ok + 1
  elseif tingting.is_error(err) and type(err.kind) == "string" and type(tostring(err)) == "string" then
    stats.failed = stats.failed + 1
    stats.kinds[err.kind] = (stats.kinds[err.kind] or 0) + 1
  else
    stats.bad = stats.bad + 1
  end
  if i % SAMPLE == 0 then
    emu.clear_requests() -- the emulator's log, not ours
    samples[#samples + 1] = { calls = i, heap = heap_kib(), rss = rss_kib(), t = socket.gettime() - t0 }
  end
end
local elapsed = socket.gettime() - t0

local applied = 0
for _, r in ipairs(emu.faults()) do applied = applied + r.applied end
emu.clear_faults()
s:close()

print(("soak: %d calls in %.1f s (%.0f calls/s), %d faults injected, %d failures returned (%s), "
  .. "%d not proper errors"):format(N, elapsed, N / elapsed, applied, stats.failed,
  (function()
    local parts = {}
    for k, v in pairs(stats.kinds) do parts[#parts + 1] = k .. " " .. v end
    table.sort(parts)
    return table.concat(parts, ", ")
  end)(), stats.bad))
print("| calls | heap KiB | RSS KiB |")
print("|---:|---:|---:|")
for _, x in ipairs(samples) do print(("| %d | %d | %d |"):format(x.calls, x.heap, x.rss)) end

-- Flat after warm-up: from the second sample on, within 10% (heap) and 4 MiB (RSS).
local warm, last = samples[2] or samples[1], samples[#samples]
local ok = stats.bad == 0
if last.heap > warm.heap * 1.10 + 64 then
  print(("soak: FAIL Lua heap grew from %d to %d KiB"):format(warm.heap, last.heap))
  ok = false
end
if last.rss > warm.rss + 4096 then
  print(("soak: FAIL RSS grew from %d to %d KiB"):format(warm.rss, last.rss))
  ok = false
end
if stats.bad > 0 then print("soak: FAIL some failures were not tingting errors") end
print(ok and "soak: ok" or "soak: FAILED")
os.exit(ok and 0 or 1)
