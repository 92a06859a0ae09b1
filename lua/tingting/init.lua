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
local template = require "tingting.template"
local batch = require "tingting.batch"
local numbers = require "tingting.numbers"
local store = require "tingting.store"

local tingting = {
  VERSION = core.VERSION,
  is_error = core.is_error,
  template = template,
  numbers = numbers,
  store = store,
  policy = call.policy,
  endpoints = core.endpoints,
  normalize_phone = core.normalize_phone,
  -- Blocking sleep (seconds), for scripts that poll a running campaign.
  sleep = core.sleep,
}

-- Transports: `tingting.transport.curl(opts)` is the default.
-- core.curl raises on bad options (it is also the session's own, whose
-- options are checked before); for users it is `nil, err` like the rest.
local function curl_transport(opts)
  if opts ~= nil and type(opts) ~= "table" then return call.invalid("transport", "options", "expected a table") end
  local ok, t = pcall(core.curl, opts)
  if ok then return t end
  local msg = tostring(t):gsub("^tingting%.curl: ", "")
  local field = msg:match("^([%w_]+): ") or msg:match("option '([^']+)'") or "options"
  return nil, core.error { kind = "validation", field = field, op = "transport", message = msg,
    sent = false, retryable = false }
end

tingting.transport = setmetatable({
  curl = curl_transport,
}, {
  __index = function(t, name)
    -- load transports on demand, so that plain Lua never needs ngx
    local ok, mod = pcall(require, "tingting.transport." .. name)
    if ok then
      rawset(t, name, mod.new or mod)
      return rawget(t, name)
    end
  end,
})

local DEFAULT_BASE_URL = "https://app.tingting.io"

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

local OPTIONS = {
  base_url = "string", email = "string", password = "string",
  access_token = "string", refresh_token = "string",
  timeout = "number", connect_timeout = "number", max_retries = "number",
  transport = "any", ca_file = "string", insecure = "boolean", user_agent = "string",
  on_tokens = "function", token_store = "any", on_log = "function",
  allow_insecure_http = "boolean",
}

local function verror(field, message) return call.invalid("session", field, message) end

local LOOPBACK = { localhost = true, ["[::1]"] = true }

