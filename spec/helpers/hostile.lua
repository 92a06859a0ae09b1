-- Test helper: a hostile HTTP upstream, for the bounds of the ngx transport.
-- Run as a script it serves (lua5.4 spec/helpers/hostile.lua serve PORT);
-- required as a module it starts and stops one:
--
--   local hostile = require "spec.helpers.hostile"
--   local h = hostile.start()      -- h.port; h:stop()
--
-- Every request is answered by the case named by the first path segment
-- that is one of:
--   endless   200 without a length, then body bytes as fast as they go, forever
--   big       200 with Content-Length: 100 MB, and all of it
--   drip      200 with Content-Length: 100000, then one byte a second
--   headers   "HTTP/1.1 200 OK" and then a header line a second, never ending
--   flood     "HTTP/1.1 200 OK" and then header lines as fast as they go, forever
--   silent    reads the request and never answers
-- One process, one select loop: every connection is served at once.
local socket = require "socket"

local M = {}

local CHUNK = ("x"):rep(65536)
local HEAD = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"

local CASES = {
  endless = { head = HEAD .. "Connection: close\r\n\r\n", body = function() return CHUNK end },
  big = { head = HEAD .. "Content-Length: 104857600\r\n\r\n", total = 104857600, body = function() return CHUNK end },
  drip = { head = HEAD .. "Content-Length: 100000\r\n\r\n", every = 1, body = function() return "x" end },
  headers = { head = "HTTP/1.1 200 OK\r\n", every = 1, body = function() return "X-Drip: 1\r\n" end },
  flood = { head = "HTTP/1.1 200 OK\r\n", body = function() return ("X-Flood: 1\r\n"):rep(4096) end },
  silent = { head = "", every = 3600, body = function() return "" end },
}

local function serve(port)
  local server = assert(socket.bind("127.0.0.1", port))
  server:settimeout(0)
  local clients = {}
  while true do
    local readers, writers = { server }, {}
    local now = socket.gettime()
    for _, c in ipairs(clients) do
      if not c.case then readers[#readers + 1] = c.sock
      elseif c.out ~= "" or (c.next and now >= c.next)
        or (not c.next and (not c.case.total or c.produced < c.case.total)) then
        writers[#writers + 1] = c.sock
      else readers[#readers + 1] = c.sock end -- to see it close
    end
    local r = socket.select(readers, writers, 0.05)
    for _, s in ipairs(r) do
      if s == server then
        local c = server:accept()
        if c then
          c:settimeout(0)
          clients[#clients + 1] = { sock = c, req = "", out = "", produced = 0 }
        end
      end
    end
    now = socket.gettime()
    local keep = {}
    for _, c in ipairs(clients) do
      local alive = true
      if not c.case then
        local data, err, partial = c.sock:receive(4096)
        data = data or partial
        if data and data ~= "" then c.req = c.req .. data end
        if err == "closed" then alive = false end
        local path = c.req:match("^%u+ (%S+) HTTP/1%.%d\r\n.-\r\n\r\n")
        if path then
          local name
          for seg in path:gmatch("[^/]+") do
            if CASES[seg] then name = seg break end
          end
          c.case = CASES[name or "silent"]
          c.out = c.case.head
          c.next = c.case.every and now or nil
        end
      else
        if c.next and now >= c.next and c.out == "" then
          c.out = c.case.body()
          c.next = now + c.case.every
        elseif not c.next and c.out == "" and (not c.case.total or c.produced < c.case.total) then
          c.out = c.case.body()
          if c.case.total then c.out = c.out:sub(1, c.case.total - c.produced) end
          c.produced = c.produced + #c.out
        end
        if c.out ~= "" then
          local last, err, partial = c.sock:send(c.out)
          local n = last or partial or 0
          if n > 0 then c.out = c.out:sub(n + 1) end
          if err == "closed" then alive = false end
        else
          -- idle: notice a peer that went away
          local _, err = c.sock:receive(0)
          if err == "closed" then alive = false end
        end
      end
      if alive then keep[#keep + 1] = c else c.sock:close() end
    end
    clients = keep
  end
end

local mode, port_arg = ...
if mode == "serve" then
  serve(tonumber(port_arg))
  return
end

local Srv = {}
Srv.__index = Srv

local live = {} -- pid -> true, for the sentinel

function Srv:stop()
  if self.pid then os.execute("kill " .. self.pid .. " 2>/dev/null") end
  if self.pid then live[self.pid] = nil end
  self.pid = nil
end

-- Stops every server still running when the Lua state closes.
M._sentinel = setmetatable({}, { __gc = function()
  for pid in pairs(live) do os.execute("kill " .. pid .. " 2>/dev/null") end
end })

function M.start()
  local src = debug.getinfo(1, "S").source:gsub("^@", "")
  for port = 18480, 18579 do
    local probe = socket.tcp()
    probe:setoption("reuseaddr", true)
    local free = probe:bind("127.0.0.1", port)
    probe:close()
    if free then
      local p = io.popen(("env -u LD_PRELOAD lua5.4 %q serve %d >/dev/null 2>&1 & echo $!"):format(src, port))
      local pid = tonumber(p:read("*l"))
      p:close()
      for _ = 1, 100 do
        local c = socket.connect("127.0.0.1", port)
        if c then
          c:close()
          live[pid] = true
          return setmetatable({ port = port, pid = pid }, Srv)
        end
        socket.sleep(0.02)
      end
      os.execute("kill " .. pid .. " 2>/dev/null")
    end
  end
  error("no free port for the hostile server in 18480..18579", 0)
end

return M
