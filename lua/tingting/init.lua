--- tingting: the TingTing voice and SMS campaign API from Lua.
--
--    local tingting = require "tingting"
--    local s = assert(tingting.session{email = "test@gmail.com", password = "test"})
--    local c = assert(s:create_campaign{name = "IPO", services = "SMS",
--                                       individual_number = {"9843818700"}})
--
-- Every method returns its result, or `nil, err` where `err` is an
-- @{Error}; only programmer errors (such as using a closed session) raise.
-- A session speaks one of two dialects of the API: "legacy"
-- (`/api/accounts`, `/api/system`, the default) or "v1" (`/api/v1/`); a
-- method the other dialect lacks returns `nil, err` of kind "unsupported".
-- The classes below are @{Session}, @{Campaign}, @{Number} and @{Error};
-- docs/reference.md is the same reference with every option's default.
-- @module tingting
local core = require "tingting.core"
local call = require "tingting.call"
local auth = require "tingting.auth"
local errors = require "tingting.errors"
local template = require "tingting.template"
local batch = require "tingting.batch"
local upload = require "tingting.upload"
local numbers = require "tingting.numbers"
local store = require "tingting.store"
local options = require "tingting.options"
local objects = require "tingting.objects"
local dialect = require "tingting.dialect"
local v1 = require "tingting.v1"

local with_id, refreshed = objects.with_id, objects.refreshed

local tingting = {
  VERSION = core.VERSION,
  -- where Lua modules conventionally carry their version (cjson, lfs, lpeg do)
  _VERSION = core.VERSION,
  is_error = core.is_error,
  template = template,
  numbers = numbers,
  store = store,
  policy = call.policy,
  endpoints = core.endpoints,
  normalize_phone = numbers.normalize,
  -- Blocking sleep (seconds), for scripts that poll a running campaign.
  sleep = core.sleep,
}

-- Transports: `tingting.transport.curl(opts)` is the default.
-- core.curl raises on bad options (it is also the session's own, whose
-- options are checked before); for users it is `nil, err` like the rest.
local CURL_OPTIONS = { "timeout", "connect_timeout", "ca_file", "insecure", "user_agent", "max_body", "http2" }
local function curl_transport(opts)
  if opts ~= nil and type(opts) ~= "table" then return errors.invalid("transport", "options", "expected a table") end
  if opts ~= nil then
    local known, kerr = errors.check_keys("transport", opts, CURL_OPTIONS)
    if not known then return nil, kerr end
  end
  local ok, t = pcall(core.curl, opts)
  if ok then return t end
  local msg = tostring(t):gsub("^tingting%.curl: ", "")
  local field = msg:match("^([%w_]+): ") or msg:match("option '([^']+)'") or "options"
  return nil, errors.validation { op = "transport", field = field, message = msg }
end

--- The largest answer a session takes by default (session option
-- `max_body`): 64 MiB. A larger one is a `decode` error, not retried.
tingting.MAX_BODY = 64 * 1024 * 1024
--- The largest report `c:report(path)` writes by default (`max_bytes`): 1 GiB,
-- room for a million-row campaign.
tingting.MAX_REPORT = 1024 * 1024 * 1024

-- The transports that need nginx, and the names users try for them.
local NGINX_ONLY = { ngx = "ngx", cosocket = "cosocket", nginx = "ngx" }

tingting.transport = setmetatable({
  curl = curl_transport,
}, {
  __index = function(t, name)
    local real = NGINX_ONLY[name]
    if real and not (type(ngx) == "table" and ngx.socket) then
      -- outside nginx: a constructor that says why, rather than a nil to call
      return function()
        return nil, errors.unsupported("transport." .. name, ("tingting.transport.%s runs only inside "
          .. "OpenResty/nginx (ngx is not available); outside nginx, leave out `transport` for the "
          .. "default (libcurl) one"):format(real))
      end
    end
    -- load transports on demand, so that plain Lua never needs ngx
    local ok, mod = pcall(require, "tingting.transport." .. (real or name))
    if ok and type(mod) == "table" then
      rawset(t, name, mod.new or mod)
      return rawget(t, name)
    end
  end,
})

-- Inside nginx (ngx with cosockets) a session's default transport is the
-- cosocket one: libcurl would block the worker for every call.
local function nginx_transport(opts)
  if not (ngx and ngx.socket and ngx.socket.tcp) then return nil end
  if opts.ca_file then
    ngx.log(ngx.WARN, "tingting: ca_file does not apply inside nginx: the cosocket transport's certificate ",
      "check uses lua_ssl_trusted_certificate")
  end
  return assert(require("tingting.transport.cosocket").new {
    ssl_verify = not opts.insecure, user_agent = opts.user_agent,
  })
end

