--- The session's tokens: holding them (expiry, and when to renew), taking
-- new ones from an answer, sharing them through a token store, and renewing
-- them once for everyone waiting (single flight).
--
-- A renewal is a request like any other (refresh, else login, with the
-- retry policy). It goes through the call path it is handed as `path`
-- (`tingting.call`: `path.perform`, `path.sleep`, `path.policy`), so that
-- the call path can require this module and not the other way round.
-- @module tingting.auth
local core = require "tingting.core"
local cjson = require "cjson.safe"
local clock = require "tingting.clock"
local errors = require "tingting.errors"
local hooks = require "tingting.hooks"

local M = {}

local now = clock.now

local NOT_LOGGED_IN = "not logged in: give email and password, or tokens, or call s:login()"

--- The `exp` and `iat` claims of a JWT (epoch seconds), without verifying it.
function M.jwt_times(token)
  local payload = core.jwt_payload(token)
  local claims = payload and cjson.decode(payload)
  if type(claims) ~= "table" or type(claims.exp) ~= "number" then return nil end
  return math.floor(claims.exp), type(claims.iat) == "number" and math.floor(claims.iat) or nil
end

local function lifetime(exp, iat)
  return (exp and iat and exp > iat) and (exp - iat) or nil
end

--- A token goes into every Authorization header: one with whitespace or a
-- control character (CR/LF) would break the request line by line.
function M.bad_token(t)
  return t ~= nil and (type(t) ~= "string" or t == "" or #t > 8192 or t:find("[%c%s]") ~= nil)
end
local bad_token = M.bad_token

--- Take tokens as the session's own: expiry and how early to renew them.
function M.hold_tokens(st, access, refresh)
  st.access_token = access
  if refresh then st.refresh_token = refresh end
  local exp, iat
  if access then exp, iat = M.jwt_times(access) end
  st.token_expires = exp
  st.token_lifetime = lifetime(exp, iat)
end

-- How early to renew a token that expires at `exp`: refresh_margin seconds,
-- or a quarter of its lifetime for short-lived tokens, so that a short TTL
-- never means a renewal per call.
local function renew_at(policy, exp, life)
  local margin = policy.refresh_margin
  if life then margin = math.min(margin, life / 4) end
  return exp - margin
end

local function renew_due(path, st)
  return st.token_expires ~= nil and now() >= renew_at(path.policy, st.token_expires, st.token_lifetime)
end

--- Record new tokens from an answer to `op` and tell on_tokens and the token
-- store; `nil, err` (kind decode) when the answer's tokens are unusable.
function M.set_tokens(st, access, refresh, op)
  if access == nil or bad_token(access) or bad_token(refresh) then
    return nil, errors.decode("the answer's token is not usable (missing, or with spaces or control characters)", op)
  end
  M.hold_tokens(st, access, refresh)
  if st.token_store and st.token_store.save then
    hooks.run(st, st.token_store.save, st.token_store, st.access_token, st.refresh_token)
  end
  hooks.run(st, st.on_tokens, st.access_token, st.refresh_token)
  return true
end

-- Operations that need a login session even where an API token is held (v1 #3).
local NEEDS_LOGIN = { generate_api_token = true }

--- Whether a call to `op` goes with the session's static API token (v1):
-- then there is nothing to log in, refresh or renew for it.
function M.uses_api_key(st, op)
  return st.api_key ~= nil and not NEEDS_LOGIN[op]
end

--- Put the session's credential on request `req` (an endpoint that needs
-- one): the only place the Authorization header is decided. v1 takes the
-- API token and a login's access JWT in the same Bearer header (reference,
-- open question 1); the login's cookies are never sent back as cookies but
-- for the refresh (M.refresh_request).
function M.authorize(st, req)
  local token = st.access_token
  if M.uses_api_key(st, req.op) then token = st.api_key end
  if token then req.headers.Authorization = "Bearer " .. token end
  return req
end

--- The refresh request of session `s` (state `st`): legacy sends the
-- refresh token as JSON, v1 as the `refresh` cookie (#2; never JSON, as the
-- reference rules out). `req` | `nil, err`.
function M.refresh_request(s, st)
  if st.api ~= "v1" then return core.build(s, "refresh", { refresh = st.refresh_token }) end
  local req, err = core.build(s, "refresh")
  if not req then return nil, err end
  req.headers.Cookie = "refresh=" .. st.refresh_token
  return req
