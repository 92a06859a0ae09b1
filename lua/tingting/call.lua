--- The one call path every method goes through: build -> transport -> parse,
-- with the retry policy and logging, and the session's tokens (tingting.auth)
-- renewed before a call when due and after a 401. It runs on any transport
-- (curl, ngx, custom), sleeping only through `transport:sleep`.
-- @module tingting.call
local core = require "tingting.core"
local auth = require "tingting.auth"
local clock = require "tingting.clock"
local errors = require "tingting.errors"
local hooks = require "tingting.hooks"
local dialect = require "tingting.dialect"

local M = {}

-- The retry policy of docs/design.md, as data.
M.policy = {
  -- statuses worth another try for idempotent operations
  retry_status = { [429] = true, [500] = true, [502] = true, [503] = true, [504] = true },
  backoff_base = 0.5,     -- first delay, doubled per attempt
  backoff_cap = 5,        -- longest computed delay
  retry_after_cap = 60,   -- longest Retry-After honoured; beyond it we give up
  refresh_margin = 30,    -- renew this many seconds before the access token expires
}

-- Each dialect's endpoint rows by op (core.endpoints): legacy and v1.
local DIALECTS = { legacy = {}, v1 = {} }
for name, rows in pairs(DIALECTS) do
  for _, ep in ipairs(core.endpoints(name)) do rows[ep.op] = ep end
end
local ENDPOINTS = DIALECTS.legacy
M.endpoints = ENDPOINTS
M.dialects = DIALECTS

--- The endpoint row of `op` in the dialect of state `st`, or nil.
function M.endpoint(st, op)
  return DIALECTS[st.api or "legacy"][op]
end

local timer = clock.timer
M.now = clock.now -- kept for the specs and scripts that read it here

local log = hooks.log

--- Whether a failure may be retried for a request.
-- Non-idempotent requests are retried only when they provably were not
-- processed: never sent (connect/resolve failures) or refused with 429.
function M.retryable(err, idempotent)
  if err.kind == "validation" or err.kind == "decode" then return false end
  -- a transport that knows no retry can help says so (cosockets in a phase
  -- of nginx that disables them)
  if err.no_retry then return false end
  if err.kind == "rate_limited" or err.status == 429 then return true end
  if err.sent == false and (err.kind == "network" or err.kind == "timeout") then return true end
  if not idempotent then return false end
  if err.kind == "network" or err.kind == "timeout" then return true end
  return err.kind == "server" and M.policy.retry_status[err.status] == true
end

--- Delay before retry number `n` (1-based): min(base * 2^(n-1), cap) with
-- jitter in [d/2, d]; a Retry-After wins when given, up to its cap (nil past
-- it), but never below the first step: a `Retry-After: 0` (or a date already
-- past) from a server that is shedding load is no licence to hammer it.
function M.backoff(n, retry_after, random)
  local p = M.policy
  local function step(k)
    local d = math.min(p.backoff_base * 2 ^ (k - 1), p.backoff_cap)
    return d / 2 + (random or math.random)() * d / 2
  end
  if retry_after then
    if retry_after > p.retry_after_cap then return nil end
    return math.max(retry_after, step(1))
  end
  return step(n)
end

-- The error the call path gives up with says how many attempts it made: the
-- field always, the message when there was more than one.
local function gave_up(err, attempts)
  err.attempts = attempts
  if attempts > 1 and type(err.message) == "string" then
    err.message = ("%s (%d attempts)"):format(err.message, attempts)
  end
  return nil, err
end

-- The transport, whichever its shape: an object with :request (and maybe
-- :many and :sleep), or a plain function(req).

--- Send `req` on the session's transport: `status, body, headers`, or
-- `nil, err` as the transport gives it.
local function send(st, req)
  local t = st.transport
  if type(t) == "function" then return t(req) end
  return t:request(req)
end
M.send = send

--- Send `reqs` with at most `concurrency` in flight on the transport's
-- `many`, or one after the other on a transport without it, calling
-- `on_done(i, status, body, headers)` as each ends.
function M.many(st, reqs, concurrency, on_done)
  local t = st.transport
  if type(t) ~= "function" and t.many then return t:many(reqs, concurrency, on_done) end
  for i, req in ipairs(reqs) do
    local status, body, headers = send(st, req)
    on_done(i, status, body, headers)
  end
  return true
end

--- Sleep through the transport when it can (ngx: without blocking the
-- worker), else block (tingting.clock).
local function sleep(st, seconds)
  local t = st.transport
  if type(t) ~= "function" and t.sleep then return t:sleep(seconds) end
  return clock.sleep(seconds)
