-- A million recipients in bounded memory: each scenario runs in a process of
-- its own (so that its peak RSS is its own) against the emulator, and prints
-- one line. Run by `make bench`, or:
--   TINGTING_EMULATOR_URL=http://127.0.0.1:8787 lua5.4 bench/scale.lua [N]
-- with BENCH_BASE=https://... BENCH_CA=cert.pem for the h2 scenario.
package.path = "./lua/?.lua;./lua/?/init.lua;./?.lua;" .. package.path
package.cpath = "./build/lua5.4/?.so;" .. package.cpath
local tingting = require "tingting"
local numbers = require "tingting.numbers"
local upload = require "tingting.upload"
local emu = require "spec.helpers.emulator"
local socket = require "socket"
local cjson = require "cjson"

local function status_kb(field, pid)
  local f = io.open("/proc/" .. (pid or "self") .. "/status")
  if not f then return nil end
  local text = f:read("*a")
  f:close()
  return tonumber(text:match(field .. ":%s*(%d+)"))
end

local function emulator_worker_rss()
  local port = emu.url():match(":(%d+)$")
  local p = io.popen("pgrep -f 'nginx: worker' 2>/dev/null")
  local best
  for pid in p:lines() do
    local f = io.open("/proc/" .. pid .. "/cmdline")
    local ppid = status_kb("PPid", pid)
    local mf = ppid and io.open("/proc/" .. ppid .. "/cmdline")
    local cmd = mf and mf:read("*a") or ""
    if mf then mf:close() end
    if f then f:close() end
    if cmd:find("tingting-emulator-" .. port, 1, true) then best = status_kb("VmRSS", pid) end
  end
  p:close()
  return best
end

local function summary(id)
  local status, body = emu.http("GET", "/__emulator__/summary")
  assert(status == 200, body)
  for _, c in ipairs(cjson.decode(body).campaigns) do
    if math.tointeger(c.id) == id then return c end
  end
end

local function write_csv(path, n, base)
  local f = assert(io.open(path, "wb"))
  f:write("number\n")
  for i = 1, n do f:write(base + i, "\n") end
  f:close()
end

local function session(extra)
  local opts = { base_url = emu.url(), email = "test@gmail.com", password = "test" }
  for k, v in pairs(extra or {}) do opts[k] = v end
  local s = assert(tingting.session(opts))
  assert(s:user())
  return s
end

local scenario, N = arg[1], tonumber(arg[2])

-- Child processes: one scenario each --------------------------------------------------
if scenario == "stream" or scenario == "list" then
  local s = session()
  local c = assert(s:create_campaign { name = "scale", services = "SMS", individual_number = { "9843818700" } })
  local source
  collectgarbage()
  local idle = status_kb("VmRSS")
  local path
  if scenario == "stream" then
    path = os.tmpname()
    write_csv(path, N, 9600000000)
    source = assert(numbers.each_csv(path))
  else
    source = {}
    for i = 1, N do source[i] = tostring(9600000000 + i) end
  end
  local t0, c0 = socket.gettime(), os.clock()
  local report = assert(c:add_numbers(source, { concurrency = 16 }))
  local dt, cpu = socket.gettime() - t0, os.clock() - c0
  if path then os.remove(path) end
  local peak = status_kb("VmHWM")
  local sum = summary(c.id)
  print(cjson.encode { scenario = scenario, n = N, seconds = dt, per_us = dt / N * 1e6, cpu_us = cpu / N * 1e6,
    growth_kb = peak - idle, per_number_bytes = (peak - idle) * 1024 / N, added = report.added,
    kept = report.numbers and #report.numbers or 0, server_numbers = sum.numbers, server_distinct = sum.distinct,
    emulator_rss_kb = emulator_worker_rss() })
  os.exit(0)
elseif scenario == "xlsx" then
  local list = {}
  for i = 1, N do list[i] = { number = tostring(9500000000 + i), available_tags = { tags_name = "Ram " .. i } } end
  local s = session()
  collectgarbage()
  local idle = status_kb("VmRSS")
  local t0 = socket.gettime()
  local path = assert(upload.write(list, { op = "bench", field = "list" }))
  local write_s = socket.gettime() - t0
  os.remove(path)
  t0 = socket.gettime()
  local c = assert(s:create_campaign { name = "xlsx", services = "SMS", send_to_number_file = list })
  local create_s = socket.gettime() - t0
  local sum = summary(c.id)
  print(cjson.encode { scenario = "xlsx", n = N, write_seconds = write_s, rows_per_s = N / write_s,
    create_seconds = create_s, growth_kb = status_kb("VmHWM") - idle, server_numbers = sum.numbers })
  os.exit(0)
elseif scenario == "adds20" then
  -- add_numbers at concurrency 16 with 20 ms of latency, per number
  emu.config { latency_ms = 20 }
  local s = session()
  local c = assert(s:create_campaign { name = "adds", services = "SMS", individual_number = { "9843818700" } })
  local list = {}
  for i = 1, N do list[i] = tostring(9400000000 + i) end
  local t0 = socket.gettime()
  assert(c:add_numbers(list, { concurrency = 16 }))
  local dt = socket.gettime() - t0
  emu.config { latency_ms = 0 }
  print(cjson.encode { scenario = "adds20", n = N, seconds = dt, per_ms = dt / N * 1000 })
  os.exit(0)