--- A new session. It does not connect: a session with `email` and
-- `password` logs in on its first call. Every option is optional; a bad
-- value or an unknown key is a `validation` error naming it (`err.field`).
--
-- * `base_url` ("https://app.tingting.io", or env `TINGTING_BASE_URL`): the
--   API's `scheme://host[:port]`, or a reverse proxy's prefix; never the
--   API's own path (the library adds `/api/...`). Plain http only to
--   loopback unless `allow_insecure_http`.
-- * `api` ("legacy", or "v1" with `api_key`): the dialect.
-- * `api_key`: a v1 static API token (implies `api = "v1"`).
-- * `email`, `password` (always both): log in lazily, and again when the
--   refresh token is no longer accepted.
-- * `access_token`, `refresh_token`: resume without a login.
-- * `timeout` (30 s) for a whole request, `connect_timeout` (10 s).
-- * `max_retries` (2, from 0 to 10): see `policy`.
-- * `max_body` (`MAX_BODY`, 64 MiB): the largest answer taken.
-- * `transport` (libcurl, or the cosocket transport inside nginx): an object
--   with `request(req)` or a `function(req)`.
-- * `ca_file` (the system's CAs), `insecure` (false: TLS is verified),
--   `allow_insecure_http` (false), `http2` (true), `user_agent`
--   ("tingting-lua/VERSION libcurl/x").
-- * `on_tokens(access, refresh)`: called on every token change.
-- * `token_store`: an object with `load()` and `save(access, refresh)`
--   (and `lock`/`unlock` for a single-flight renewal), see `store`.
-- * `on_log(line)`: one redacted line per request and per retry.
-- @tparam[opt] table opts the options above
-- @treturn Session the session
-- @treturn[2] nil
-- @treturn[2] Error a `validation` error (`op` "session") naming the option;
-- for an unknown key it lists the accepted ones and the likely meant one
function tingting.session(opts)
  if opts == tingting then
    error("tingting: tingting.session is a function, not a method: call it with '.' as in tingting.session{...}", 2)
  end
  opts = opts or {}
  local base, err = options.check(opts)
  if not base then return nil, err end
  local transport, owns = opts.transport, false
  if transport == nil then
    transport = nginx_transport(opts) or core.curl {
      timeout = opts.timeout, connect_timeout = opts.connect_timeout, ca_file = opts.ca_file,
      insecure = opts.insecure, user_agent = opts.user_agent, http2 = opts.http2 ~= false,
    }
    owns = true
  end
  local st = {
    base_url = base, email = opts.email, password = opts.password,
    timeout = opts.timeout or 30, connect_timeout = opts.connect_timeout or 10,
    max_body = opts.max_body or tingting.MAX_BODY,
    max_retries = opts.max_retries or 2, transport = transport, owns_transport = owns,
    on_tokens = opts.on_tokens, on_log = opts.on_log, token_store = opts.token_store,
    api = options.dialect(opts), api_key = opts.api_key,
  }
  local s = core.session_new(st)
  if opts.access_token or opts.refresh_token then
    -- token_expires from the token's own exp claim; not a change for on_tokens
    auth.hold_tokens(st, opts.access_token, opts.refresh_token)
  end
  return s
end

local S = core.session_methods
local C = core.campaign_methods
local N = core.number_methods

local function state(s)
  core.check_open(s)
  return core.state(s)
end

local function itself(s) return s end

-- A list read page by page keeps the pagination of its (last) page out of
-- the way of ipairs, pairs and JSON encoders: `list.pagination`.
-- A listing's result: the list, its pagination out of the way of ipairs as
-- `list.pagination`, and, when the caller asked for one page (`explicit`),
-- the pagination as a second value too, as a paging call documents it.
local function paged(list, pagination, explicit)
  if list == nil then return nil, pagination end
  if type(pagination) == "table" then
    setmetatable(list, { __index = { pagination = pagination } })
    if explicit then return list, pagination end
  end
  return list
end

-- v1 filters that ask for one page
local function one_page(filters)
  return type(filters) == "table" and (filters.limit ~= nil or filters.offset ~= nil)
end

-- The envelope's message of an answer whose data is the result (legacy
-- begin, test_voice, report_summary) as the result's `server_message`.
local function with_message(res, meta)
  if res == nil then return nil, meta end
  if type(res) == "table" and type(meta) == "table" and type(meta.message) == "string" then
    res.server_message = meta.message
  end
  return res
end

-- A method that runs `legacy` or `modern` by the dialect of the session it
-- is called on (`of(obj)`: the session itself, or a campaign's or number's,
-- core.session_of); a side that is nil is a method the dialect lacks (`what`
-- names it).
local function by_dialect(what, legacy, modern, of)
  of = of or itself
  return function(obj, ...)
    local st = state(of(obj))
    local f
    if st.api == "v1" then f = modern else f = legacy end
    if not f then return nil, dialect.unsupported(st.api, what) end
    return f(obj, ...)
  end
end

