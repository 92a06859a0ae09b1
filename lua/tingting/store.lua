--- Stores: where sessions keep their tokens, and where `tingting.otp` keeps
-- its codes.
--
-- A token store is any object with `load() -> access, refresh` and
-- `save(access, refresh)`; pass it as the session's `token_store`. A store
-- that also has `lock(wait, hold) -> key | nil, err` and `unlock(key)` makes
-- token renewal single-flight across everything that shares it (nginx
-- workers): one login, one refresh, the others reuse the winner's token.
--
-- A key-value store (for `tingting.otp`) has `get(key)`,
-- `set(key, value, ttl)`, `add(key, value, ttl) -> true | nil, "exists"`,
-- `incr(key, by, ttl)`, `ttl(key)` and `delete(key)`; values are strings or
-- numbers, ttl in seconds
-- (nil or 0: no expiry). `memory()`, `shared_dict(dict)` and `redis{...}`
-- (shared across hosts, with atomic OTP steps) are all of both kinds.
-- @module tingting.store
local core = require "tingting.core"
local cjson = require "cjson.safe"
local clock = require "tingting.clock"
local errors = require "tingting.errors"

local M = {}

local now = clock.now

local File = {}
File.__index = File

-- The library's default, which a token file written before files named
-- their base URL is taken to belong to: such a file cannot say where its
-- tokens came from, and the one place they may safely go is the default.
local DEFAULT_BASE_URL = "https://app.tingting.io"

local function same_url(a, b)
  return a:gsub("/+$", "") == b:gsub("/+$", "")
end