elseif scenario == "h2" or scenario == "h1" then
  emu.config { latency_ms = 20 }
  local base, ca = os.getenv("BENCH_BASE"), os.getenv("BENCH_CA")
  local t = assert(tingting.transport.curl { ca_file = ca, http2 = scenario == "h2" })
  local s = assert(tingting.session { base_url = base, email = "test@gmail.com", password = "test", transport = t })
  local c = assert(s:create_campaign { name = scenario, services = "SMS", individual_number = { "9843818700" } })
  local before = t:stats().connects
  local list = {}
  for i = 1, N do list[i] = tostring((scenario == "h2" and 9300000000 or 9310000000) + i) end
  local t0 = socket.gettime()
  local report = assert(c:add_numbers(list, { concurrency = 16 }))
  local dt = socket.gettime() - t0
  emu.config { latency_ms = 0 }
  print(cjson.encode { scenario = scenario, n = N, seconds = dt, added = report.added,
    connections = t:stats().connects - before })
  os.exit(0)
elseif scenario == "hostile" then
  local s = session()
  local c = assert(s:create_campaign { name = "hostile", services = "SMS", individual_number = { "9843818700" } })
  emu.fault { method = "POST", path = "^/api/system/campaigns/number/%d+/?$", kind = "huge", size = 512 * 1024 * 1024 }
  collectgarbage()
  local idle = status_kb("VmRSS")
  local list = {}
  for i = 1, N do list[i] = tostring(9200000000 + i) end
  local t0 = socket.gettime()
  local report = assert(c:add_numbers(list, { concurrency = 32 }))
  local dt = socket.gettime() - t0
  emu.clear_faults()
  local kinds = {}
  for _, f in ipairs(report.failed) do kinds[f.err.kind] = (kinds[f.err.kind] or 0) + 1 end
  print(cjson.encode { scenario = "hostile", n = N, seconds = dt, failed = #report.failed, decode = kinds.decode or 0,
    growth_kb = status_kb("VmHWM") - idle })
  os.exit(0)
end

-- The driver -------------------------------------------------------------------------
local BIG = tonumber(arg[1]) or 1000000
local function run(name, n, env)
  emu.reset()
  local p = assert(io.popen(("%s lua5.4 bench/scale.lua %s %d"):format(env or "", name, n)))
  local out = p:read("*a")
  p:close()
  local line = out:match("(%b{})%s*$")
  assert(line, name .. " " .. n .. ": " .. out)
  return cjson.decode(line)
end

print(("scale: streaming and caps, emulator %s"):format(emu.url()))
print("add_numbers from a CSV with each_csv, concurrency 16, keep = false (the default for an iterator):")
print(("%10s %10s %12s %12s %16s %12s %14s"):format("numbers", "seconds", "per number", "client CPU", "RSS growth",
  "exactly once", "emulator RSS"))
local rows = {}
for _, n in ipairs { 10000, 100000, BIG } do
  local r = run("stream", n)
  rows[#rows + 1] = r
  print(("%10d %9.1fs %10.1fus %10.1fus %13.1f MB %12s %11.0f MB"):format(n, r.seconds, r.per_us, r.cpu_us,
    r.growth_kb / 1024,
    (r.server_numbers == n + 1 and r.server_distinct == n + 1) and "yes" or ("NO: " .. r.server_numbers),
    (r.emulator_rss_kb or 0) / 1024))
end
print(("cost per number at %d vs 10,000: %.2fx wall, %.2fx client CPU"):format(BIG, rows[#rows].per_us / rows[1].per_us,
  rows[#rows].cpu_us / rows[1].cpu_us))

local l = run("list", BIG)
print(("a list of %d with keep = true: %.1fs, RSS growth %.1f MB = %.0f bytes a number (kept %d Numbers), "
  .. "exactly once: %s"):format(BIG, l.seconds, l.growth_kb / 1024, l.per_number_bytes, l.kept,
  (l.server_numbers == BIG + 1 and l.server_distinct == BIG + 1) and "yes" or "NO"))

local XN = 200000
local x = run("xlsx", XN)
local a = run("adds20", 20000)
print(("create_campaign with %d records as a generated .xlsx: writing %.2fs (%.0f rows/s), create end to end %.1fs, "
  .. "RSS growth %.1f MB, %d numbers on the server"):format(XN, x.write_seconds, x.rows_per_s, x.create_seconds,
  x.growth_kb / 1024, x.server_numbers))
print(("  add_numbers at concurrency 16, 20 ms latency: %.2f ms a number (20,000 measured) -> %.0fs for %d; "
  .. "the .xlsx upload is %.0fx faster"):format(a.per_ms, a.per_ms * XN / 1000, XN,
  a.per_ms * XN / 1000 / x.create_seconds))

if os.getenv("BENCH_BASE") and os.getenv("BENCH_BASE"):match("^https") then
  local h2 = run("h2", 2000)
  local h1 = run("h1", 2000)
  print(("2,000 adds over https, concurrency 16, 20 ms latency: h2 %d connection(s) %.2fs, HTTP/1.1 %d connections "
    .. "%.2fs: h2 takes %.2fx the time"):format(h2.connections, h2.seconds, h1.connections, h1.seconds,
    h2.seconds / h1.seconds))
end

local h = run("hostile", 64)
print(("64 adds at concurrency 32 against 512 MiB answers: %d failed (%d decode, none retried) in %.1fs, "
  .. "peak RSS growth %.1f MB (bound: 32 x 1 MiB of answers)"):format(h.failed, h.decode, h.seconds,
  h.growth_kb / 1024))
