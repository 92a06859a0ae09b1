-- OTP sends per second over several hosts: the example OTP service
-- (examples/openresty, ngx transport) under wrk, POST /otp/send with a new
-- number per request, its state in
--   1. one host, lua_shared_dict (the single-host default),
--   2. one host, tingting.store.redis,
--   3. two hosts (two nginx instances) sharing one tingting.store.redis,
--      each under its own wrk with half the connections, at the same time.
-- Redis is a private redis-server (spec/helpers/redis.lua). Run by
-- `make bench`, or:
--   TINGTING_EMULATOR_URL=http://127.0.0.1:8787 lua5.4 bench/redis_otp.lua [SECONDS] [CONNECTIONS]
package.path = "./lua/?.lua;./lua/?/init.lua;./?.lua;" .. package.path
package.cpath = "./build/lua5.4/?.so;" .. package.cpath
local emu = require "spec.helpers.emulator"
local ngxh = require "spec.helpers.openresty"
local redish = require "spec.helpers.redis"

local SECS = tonumber(arg[1]) or 10
local CONNS = tonumber(arg[2]) or 50
local WORKERS = tonumber(os.getenv("BENCH_WORKERS")) or 2

local function ms(v, unit)
  v = tonumber(v)
  if not v then return nil end
  return unit == "us" and v / 1000 or unit == "s" and v * 1000 or v
end

-- Start wrk on url; returns a function that waits for it and parses it.
local function wrk(url, connections)
  local cmd = ("wrk -t2 -c%d -d%ds --latency -s %s/bench/wrk_otp.lua %s/otp/send 2>&1"):format(connections, SECS,
    ngxh.root, url)
  local p = assert(io.popen(cmd))
  return function()
    local out = p:read("*a")
    p:close()
    local r = {
      rps = tonumber(out:match("Requests/sec:%s*([%d.]+)")),
      total = tonumber(out:match("(%d+) requests in")) or 0,
      non2xx = tonumber(out:match("Non%-2xx or 3xx responses:%s*(%d+)")) or 0,
      p50 = ms(out:match("50%%%s+([%d.]+)(%a+)")),
      p99 = ms(out:match("99%%%s+([%d.]+)(%a+)")),
    }
    if not r.rps then error("wrk failed:\n" .. out, 0) end
    return r
  end
end

local redis = redish.start()
-- a fixed HMAC key, as production has: no key to read from the store per send
local ENV = { OTP_MAX_SENDS = 1000, OTP_RESEND_AFTER = 0, TINGTING_OTP_SECRET = ("k"):rep(32) }

local function env_with(extra)
  local e = {}
  for k, v in pairs(ENV) do e[k] = v end
  for k, v in pairs(extra or {}) do e[k] = v end
  return e
end

print(("POST /otp/send under wrk: %d connections in all, %d s, %d workers per nginx, emulator latency 0 ms")
  :format(CONNS, SECS, WORKERS))
print(("%-40s %8s %10s %9s %9s %8s"):format("store, hosts", "req/s", "requests", "p50", "p99", "non-2xx"))

local configs = {
  { name = "shared_dict, 1 host", hosts = 1, env = {} },
  { name = "redis, 1 host", hosts = 1, env = { TINGTING_REDIS = "127.0.0.1:" .. redis.port } },
  { name = "redis, 2 hosts (sum; worst p99)", hosts = 2, env = { TINGTING_REDIS = "127.0.0.1:" .. redis.port } },
}
local ok, err = pcall(function()
  for _, c in ipairs(configs) do
    emu.reset()
    emu.config { latency_ms = 0, credits = 1000000000 }
    redis:cmd("FLUSHALL")
    local srvs = {}
    for i = 1, c.hosts do srvs[i] = ngxh.start { workers = WORKERS, env = env_with(c.env) } end
    local waits = {}
    for i, srv in ipairs(srvs) do waits[i] = wrk(srv.url, CONNS // c.hosts) end
    local sum = { rps = 0, total = 0, non2xx = 0, p50 = 0, p99 = 0 }
    for _, w in ipairs(waits) do
      local r = w()
      sum.rps, sum.total, sum.non2xx = sum.rps + r.rps, sum.total + r.total, sum.non2xx + r.non2xx
      sum.p50, sum.p99 = math.max(sum.p50, r.p50 or 0), math.max(sum.p99, r.p99 or 0)
    end
    local logged = 0
    for _, srv in ipairs(srvs) do logged = logged + #srv:stop() end
    print(("%-40s %8.0f %10d %7.2fms %7.2fms %8d%s"):format(c.name, sum.rps, sum.total, sum.p50, sum.p99,
      sum.non2xx, logged > 0 and ("  nginx logged " .. logged .. " errors") or ""))
  end
end)
redis:stop()
assert(ok, err)
