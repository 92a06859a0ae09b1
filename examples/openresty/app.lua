--- An OTP service on tingting.otp: POST /otp/send {"number": "98XXXXXXXX"},
-- POST /otp/send_later (the same, sent from a timer after answering 202) and
-- POST /otp/verify {"number": "98XXXXXXXX", "code": "123456"}, answering JSON.
-- Loaded by examples/openresty/nginx.conf; one session and one OTP flow per
-- worker, one login shared by all workers through the shared dict.
--
-- Settings come from the environment (each named by an `env` line in
-- nginx.conf): TINGTING_BASE_URL, TINGTING_EMAIL, TINGTING_PASSWORD,
-- TINGTING_OTP_SECRET, and OTP_TTL, OTP_LENGTH, OTP_MAX_ATTEMPTS,
-- OTP_RESEND_AFTER, OTP_MAX_SENDS, OTP_VIA for the flow.
-- The API is called over cosockets (tingting.transport.cosocket, the default
-- inside nginx). TINGTING_TRANSPORT=ngx uses subrequests to the /_tingting/
-- location instead, and TINGTING_TRANSPORT=curl the blocking libcurl
-- transport: only to compare them (make bench).
-- TINGTING_REDIS=host:port (and TINGTING_REDIS_PASSWORD) keeps the tokens,
-- the renewal lock, the OTP state and the HMAC key in Redis instead of the
-- shared dicts: every host pointed at the same Redis shares one login and
-- one OTP state (README, "Running on several hosts").
local cjson = require "cjson.safe"
local tingting = require "tingting"
local otp = require "tingting.otp"
local core = require "tingting.core"

local _M = {}

local flow, setup_err

local function env_int(name)
  local v = os.getenv(name)
  return v and tonumber(v) or nil
end

-- The HMAC key: TINGTING_OTP_SECRET, else one random key for all workers,
-- kept with the tokens (a dict that codes never fill, so it is never evicted).
local function otp_secret(store)
  local secret = os.getenv("TINGTING_OTP_SECRET")
  if secret and secret ~= "" then return secret end
  secret = store:get("otp_secret")
  if not secret then
    store:add("otp_secret", core.hex(assert(core.random_bytes(32))))
    secret = store:get("otp_secret")
  end
  return secret
end

-- The Redis store of TINGTING_REDIS, or nil when it is not set.
local function redis_store()
  local addr = os.getenv("TINGTING_REDIS")
  if not addr or addr == "" then return nil end
  local host, port = addr:match("^%[?([^%]]+)%]?:(%d+)$")
  local password = os.getenv("TINGTING_REDIS_PASSWORD")
  return assert(tingting.store.redis { host = host or addr, port = tonumber(port) or 6379,
    password = (password ~= "" and password) or nil })
end

local function get_flow()
  if flow or setup_err then return flow, setup_err end
  local redis = redis_store()
  local store = redis or assert(tingting.store.shared_dict(ngx.shared.tingting))
  local transport
  local which = os.getenv("TINGTING_TRANSPORT")
  if which == "ngx" then
    transport = assert(tingting.transport.ngx { location = "/_tingting" })
  elseif which == "curl" then
    transport = assert(tingting.transport.curl())
  else
    transport = assert(tingting.transport.cosocket { pool_size = 32, keepalive_timeout = 60 })
  end
  local s, err = tingting.session {
    email = os.getenv("TINGTING_EMAIL"), password = os.getenv("TINGTING_PASSWORD"),
    transport = transport, token_store = store,
    on_log = function(line) ngx.log(ngx.INFO, line) end,
  }
  if s then
    -- with Redis and no TINGTING_OTP_SECRET, the flow makes a key once and
    -- keeps it there, shared by every host
    local secret = os.getenv("TINGTING_OTP_SECRET")
    if not redis then secret = otp_secret(store) elseif secret == "" then secret = nil end
    flow, err = otp.new {
      session = s, store = redis or assert(tingting.store.shared_dict(ngx.shared.tingting_otp)), secret = secret,
      ttl = env_int("OTP_TTL"), length = env_int("OTP_LENGTH"), max_attempts = env_int("OTP_MAX_ATTEMPTS"),
      resend_after = env_int("OTP_RESEND_AFTER"), max_sends = env_int("OTP_MAX_SENDS"),
      via = os.getenv("OTP_VIA"),
      message = "Your verification code is {otp}",
    }
  end
  if not flow then
    setup_err = tostring(err)
    ngx.log(ngx.ERR, "otp service misconfigured: ", setup_err)
  end
  return flow, setup_err
