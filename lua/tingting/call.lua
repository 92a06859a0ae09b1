--- The one call path every method goes through: build -> transport -> parse,
-- with the retry policy, single-flight token renewal and logging. It runs on
-- any transport (curl, ngx, custom), sleeping only through `transport:sleep`.
-- @module tingting.call
local core = require "tingting.core"
local cjson = require "cjson.safe"

local M = {}

-- The retry policy of DESIGN.md §3, as data.
M.policy = {
  -- statuses worth another try for idempotent operations
  retry_status = { [429] = true, [500] = true, [502] = true, [503] = true, [504] = true },
  backoff_base = 0.5,     -- first delay, doubled per attempt
  backoff_cap = 5,        -- longest computed delay
  retry_after_cap = 60,   -- longest Retry-After honoured; beyond it we give up
  refresh_margin = 30,    -- renew this many seconds before the access token expires
}

local ENDPOINTS = {}
for _, ep in ipairs(core.endpoints()) do ENDPOINTS[ep.op] = ep end
M.endpoints = ENDPOINTS

local now = os.time
local clock = os.clock
do
  local ok, socket = pcall(require, "socket")
  if ok and socket.gettime then now, clock = socket.gettime, socket.gettime end
end
if ngx and ngx.now then now, clock = ngx.now, ngx.now end
M.now = now

--- `nil, err` for bad input to `op`: a validation error naming `field`.
function M.invalid(op, field, message)
  return nil, core.error { kind = "validation", field = field, op = op, message = field .. ": " .. message,
    sent = false, retryable = false }
end

local function safe_callback(st, fn, ...)
  if not fn then return end
  local ok, err = pcall(fn, ...)
  if not ok and st.on_log and fn ~= st.on_log then
    pcall(st.on_log, "tingting: callback failed: " .. tostring(err))
  end
end

local function log(st, line)
  if st.on_log then safe_callback(st, st.on_log, line) end
end

--- Whether a failure may be retried for a request.
-- Non-idempotent requests are retried only when they provably were not
-- processed: never sent (connect/resolve failures) or refused with 429.
function M.retryable(err, idempotent)
  if err.kind == "validation" or err.kind == "decode" then return false end
  if err.kind == "rate_limited" or err.status == 429 then return true end
  if err.sent == false and (err.kind == "network" or err.kind == "timeout") then return true end
  if not idempotent then return false end
  if err.kind == "network" or err.kind == "timeout" then return true end
  return err.kind == "server" and M.policy.retry_status[err.status] == true
end

--- Delay before retry number `n` (1-based): min(base * 2^(n-1), cap) with
-- jitter in [d/2, d]; a Retry-After wins when given, up to its cap (nil past it).
function M.backoff(n, retry_after, random)
  local p = M.policy
  if retry_after then
    if retry_after > p.retry_after_cap then return nil end
    return math.max(retry_after, 0)
  end
  local d = math.min(p.backoff_base * 2 ^ (n - 1), p.backoff_cap)
  return d / 2 + (random or math.random)() * d / 2
end

local function transport_error(e)
  if type(e) ~= "table" then e = { message = tostring(e or "transport failed") } end
  local err = {
    kind = (e.kind == "timeout") and "timeout" or "network",
    message = e.message or "transport failed",
    code = e.code,
    -- unknown means it may have been processed: never claim otherwise
    sent = e.sent ~= false,
  }
  return core.error(err)
end

local function annotate(err, req)
  err.op = err.op or req.op
  err.method = err.method or req.method
  err.path = err.path or req.path
  if err.sent == nil then err.sent = true end
  return err
end

local function request(st, req)
  local t = st.transport
  if type(t) == "function" then return t(req) end
  return t:request(req)
end

local function sleep(st, seconds)
  local t = st.transport
  if type(t) ~= "function" and t.sleep then return t:sleep(seconds) end
  return core.sleep(seconds)
end
M.sleep = sleep

-- Deletes whose earlier attempt may have been processed: a 404 on the retry
-- means the first attempt did the work.
local DELETES = { delete_campaign = true, delete_number = true }

