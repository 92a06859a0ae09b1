--- The options of `tingting.session` (docs/design.md), checked before
-- anything is made of them: the first one at fault is a validation error
-- (op "session") naming it.
-- @module tingting.options
local auth = require "tingting.auth"
local errors = require "tingting.errors"

local M = {}

local DEFAULT_BASE_URL = "https://app.tingting.io"

local OPTIONS = {
  base_url = "string", email = "string", password = "string",
  access_token = "string", refresh_token = "string",
  timeout = "number", connect_timeout = "number", max_retries = "number", max_body = "number",
  transport = "any", ca_file = "string", insecure = "boolean", user_agent = "string",
  on_tokens = "function", token_store = "any", on_log = "function",
  allow_insecure_http = "boolean", http2 = "boolean", api = "string", api_key = "string",
}

local function verror(field, message) return errors.invalid("session", field, message) end

local LOOPBACK = { localhost = true, ["[::1]"] = true }

--- Check a base URL: http(s) only, no credentials, API path, query or
-- fragment, and plain http only to loopback unless allowed. Returns the URL without a
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
  -- the library adds /api/... (or /api/v1/...) itself: a path holding an
  -- `api` segment is the API's own, copied from its docs, and would double
  -- it. Any other path is a prefix (the API behind a reverse proxy).
  local path = rest:sub(#authority + 1):gsub("/+$", "")
  if (path .. "/"):lower():find("/api/", 1, true) then
    return verror("base_url", ("must be scheme://host[:port] (or a proxy's prefix) without the API's path; got '%s' "
      .. "(the library adds /api/...): use '%s://%s'"):format(path:sub(1, 64), scheme, authority))
  end
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

-- Tokens go into Authorization headers (tingting.auth refuses the same ones
-- from an answer or a token store).
local function check_token(name, v)
  if auth.bad_token(v) then
    return verror(name, "must be a token without spaces or control characters")
  end
  return true
end

--- The API dialect of options already checked: "v1" or "legacy".
function M.dialect(opts)
  return opts.api or (opts.api_key and "v1") or "legacy"
end

--- Check the session options `opts` (a table, or anything to refuse).
-- @treturn string|nil the base URL to use, without a trailing slash
-- @treturn tingting.error the option at fault
function M.check(opts)
  if type(opts) ~= "table" then return verror("options", "expected a table") end
  local known, kerr = errors.check_keys("session", opts, OPTIONS)
  if not known then return nil, kerr end
  for k, v in pairs(opts) do
    local want = OPTIONS[k]
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
  local max_body = opts.max_body
  if max_body ~= nil and not (max_body >= 1024 and max_body <= 2 ^ 40 and max_body == math.floor(max_body)) then
    return verror("max_body", "expected a whole number of bytes from 1024 to 2^40")
  end
  local retries = opts.max_retries
  if retries ~= nil and not (retries >= 0 and retries <= 10 and retries == math.floor(retries)) then
    return verror("max_retries", "expected an integer from 0 to 10")
  end
  if opts.api ~= nil and opts.api ~= "v1" and opts.api ~= "legacy" then
    return verror("api", ("expected \"v1\" or \"legacy\" (got %q)"):format(opts.api:sub(1, 32)))
  end
  if opts.api_key ~= nil and opts.api == "legacy" then
    return verror("api_key", "an API token is a v1 credential: leave out api = \"legacy\" (api_key implies \"v1\")")
  end
  for _, k in ipairs { "access_token", "refresh_token", "api_key" } do
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
  local transport = opts.transport
  local tt = type(transport)
  if transport ~= nil and tt ~= "function" and not ((tt == "table" or tt == "userdata") and transport.request) then
    return verror("transport", "expected a transport (an object with :request) or a function(req)")
  end
  local token_store = opts.token_store
  if token_store ~= nil and not (type(token_store) == "table" and (token_store.load or token_store.save)) then
    return verror("token_store", "expected an object with load() and save(access, refresh)")
  end
  return base
end

return M