local function read_doc(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local doc = cjson.decode(f:read("*a") or "")
  f:close()
  if type(doc) ~= "table" or type(doc.access) ~= "string" then return nil end
  return doc
end

--- Where the stored tokens belong: `{base_url =, api =}` (a file without
-- them: the default base URL and the legacy API), or nil when none are
-- stored.
function File:owner()
  local doc = read_doc(self.path)
  if not doc then return nil end
  return { base_url = type(doc.base_url) == "string" and doc.base_url or DEFAULT_BASE_URL,
    api = (doc.api == "v1" or doc.api == "legacy") and doc.api or "legacy" }
end

--- The stored tokens; a store bound to a base URL (or an API dialect)
-- answers nothing for tokens that belong to another, so they are never
-- sent there.
function File:load()
  local doc = read_doc(self.path)
  if not doc then return nil end
  if self.base_url or self.api then
    local owner = self:owner()
    if self.base_url and not same_url(owner.base_url, self.base_url) then return nil end
    if self.api and owner.api ~= self.api then return nil end
  end
  return doc.access, type(doc.refresh) == "string" and doc.refresh or nil
end

function File:save(access, refresh)
  local ok, err = core.write_private(self.path, cjson.encode { access = access, refresh = refresh,
    base_url = self.base_url, api = self.api })
  if not ok then error("tingting.store.file: " .. err, 0) end
end

--- Clear the stored tokens (log out).
function File:clear()
  os.remove(self.path)
end

function File:__tostring() return "tingting.store.file(" .. self.path .. ")" end

--- Tokens in a JSON file, mode 0600, replaced atomically on every change
-- (never written through a link planted at its temporary name).
-- `opts.base_url` (and `opts.api`, "legacy" or "v1") binds the file: they
-- are written with the tokens, and tokens written for another base URL or
-- dialect are not loaded (a file without them belongs to the default base
-- URL and the legacy API).
-- @string path
-- @tparam[opt] table opts `{base_url =, api =}`
function M.file(path, opts)
  if type(path) ~= "string" or path == "" or path:find("[%z\r\n]") then
    return errors.invalid("store.file", "path", "expected a file path")
  end
  if opts ~= nil and type(opts) ~= "table" then return errors.invalid("store.file", "opts", "expected a table") end
  opts = opts or {}
  local known, kerr = errors.check_keys("store.file", opts, { "base_url", "api" })
  if not known then return nil, kerr end
  if opts.base_url ~= nil and (type(opts.base_url) ~= "string" or opts.base_url == "") then
    return errors.invalid("store.file", "base_url", "expected a URL string")
  end
  if opts.api ~= nil and opts.api ~= "legacy" and opts.api ~= "v1" then
    return errors.invalid("store.file", "api", "expected legacy or v1")
  end
  local dir = io.open(path .. "/.", "r")
  if dir then
    dir:close()
    return errors.invalid("store.file", "path", "is a directory: " .. path)
  end
  local base = opts.base_url and (opts.base_url:gsub("/+$", ""))
  return setmetatable({ path = path, base_url = base, api = opts.api }, File)
end

-- Memory ------------------------------------------------------------------

local Memory = {}
Memory.__index = Memory

function Memory:load() return self.access, self.refresh end
function Memory:save(access, refresh) self.access, self.refresh = access, refresh end
function Memory:clear()
  self.access, self.refresh = nil, nil
  self.kv = {}
end

-- the live entry of key, or nil (an expired one is dropped)
local function live(self, key)
  local e = self.kv[key]
  if e and e.exp and e.exp <= now() then
    self.kv[key] = nil
    return nil
  end
  return e
end

local function expiry(ttl)
  if ttl and ttl > 0 then return now() + ttl end
  return nil
end

function Memory:get(key)
  local e = live(self, key)
  return e and e.value
end

function Memory:set(key, value, ttl)
  self.kv[key] = { value = value, exp = expiry(ttl) }
  return true
end

function Memory:add(key, value, ttl)
  if live(self, key) then return nil, "exists" end
  return self:set(key, value, ttl)
end

--- Add `by` to the number at key (0 when absent; a new key gets `ttl`).
function Memory:incr(key, by, ttl)
  local e = live(self, key)
  if not e then
    e = { value = 0, exp = expiry(ttl) }
    self.kv[key] = e
  end
  e.value = e.value + by
  return e.value
end

--- Seconds left before key expires (0: no expiry); nil when absent.
function Memory:ttl(key)
  local e = live(self, key)
  if not e then return nil end
  return e.exp and (e.exp - now()) or 0
end

function Memory:delete(key)
  self.kv[key] = nil
  return true
end

function Memory:__tostring() return "tingting.store.memory" end

--- Tokens and key-value entries in a Lua table: one process (or one nginx
-- worker) only.
function M.memory()
  return setmetatable({ kv = {} }, Memory)
end

-- Shared dict (OpenResty) -----------------------------------------------------

local Dict = {}
Dict.__index = Dict

local lock_seq = 0

-- Both tokens in one value, so a reader never sees a new access token with
-- the refresh token of another login.
function Dict:load()
  local v = self.dict:get(self.prefix .. "tokens")
  if type(v) ~= "string" then return nil end
  local access, refresh = v:match("^([^\n]*)\n([^\n]*)$")
  if not access or access == "" then return nil end
  return access, refresh ~= "" and refresh or nil
end

function Dict:save(access, refresh)
  local key = self.prefix .. "tokens"
  local ok, err
  if access then
    ok, err = self.dict:set(key, access .. "\n" .. (refresh or ""))
  else
    ok, err = self.dict:delete(key)
  end
  if not ok then error("tingting.store.shared_dict: cannot save the tokens: " .. tostring(err), 0) end
end

function Dict:clear()
  self.dict:delete(self.prefix .. "tokens")
end

--- Take the renewal lock, waiting up to `wait` seconds for whoever holds it;
-- the lock frees itself after `hold` seconds if its holder never returns.
-- @treturn string|nil the key to pass to unlock
-- @treturn string "timeout" or the dict's error
function Dict:lock(wait, hold)
  local key = self.prefix .. "lock"
  lock_seq = lock_seq + 1
  local id = ("%d:%d:%d"):format(ngx.worker.pid(), lock_seq, math.random(0, 0x7fffffff))
  local deadline = ngx.now() + (wait or 30)
  local step = 0.002
  while true do
    local ok, err = self.dict:add(key, id, hold or 60)
    if ok then return id end
    if err ~= "exists" then return nil, err end
    if ngx.now() >= deadline then return nil, "timeout" end
    ngx.sleep(step)
    step = math.min(step * 2, 0.05)
  end
end

--- Release the lock taken with `lock()`, unless it has expired and been
-- taken by someone else meanwhile.
function Dict:unlock(id)
  local key = self.prefix .. "lock"
  if self.dict:get(key) == id then self.dict:delete(key) end
end

function Dict:get(key) return (self.dict:get(self.prefix .. key)) end

local function dict_ok(ok, err, what)
  if not ok and err ~= "exists" then
    error("tingting.store.shared_dict: cannot " .. what .. ": " .. tostring(err), 0)
  end
  return ok, err
end

function Dict:set(key, value, ttl)
  local ok, err = self.dict:set(self.prefix .. key, value, ttl or 0)
  return dict_ok(ok, err, "set " .. key)
end

function Dict:add(key, value, ttl)
  local ok, err = self.dict:add(self.prefix .. key, value, ttl or 0)
  return dict_ok(ok, err, "add " .. key)
end

function Dict:incr(key, by, ttl)
  local v, err = self.dict:incr(self.prefix .. key, by, 0, ttl or 0)
  if not v then error("tingting.store.shared_dict: cannot incr " .. key .. ": " .. tostring(err), 0) end
  return v
end

function Dict:ttl(key)
  local t = self.dict:ttl(self.prefix .. key)
  return t
end

function Dict:delete(key)
  self.dict:delete(self.prefix .. key)
  return true
end

function Dict:__tostring() return "tingting.store.shared_dict(" .. self.prefix .. ")" end

--- Tokens and key-value entries in an nginx `lua_shared_dict`, shared by all
-- workers: one login for all of them, and a single-flight renewal.
-- @param dict e.g. `ngx.shared.tingting` (declared with `lua_shared_dict tingting 1m;`)
-- @tparam[opt] table opts `prefix` for every key (default "tingting:")
function M.shared_dict(dict, opts)
  local ok = type(dict) == "table" or type(dict) == "userdata"
  for _, m in ipairs { "get", "set", "add", "incr", "ttl", "delete" } do
    ok = ok and type(dict[m]) == "function"
  end
  if not ok then
    return errors.invalid("store.shared_dict", "dict",
      "expected an ngx.shared dict such as ngx.shared.tingting (declare it with lua_shared_dict)")
  end
  if opts ~= nil and type(opts) ~= "table" then
    return errors.invalid("store.shared_dict", "opts", "expected a table")
  end
  if opts ~= nil then
    local known, kerr = errors.check_keys("store.shared_dict", opts, { "prefix" })
    if not known then return nil, kerr end
  end
  local prefix = (opts and opts.prefix) or "tingting:"
  if type(prefix) ~= "string" then return errors.invalid("store.shared_dict", "prefix", "expected a string") end
  return setmetatable({ dict = dict, prefix = prefix }, Dict)
end

-- Redis (lua/tingting/store/redis.lua) --------------------------------------------

--- Tokens, the renewal lock and the OTP state in Redis, shared by every
-- worker of every host using the same server: `tingting.store.redis{host =,
-- port =, password =, db =, prefix =, timeout =, pool_size =}`. Loaded on
-- first use (it is `require("tingting.store.redis").new`).
function M.redis(opts)
  return require("tingting.store.redis").new(opts)
end

return M