--- Send `req` with retries; returns result, meta | nil, err.
-- Without on_log, no clock is read and no log line is made.
function M.perform(s, st, req)
  local attempt, maybe_done = 0, false
  while true do
    local t0 = st.on_log and clock()
    local status, body, headers = request(st, req)
    local res, meta
    if status then
      res, meta = core.parse(s, req.op, status, body or "", headers or {})
    else
      meta = transport_error(body)
    end
    local ms = t0 and math.floor((clock() - t0) * 1000 + 0.5)
    if res ~= nil then
      if ms then log(st, ("tingting: %s %s -> %d (%d ms)"):format(req.method, req.path, status, ms)) end
      return res, meta
    end
    local err = annotate(meta, req)
    if ms then
      log(st, ("tingting: %s %s -> %s (%d ms)"):format(req.method, req.path,
        status and tostring(status) or err.kind, ms))
    end
    if maybe_done and err.kind == "not_found" then return true end
    maybe_done = DELETES[req.op] and err.sent ~= false and err.kind ~= "rate_limited"
    -- a transport that knows no retry can help says so (cosockets in a
    -- phase of nginx that disables them)
    local can = (status or type(body) ~= "table" or body.retryable ~= false) and M.retryable(err, req.idempotent)
    err.retryable = can
    if not can or attempt >= st.max_retries then return nil, err end
    local delay = M.backoff(attempt + 1, err.retry_after)
    if not delay then return nil, err end
    attempt = attempt + 1
    log(st, ("tingting: retry %d/%d of %s in %.2f s after %s%s"):format(attempt, st.max_retries,
      req.op, delay, err.kind, err.status and (" " .. err.status) or ""))
    sleep(st, delay)
  end
end

--- The `exp` and `iat` claims of a JWT (epoch seconds), without verifying it.
function M.jwt_times(token)
  local payload = core.jwt_payload(token)
  local claims = payload and cjson.decode(payload)
  if type(claims) ~= "table" or type(claims.exp) ~= "number" then return nil end
  return math.floor(claims.exp), type(claims.iat) == "number" and math.floor(claims.iat) or nil
end

function M.jwt_exp(token)
  return (M.jwt_times(token))
end

-- Take tokens as the session's own: expiry and how early to renew them.
local function hold_tokens(st, access, refresh)
  st.access_token = access
  if refresh then st.refresh_token = refresh end
  local exp, iat
  if access then exp, iat = M.jwt_times(access) end
  st.token_expires = exp
  st.token_lifetime = (exp and iat and exp > iat) and (exp - iat) or nil
end

-- Whether to renew the access token before using it: refresh_margin seconds
-- before it expires, or a quarter of its lifetime for short-lived tokens, so
-- that a short TTL never means a renewal per call.
-- How early to renew a token that expires at `exp`: refresh_margin seconds,
-- or a quarter of its lifetime for short-lived tokens, so that a short TTL
-- never means a renewal per call.
local function renew_at(exp, lifetime)
  local margin = M.policy.refresh_margin
  if lifetime then margin = math.min(margin, lifetime / 4) end
  return exp - margin
end

local function renew_due(st)
  return st.token_expires ~= nil and now() >= renew_at(st.token_expires, st.token_lifetime)
end

M.hold_tokens = hold_tokens