end

-- Tokens someone else put in the store (another worker's login or refresh):
-- a change for on_tokens, but nothing to write back.
local function adopt_tokens(st, access, refresh)
  M.hold_tokens(st, access, refresh)
  hooks.run(st, st.on_tokens, st.access_token, st.refresh_token)
end

local function build_and_perform(path, s, st, op, args)
  local req, err = core.build(s, op, args)
  if not req then return nil, err end
  return path.perform(s, st, req)
end

local function do_renew(path, s, st)
  local err
  if st.refresh_token then
    local ok, meta
    local req, rerr = M.refresh_request(s, st)
    if req then ok, meta = path.perform(s, st, req) else meta = rerr end
    if ok then return M.set_tokens(st, meta.access, meta.refresh, "refresh") end
    err = meta
    -- a network failure says nothing about the refresh token: don't log in again for it
    if err.kind ~= "auth" and err.kind ~= "api" and err.kind ~= "not_found" then return nil, err end
    hooks.log(st, "tingting: refresh token no longer accepted")
  end
  if st.email and st.password then
    local user, meta = build_and_perform(path, s, st, "login", { email = st.email, password = st.password })
    if user then
      st.user = user
      return M.set_tokens(st, meta.access, meta.refresh, "login")
    end
    return nil, meta
  end
  return nil, err or errors.auth(NOT_LOGGED_IN)
end

-- A usable token in the store that is not `stale`: another worker renewed.
-- One already due for renewal is no better than our own.
local function stored_token(path, st, stale)
  local access, refresh = st.token_store:load()
  if not access or access == stale or bad_token(access) or bad_token(refresh) then return nil end
  local exp, iat = M.jwt_times(access)
  if exp and now() >= renew_at(path.policy, exp, lifetime(exp, iat)) then return nil end
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
local function renew_shared(path, s, st, stale)
  local store = st.token_store
  if not (store and store.lock and store.load) then return do_renew(path, s, st) end
  local key = store:lock(st.timeout or 30, renewal_limit(st))
  local ok, a, b = pcall(function()
    local access, refresh = stored_token(path, st, stale)
    if access then
      adopt_tokens(st, access, refresh)
      return true
    end
    return do_renew(path, s, st)
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
function M.renew(path, s, st, stale)
  if st.access_token and st.access_token ~= stale then return true end
  while st.renewing and now() < st.renewing do
    path.sleep(st, 0.01)
  end
  if st.access_token and st.access_token ~= stale then return true end
  -- long enough for a refresh and a login to answer; a renewal stuck longer
  -- than that is taken over (at worst one renewal too many, never a hang)
  local mine = now() + 2 * ((st.timeout or 30) + (st.connect_timeout or 10)) + 5
  st.renewing = mine
  local ok, a, b = pcall(renew_shared, path, s, st, stale)
  if st.renewing == mine then st.renewing = nil end
  if not ok then error(a, 0) end
  return a, b
end

--- Make sure the session holds a usable access token before a call to `op`:
-- one from the token store, else a lazy login or refresh, and an early
-- renewal when it is due.
function M.ensure_auth(path, s, st, op)
  if M.uses_api_key(st, op) then return true end
  if st.token_store and st.token_store.load and not st.access_token then
    local access, refresh = st.token_store:load()
    if access and not bad_token(access) and not bad_token(refresh) then
      M.hold_tokens(st, access, refresh or st.refresh_token)
    end
  end
  if st.access_token then
    if renew_due(path, st) and (st.refresh_token or st.email) then
      local ok, err = M.renew(path, s, st, st.access_token)
      -- a renewal that failed for the network is no reason not to try the call
      if not ok and err.kind == "auth" then return nil, err end
    end
    return true
  end
  if st.refresh_token or (st.email and st.password) then
    local ok, err = M.renew(path, s, st, nil)
    if not ok then return nil, err end
    return true
  end
  return nil, errors.auth(NOT_LOGGED_IN, op)
end

return M