end
M.sleep = sleep

--- What one attempt at `req` came to, from what the transport gave back:
-- `res, meta` (core.parse of the answer), or `nil, err` where err (an error
-- answer, or the transport's failure) names the request's op, method and path.
local function finish(s, req, status, body, headers)
  local res, meta
  if status then
    res, meta = core.parse(s, req.op, status, body or "", headers or {})
  else
    meta = errors.transport(body)
  end
  if res ~= nil then return res, meta end
  local err = meta
  err.op = err.op or req.op
  err.method = err.method or req.method
  err.path = err.path or req.path
  if err.sent == nil then err.sent = true end
  return nil, err
end
M.finish = finish

-- Deletes whose earlier attempt may have been processed: a 404 on the retry
-- means the first attempt did the work.
local DELETES = { delete_campaign = true, delete_number = true }

--- Send `req` with retries; returns result, meta | nil, err.
-- Without on_log, no clock is read and no log line is made.
function M.perform(s, st, req)
  local attempt, maybe_done = 0, false
  while true do
    local t0 = st.on_log and timer()
    local status, body, headers = send(st, req)
    local res, meta = finish(s, req, status, body, headers)
    local ms = t0 and math.floor((timer() - t0) * 1000 + 0.5)
    if res ~= nil then
      if ms then log(st, ("tingting: %s %s -> %d (%d ms)"):format(req.method, req.path, status, ms)) end
      return res, meta
    end
    local err = meta
    if ms then
      log(st, ("tingting: %s %s -> %s (%d ms)"):format(req.method, req.path,
        status and tostring(status) or err.kind, ms))
    end
    if maybe_done and err.kind == "not_found" then return true end
    maybe_done = DELETES[req.op] and err.sent ~= false and err.kind ~= "rate_limited"
    local can = M.retryable(err, req.idempotent)
    err.retryable = can
    if not can or attempt >= st.max_retries then return gave_up(err, attempt + 1) end
    local delay = M.backoff(attempt + 1, err.retry_after)
    if not delay then return gave_up(err, attempt + 1) end
    attempt = attempt + 1
    log(st, ("tingting: retry %d/%d of %s in %.2f s after %s%s"):format(attempt, st.max_retries,
      req.op, delay, err.kind, err.status and (" " .. err.status) or ""))
    sleep(st, delay)
  end
end

--- Renew the access token of session `s` (state `st`) that `stale` was:
-- tingting.auth's single-flight renewal, on this call path.
function M.renew(s, st, stale)
  return auth.renew(M, s, st, stale)
end

--- Make sure session `s` holds a usable access token (lazy login, early refresh).
function M.ensure_auth(s)
  return auth.ensure_auth(M, s, core.state(s), nil)
end

--- The request for `op` with `args` on session `s`, its credential on it
-- when the endpoint needs one: `req` | `nil, err` (validation). For callers
-- that made sure of the token first (tingting.batch).
function M.prepare(s, st, op, args)
  local req, err = core.build(s, op, args)
  if not req then return nil, err end
  if M.endpoint(st, op).auth then auth.authorize(st, req) end
  return req
end

--- Call operation `op` on session `s`; `opts.sink` streams a download to a
-- file, `opts.max_body` caps the answer (else the session's max_body).
function M.call(s, op, args, opts)
  core.check_open(s)
  local st = core.state(s)
  local ep = M.endpoint(st, op)
  if not ep then return nil, dialect.unsupported(st.api, op) end
  -- validate first: bad input never costs a login or a refresh
  local req, err = core.build(s, op, args)
  if not req then return nil, err end
  if ep.auth then
    local ok, aerr = auth.ensure_auth(M, s, st, op)
    if not ok then
      aerr.op = aerr.op or op
      return nil, aerr
    end
    auth.authorize(st, req)
  end
  if opts then
    if opts.sink then req.sink = opts.sink end
    if opts.max_body then req.max_body = opts.max_body end
  end
  local sent_token = st.access_token
  local res, meta = M.perform(s, st, req)
  if res == nil and ep.auth and meta.status == 401 and (st.refresh_token or st.email)
      and not auth.uses_api_key(st, op) then
    local ok, rerr = auth.renew(M, s, st, sent_token)
    if not ok then return nil, rerr end
    res, meta = M.perform(s, st, auth.authorize(st, req))
  end
  return res, meta
end

return M
