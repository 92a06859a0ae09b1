-- Test helper: a private redis-server for the specs, on a free port, with
-- its own directory under $TMPDIR and no persistence (--save '' --appendonly
-- no), stopped by srv:stop() or, at the latest, when the Lua state closes.
--
--   local redish = require "spec.helpers.redis"
--   local srv = redish.start { password = "secret" }   -- all options optional
--   srv.host, srv.port, srv.dir
--   srv:cmd("KEYS", "*") -> value | nil, err       (a blocking hiredis connection)
--   srv:keys() -> sorted list of every key (SCAN)
--   srv:stop(), srv:start() (again on the same port, empty), srv:restart()
local core = require "tingting.core"
local socket = require "socket"

local M = {}

local live = {} -- port -> srv, for the sentinel

local function port_free(port)
  local s = socket.tcp()
  s:setoption("reuseaddr", true)
  local ok = s:bind("127.0.0.1", port)
  s:close()
  return ok ~= nil
end

local function sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local Srv = {}
Srv.__index = Srv

local function conn(self)
  if self.c and self.c:usable() then return self.c end
  local c, err = core.redis_connect { host = "127.0.0.1", port = self.port, timeout = 2 }
  if not c then return nil, err end
  if self.password then assert(c:command("AUTH", self.password)) end
  self.c = c
  return c
end

--- A command on the helper's own connection.
function Srv:cmd(...)
  local c, err = conn(self)
  if not c then return nil, err end
  return c:command(...)
end

--- Every key in the server (every database the store may use is 0 here).
function Srv:keys()
  local out, cursor = {}, "0"
  repeat
    local r = assert(self:cmd("SCAN", cursor, "COUNT", 1000))
    cursor = r[1]
    for _, k in ipairs(r[2]) do out[#out + 1] = k end
  until cursor == "0"
  table.sort(out)
  return out
end

--- Start (again) on this server's port.
function Srv:start()
  local args = {
    -- without the sanitizer runtime that make test-sanitize preloads into lua5.4
    "env -u LD_PRELOAD redis-server", "--port", self.port, "--bind", "127.0.0.1", "--save", "''", "--appendonly", "no",
    "--dir", sh_quote(self.dir), "--daemonize", "yes", "--pidfile", sh_quote(self.dir .. "/redis.pid"),
    "--logfile", sh_quote(self.dir .. "/redis.log"), "--protected-mode", "no",
  }
  if self.password then
    args[#args + 1] = "--requirepass"
    args[#args + 1] = sh_quote(self.password)
  end
  local ok = os.execute(table.concat(args, " ") .. " >/dev/null 2>&1")
  if not ok then return nil, "redis-server did not start (is it installed? make deps)" end
  for _ = 1, 100 do
    local c = core.redis_connect { host = "127.0.0.1", port = self.port, timeout = 0.5 }
    if c then
      local pong = c:command("PING")
      c:close()
      if pong then
        live[self.port] = self
        return self
      end
      if self.password then -- NOAUTH: it is up
        live[self.port] = self
        return self
      end
    end
    socket.sleep(0.05)
  end
  return nil, "redis-server did not answer on port " .. self.port
end

local function read_pid(self)
  local f = io.open(self.dir .. "/redis.pid", "r")
  if not f then return nil end
  local pid = tonumber(f:read("*l") or "")
  f:close()
  return pid
end

--- Stop the server (SIGTERM, waiting for it to go) and keep its directory.
function Srv:halt()
  if self.c then self.c:close() end
  self.c = nil
  local pid = read_pid(self)
  if pid then
    -- gone once nothing answers on its port (a daemon's zombie may outlive
    -- it where nobody reaps orphans, so kill -0 would not tell)
    os.execute("kill " .. pid .. " 2>/dev/null")
    local gone = false
    for _ = 1, 200 do
      local c = core.redis_connect { host = "127.0.0.1", port = self.port, timeout = 0.2 }
      if not c then gone = true break end
      c:close()
      socket.sleep(0.01)
    end
    if not gone then os.execute("kill -9 " .. pid .. " 2>/dev/null") end
  end
  live[self.port] = nil
end

function Srv:restart()
  self:halt()
  return assert(self:start())
end

--- Stop the server and remove its directory.
function Srv:stop()
  self:halt()
  os.execute("rm -rf " .. sh_quote(self.dir))
end

-- Stops every server still running when the Lua state closes.
M._sentinel = setmetatable({}, { __gc = function()
  for _, srv in pairs(live) do pcall(Srv.stop, srv) end
end })

--- A new server. opts: password.
function M.start(opts)
  opts = opts or {}
  local tmp = os.getenv("TMPDIR") or "/tmp"
  for port = 16380, 16479 do
    if port_free(port) then
      local dir = ("%s/tingting-redis-%d"):format(tmp, port)
      os.execute("rm -rf " .. sh_quote(dir) .. " && mkdir -p " .. sh_quote(dir))
      local srv = setmetatable({ host = "127.0.0.1", port = port, dir = dir, password = opts.password }, Srv)
      local ok, err = srv:start()
      if ok then return srv end
      if not port_free(port) then
        os.execute("rm -rf " .. sh_quote(dir))
      else
        error(err, 0)
      end
    end
  end
  error("no free port for redis-server in 16380..16479", 0)
end

return M