--- A session: one account (or API token) on one API host, in one dialect.
-- Made by `session`. Its fields are read-only; its methods return their
-- result or `nil, err` (an @{Error}), and raise once the session is closed.
-- `tostring(s)` never shows a token, password or API key.
-- @type Session

--- Log in, with the session's credentials unless given; remembers them for
-- a re-login. Optional: the first call that needs a token logs in. Both
-- dialects (legacy `accounts/login/`; v1 `auths/login/`, tokens as cookies).
-- @function Session:login
-- @tparam[opt] string email
-- @tparam[opt] string password
-- @treturn table|true legacy: the user data `{email=, first_name=, last_name=}`; v1: true
-- @treturn[2] nil
-- @treturn[2] Error `validation` (no credentials, field `email`), `auth` (refused)
function S.login(s, email, password)
  local st = state(s)
  email, password = email or st.email, password or st.password
  local req, err = core.build(s, "login", { email = email, password = password })
  if not req then return nil, err end
  local user, meta = call.perform(s, st, req)
  if not user then return nil, meta end
  local ok, terr = auth.set_tokens(st, meta.access, meta.refresh, "login")
  if not ok then return nil, terr end
  st.email, st.password, st.user = email, password, user
  if st.api == "v1" then return true end
  return user
end

--- A new access token from the refresh token. Both dialects.
-- @function Session:refresh
-- @treturn true
-- @treturn[2] nil
-- @treturn[2] Error `auth` (no refresh token, `sent = false`, as on an API-token
-- session; or the server refused it)
function S.refresh(s)
  local st = state(s)
  if not st.refresh_token then
    return nil, errors.auth("no refresh token: log in first", "refresh")
  end
  local req, err = auth.refresh_request(s, st)
  if not req then return nil, err end
  local ok, meta = call.perform(s, st, req)
  if not ok then return nil, meta end
  return auth.set_tokens(st, meta.access, meta.refresh, "refresh")
end

--- The account. Both dialects.
-- @function Session:user
-- @treturn table legacy: `user_details` `{email=, first_name=, last_name=,
-- username=, contact_number=, ...}`; v1: the profile `{id=, user={...}, contact_no=, ...}`
-- @treturn[2] nil
-- @treturn[2] Error `auth`, or a transport kind
function S.user(s) return call.call(s, "user") end
--- The account's own phone numbers. Both dialects.
-- @function Session:owned_numbers
-- @treturn table legacy: `{phone,...}`; v1: `{{id=, phone_number=},...}`
-- @treturn[2] nil
-- @treturn[2] Error `auth`, or a transport kind
function S.owned_numbers(s) return call.call(s, "owned_numbers") end
--- Phone numbers for sale. Legacy only (v1: `unsupported`, see
-- `sender_numbers`).
-- @function Session:available_numbers
-- @treturn table `{{phone_number=, phone_number_sid=, friendly_name=, rate=, ...},...}`
-- @treturn[2] nil
-- @treturn[2] Error `unsupported` on v1, `auth`, or a transport kind
function S.available_numbers(s) return call.call(s, "available_numbers") end
--- Buy a phone number. Legacy only.
-- @function Session:buy_number
-- @string phone_sid the `phone_number_sid` of `available_numbers`
-- @treturn table the bought phone
-- @treturn[2] nil
-- @treturn[2] Error `validation` (field `phone_sid`), `api`, `unsupported` on v1
function S.buy_number(s, sid) return call.call(s, "buy_number", { phone_sid = sid }) end
--- Release a phone number the account owns. Legacy only.
-- @function Session:release_number
-- @string phone_sid
-- @treturn true
-- @treturn[2] nil
-- @treturn[2] Error `validation` (field `phone_sid`), `not_found`, `unsupported` on v1
function S.release_number(s, sid) return call.call(s, "release_number", { phone_sid = sid }) end
--- One campaign. Both dialects.
-- @function Session:campaign
-- @int id the campaign's id (a positive integer)
-- @treturn Campaign
-- @treturn[2] nil
-- @treturn[2] Error `validation` (field `id`), `not_found`
function S.campaign(s, id) return call.call(s, "campaign", { id = id }) end
--- Create a campaign. Both dialects, each with its own fields.
--
-- Legacy: `{name=, services = "PHONE"|"SMS", individual_number = {numbers}
-- | send_to_number_file = source, description=}`. `send_to_number_file` is a
-- path (.xlsx or .csv), or a list or an iterator of numbers or
-- `{number=, available_tags=}` records, written to a private temporary .xlsx
-- (removed afterwards) and uploaded.
--
-- v1: `{name=, services = "PHONE"|"SMS"|"SMS & PHONE", user_phone = {ids of
-- sender_numbers}, message=, sms_message=, description=, schedule=, voice=}`.
-- @function Session:create_campaign
-- @tparam table args
-- @treturn Campaign the new campaign
-- @treturn[2] nil
-- @treturn[2] Error `validation` (the field at fault; an unreadable file), `api`
-- (the server refused a field: `err.errors`). Not retried unless it provably
-- never reached the server.
function S.create_campaign(s, args)
  local source = type(args) == "table" and args.send_to_number_file or nil
  if source == nil or type(source) == "string" then return call.call(s, "create_campaign", args) end
  core.check_open(s)
  return upload.with_file(source, { op = "create_campaign", field = "send_to_number_file" }, function(path)
    local copy = {}
    for k, v in pairs(args) do copy[k] = v end
    copy.send_to_number_file = path
    return call.call(s, "create_campaign", copy)
  end)