-- A token goes into every Authorization header: one with whitespace or a
-- control character (CR/LF) would break the request line by line.
local function bad_token(t)
  return t ~= nil and (type(t) ~= "string" or t == "" or #t > 8192 or t:find("[%c%s]") ~= nil)
end

--- Record new tokens from an answer to `op` and tell on_tokens and the token
-- store; `nil, err` (kind decode) when the answer's tokens are unusable.
function M.set_tokens(st, access, refresh, op)
  if access == nil or bad_token(access) or bad_token(refresh) then
    return nil, core.error { kind = "decode", op = op, sent = true, retryable = false,
      message = "the answer's token is not usable (missing, or with spaces or control characters)" }
  end
  hold_tokens(st, access, refresh)
  if st.token_store and st.token_store.save then
    safe_callback(st, st.token_store.save, st.token_store, st.access_token, st.refresh_token)
  end
  safe_callback(st, st.on_tokens, st.access_token, st.refresh_token)
  return true
end

-- Tokens someone else put in the store (another worker's login or refresh):
-- a change for on_tokens, but nothing to write back.
local function adopt_tokens(st, access, refresh)
  hold_tokens(st, access, refresh)
  safe_callback(st, st.on_tokens, st.access_token, st.refresh_token)
end

local function auth_error(message, op)
  return core.error { kind = "auth", message = message, op = op, sent = false, retryable = false }
end

local function build_and_perform(s, st, op, args)
  local req, err = core.build(s, op, args)
  if not req then return nil, err end
  return M.perform(s, st, req)
end

local function do_renew(s, st)
  local err
  if st.refresh_token then
    local ok, meta = build_and_perform(s, st, "refresh", { refresh = st.refresh_token })
    if ok then return M.set_tokens(st, meta.access, meta.refresh, "refresh") end
    err = meta
    -- a network failure says nothing about the refresh token: don't log in again for it
    if err.kind ~= "auth" and err.kind ~= "api" and err.kind ~= "not_found" then return nil, err end
    log(st, "tingting: refresh token no longer accepted")
  end
  if st.email and st.password then
    local user, meta = build_and_perform(s, st, "login", { email = st.email, password = st.password })
    if user then
      st.user = user
      return M.set_tokens(st, meta.access, meta.refresh, "login")
    end
    return nil, meta
  end
  return nil, err or auth_error("not logged in: give email and password, or tokens, or call s:login()")
end

-- A usable token in the store that is not `stale`: another worker renewed.
-- A usable token in the store that is not `stale`: another worker renewed.
-- One already due for renewal is no better than our own.
local function stored_token(st, stale)
  local access, refresh = st.token_store:load()
  if not access or access == stale or bad_token(access) or bad_token(refresh) then return nil end
  local exp, iat = M.jwt_times(access)
  if exp and now() >= renew_at(exp, (iat and exp > iat) and (exp - iat) or nil) then return nil end
  return access, refresh
end

-- The longest a renewal may take: a refresh and a login, each with its
-- retries, each attempt up to connect_timeout + timeout.
local function renewal_limit(st)
  local attempt = (st.timeout or 30) + (st.connect_timeout or 10)
  return 2 * attempt * ((st.max_retries or 2) + 1) + 10
end

-- Renew under the store's lock when it has one: whoever gets the lock first
-- logs in or refreshes; the others find its token in the store. A lock not
-- freed in time (its holder gone) is no reason to fail the call: renew
-- without it.
local function renew_shared(s, st, stale)
  local store = st.token_store
  if not (store and store.lock and store.load) then return do_renew(s, st) end
  local key = store:lock(st.timeout or 30, renewal_limit(st))
  local ok, a, b = pcall(function()
    local access, refresh = stored_token(st, stale)
    if access then
      adopt_tokens(st, access, refresh)
      return true
    end
    return do_renew(s, st)
  end)
  if key then store:unlock(key) end
  if not ok then error(a, 0) end
  return a, b
end

--- Get a fresh access token, once for everyone who saw `stale` fail: callers
-- that arrive while a renewal runs (ngx light threads) wait for its outcome,
-- and a token store with a lock extends that to everyone sharing the store.
-- `st.renewing` holds the renewal's deadline, not a flag: in nginx a request
-- can be ended mid-renewal (client abort, ngx.exit) without any error that a
-- pcall would see, and a waiter past the deadline takes over.
function M.renew(s, st, stale)
  if st.access_token and st.access_token ~= stale then return true end
  while st.renewing and now() < st.renewing do
    sleep(st, 0.01)
  end
  if st.access_token and st.access_token ~= stale then return true end
  -- long enough for a refresh and a login to answer; a renewal stuck longer
  -- than that is taken over (at worst one renewal too many, never a hang)
  local mine = now() + 2 * ((st.timeout or 30) + (st.connect_timeout or 10)) + 5
  st.renewing = mine
  local ok, a, b = pcall(renew_shared, s, st, stale)
  if st.renewing == mine then st.renewing = nil end
  if not ok then error(a, 0) end
  return a, b
end

local function ensure_auth(s, st, op)
  if st.token_store and st.token_store.load and not st.access_token then
    local access, refresh = st.token_store:load()
    if access and not bad_token(access) and not bad_token(refresh) then
      hold_tokens(st, access, refresh or st.refresh_token)
    end
  end
  if st.access_token then
    if renew_due(st) and (st.refresh_token or st.email) then
      local ok, err = M.renew(s, st, st.access_token)
      -- a renewal that failed for the network is no reason not to try the call
      if not ok and err.kind == "auth" then return nil, err end
    end
    return true
  end
  if st.refresh_token or (st.email and st.password) then
    local ok, err = M.renew(s, st, nil)
    if not ok then return nil, err end
    return true
  end
  return nil, auth_error("not logged in: give email and password, or tokens, or call s:login()", op)
end

--- Make sure session `s` holds a usable access token (lazy login, early refresh).
function M.ensure_auth(s)
  return ensure_auth(s, core.state(s), nil)
end

--- Call operation `op` on session `s`; `opts.sink` streams a download to a file.
function M.call(s, op, args, opts)
  core.check_open(s)
  local st = core.state(s)
  local ep = ENDPOINTS[op]
  -- validate first: bad input never costs a login or a refresh
  local built_with = st.access_token
  local req, err = core.build(s, op, args)
  if not req then return nil, err end
  if ep.auth then
    local ok, aerr = ensure_auth(s, st, op)
    if not ok then
      aerr.op = aerr.op or op
      return nil, aerr
    end
    if st.access_token ~= built_with then req.headers.Authorization = "Bearer " .. st.access_token end
  end
  if opts and opts.sink then req.sink = opts.sink end
  local sent_token = st.access_token
  local res, meta = M.perform(s, st, req)
  if res == nil and ep.auth and meta.status == 401 and (st.refresh_token or st.email) then
    local ok, rerr = M.renew(s, st, sent_token)
    if not ok then return nil, rerr end
    req.headers.Authorization = "Bearer " .. st.access_token
    res, meta = M.perform(s, st, req)
  end
  return res, meta
end

return M