--- Check a base URL: http(s) only, no credentials, query or fragment, and
-- plain http only to loopback unless allowed. Returns the URL without a
-- trailing slash.
local function check_base_url(url, allow_http)
  if #url > 2048 or url:find("[%c%s]") then
    return verror("base_url", "must be a URL without spaces or control characters")
  end
  local scheme, rest = url:match("^(%a[%w+.-]*)://(.*)$")
  scheme = scheme and scheme:lower()
  if scheme ~= "http" and scheme ~= "https" then
    return verror("base_url", ("expected an http:// or https:// URL (got %q)"):format(url:sub(1, 64)))
  end
  local authority = rest:match("^([^/]*)")
  if authority:find("@", 1, true) then return verror("base_url", "must not contain credentials (user:password@)") end
  if rest:find("[?#]") then return verror("base_url", "must not contain a query or fragment") end
  local host = authority:match("^(%[[^%]]*%])") or authority:match("^([^:]*)")
  if host == "" then return verror("base_url", "has no host") end
  local port = authority:sub(#host + 1)
  if port ~= "" and not port:match("^:%d+$") then return verror("base_url", "has a malformed port") end
  host = host:lower()
  if scheme == "http" and not allow_http and not LOOPBACK[host] and not host:match("^127%.%d+%.%d+%.%d+$") then
    return verror("base_url", "plain http is only allowed to loopback; use https, or allow_insecure_http = true")
  end
  return (url:gsub("/+$", ""))
end

-- Values that reach a request header (or libcurl's User-Agent) must not be
-- able to end it and start another.
local function check_header_value(name, v)
  if v ~= nil and (#v > 1024 or v:find("[%c]")) then
    return verror(name, "must be at most 1024 characters without control characters (CR, LF, NUL)")
  end
  return true
end

-- A CA bundle that is missing or a directory would otherwise surface only as
-- a TLS failure on the first call.
local function check_file(name, v)
  if v == nil then return true end
  local f = v ~= "" and not v:find("%z") and io.open(v, "rb")
  local readable = false
  if f then
    local _, rerr = f:read(1) -- a directory opens, and fails here
    readable = rerr == nil
    f:close()
  end
  if not readable then return verror(name, "expected a readable file (got " .. ("%q"):format(v:sub(1, 64)) .. ")") end
  return true
end

local function check_token(name, v)
  if v ~= nil and (v == "" or #v > 8192 or v:find("[%c%s]")) then
    return verror(name, "must be a token without spaces or control characters")
  end
  return true
end

--- Create a session. See DESIGN.md §3 for the options.
-- @treturn tingting.session|nil
-- @treturn tingting.error
function tingting.session(opts)
  opts = opts or {}
  if type(opts) ~= "table" then return verror("options", "expected a table") end
  for k, v in pairs(opts) do
    local want = OPTIONS[k]
    if not want then return verror(tostring(k), "unknown option") end
    if want ~= "any" and type(v) ~= want then
      return verror(k, ("expected a %s (got %s)"):format(want, type(v)))
    end
  end
  local base, berr = check_base_url(opts.base_url or os.getenv("TINGTING_BASE_URL") or DEFAULT_BASE_URL,
    opts.allow_insecure_http)
  if not base then return nil, berr end
  for _, k in ipairs { "timeout", "connect_timeout" } do
    local v = opts[k]
    if v ~= nil and not (v > 0 and v <= 3600) then return verror(k, "expected seconds between 0 and 3600") end
  end
  local retries = opts.max_retries
  if retries ~= nil and not (retries >= 0 and retries <= 10 and retries == math.floor(retries)) then
    return verror("max_retries", "expected an integer from 0 to 10")
  end
  for _, k in ipairs { "access_token", "refresh_token" } do
    local ok, err = check_token(k, opts[k])
    if not ok then return nil, err end
  end
  local ok, err = check_header_value("user_agent", opts.user_agent)
  if not ok then return nil, err end
  ok, err = check_file("ca_file", opts.ca_file)
  if not ok then return nil, err end
  if (opts.email == nil) ~= (opts.password == nil) then
    return verror(opts.email and "password" or "email", "email and password go together")
  end
  local transport, owns = opts.transport, false
  local tt = type(transport)
  if transport == nil then
    transport = nginx_transport(opts) or core.curl {
      timeout = opts.timeout, connect_timeout = opts.connect_timeout, ca_file = opts.ca_file,
      insecure = opts.insecure, user_agent = opts.user_agent,
    }
    owns = true
  elseif tt ~= "function" and not ((tt == "table" or tt == "userdata") and transport.request) then
    return verror("transport", "expected a transport (an object with :request) or a function(req)")
  end
  local token_store = opts.token_store
  if token_store ~= nil and not (type(token_store) == "table" and (token_store.load or token_store.save)) then
    return verror("token_store", "expected an object with load() and save(access, refresh)")
  end
  local st = {
    base_url = base, email = opts.email, password = opts.password,
    timeout = opts.timeout or 30, connect_timeout = opts.connect_timeout or 10,
    max_retries = retries or 2, transport = transport, owns_transport = owns,
    on_tokens = opts.on_tokens, on_log = opts.on_log, token_store = token_store,
  }
  local s = core.session_new(st)
  if opts.access_token or opts.refresh_token then
    -- token_expires from the token's own exp claim; not a change for on_tokens
    call.hold_tokens(st, opts.access_token, opts.refresh_token)
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

--- Log in (with the session's credentials unless given); remembers them for re-login.
function S.login(s, email, password)
  local st = state(s)
  email, password = email or st.email, password or st.password
  local req, err = core.build(s, "login", { email = email, password = password })
  if not req then return nil, err end
  local user, meta = call.perform(s, st, req)
  if not user then return nil, meta end
  local ok, terr = call.set_tokens(st, meta.access, meta.refresh, "login")
  if not ok then return nil, terr end
  st.email, st.password, st.user = email, password, user
  return user
end

--- Get a new access token from the refresh token.
function S.refresh(s)
  local st = state(s)
  if not st.refresh_token then
    return nil, core.error { kind = "auth", op = "refresh", sent = false, retryable = false,
      message = "no refresh token: log in first" }
  end
  local req, err = core.build(s, "refresh", { refresh = st.refresh_token })
  if not req then return nil, err end
  local ok, meta = call.perform(s, st, req)
  if not ok then return nil, meta end
  return call.set_tokens(st, meta.access, meta.refresh, "refresh")
end

function S.user(s) return call.call(s, "user") end
function S.owned_numbers(s) return call.call(s, "owned_numbers") end
function S.available_numbers(s) return call.call(s, "available_numbers") end
function S.buy_number(s, sid) return call.call(s, "buy_number", { phone_sid = sid }) end
function S.release_number(s, sid) return call.call(s, "release_number", { phone_sid = sid }) end
function S.campaign(s, id) return call.call(s, "campaign", { id = id }) end
function S.create_campaign(s, args) return call.call(s, "create_campaign", args) end
function S.number(s, id) return call.call(s, "number", { id = id }) end
function S.report_summary(s) return call.call(s, "report_summary") end
function S.test_voice(s, args) return call.call(s, "test_voice", args) end
function S.send_otp(s, args) return call.call(s, "send_otp", args) end

--- Campaigns: one page (`{page = n}`), or every page following has_next.
-- @treturn {tingting.campaign,...}
-- @treturn table pagination (of the page, or of the last page read)
function S.campaigns(s, opts)
  if opts ~= nil and (type(opts) ~= "table" or opts.page ~= nil) then
    return call.call(s, "campaigns", opts)
  end
  local all, page = {}, 1
  while true do
    local list, pagination = call.call(s, "campaigns", { page = page })
    if not list then
      -- an account with no campaigns may answer page 1 with 404 "Invalid page."
      if page == 1 and pagination.kind == "not_found" then return all, { total_items = 0 } end
      return nil, pagination
    end
    for _, c in ipairs(list) do all[#all + 1] = c end
    if not (pagination and pagination.has_next) or #list == 0 then return all, pagination end
    page = page + 1
  end
end

-- Methods of objects: the id comes from the object; user arguments may not set it.
local function with_id(args, key, id)
  if args ~= nil and type(args) ~= "table" then
    return nil, core.error { kind = "validation", field = "arguments", sent = false,
      message = "arguments: expected a table (got " .. type(args) .. ")" }
  end
  local out = {}
  for k, v in pairs(args or {}) do out[k] = v end
  if out[key] ~= nil then
    return nil, core.error { kind = "validation", field = key, sent = false,
      message = key .. ": set by the object itself" }
  end
  out[key] = id
  return out
end

local function refreshed(obj, newer, err)
  if not newer then return nil, err end
  core.refresh_object(obj, newer)
  return obj
end

function C.reload(c)
  return refreshed(c, call.call(core.session_of(c), "campaign", { id = c.id }))
end

function C.update(c, args)
  local a, err = with_id(args, "id", c.id)
  if not a then return nil, err end
  return refreshed(c, call.call(core.session_of(c), "update_campaign", a))
end

function C.delete(c) return call.call(core.session_of(c), "delete_campaign", { id = c.id }) end

--- Start (or re-run) the campaign. A message whose `{tags_*}` are not all in
-- the campaign's usable_tags is refused before anything is sent.
function C.begin(c, args)
  local a, err = with_id(args, "id", c.id)
  if not a then return nil, err end
  if a.audio ~= nil then
    -- the docs' re-run note says "audio" once; the field is aud_file everywhere else
    return call.invalid("begin", "audio", "new audio goes in aud_file (a path to the file)")
  end
  if type(a.message) == "string" then
    local ok, why = template.check(a.message, c.usable_tags)
    if not ok then
      return nil, core.error { kind = "validation", field = "message", op = "begin", sent = false,
        retryable = false, message = "message: " .. why }
    end
  end
  return call.call(core.session_of(c), "begin", a)
end

function C.numbers(c) return call.call(core.session_of(c), "campaign_numbers", { id = c.id }) end

function C.add_number(c, number, available_tags)
  return call.call(core.session_of(c), "add_number",
    { id = c.id, number = number, available_tags = available_tags })
end

--- Add many numbers concurrently, each exactly once (see tingting.batch).
function C.add_numbers(c, list, opts) return batch.add_numbers(c, list, opts) end

--- The campaign's report: its bytes, or `true` once written to `path`.
function C.report(c, path)
  if path ~= nil then
    if type(path) ~= "string" or path == "" or path:find("%z") then
      return nil, core.error { kind = "validation", field = "path", op = "report", sent = false,
        message = "path: expected a file path" }
    end
    local isdir = io.open(path .. "/.", "r")
    if isdir then
      isdir:close()
      return nil, core.error { kind = "validation", field = "path", op = "report", sent = false,
        message = "path: is a directory: " .. path }
    end
    local dir = path:match("^(.*)/[^/]*$") or "."
    local probe = io.open(dir .. "/.", "r")
    if not probe then
      return nil, core.error { kind = "validation", field = "path", op = "report", sent = false,
        message = "path: no such directory: " .. dir }
    end
    probe:close()
  end
  local res, err = call.call(core.session_of(c), "report", { campaign_id = c.id }, { sink = path })
  if res == nil then return nil, err end
  if path ~= nil then return true end
  return res
end

--- Local preview of a tag message for this campaign.
function C.render(_, message, tags) return template.render(message, tags) end

function C.fields(c) return core.fields(c) end

function N.fields(n) return core.fields(n) end

function N.reload(n)
  return refreshed(n, call.call(core.session_of(n), "number", { id = n.id }))
end

function N.update(n, args)
  local a, err = with_id(args, "id", n.id)
  if not a then return nil, err end
  return refreshed(n, call.call(core.session_of(n), "update_number", a))
end

function N.delete(n) return call.call(core.session_of(n), "delete_number", { id = n.id }) end

return tingting