end

local function reply(status, doc, retry_after)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.header["Cache-Control"] = "no-store"
  if retry_after then ngx.header["Retry-After"] = tostring(retry_after) end
  ngx.say(cjson.encode(doc))
  return ngx.exit(status)
end

local function invalid(message)
  return reply(400, { ok = false, reason = "invalid", message = message })
end

-- The JSON object of a POST, with only the `allowed` fields; or an answer.
local function read_input(allowed)
  if ngx.req.get_method() ~= "POST" then
    ngx.header["Allow"] = "POST"
    return reply(405, { ok = false, reason = "method_not_allowed", message = "use POST" })
  end
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  local doc = body and cjson.decode(body)
  if type(doc) ~= "table" or doc[1] ~= nil then
    return invalid("expected a JSON object")
  end
  for k in pairs(doc) do
    if not allowed[k] then return invalid(("%s: unknown field"):format(tostring(k))) end
  end
  for k, kind in pairs(allowed) do
    local v = doc[k]
    if v == nil or v == cjson.null then return invalid(k .. ": required") end
    if type(v) ~= "string" and not (kind == "digits" and type(v) == "number") then
      return invalid(k .. ": expected a string")
    end
  end
  return doc
end

local function unavailable(err)
  return reply(503, { ok = false, reason = "unavailable", message = "the OTP service is not configured: " .. err })
end

-- The OTP store cannot be reached: nothing was sent, nothing verified.
local function store_down(detail)
  ngx.log(ngx.ERR, "otp store unavailable: ", detail.message)
  return reply(503, { ok = false, reason = "unavailable", message = "the service is unavailable; try again later" }, 5)
end

--- POST /otp/send {"number": ...}
function _M.send()
  local doc = read_input { number = "digits" }
  local f, err = get_flow()
  if not f then return unavailable(err) end
  local info, reason, detail = f:send(doc.number)
  if info then
    return reply(200, { ok = true, number = info.number, expires_in = info.expires_in,
      resend_after = info.resend_after, via = info.via })
  end
  if reason == "invalid" then return invalid(detail.message) end
  if reason == "unavailable" then return store_down(detail) end
  if reason == "rate_limited" then
    return reply(429, { ok = false, reason = reason, retry_after = detail.retry_after, message = detail.message },
      detail.retry_after)
  end
  ngx.log(ngx.WARN, "otp send failed: ", detail.message)
  return reply(502, { ok = false, reason = reason, message = "the code could not be sent; try again later",
    delivered_maybe = detail.delivered_maybe or false })
end

--- POST /otp/send_later {"number": ...}: answers 202 at once and sends the
-- code from a timer (ngx.timer.at), after the client has its answer. The
-- outcome only reaches the error log; a timer is also how to call the API
-- from init_worker_by_lua, where nginx allows no cosockets.
function _M.send_later()
  local doc = read_input { number = "digits" }
  local f, err = get_flow()
  if not f then return unavailable(err) end
  local ok, terr = ngx.timer.at(0, function(premature)
    if premature then return end
    local info, reason, detail = f:send(doc.number)
    if not info then ngx.log(ngx.WARN, "otp send_later failed: ", reason, ": ", detail and detail.message) end
  end)
  if not ok then
    return reply(503, { ok = false, reason = "unavailable", message = "cannot start a timer: " .. tostring(terr) })
  end
  return reply(202, { ok = true, queued = true })
end

--- POST /otp/verify {"number": ..., "code": ...}
function _M.verify()
  -- the code as a string: a JSON number would lose a leading 0
  local doc = read_input { number = "digits", code = "string" }
  local f, err = get_flow()
  if not f then return unavailable(err) end
  local ok, reason, detail = f:verify(doc.number, doc.code)
  if ok then return reply(200, { ok = true }) end
  if reason == "invalid" then return invalid(detail.message) end
  if reason == "unavailable" then return store_down(detail) end
  if reason == "locked" then
    return reply(429, { ok = false, reason = reason, retry_after = detail.retry_after, message = detail.message },
      detail.retry_after)
  end
  return reply(403, { ok = false, reason = reason, attempts_left = detail.attempts_left, message = detail.message })
end

return _M
