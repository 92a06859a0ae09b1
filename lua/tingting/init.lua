--- tingting: the TingTing voice and SMS campaign API from Lua.
--
--    local tingting = require "tingting"
--    local s = assert(tingting.session{email = "test@gmail.com", password = "test"})
--    local c = assert(s:create_campaign{name = "IPO", services = "SMS",
--                                       individual_number = {"9843818700"}})
--
-- Every method returns its result, or `nil, err` where `err` is a
-- `tingting.error` (see `tingting.is_error`); only programmer errors (such as
-- using a closed session) raise.
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

--- Create a session. See docs/design.md for the options.
-- @treturn tingting.session|nil
-- @treturn tingting.error
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
local function paged(list, pagination)
  if list == nil then return nil, pagination end
  if type(pagination) == "table" then
    setmetatable(list, { __index = { pagination = pagination } })
  end
  return list
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

--- Log in (with the session's credentials unless given); remembers them for
-- re-login. Legacy: the user data; v1: true (the tokens arrive as cookies).
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

--- Get a new access token from the refresh token.
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

function S.user(s) return call.call(s, "user") end
function S.owned_numbers(s) return call.call(s, "owned_numbers") end
function S.available_numbers(s) return call.call(s, "available_numbers") end
function S.buy_number(s, sid) return call.call(s, "buy_number", { phone_sid = sid }) end
function S.release_number(s, sid) return call.call(s, "release_number", { phone_sid = sid }) end
function S.campaign(s, id) return call.call(s, "campaign", { id = id }) end
--- Create a campaign. `send_to_number_file` may be a path, or a list or an
-- iterator of numbers or `{number=, available_tags=}` records, which is
-- written to a temporary .xlsx (removed afterwards) and uploaded.
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
function S.number(s, id) return call.call(s, "number", { id = id }) end
function S.report_summary(s) return with_message(call.call(s, "report_summary")) end
S.test_voice = by_dialect("test_voice_session", function(s, args)
  return with_message(call.call(s, "test_voice", args))
end)
function S.send_otp(s, args) return call.call(s, "send_otp", args) end
-- v1 (on a legacy session: unsupported, with the equivalent)
function S.api_token(s) return call.call(s, "api_token") end
S.generate_api_token = by_dialect("generate_api_token", nil, v1.generate_api_token)
function S.dashboard(s, args) return call.call(s, "dashboard", args) end
function S.voice_models(s) return call.call(s, "voice_models") end
function S.sender_numbers(s) return call.call(s, "sender_numbers") end
S.each_campaign = by_dialect("each_campaign", nil, v1.each_campaign)
S.otps = by_dialect("otps", nil, function(s, filters) return paged(v1.otps(s, filters)) end)
S.survey_report = by_dialect("survey_report", nil, v1.survey_report)

--- Campaigns. Legacy: one page (`{page = n}`), or every page following
-- has_next. v1: every page, or with `limit`/`offset` that page; filters
-- status, search, draft, sort_by, from_date, to_date.
-- @treturn {tingting.campaign,...} with `.pagination`: the page's (or the
-- last page's) pagination
local function legacy_campaigns(s, opts)
  if opts ~= nil and (type(opts) ~= "table" or opts.page ~= nil) then
    return paged(call.call(s, "campaigns", opts))
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
S.campaigns = by_dialect("campaigns", legacy_campaigns, function(s, filters) return paged(v1.campaigns(s, filters)) end)

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
-- n:reload(), n:update{number=, available_tags=}, n:delete(), n:fields()
object_methods(N, { get = "number", update = "update_number", delete = "delete_number" })
N.reload = by_dialect("reload_number", N.reload, nil, core.session_of)
N.update = by_dialect("update_number", N.update, v1.update_number, core.session_of)
N.attributes = by_dialect("number_attributes", nil, v1.attributes, core.session_of)
N.demo_call = by_dialect("demo_call", nil, function(n)
  return call.call(core.session_of(n), "demo_call", { id = n.id })
end, core.session_of)

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
C.begin = by_dialect("begin", legacy_begin, v1.begin, core.session_of)

C.numbers = by_dialect("campaign_numbers", function(c)
  return call.call(core.session_of(c), "campaign_numbers", { id = c.id })
end, function(c, filters) return paged(v1.numbers(c, filters)) end, core.session_of)
C.each_number = by_dialect("each_number", nil, v1.each_number, core.session_of)
C.set_message = by_dialect("set_message", nil, v1.set_message, core.session_of)
C.test_voice = by_dialect("test_voice_campaign", nil, v1.test_voice, core.session_of)

C.add_number = by_dialect("add_number", function(c, number, available_tags)
  return call.call(core.session_of(c), "add_number",
    { id = c.id, number = number, available_tags = available_tags })
end, v1.add_number, core.session_of)

--- Add many numbers concurrently, each exactly once (see tingting.batch).
function C.add_numbers(c, list, opts) return batch.add_numbers(c, list, opts) end

--- Upload a numbers file (v1, PATCH bulk_file): a path, or a list or
-- iterator of numbers or records written to a temporary .xlsx first.
C.upload_numbers = by_dialect("upload_numbers", nil, v1.upload_numbers, core.session_of)

--- The campaign's report: its bytes, or `true` once written to `path`.
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

--- Local preview of a tag message for this campaign (v1: `{name}` and
-- `{tags_name}` both take the variable `name`): the text, or `nil, err`.
-- The names left without a value are `tingting.template.render`'s second
-- result.
function C.render(c, message, tags)
  local out, missing = template.render(message, tags, { api = state(core.session_of(c)).api })
  if out == nil then return nil, missing end
  return out
end

-- Every method of the three classes, as users call them: misuse (a method
-- called with '.' instead of ':', a closed session or object) raises at the
-- caller's line, and success is one value, so that `local r, err = ...; if
-- err then` reads every method right.
local function one(res, ...)
  if res ~= nil then return res end
  return nil, ...
end

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
  return function(obj, ...)
    local misuse = check_self(kind, name, obj)
    if misuse then error(misuse, 2) end
    return one(f(obj, ...))
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
