---@meta tingting.store.redis
-- LuaLS definitions of `tingting.store.redis`: a store in Redis, shared by
-- every worker of every host that uses the server; plain Lua (hiredis) and
-- nginx (cosockets) alike. Failures are `nil, err` with `err` a
-- `tingting.Error` of kind "network" whose message names Redis.

---Options of `tingting.store.redis{...}`; each optional, unknown ones refused.
---@class tingting.RedisOptions
---@field host? string (default "127.0.0.1")
---@field port? integer (default 6379)
---@field password? string AUTH
---@field db? integer SELECT (default 0)
---@field prefix? string the start of every key it writes (default "tingting:")
---@field timeout? number seconds for connecting, sending and each read (default 1)
---@field pool_size? integer idle connections kept per worker or process (default 16)

---@class tingting.RedisStore: tingting.TokenStore, tingting.KeyValueStore
---@field prefix string
---@field host string
---@field port integer
---@field db integer
local RedisStore = {}

---Forget the stored tokens.
---@return true|nil ok
---@return tingting.Error|nil err
function RedisStore:clear() end

---Take the renewal lock (SET NX PX), waiting up to `wait` seconds; it frees
---itself after `hold` seconds.
---@param wait? number seconds (default 30)
---@param hold? number seconds (default 60)
---@return string|nil key to pass to unlock
---@return "timeout"|tingting.Error|nil why
function RedisStore:lock(wait, hold) end

---Release the lock, only if it is still ours.
---@param key string
---@return any|nil ok
---@return tingting.Error|nil err
function RedisStore:unlock(key) end

---`tingting.otp`'s atomic send step: check the cooldown and the budget, start
---the cooldown, count the send and store the code's record, in one script.
---@param k {code: string, cool: string, sends: string} the flow's keys
---@param o table the flow's limits and the record
---@return integer|nil sends in the window
---@return "cooldown"|"max_sends"|"unavailable"|nil why
---@return number|tingting.Error|nil detail seconds to wait, or the error
function RedisStore:otp_begin_send(k, o) end

---`tingting.otp`'s undo of a send the API surely did not make.
---@param k {code: string, cool: string, sends: string}
---@param o table
---@return true|nil ok
---@return "unavailable"|nil why
---@return tingting.Error|nil err
function RedisStore:otp_cancel_send(k, o) end

---`tingting.otp`'s atomic verify step: count an attempt, use the code up if it matched.
---@param k {code: string, cool: string, sends: string, tries?: string}
---@param o table
---@return "ok"|"mismatch"|"locked"|"expired"|"changed"|"unavailable" outcome
---@return integer|number|tingting.Error|nil detail attempts left, seconds, or the error
function RedisStore:otp_verify(k, o) end

---The module is also callable: `require("tingting.store.redis"){...}`.
---@class tingting.store.redis
---@overload fun(opts?: tingting.RedisOptions): tingting.RedisStore|nil, tingting.Error|nil
local redis = {}

---A store in Redis. Does not connect: connections are made on first use.
---@param opts? tingting.RedisOptions
---@return tingting.RedisStore|nil store
---@return tingting.Error|nil err a validation error naming the option
function redis.new(opts) end

return redis
