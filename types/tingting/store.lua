---@meta tingting.store
-- LuaLS definitions of `tingting.store`: where sessions keep their tokens
-- (`token_store`) and where `tingting.otp` keeps its codes.

---A key-value store for `tingting.otp`: values are strings or numbers, ttl in
---seconds (nil or 0: no expiry). A store that can fail (Redis) answers
---`nil, err` where the others cannot fail.
---@class tingting.KeyValueStore
local KeyValueStore = {}

---The value at `key`, nil when absent.
---@param key string
---@return string|number|nil value
---@return tingting.Error|nil err
function KeyValueStore:get(key) end

---Set `key`, expiring after `ttl` seconds.
---@param key string
---@param value string|number
---@param ttl? number
---@return true|nil ok
---@return tingting.Error|nil err
function KeyValueStore:set(key, value, ttl) end

---Set `key` only if absent.
---@param key string
---@param value string|number
---@param ttl? number
---@return true|nil ok
---@return "exists"|tingting.Error|nil why
function KeyValueStore:add(key, value, ttl) end

---Add `by` to the number at `key` (0 when absent; a new key gets `ttl`).
---@param key string
---@param by number
---@param ttl? number
---@return number|nil value the new value
---@return tingting.Error|nil err
function KeyValueStore:incr(key, by, ttl) end

---Seconds left before `key` expires (0: no expiry); nil when absent.
---@param key string
---@return number|nil seconds
---@return tingting.Error|nil err
function KeyValueStore:ttl(key) end

---Delete `key`.
---@param key string
---@return true|nil ok
---@return tingting.Error|nil err
function KeyValueStore:delete(key) end

---Tokens in a JSON file, mode 0600, replaced atomically (scripts, the CLI).
---@class tingting.FileStore: tingting.TokenStore
---@field path string
local FileStore = {}

---Forget the stored tokens (remove the file): log out.
---@return nil
function FileStore:clear() end

---Where the stored tokens belong (a file without it: the default base URL
---and the legacy API), or nil when none are stored.
---@return {base_url: string, api: "legacy"|"v1"}|nil owner
function FileStore:owner() end

---Tokens and key-value entries in a Lua table: one process (one nginx worker).
---@class tingting.MemoryStore: tingting.TokenStore, tingting.KeyValueStore
local MemoryStore = {}

---Forget the tokens and every entry.
---@return nil
function MemoryStore:clear() end

---Tokens and key-value entries in an nginx `lua_shared_dict`, shared by every
---worker, with a single-flight token renewal.
---@class tingting.SharedDictStore: tingting.TokenStore, tingting.KeyValueStore
---@field prefix string
local SharedDictStore = {}

---Forget the stored tokens.
---@return nil
function SharedDictStore:clear() end

---Take the renewal lock, waiting up to `wait` seconds; it frees itself after
---`hold` seconds if its holder never returns.
---@param wait? number seconds (default 30)
---@param hold? number seconds (default 60)
---@return string|nil key to pass to unlock
---@return string|nil why "timeout" or the dict's error
function SharedDictStore:lock(wait, hold) end

---Release the lock taken with `lock()` (unless it expired and was taken since).
---@param key string
---@return nil
function SharedDictStore:unlock(key) end

---Options of `tingting.store.shared_dict(dict, opts)`.
---@class tingting.SharedDictOptions
---@field prefix? string of every key (default "tingting:")

---@class tingting.store
local store = {}

---Options of `tingting.store.file(path, opts)`: what the file is bound to.
---@class tingting.FileStoreOptions
---@field base_url? string tokens are written with it, and tokens written for another base URL are not loaded
---@field api? "legacy"|"v1" the same for the dialect

---Tokens in a JSON file (mode 0600), replaced atomically, never through a
---planted link. A file written without `base_url` belongs to the default
---base URL and the legacy API.
---@param path string
---@param opts? tingting.FileStoreOptions
---@return tingting.FileStore|nil store
---@return tingting.Error|nil err a bad path or option
function store.file(path, opts) end

---Tokens and key-value entries in memory (one process).
---@return tingting.MemoryStore store
function store.memory() end

---Tokens and key-value entries in an nginx shared dict.
---@param dict table e.g. `ngx.shared.tingting` (declared with `lua_shared_dict tingting 1m;`)
---@param opts? tingting.SharedDictOptions
---@return tingting.SharedDictStore|nil store
---@return tingting.Error|nil err not a shared dict, or a bad option
function store.shared_dict(dict, opts) end

---Tokens, the renewal lock and the OTP state in Redis, shared by every host
---using the server (`require("tingting.store.redis").new`). Does not connect.
---@param opts? tingting.RedisOptions
---@return tingting.RedisStore|nil store
---@return tingting.Error|nil err a validation error naming the option
function store.redis(opts) end

return store
