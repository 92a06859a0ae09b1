-- Driver for bench/callgrind.sh: N sequential s:user() (get) or s:send_otp()
-- (post) calls through the whole call path (build -> curl transport ->
-- parse), after one warm-up call of each:  callgrind.lua N get|post [gc|nogc]
package.path = "./lua/?.lua;./lua/?/init.lua;./?.lua;" .. package.path
package.cpath = "./build/lua5.4/?.so;" .. package.cpath
local tingting = require "tingting"
local wire = require "bench.wire"
local N = tonumber(arg[1]) or 200
local call = assert(wire[arg[2] or "get"], "usage: callgrind.lua N get|post [gc|nogc]")
local s = assert(tingting.session { base_url = assert(os.getenv("TINGTING_EMULATOR_URL")),
  access_token = assert(os.getenv("TT_ACCESS")) })
assert(wire.get(s))
assert(wire.post(s))
-- gc: the collector runs as usual; nogc: it is stopped, so that each phase
-- is counted without the collection work that its garbage (or another's)
-- happened to trigger there
collectgarbage()
if arg[3] == "nogc" then collectgarbage("stop") end
for _ = 1, N do assert(call(s)) end
s:close()