end
--- One number (contact) by id. Legacy only (v1 has no single-contact read:
-- `unsupported`, use `Campaign:numbers` and `Number:attributes`).
-- @function Session:number
-- @int id
-- @treturn Number
-- @treturn[2] nil
-- @treturn[2] Error `validation` (field `id`), `not_found`, `unsupported` on v1
function S.number(s, id) return call.call(s, "number", { id = id }) end
--- The account's campaign summary. Legacy only (v1: `dashboard`).
-- @function Session:report_summary
-- @treturn table `{credits=, summary=}`, and the envelope's message as
-- `server_message`
-- @treturn[2] nil
-- @treturn[2] Error `unsupported` on v1, `auth`, or a transport kind
function S.report_summary(s) return with_message(call.call(s, "report_summary")) end
--- Hear a message in a voice. Legacy only (v1: `Campaign:test_voice`).
-- @function Session:test_voice
-- @tparam table args `{message=, voice_input = "np_rija"|"np_prasanna"|"np_binod"}`
-- @treturn table `{audio_url=, message=, voice_input=}`, and the envelope's
-- message as `server_message`
-- @treturn[2] nil
-- @treturn[2] Error `validation`, `unsupported` on v1
S.test_voice = by_dialect("test_voice_session", function(s, args)
  return with_message(call.call(s, "test_voice", args))
end)
--- Send a one-time code by SMS or voice. Both dialects. For codes the
-- library makes, stores and verifies, see the module `tingting.otp`.
-- @function Session:send_otp
-- @tparam table args `{number=, message= (holding "{otp}"), sms_send_options =
-- "text"|"voice", otp_options = "generated"|"personnel", otp=, otp_length=}`,
-- on v1 also `company_name=` and `voice_input=`; `personnel` needs `otp`,
-- and an `otp` without `otp_options` sends "personnel"
-- @treturn table the server's details `{number=, otp=, otp_options=, ...}`
-- @treturn[2] nil
-- @treturn[2] Error `validation`, `api`. Not retried unless it provably never
-- reached the server.
function S.send_otp(s, args) return call.call(s, "send_otp", args) end
-- v1 (on a legacy session: unsupported, with the equivalent)

--- The account's API token. v1 only.
-- @function Session:api_token
-- @treturn table `{token=, last_used=, created_at=}`
-- @treturn[2] nil
-- @treturn[2] Error `not_found` (none yet), `unsupported` on legacy
function S.api_token(s) return call.call(s, "api_token") end
--- Make a new API token, replacing the one before. v1 only, and only on a
-- login session.
-- @function Session:generate_api_token
-- @treturn string the token
-- @treturn[2] nil
-- @treturn[2] Error `auth` (`sent = false`) on an API-token session,
-- `unsupported` on legacy
S.generate_api_token = by_dialect("generate_api_token", nil, v1.generate_api_token)
--- The account's dashboard. v1 only (legacy: `report_summary`).
-- @function Session:dashboard
-- @tparam[opt] table args `{days = n}` (a positive integer)
-- @treturn table `{credits_used=, remaining_credits=, campaigns=, ...}`
-- @treturn[2] nil
-- @treturn[2] Error `validation` (field `days`), `unsupported` on legacy
function S.dashboard(s, args) return call.call(s, "dashboard", args) end
--- The voices a campaign may use. v1 only (legacy voices are the three
-- names of `voice_input`: np_rija, np_prasanna, np_binod).
-- @function Session:voice_models
-- @treturn table `{{id=, voice_display_name=, voice_internal_name=, is_premium=},...}`
-- @treturn[2] nil
-- @treturn[2] Error `unsupported` on legacy
function S.voice_models(s) return call.call(s, "voice_models") end
--- The account's sender numbers, whose ids go in `user_phone`. v1 only.
-- @function Session:sender_numbers
-- @treturn table `{{id=, phone_number=},...}`
-- @treturn[2] nil
-- @treturn[2] Error `unsupported` on legacy
function S.sender_numbers(s) return call.call(s, "sender_numbers") end
--- An iterator over the campaigns, fetching page by page. v1 only.
-- It returns nil at the end and `nil, err` when a page cannot be read
-- (which ends a for loop: call it directly to see the error).
-- @function Session:each_campaign
-- @tparam[opt] table filters as for `campaigns`
-- @treturn function iterator of @{Campaign}
S.each_campaign = by_dialect("each_campaign", nil, v1.each_campaign)
--- The OTPs sent: every page, or with `limit`/`offset` that page. v1 only.
-- @function Session:otps
-- @tparam[opt] table filters `{limit=, offset=}`
-- @treturn table `{{id=, phone_number=, message=, otp=, otp_options=, ...},...}`
-- with `list.pagination`; with `limit`/`offset`, also the second value
-- @treturn[2] nil
-- @treturn[2] Error `validation`, `unsupported` on legacy
S.otps = by_dialect("otps", nil, function(s, filters)
  local list, pagination = v1.otps(s, filters)
  return paged(list, pagination, one_page(filters))
end)
--- A survey's report. v1 only.
-- @function Session:survey_report
-- @int id the survey's id
-- @tparam[opt] table opts `{format = "json"}`
-- @treturn string|table the CSV bytes, or with `format = "json"` a table
-- @treturn[2] nil
-- @treturn[2] Error `validation`, `not_found`, `unsupported` on legacy
S.survey_report = by_dialect("survey_report", nil, v1.survey_report)

