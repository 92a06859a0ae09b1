-- OpenResty: requests/s and latency of the example OTP service (POST
-- /otp/send, examples/openresty) under wrk, with the non-blocking cosocket
-- and ngx (subrequest) transports and, for contrast, the blocking libcurl
-- transport called from the same content handler. Run by `make bench`, or:
--   TINGTING_EMULATOR_URL=http://127.0.0.1:8787 lua5.4 bench/openresty.lua [SECONDS] [CONNECTIONS]
package.path = "./lua/?.lua;./lua/?/init.lua;./?.lua;" .. package.path
package.cpath = "./build/lua5.4/?.so;" .. package.cpath
local emu = require "spec.helpers.emulator"
local ngxh = require "spec.helpers.openresty"

-- CPU seconds (user + system) the nginx workers of `srv` have used so far.
local function workers_cpu(srv)
  local f = io.open(srv.prefix .. "/nginx.pid")
  local master = f and f:read("n")
  if f then f:close() end
  if not master then return nil end
  local total, p = 0, io.popen("pgrep -P " .. math.tointeger(master))
  for pid in p:lines() do
    local sf = io.open("/proc/" .. pid .. "/stat")
    local stat = sf and sf:read("a") or ""
    if sf then sf:close() end
    local fields = {}
    for v in (stat:match("%) (.*)$") or ""):gmatch("%S+") do fields[#fields + 1] = v end
    total = total + (tonumber(fields[12]) or 0) + (tonumber(fields[13]) or 0) -- utime, stime
  end
  p:close()
  return total / 100 -- clock ticks (getconf CLK_TCK)
end

local SECS = tonumber(arg[1]) or 10
local CONNS = tonumber(arg[2]) or 50
local WORKERS = tonumber(os.getenv("BENCH_WORKERS")) or 2

print(("OpenResty example POST /otp/send under wrk: %d connections, %d s, %d nginx workers"):format(CONNS, SECS,
  WORKERS))
print(("%-34s %8s %10s %9s %9s %8s %8s %10s"):format("transport, emulator latency", "req/s", "requests", "p50", "p99",
  "non-2xx", "errors", "nginx cpu"))
for _, latency in ipairs { 0, 20 } do
  for _, transport in ipairs { "cosocket", "ngx", "curl" } do
    emu.reset()
    emu.config { latency_ms = latency, credits = 1000000000 }
    local srv = ngxh.start { workers = WORKERS, transport = transport,
      env = { OTP_MAX_SENDS = 1000, OTP_RESEND_AFTER = 0 } }
    local cpu0 = workers_cpu(srv)
    local ok, r = pcall(ngxh.wrk, srv.url, CONNS, SECS)
    local cpu1 = workers_cpu(srv)
    local errors = srv:stop()
    emu.config { latency_ms = 0 }
    assert(ok, r)
    -- the workers' CPU per answered request: what each transport costs nginx
    local per = (ok and cpu0 and cpu1 and r.total > 0) and ("%7.0fus"):format((cpu1 - cpu0) / r.total * 1e6) or "-"
    print(("%-34s %8.0f %10d %7.2fms %7.2fms %8d %8d %10s%s"):format(
      ({ cosocket = "cosocket", ngx = "ngx (subrequests)", curl = "curl (blocking)" })[transport]
        .. (", %d ms"):format(latency),
      r.rps, r.total, r.p50 or 0, r.p99 or 0, r.non2xx, r.errors, per,
      #errors > 0 and ("  nginx logged " .. #errors .. " errors") or ""))
  end
end
