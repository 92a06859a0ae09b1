--- A store in Redis, shared by every nginx worker of every host that uses
-- the same server: one login (tokens and a renewal lock), and one OTP state
-- whose every step (`tingting.otp`'s send and verify) is one atomic script.
--
--    local store = assert(require("tingting.store").redis {
--      host = "127.0.0.1", port = 6379, password = nil, db = 0,
--      prefix = "tingting:", timeout = 1, pool_size = 16,
--    })
--
-- The same object works in plain Lua, over a blocking hiredis connection
-- (`core.redis_connect`), and inside nginx, where the Redis protocol of the
-- C core (`core.redis_format`, `core.redis_reader`, both hiredis) runs over a
-- cosocket driven from here, so the worker never blocks; connections come
-- from nginx's keep-alive pool. The constructor does not connect.
--
-- Every key it writes starts with `prefix`. Failures come back as
-- `nil, err`: `err` a `tingting.error` of kind "network" whose message names
-- Redis (`err.code`: "network", "timeout", "protocol" or "redis" for a
-- command the server refused). Nothing here retries on its own except once
-- on a fresh connection when a pooled one turns out closed.
-- @module tingting.store.redis
local core = require "tingting.core"
local errors = require "tingting.errors"

local unpack = table.unpack or unpack -- luacheck: ignore 143
local ngx = rawget(_G, "ngx")

local M = {}

local DEFAULTS = {
  host = "127.0.0.1", port = 6379, db = 0, prefix = "tingting:", timeout = 1, pool_size = 16,
}

-- The nginx phases where cosockets (and ngx.sleep) are allowed.
local COSOCKET_PHASES = {
  rewrite = true, access = true, content = true, timer = true, ssl_cert = true,
  ssl_session_fetch = true, ssl_client_hello = true, preread = true,
}

local KEEPALIVE_MS = 60000

-- seconds, for the lock's deadline
local clock = require("tingting.clock").now

local function invalid(field, message)
  return errors.invalid("store.redis", field, message)
end

local function is_int(v, lo, hi)
  return type(v) == "number" and v == math.floor(v) and v >= lo and v <= hi
end

-- A store failure as a tingting.error naming Redis.
local function store_error(self, msg, kind)
  if msg and not msg:find("Redis", 1, true) then msg = ("Redis at %s: %s"):format(self.where, msg) end
  return core.error { kind = "network", code = kind or "network", op = "store.redis",
    message = msg or ("Redis at " .. self.where .. ": failed"), retryable = true }
end

local Store = {}
Store.__index = Store

-- Transports -----------------------------------------------------------------

local function in_nginx()
  return ngx ~= nil and type(ngx.get_phase) == "function" and ngx.socket ~= nil
end

-- The commands to run first on a new connection: AUTH and SELECT.
local function hello(self)
  local cmds = {}
  if self.password then cmds[#cmds + 1] = { "AUTH", self.password } end
  if self.db ~= 0 then cmds[#cmds + 1] = { "SELECT", self.db } end
  return cmds
end

-- Plain Lua: blocking hiredis connections, up to pool_size kept idle.
local function blocking_conn(self)
  local idle = self.idle
  if #idle > 0 then
    local c = idle[#idle]
    idle[#idle] = nil
    return c, true
  end
  local c, err, kind = core.redis_connect { host = self.host, port = self.port, timeout = self.timeout }
  if not c then return nil, err, kind end
  for _, cmd in ipairs(hello(self)) do
    local v, e, k = c:command(unpack(cmd))
    if v == nil then
      c:close()
      return nil, cmd[1] .. " failed: " .. tostring(e), k
    end
  end
  return c, false
end

local function blocking_run(self, cmds)
  for attempt = 1, 2 do
    local c, reused, ckind = blocking_conn(self)
    if not c then return nil, reused, ckind end
    local out, failed, fkind = {}, nil, nil
    for i, cmd in ipairs(cmds) do
      local v, e, k = c:command(unpack(cmd, 1, cmd.n or #cmd))
      if v == nil and k ~= "redis" then
        failed, fkind = e, k
        break
      end
      out[i] = { v, e, k }
    end
    if not failed then
      if #self.idle < self.pool_size then self.idle[#self.idle + 1] = c else c:close() end
      return out
    end
    c:close()
    -- a pooled connection the server closed meanwhile (a restart): once more
    -- on a new one; anything else is the answer
    if not (reused and attempt == 1 and fkind == "network") then return nil, failed, fkind end
  end
end

-- One round trip on a cosocket: `cmds` in one write, then their replies,
-- each {value, err, kind}; or nil, err, kind when the connection failed
-- (then `out` holds the replies read before that).
local function exchange(sock, cmds, out)
  local parts = {}
  for i, cmd in ipairs(cmds) do parts[i] = core.redis_format(unpack(cmd, 1, cmd.n or #cmd)) end
  local sent, serr = sock:send(parts)
  if not sent then return nil, serr, "network" end
  local reader = core.redis_reader()
  local failed, fkind
  while #out < #cmds do
    local v, e, k = reader:get()
    if v == nil and e == nil then
      local data, rerr = sock:receiveany(65536)
      if not data then
        failed, fkind = rerr, rerr == "timeout" and "timeout" or "network"
        break
      end
      local fed, ferr, fk = reader:feed(data)
      if not fed then
        failed, fkind = ferr, fk
        break
      end
    elseif v == nil and k ~= "redis" then
      failed, fkind = e, k
      break
    else
      out[#out + 1] = { v, e, k }
    end
  end
  reader:close()
  if failed then return nil, failed, fkind end
  return out
end

-- nginx: the same protocol over a cosocket from nginx's keep-alive pool. A
-- new connection is AUTHed and SELECTed in a round trip of its own first: a
-- failed SELECT must not let the commands run in database 0.
local function cosocket_run(self, cmds)
  local phase = ngx.get_phase()
  if not COSOCKET_PHASES[phase] then
    return nil, ("cannot reach Redis in nginx's %s phase (no cosockets there); use the store from a "
      .. "rewrite, access or content handler or a timer"):format(phase), "network"
  end
  for attempt = 1, 2 do
    local sock = ngx.socket.tcp()
    local ms = math.ceil(self.timeout * 1000)
    sock:settimeouts(ms, ms, ms)
    local ok, err = sock:connect(self.host, self.port, { pool = self.pool, pool_size = self.pool_size })
    if not ok then return nil, "cannot connect to Redis at " .. self.where .. ": " .. tostring(err), "network" end
    local reused = sock:getreusedtimes() > 0
    local first = reused and {} or hello(self)
    if #first > 0 then
      local got, herr, hkind = exchange(sock, first, {})
      if got then
        for i, r in ipairs(got) do
          if r[1] == nil then herr, hkind = first[i][1] .. " failed: " .. tostring(r[2]), r[3] end
        end
      end
      if herr then
        sock:close()
        return nil, hkind == "timeout" and "timed out" or herr, hkind
      end
    end
    local out = {}
    local done, failed, fkind = exchange(sock, cmds, out)
    if done then
      sock:setkeepalive(KEEPALIVE_MS, self.pool_size)
      return done
    end
    sock:close()
    -- a pooled connection the server closed meanwhile (a restart): once more
    -- on a new one, provided no reply came. (A server that died after running
    -- a command would see it twice: each OTP script then fails closed.)
    if not (reused and attempt == 1 and fkind == "network" and #out == 0) then
      return nil, fkind == "timeout" and "timed out" or failed, fkind
    end
  end
end

-- Run `cmds` (lists of arguments) in one round trip; a list of {value, err,
-- kind} per command, or nil, err (a tingting.error) when Redis could not be
-- reached or answered nonsense.
local function pipeline(self, cmds)
  local out, err, kind
  if in_nginx() then out, err, kind = cosocket_run(self, cmds)
  else out, err, kind = blocking_run(self, cmds) end
  if not out then return nil, store_error(self, err, kind) end
  return out
end

-- One command: its value, or nil, err (a tingting.error, also for an error reply).
local function command(self, ...)
  local out, err = pipeline(self, { { n = select("#", ...), ... } })
  if not out then return nil, err end
  local v, e, k = unpack(out[1], 1, 3)
  if v == nil then return nil, store_error(self, e, k) end
  return v
end

-- Scripts: EVALSHA, loading the script first (SCRIPT LOAD) when its SHA-1 is
-- not known yet, and running it with EVAL (which loads it again) after a
-- NOSCRIPT (a restarted server, or SCRIPT FLUSH).
local SCRIPTS = {
  -- KEYS: lock; ARGV: id
  unlock = [[
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0]],
  -- KEYS: key; ARGV: by, ttl_ms (0: none). A new key gets the ttl.
  incr = [[
local new = redis.call('EXISTS', KEYS[1]) == 0
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if new and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v]],
  -- KEYS: cool, sends, code; ARGV: resend_ms, window_ms, max_sends, record, ttl_ms, nonce
  otp_begin_send = [[
local resend = tonumber(ARGV[1])
if resend > 0 and redis.call('EXISTS', KEYS[1]) == 1 then
  return {'cooldown', redis.call('PTTL', KEYS[1])}
end
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
if n >= tonumber(ARGV[3]) then return {'max_sends', redis.call('PTTL', KEYS[2])} end
n = redis.call('INCR', KEYS[2])
if redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
if resend > 0 then redis.call('SET', KEYS[1], ARGV[6], 'PX', resend) end
redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5])
return {'ok', n}]],
  -- KEYS: cool, sends, code; ARGV: record, nonce
  otp_cancel_send = [[
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
if redis.call('GET', KEYS[1]) == ARGV[2] then redis.call('DEL', KEYS[1]) end
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
if n > 1 then redis.call('DECR', KEYS[2]) elseif n == 1 then redis.call('DEL', KEYS[2]) end
return 1]],
  -- KEYS: code, tries, cool; ARGV: record, matched ("1" or "0"), max_attempts
  otp_verify = [[
local rec = redis.call('GET', KEYS[1])
if not rec then return {'expired'} end
if rec ~= ARGV[1] then return {'changed'} end
local tries = redis.call('INCR', KEYS[2])
if tries == 1 then redis.call('PEXPIRE', KEYS[2], math.max(redis.call('PTTL', KEYS[1]), 1)) end
local max = tonumber(ARGV[3])
if tries > max then return {'locked', redis.call('PTTL', KEYS[3])} end
if ARGV[2] ~= '1' then return {'mismatch', max - tries} end
redis.call('DEL', KEYS[1], KEYS[2])
return {'ok'}]],
}
local SHAS = {} -- script name -> SHA-1, as SCRIPT LOAD gave it (the same on every server)

local function script(self, name, keys, argv)
  local src = SCRIPTS[name]
  if not SHAS[name] then
    local sha, err = command(self, "SCRIPT", "LOAD", src)
    if not sha then return nil, err end
    SHAS[name] = sha
  end
  local args = { "EVALSHA", SHAS[name], #keys }
  for _, k in ipairs(keys) do args[#args + 1] = self.prefix .. k end
  for _, a in ipairs(argv) do args[#args + 1] = a end
  local out, err = pipeline(self, { args })
  if not out then return nil, err end
  local v, e, k = unpack(out[1], 1, 3)
  if v == nil and k == "redis" and tostring(e):find("^NOSCRIPT") then
    args[1], args[2] = "EVAL", src
    out, err = pipeline(self, { args })
    if not out then return nil, err end
    v, e, k = unpack(out[1], 1, 3)
  end
  if v == nil then return nil, store_error(self, e, k) end
  return v
end

local function ms(seconds)
  if not seconds or seconds <= 0 then return 0 end
  return math.max(1, math.ceil(seconds * 1000))
end

local function secs(pttl)
  return math.max(1, math.ceil((tonumber(pttl) or 1000) / 1000))
end

-- Tokens and the renewal lock -------------------------------------------------

--- The stored tokens: access, refresh (nil when none, or when Redis cannot
-- be reached: the session then logs in on its own).
function Store:load()
  local v = command(self, "GET", self.prefix .. "tokens")
  if type(v) ~= "string" then return nil end
  local access, refresh = v:match("^([^\n]*)\n([^\n]*)$")
  if not access or access == "" then return nil end
  return access, refresh ~= "" and refresh or nil
end

--- Store both tokens in one value (a reader never sees one login's access
-- token with another's refresh token); raises when Redis cannot be reached,
-- as the shared_dict store does when its dict is full.
function Store:save(access, refresh)
  local ok, err
  if access then
    ok, err = command(self, "SET", self.prefix .. "tokens", access .. "\n" .. (refresh or ""))
  else
    ok, err = command(self, "DEL", self.prefix .. "tokens")
  end
  if not ok then error("tingting.store.redis: cannot save the tokens: " .. tostring(err), 0) end
end

--- Forget the stored tokens.
function Store:clear()
  return command(self, "DEL", self.prefix .. "tokens")
end

local function sleep(seconds)
  if in_nginx() then ngx.sleep(seconds) else core.sleep(seconds) end
end

--- Take the renewal lock (SET NX PX), waiting up to `wait` seconds for
-- whoever holds it; it frees itself after `hold` seconds.
-- @treturn string|nil the key to pass to unlock
-- @treturn string|tingting.error "timeout", or why Redis could not be asked
function Store:lock(wait, hold)
  local bytes = assert(core.random_bytes(12))
  local id = core.hex(bytes)
  local key = self.prefix .. "lock"
  local deadline = clock() + (wait or 30)
  local step = 0.002
  while true do
    local v, err = command(self, "SET", key, id, "NX", "PX", ms(hold or 60))
    if v == nil then return nil, err end
    if type(v) == "table" and v.ok then return id end
    if clock() >= deadline then return nil, "timeout" end
    sleep(step)
    step = math.min(step * 2, 0.05)
  end
end

--- Release the lock, only if it is still ours (a script: compare and delete).
function Store:unlock(id)
  return script(self, "unlock", { "lock" }, { id })
end

-- Key-value entries ---------------------------------------------------------

--- The value at key (a string), nil when absent, or nil, err.
function Store:get(key)
  local v, err = command(self, "GET", self.prefix .. key)
  if v == false then return nil end
  return v, err
end

--- Set key to value (a string or a number), expiring after `ttl` seconds
-- (nil or 0: never). true, or nil, err.
function Store:set(key, value, ttl)
  local v, err
  if ms(ttl) > 0 then v, err = command(self, "SET", self.prefix .. key, value, "PX", ms(ttl))
  else v, err = command(self, "SET", self.prefix .. key, value) end
  if not v then return nil, err end
  return true
end

--- Set key only if absent: true, nil, "exists", or nil, err.
function Store:add(key, value, ttl)
  local v, err
  if ms(ttl) > 0 then v, err = command(self, "SET", self.prefix .. key, value, "NX", "PX", ms(ttl))
  else v, err = command(self, "SET", self.prefix .. key, value, "NX") end
  if v == false then return nil, "exists" end
  if not v then return nil, err end
  return true
end

--- Add `by` to the integer at key (0 when absent; a new key gets `ttl`):
-- the new value, or nil, err.
function Store:incr(key, by, ttl)
  return script(self, "incr", { key }, { math.floor(by or 1), ms(ttl) })
end

--- Seconds left before key expires (0: no expiry), nil when absent, or nil, err.
function Store:ttl(key)
  local v, err = command(self, "PTTL", self.prefix .. key)
  if not v then return nil, err end
  if v == -2 then return nil end
  if v == -1 then return 0 end
  return v / 1000
end

--- Delete key: true, or nil, err.
function Store:delete(key)
  local v, err = command(self, "DEL", self.prefix .. key)
  if not v then return nil, err end
  return true
end

-- The atomic steps of tingting.otp ------------------------------------------------
-- `k` holds the flow's key names (code, cool, sends); each call is one script.

--- Check the cooldown and the send budget, and if both allow it, start the
-- cooldown, count the send and store the code's record, in one step.
-- @return the number of sends in the window; or nil, "cooldown" | "max_sends",
-- seconds to wait; or nil, "unavailable", err
function Store:otp_begin_send(k, o)
  local v, err = script(self, "otp_begin_send", { k.cool, k.sends, k.code },
    { ms(o.resend_after), ms(o.send_window), o.max_sends, o.record, ms(o.ttl), o.nonce })
  if not v then return nil, "unavailable", err end
  if v[1] == "ok" then return v[2] end
  return nil, v[1], secs(v[2])
end

--- Undo a send the API surely did not make: the record (if still this one),
-- the cooldown (if still this send's) and the count.
function Store:otp_cancel_send(k, o)
  local v, err = script(self, "otp_cancel_send", { k.cool, k.sends, k.code }, { o.record, o.nonce })
  if not v then return nil, "unavailable", err end
  return true
end

--- Count an attempt against the code whose record is `o.record`, and use it
-- up if `o.matched`, in one step.
-- @return "ok"; "mismatch", attempts left; "locked", seconds until a new
-- code may be sent; "expired"; "changed" (another code replaced it); or
-- "unavailable", err
function Store:otp_verify(k, o)
  local v, err = script(self, "otp_verify", { k.code, k.tries, k.cool },
    { o.record, o.matched and "1" or "0", o.max_attempts })
  if not v then return "unavailable", err end
  if v[1] == "locked" then return "locked", v[2] > 0 and secs(v[2]) or 0 end
  return v[1], v[2]
end

function Store:__tostring()
  return ("tingting.store.redis(%s, db %d, prefix %q)"):format(self.where, self.db, self.prefix)
end

--- A store in Redis. Options (each optional): `host` ("127.0.0.1"), `port`
-- (6379), `password`, `db` (0), `prefix` ("tingting:", the start of every
-- key), `timeout` (1 s, for connecting, sending and each read), `pool_size`
-- (16 idle connections kept, per nginx worker or per process). Does not
-- connect: connections are made on first use.
-- @treturn table|nil the store
-- @treturn tingting.error a validation error naming the option
function M.new(opts)
  if opts ~= nil and type(opts) ~= "table" then return invalid("options", "expected a table") end
  opts = opts or {}
  local accepted = { password = true }
  for k in pairs(DEFAULTS) do accepted[k] = true end
  local known, kerr = errors.check_keys("store.redis", opts, accepted)
  if not known then return nil, kerr end
  local o = {}
  for k, v in pairs(DEFAULTS) do
    if opts[k] == nil then o[k] = v else o[k] = opts[k] end
  end
  if type(o.host) ~= "string" or o.host == "" or #o.host > 253 or o.host:find("[%s%c/]") then
    return invalid("host", "expected a host name or address")
  end
  if not is_int(o.port, 1, 65535) then return invalid("port", "expected an integer from 1 to 65535") end
  local password = opts.password
  if password ~= nil and (type(password) ~= "string" or password == "") then
    return invalid("password", "expected a non-empty string")
  end
  if not is_int(o.db, 0, 1000000) then return invalid("db", "expected a database number (an integer from 0)") end
  if type(o.prefix) ~= "string" or o.prefix == "" then return invalid("prefix", "expected a non-empty string") end
  if type(o.timeout) ~= "number" or not (o.timeout > 0 and o.timeout <= 3600) then
    return invalid("timeout", "expected a number of seconds, more than 0 and at most 3600")
  end
  if not is_int(o.pool_size, 1, 10000) then return invalid("pool_size", "expected an integer from 1 to 10000") end
  o.port, o.db, o.pool_size = math.floor(o.port), math.floor(o.db), math.floor(o.pool_size)
  o.password = password
  o.where = o.host .. ":" .. o.port
  -- one nginx pool per server and database (connections are AUTHed and SELECTed)
  local who = password and core.hex(core.sha256(password)):sub(1, 16) or ""
  o.pool = ("tingting-redis:%s:%d:%s"):format(o.where, o.db, who)
  o.idle = {}
  return setmetatable(o, Store)
end

-- require("tingting.store.redis"){...} works as well as .new{...}
return setmetatable(M, { __call = function(_, opts) return M.new(opts) end })
