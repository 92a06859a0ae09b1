-- OpenResty: requests/s and latency of the example OTP service (POST
-- /otp/send, examples/openresty) under wrk, with the non-blocking ngx
-- transport and, for contrast, the blocking libcurl transport called from
-- the same content handler. Run by `make bench`, or:
--   TINGTING_EMULATOR_URL=http://127.0.0.1:8787 lua5.4 bench/openresty.lua [SECONDS] [CONNECTIONS]
package.path = "./lua/?.lua;./lua/?/init.lua;./?.lua;" .. package.path
package.cpath = "./build/lua5.4/?.so;" .. package.cpath
local emu = require "spec.helpers.emulator"
local ngxh = require "spec.helpers.openresty"

local SECS = tonumber(arg[1]) or 10
local CONNS = tonumber(arg[2]) or 50
local WORKERS = tonumber(os.getenv("BENCH_WORKERS")) or 2

print(("OpenResty example POST /otp/send under wrk: %d connections, %d s, %d nginx workers"):format(CONNS, SECS,
  WORKERS))
print(("%-34s %8s %10s %9s %9s %8s %8s"):format("transport, emulator latency", "req/s", "requests", "p50", "p99",
  "non-2xx", "errors"))
for _, latency in ipairs { 0, 20 } do
  for _, transport in ipairs { "ngx", "curl" } do
    emu.reset()
    emu.config { latency_ms = latency, credits = 1000000000 }
    local srv = ngxh.start { workers = WORKERS, transport = transport,
      env = { OTP_MAX_SENDS = 1000, OTP_RESEND_AFTER = 0 } }
    local ok, r = pcall(ngxh.wrk, srv.url, CONNS, SECS)
    local errors = srv:stop()
    emu.config { latency_ms = 0 }
    assert(ok, r)
    print(("%-34s %8.0f %10d %7.2fms %7.2fms %8d %8d%s"):format(
      (transport == "ngx" and "ngx (subrequests)" or "curl (blocking)") .. (", %d ms"):format(latency),
      r.rps, r.total, r.p50 or 0, r.p99 or 0, r.non2xx, r.errors,
      #errors > 0 and ("  nginx logged " .. #errors .. " errors") or ""))
  end
end