--- Campaigns. Legacy: one page (`{page = n}`), or every page following
-- has_next. v1: every page, or with `limit`/`offset` that page; filters
-- status, search, draft, sort_by, from_date, to_date.
-- @treturn {tingting.campaign,...} with `.pagination`: the page's (or the
-- last page's) pagination
local function legacy_campaigns(s, opts)
  if opts ~= nil and (type(opts) ~= "table" or opts.page ~= nil) then
    local list, pagination = call.call(s, "campaigns", opts)
    return paged(list, pagination, true)
  end
  local all, page = {}, 1
  while true do
    local list, pagination = call.call(s, "campaigns", { page = page })
    if not list then
      -- an account with no campaigns may answer page 1 with 404 "Invalid page."
      if page == 1 and pagination.kind == "not_found" then return paged(all, { total_items = 0 }) end
      return nil, pagination
    end
    for _, c in ipairs(list) do all[#all + 1] = c end
    if not (pagination and pagination.has_next) or #list == 0 then return paged(all, pagination) end
    page = page + 1
  end
end
--- The account's campaigns. Both dialects. Legacy: every page (following
-- `has_next`), or with `{page = n}` that page. v1: every page, or with
-- `limit`/`offset` that page; filters `status`, `search`, `draft`,
-- `sort_by`, `from_date`, `to_date`. An account without campaigns gives {}.
-- @function Session:campaigns
-- @tparam[opt] table opts `{page = n}` (legacy) or filters (v1)
-- @treturn {Campaign,...} the campaigns; `list.pagination` is the page's
-- (or the last page's) pagination (legacy `has_next`, `total_items`, ...;
-- v1 `count`, `total_pages`, `next`, `previous`), out of the way of ipairs;
-- when one page was asked for, the pagination is also the second value
-- (`local list, pagination = s:campaigns{page = 2}`)
-- @treturn[2] nil
-- @treturn[2] Error `validation` (a bad filter), `not_found` (a page past the end)
S.campaigns = by_dialect("campaigns", legacy_campaigns, function(s, filters)
  local list, pagination = v1.campaigns(s, filters)
  return paged(list, pagination, one_page(filters))
end)

--- A campaign, as `Session:campaign`, `Session:campaigns` and
-- `Session:create_campaign` return it. Its fields are read-only (assigning
-- one raises); `fields()` is a plain copy of every wire field. Two campaigns
-- are equal (`==`) when their ids are. It keeps its session alive until it
-- is collected or closed. `tostring(c)` is short:
-- `tingting.campaign{id=8, name="IPO", services="SMS"}`.
-- @type Campaign

-- What campaigns and numbers both have, each on its own operations: `get`
-- reads one by id (reload), `update` and `delete` act on it.
local function object_methods(M, ops)
  function M.reload(obj)
    return refreshed(obj, call.call(core.session_of(obj), ops.get, { id = obj.id }))
  end

  function M.update(obj, args)
    local a, err = with_id(args, obj.id, ops.update)
    if not a then return nil, err end
    return refreshed(obj, call.call(core.session_of(obj), ops.update, a))
  end

  function M.delete(obj) return call.call(core.session_of(obj), ops.delete, { id = obj.id }) end

  function M.fields(obj) return core.fields(obj) end
end

-- c:reload(), c:update{...}, c:delete(), c:fields()
object_methods(C, { get = "campaign", update = "update_campaign", delete = "delete_campaign" })

--- Read the campaign again from the server. Both dialects.
-- @function Campaign:reload
-- @treturn Campaign the same object, with the server's fields
-- @treturn[2] nil
-- @treturn[2] Error `not_found`, or a transport kind

