--- Clocks: the best time source at hand, chosen once. Inside nginx it is
-- `ngx.now` (cached per event-loop turn, never a system call); in plain Lua
-- luasocket's `socket.gettime` when it is installed (sub-second), else
-- `os.time` (whole seconds).
-- @module tingting.clock
local core = require "tingting.core"

local M = {}

local now, timer = os.time, os.clock
do
  local ok, socket = pcall(require, "socket")
  if ok and type(socket) == "table" and socket.gettime then now, timer = socket.gettime, socket.gettime end
end
if ngx and ngx.now then now, timer = ngx.now, ngx.now end

--- Seconds since the epoch (expiries, deadlines, store TTLs).
M.now = now

--- Seconds for timing a request: the wall clock when there is a sub-second
-- one, else `os.clock` (sub-second, though processor time).
M.timer = timer

--- Sleep `seconds`, blocking the process (`tingting.core`'s sleep). The call
-- path sleeps through the transport (`transport:sleep`) when it can; this is
-- the fallback for transports that cannot.
M.sleep = core.sleep

return M
