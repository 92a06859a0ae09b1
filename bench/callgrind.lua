-- Driver for bench/callgrind.sh: N sequential s:user() calls through the whole
-- call path (build -> curl transport -> parse), after a warm-up call.
package.path = "./lua/?.lua;./lua/?/init.lua;./?.lua;" .. package.path
package.cpath = "./build/lua5.4/?.so;" .. package.cpath
local tingting = require "tingting"
local N = tonumber(arg[1]) or 200
local s = assert(tingting.session { base_url = assert(os.getenv("TINGTING_EMULATOR_URL")),
  access_token = assert(os.getenv("TT_ACCESS")) })
assert(s:user())
for _ = 1, N do assert(s:user()) end
s:close()