--- Change the campaign. Both dialects: legacy `{name=, services=,
-- description=}`; v1 `{name=, services=, message=, sms_message=, schedule=}`.
-- The id is the object's own and may not be given.
-- @function Campaign:update
-- @tparam table args
-- @treturn Campaign the same object, updated
-- @treturn[2] nil
-- @treturn[2] Error `validation` (the field at fault), `api`, `not_found`

--- Delete the campaign. Both dialects.
-- @function Campaign:delete
-- @treturn true
-- @treturn[2] nil
-- @treturn[2] Error `not_found`, or a transport kind

--- A plain copy of every wire field (tables one level down copied too).
-- @function Campaign:fields
-- @treturn table

--- A contact of a campaign, as `Campaign:numbers`, `Campaign:add_number` and
-- `Session:number` return it. Read-only like a @{Campaign}, equal by id;
-- `tostring(n)` is `tingting.number{id=4, number="9851022343", status="not started"}`.
-- @type Number

-- n:reload(), n:update{number=, available_tags=}, n:delete(), n:fields()
object_methods(N, { get = "number", update = "update_number", delete = "delete_number" })
--- Read the number again from the server. Legacy only (v1 has no
-- single-contact read: `unsupported`; use `Campaign:numbers` or `attributes`).
-- @function Number:reload
-- @treturn Number the same object, with the server's fields
-- @treturn[2] nil
-- @treturn[2] Error `not_found`, `unsupported` on v1
N.reload = by_dialect("reload_number", N.reload, nil, core.session_of)
--- Change the number and/or its variables. Both dialects (v1: each given
-- one goes to its own endpoint).
-- @function Number:update
-- @tparam table args `{number=, available_tags=}`, at least one
-- @treturn Number the same object, updated
-- @treturn[2] nil
-- @treturn[2] Error `validation` (an unknown field, nothing to update, a bad
-- number), `api`, `not_found`
N.update = by_dialect("update_number", N.update, v1.update_number, core.session_of)
--- Read the contact's variables (also kept as `available_tags`). v1 only.
-- @function Number:attributes
-- @treturn table the variables
-- @treturn[2] nil
-- @treturn[2] Error `not_found`, `unsupported` on legacy
N.attributes = by_dialect("number_attributes", nil, v1.attributes, core.session_of)
--- Call this one contact now with the campaign's message. v1 only.
-- @function Number:demo_call
-- @treturn table `{message=, number=, credits_used=, rendered_message=}`
-- @treturn[2] nil
-- @treturn[2] Error `api`, `unsupported` on legacy. Not retried unless it
-- provably never reached the server.
N.demo_call = by_dialect("demo_call", nil, function(n)
  return call.call(core.session_of(n), "demo_call", { id = n.id })
end, core.session_of)

--- Remove the number from its campaign. Both dialects.
-- @function Number:delete
-- @treturn true
-- @treturn[2] nil
-- @treturn[2] Error `not_found`, or a transport kind

--- A plain copy of every wire field.
-- @function Number:fields
-- @treturn table

--- @type Campaign

--- Start (or re-run) the campaign. A message whose `{tags_*}` are not all in
-- the campaign's usable_tags is refused before anything is sent.
local function legacy_begin(c, args)
  local a, err = with_id(args, c.id, "begin")
  if not a then return nil, err end
  if a.audio ~= nil then
    -- the docs' re-run note says "audio" once; the field is aud_file everywhere else
    return errors.invalid("begin", "audio", "new audio goes in aud_file (a path to the file)")
  end
  if type(a.message) == "string" then
    local ok, why = template.check(a.message, c.usable_tags)
    if not ok then
      why.op = "begin"
      return nil, why
    end
  end
  return with_message(call.call(core.session_of(c), "begin", a))
end
--- Start (or re-run) the campaign. Both dialects.
--
-- Legacy: `{message= | aud_file = path, voice_input=, schedule_date=,
-- length_factor=, individual = {number ids}, status = {...}, priority=}`:
-- a text or an audio file (or `status`/`priority` to re-run).
-- `schedule_date` is "YYYY-MM-DDTHH:MM" or an epoch number (Nepal time);
-- `status` entries are hungup, unanswered, failed, terminated, completed;
-- `priority` is audio or message. A message whose `{tags_*}` are not all in
-- `usable_tags` is refused before anything is sent.
--
-- v1: `[{message=, sms_message=, voice=, length_factor=, category=}]`: the
-- given fields are set first (`set_message`), then the campaign runs.
-- @function Campaign:begin
-- @tparam[opt] table args (required on legacy)
-- @treturn table the server's answer (legacy `{["hold amount"]=...}` with the
-- envelope's message as `server_message`; v1 `{message=}`)
-- @treturn[2] nil
-- @treturn[2] Error `validation`, `api` (such as too few credits). Not retried
-- unless it provably never reached the server.
C.begin = by_dialect("begin", legacy_begin, v1.begin, core.session_of)

--- The campaign's numbers (contacts). Both dialects. Legacy: all of them.
-- v1: every page, or with `limit`/`offset` that page (`list.pagination`,
-- and the second value, as for `Session:campaigns`).
-- @function Campaign:numbers
-- @tparam[opt] table filters v1: `{limit=, offset=}`
-- @treturn {Number,...}
-- @treturn[2] nil
-- @treturn[2] Error `validation`, `not_found`
C.numbers = by_dialect("campaign_numbers", function(c)
  return call.call(core.session_of(c), "campaign_numbers", { id = c.id })
end, function(c, filters)
  local list, pagination = v1.numbers(c, filters)
  return paged(list, pagination, one_page(filters))
end, core.session_of)
--- An iterator over the campaign's numbers, fetching page by page. v1 only.
-- It returns nil at the end and `nil, err` when a page cannot be read.
-- @function Campaign:each_number
-- @tparam[opt] table filters
-- @treturn function iterator of @{Number}
C.each_number = by_dialect("each_number", nil, v1.each_number, core.session_of)
--- Set the campaign's message and voice. v1 only (legacy: `begin` takes them).
-- @function Campaign:set_message
-- @tparam table args `{voice=, category=, length_factor=, message=, sms_message=}`
-- @treturn Campaign the same object, updated
-- @treturn[2] nil
-- @treturn[2] Error `validation`, `api`, `unsupported` on legacy
C.set_message = by_dialect("set_message", nil, v1.set_message, core.session_of)
--- Hear a message in the campaign's voice. v1 only (legacy: `Session:test_voice`).
-- @function Campaign:test_voice
-- @tparam table args `{message=, voice_input=}`
-- @treturn string the preview's audio URL
-- @treturn[2] nil
-- @treturn[2] Error `validation`, `unsupported` on legacy
C.test_voice = by_dialect("test_voice_campaign", nil, v1.test_voice, core.session_of)

--- Add one number to the campaign. Both dialects.
-- @function Campaign:add_number
-- @tparam string|integer number the phone number
-- @tparam[opt] table available_tags the contact's variables (legacy: names
-- in `usable_tags`)
-- @treturn Number the new number, with the server's id
-- @treturn[2] nil
-- @treturn[2] Error `validation` (field `number` or `available_tags`), `api`
-- (refused, or on v1 already in the campaign). Not retried unless it
-- provably never reached the server.
C.add_number = by_dialect("add_number", function(c, number, available_tags)
  return call.call(core.session_of(c), "add_number",
    { id = c.id, number = number, available_tags = available_tags })
end, v1.add_number, core.session_of)

--- Add many numbers concurrently, each exactly once, in memory bounded by
-- the requests in flight. Both dialects (v1: 50 contacts a POST). Invalid
-- numbers are reported, never sent; duplicates are sent once; an add whose
-- answer was lost is looked for in the campaign before it is sent again.
-- @function Campaign:add_numbers
-- @tparam table|function source a list, or an iterator returning a number or
-- a `{number=, available_tags=}` record per call and nil at the end (such
-- as `tingting.numbers.each_csv(path)`)
-- @tparam[opt] table opts `concurrency` (8, at most 64), `skip_existing`
-- (true), `on_progress(done, total)`, `on_result(item, number, err)`, `keep`
-- (true for a list: fill `numbers`), `max_rounds` (max_retries + 1);
-- unknown keys are refused
-- @treturn table the report `{added=, skipped=, invalid = {{input=, reason=,
-- index=},...}, failed = {{number=, err=},...}, numbers = {Number,...},
-- error = err (a source that failed part-way)}`
-- @treturn[2] nil
-- @treturn[2] Error `validation` (a bad source or option)
function C.add_numbers(c, list, opts) return batch.add_numbers(c, list, opts) end

--- Upload a numbers file. v1 only (legacy: `send_to_number_file` of
-- `Session:create_campaign`).
-- @function Campaign:upload_numbers
-- @tparam string|table|function source the path of an .xlsx or .csv (columns
-- `numbers` and one per variable), or a list or an iterator of numbers or
-- records, written to a private temporary .xlsx that is removed afterwards
-- @treturn table `{error_list=, samples=, total_validated_rows=}`
-- @treturn[2] nil
-- @treturn[2] Error `validation` (an unreadable file, a bad record), `api`,
-- `unsupported` on legacy
C.upload_numbers = by_dialect("upload_numbers", nil, v1.upload_numbers, core.session_of)

--- The campaign's report (CSV). Both dialects.
-- @function Campaign:report
-- @tparam[opt] string path a file to stream it to (mode 0600)
-- @tparam[opt] table opts `{max_bytes = n}`: the largest report written to
-- `path` (default `MAX_REPORT`, 1 GiB); in memory the session's `max_body`
-- caps it
-- @treturn string|true the bytes, or true once written to `path`
-- @treturn[2] nil
-- @treturn[2] Error `validation` (field `path`: a directory, or no such
-- directory; `max_bytes`), `decode` (larger than the cap), `not_found`
function C.report(c, path, opts)
  if opts ~= nil and type(opts) ~= "table" then return errors.invalid("report", "opts", "expected a table") end
  opts = opts or {}
  local known, kerr = errors.check_keys("report", opts, { "max_bytes" })
  if not known then return nil, kerr end
  local max_bytes = opts.max_bytes or tingting.MAX_REPORT
  if type(max_bytes) ~= "number" or max_bytes < 1 or max_bytes ~= math.floor(max_bytes) or max_bytes > 2 ^ 53 then
    return errors.invalid("report", "max_bytes", "expected a positive whole number of bytes")
  end
  if path ~= nil then
    if type(path) ~= "string" or path == "" or path:find("%z") then
      return errors.invalid("report", "path", "expected a file path")
    end
    local isdir = io.open(path .. "/.", "r")
    if isdir then
      isdir:close()
      return errors.invalid("report", "path", "is a directory: " .. path)
    end
    local dir = path:match("^(.*)/[^/]*$") or "."
    local probe = io.open(dir .. "/.", "r")
    if not probe then
      return errors.invalid("report", "path", "no such directory: " .. dir)
    end
    probe:close()
  end
  local s = core.session_of(c)
  local args = { campaign_id = c.id }
  if state(s).api == "v1" then args = { id = c.id } end
  -- in memory, the session's max_body caps it as any answer; to a file, max_bytes
  local res, err = call.call(s, "report", args,
    { sink = path, max_body = path and max_bytes or math.min(max_bytes, core.state(s).max_body) })
  if res == nil then return nil, err end
  if path ~= nil then return true end
  return res
end

--- A local preview of a tag message for this campaign; nothing is sent.
-- Both dialects (v1: `{name}` and `{tags_name}` both take the variable `name`).
-- A placeholder without a value stays as it is (`tingting.template.render`
-- also returns the names left without one).
-- @function Campaign:render
-- @string message
-- @tparam table tags the values, by name
-- @treturn string the message with its placeholders filled
-- @treturn[2] nil
-- @treturn[2] Error `validation` (a message or tags of the wrong type)
function C.render(c, message, tags)
  local out, missing = template.render(message, tags, { api = state(core.session_of(c)).api })
  if out == nil then return nil, missing end
  return out
end

-- Every method of the three classes, as users call them: misuse (a method
-- called with '.' instead of ':', a closed session or object) raises at the
-- caller's line, and success is one value, so that `local r, err = ...; if
-- err then` reads every method right. The one exception is a listing asked
-- for one page: `list, pagination` (never an error in second place).
local function one(res, ...)
  if res ~= nil then return res end
  return nil, ...
end
local function listing(res, second, ...)
  if res ~= nil and type(res) == "table" and second ~= nil and res.pagination == second then
    return res, second
  end
  return one(res, second, ...)
end
-- the listings that take a page
local PAGED = { campaigns = true, numbers = true, otps = true }

local KINDS = {
  { methods = S, var = "s", class = "tingting.session" },
  { methods = C, var = "c", class = "tingting.campaign" },
  { methods = N, var = "n", class = "tingting.number" },
}
-- methods that work on a closed session or object
local WHEN_CLOSED = { close = true, fields = true }

local function check_self(kind, name, obj)
  local mt = type(obj) == "userdata" and getmetatable(obj)
  if not (type(mt) == "table" and rawget(mt, "methods") == kind.methods) then
    local got = type(obj) == "userdata" and tostring(obj):match("^[%w_.]+") or type(obj)
    return ("tingting: %s:%s() needs a %s before the arguments (got %s): call it with ':' as in %s:%s(...)")
      :format(kind.var, name, kind.class, got, kind.var, name)
  end
  if WHEN_CLOSED[name] then return nil end
  local s = obj
  if kind.methods ~= S then
    local ok, session = pcall(core.session_of, obj)
    if not ok then return ("%s: the object is closed (%s:%s())"):format(kind.class, kind.var, name) end
    s = session
  end
  if s.closed then return ("tingting: session is closed (%s:%s())"):format(kind.var, name) end
end

local function public(kind, name, f)
  local finish = PAGED[name] and listing or one
  return function(obj, ...)
    local misuse = check_self(kind, name, obj)
    if misuse then error(misuse, 2) end
    return finish(f(obj, ...))
  end
end

for _, kind in ipairs(KINDS) do
  local names = {}
  for name, f in pairs(kind.methods) do
    if type(f) == "function" then names[#names + 1] = name end
  end
  for _, name in ipairs(names) do kind.methods[name] = public(kind, name, kind.methods[name]) end
end

return tingting
