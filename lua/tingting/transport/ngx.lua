--- The OpenResty transport: every request is an `ngx.location.capture`
-- subrequest to an internal location that proxies to the API, so nginx does
-- TLS, upstream keep-alive and timeouts, and the worker never blocks.
--
--    local tingting = require "tingting"
--    local s = tingting.session {
--      email = ..., password = ...,
--      transport = tingting.transport.ngx { location = "/_tingting" },
--      token_store = tingting.store.shared_dict(ngx.shared.tingting),
--    }
--
-- The location block it needs (examples/openresty/nginx.conf has it whole):
--
--    location /_tingting/ {
--      internal;
--      proxy_pass https://app.tingting.io/;   # the session's base_url, with a trailing /
--      proxy_pass_request_headers off;        # the client's own headers stay out
--      proxy_set_header Authorization $http_authorization;
--      proxy_set_header Content-Type $http_content_type;
--      proxy_set_header Accept $http_accept;
--      proxy_set_header User-Agent $http_user_agent;
--      proxy_set_header Cookie $http_cookie;       # v1's refresh cookie
--      rewrite_by_lua_block { require("tingting.transport.ngx").rewrite() }
--      header_filter_by_lua_block { require("tingting.transport.ngx").header_filter() }
--      body_filter_by_lua_block { require("tingting.transport.ngx").body_filter() }
--      proxy_buffering off;                   # read as it arrives...
--      proxy_max_temp_file_size 0;            # ...and never into a temp file
--      proxy_read_timeout 30s;                # at most the session's timeout
--      ...
--    }
--
-- Bounds, whatever the upstream does: an answer whose Content-Length is over
-- `max_body` is refused before its body (`nil, err`); the headers must come
-- within proxy_read_timeout of the request's end (counted once, not reset
-- by each byte) and within proxy_buffer_size; a body is cut once it passes
-- `max_body` or arrives past the request's `timeout` (the session's). nginx
-- cannot end a subrequest cut in its body without ending its main request:
-- that one request's connection is closed and the error log says why. A
-- worker holds at most about twice max_body per request in flight.
--
-- Requests run in the rewrite, access and content phases (where nginx allows
-- subrequests); elsewhere (timers, init_worker) the transport fails with a
-- clear error before sending anything.
-- @module tingting.transport.ngx
if type(ngx) ~= "table" or not ngx.location then
  -- level 3: the line that required it (level 2 is require itself)
  error("tingting.transport.ngx runs only inside OpenResty/nginx (ngx is not available); "
    .. "outside nginx, leave out `transport` for the default (libcurl) one", 3)
end
local core = require "tingting.core"
local errors = require "tingting.errors"
local ngx = ngx
local threads = require "tingting.transport.threads"
local capture = ngx.location.capture
local get_phase = ngx.get_phase
local now = ngx.now
local ngx_sleep = ngx.sleep
local concat, lower = table.concat, string.lower

local _M = { _VERSION = core.VERSION }
local mt = { __index = _M }

local METHODS = {
  GET = ngx.HTTP_GET, POST = ngx.HTTP_POST, PUT = ngx.HTTP_PUT, DELETE = ngx.HTTP_DELETE, PATCH = ngx.HTTP_PATCH,
}
-- the phases in which ngx.location.capture may run
local PHASES = { rewrite = true, access = true, content = true }
-- the request headers the transport sets on the subrequest (and only these go upstream)
local SENT = { "Authorization", "Content-Type", "Accept", "User-Agent", "Cookie" }

local DEFAULT_MAX_BODY = 64 * 1024 * 1024

local function invalid(field, message)
  return errors.invalid("transport.ngx", field, message)
end

local function fail(kind, message, sent)
  return nil, { kind = kind, message = message, sent = sent }
end

--- A new transport. `opts.location`: the internal location (default
-- "/_tingting"); `opts.user_agent`; `opts.max_body`: the largest answer kept
-- (bytes, default 64 MiB).
function _M.new(opts)
  if opts ~= nil and type(opts) ~= "table" then return invalid("options", "expected a table") end
  opts = opts or {}
  local known, kerr = errors.check_keys("transport.ngx", opts, { "location", "max_body", "user_agent" })
  if not known then return nil, kerr end
  local location = opts.location or "/_tingting"
  if type(location) ~= "string" or not location:match("^/[%w%-%._~/]*$") then
    return invalid("location", "expected a path such as \"/_tingting\"")
  end
  local max_body = opts.max_body or DEFAULT_MAX_BODY
  if type(max_body) ~= "number" or max_body ~= max_body or max_body <= 0 then
    return invalid("max_body", "expected a positive number")
  end
  if opts.user_agent ~= nil and (type(opts.user_agent) ~= "string" or opts.user_agent:find("%c")) then
    return invalid("user_agent", "expected a string without control characters")
  end
  return setmetatable({
    location = (location:gsub("/+$", "")),
    max_body = max_body,
    user_agent = opts.user_agent or ("tingting-lua/" .. _M._VERSION .. " (ngx)"),
  }, mt)
end

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local data, rerr = f:read("*a")
  f:close()
  if not data then return nil, rerr or ("cannot read " .. path) end
  return data
end

local function quote(s)
  return (tostring(s):gsub('[\r\n"]', { ["\r"] = "%0D", ["\n"] = "%0A", ['"'] = "%22" }))
end

local boundary_seq = 0

--- multipart/form-data body of the request's form parts; nil, err when a file
-- cannot be read (nothing was sent).
local function multipart(form)
  local parts = {}
  for i, p in ipairs(form) do
    local head = 'Content-Disposition: form-data; name="' .. quote(p.name) .. '"'
    local data
    if p.file then
      local err
      data, err = read_file(p.file)
      if not data then return nil, "cannot read a form file: " .. tostring(err) end
      head = head .. '; filename="' .. quote(p.filename or p.file:match("[^/]*$")) .. '"\r\n'
        .. "Content-Type: " .. (p.type or "application/octet-stream")
    else
      data = tostring(p.value)
    end
    parts[i] = { head, data }
  end
  local boundary
  repeat -- a boundary that occurs in no part
    boundary_seq = boundary_seq + 1
    boundary = ("----tingting%x%x%08x"):format(ngx.worker.pid(), boundary_seq, math.random(0, 0x7fffffff))
    local clash = false
    for _, p in ipairs(parts) do
      if p[2]:find(boundary, 1, true) then clash = true break end
    end
  until not clash
  local out = {}
  for _, p in ipairs(parts) do
    out[#out + 1] = "--" .. boundary .. "\r\n" .. p[1] .. "\r\n\r\n"
    out[#out + 1] = p[2]
    out[#out + 1] = "\r\n"
  end
  out[#out + 1] = "--" .. boundary .. "--\r\n"
  return concat(out), "multipart/form-data; boundary=" .. boundary
end

-- The cosocket transport builds its form bodies here too.
_M.multipart = multipart

-- Header names lowercased and repeated headers joined, as the curl
-- transport gives them to core.parse.
local function lower_headers(h)
  local out = {}
  for k, v in pairs(h or {}) do
    if type(v) == "table" then v = concat(v, ", ") end
    out[lower(k)] = v
  end
  return out
end

local function last(list)
  if not list then return nil end
  return list:match("([^,%s]+)%s*$")
end

-- Whether any attempt reached an upstream: with several peers nginx may pass
-- a request on after one took it and failed, and only an attempt that never
-- connected proves nothing was sent.
local function any_connected(list)
  for t in (list or ""):gmatch("[^,%s]+") do
    if t ~= "-" then return true end
  end
  return false
end

local open_part = threads.open_part

-- Write a download to `path` through a temporary file, so a failed write
-- never leaves half a report under the final name.
local function write_sink(path, data)
  local part = path .. ".part"
  local f, err = open_part(part)
  if not f then return nil, "cannot open the sink file: " .. tostring(err) end
  local ok, werr = f:write(data)
  local cok, cerr = f:close()
  if not ok or not cok then
    os.remove(part)
    return nil, "cannot write the sink file: " .. tostring(werr or cerr)
  end
  local rok, rerr = os.rename(part, path)
  if not rok then
    os.remove(part)
    return nil, "cannot write the sink file: " .. tostring(rerr)
  end
  return true
end

--- Perform request table `req` (docs/design.md): `status, body, headers`, or
-- `nil, {kind = "network"|"timeout", message =, sent =}`.
function _M.request(self, req)
  local phase = get_phase()
  if not PHASES[phase] then
    return fail("network", "tingting.transport.ngx: nginx does not allow subrequests in the "
      .. phase .. " phase; call the API from a rewrite, access or content handler", false)
  end
  local method = METHODS[req.method]
  if not method then return fail("network", "unsupported method " .. tostring(req.method), false) end
  local path = req.url:match("^%a[%w+.-]*://[^/]*(/.*)$") or "/"
  local hdrs = req.headers or {}
  local body, ctype = req.body, hdrs["Content-Type"]
  if req.form then
    body, ctype = multipart(req.form)
    if not body then return fail("network", ctype, false) end
  end
  local sub = {
    ["Authorization"] = hdrs.Authorization,
    ["Content-Type"] = ctype,
    ["Accept"] = hdrs.Accept or "application/json",
    ["User-Agent"] = self.user_agent,
  }
  -- what the location's filters hold the answer to: max_body, and a
  -- deadline for the whole answer set by the request's (the session's) timeout
  local timeout = req.timeout or 30
  local limit = { max_body = self.max_body, deadline = now() + timeout, bytes = 0 }
  local ctx = { tingting = sub, tingting_limit = limit }
  -- body = "" stops nginx from forwarding the parent request's own body
  local res = capture(self.location .. path, { method = method, body = body or "", ctx = ctx })
  if limit.cut == "max_body" then
    return fail("network", ("the answer is larger than max_body (%d bytes): cut off"):format(self.max_body), nil)
  elseif limit.cut == "deadline" then
    return fail("timeout", ("the answer did not end within the timeout (%g s): cut off"):format(timeout), nil)
  end
  local up = ctx.tingting_upstream
  if not up then
    -- no header_filter in the location: nginx's own failures have no upstream answer
    if res.truncated and (res.status == 502 or res.status == 504) and res.body == "" then
      return fail(res.status == 504 and "timeout" or "network",
        "no answer from the API (nginx " .. res.status .. ")", nil)
    end
  elseif up.header_time == nil or up.header_time == "-" then
    -- the upstream never answered: a connect failure means it never got the request
    local connected = up.connected
    local sent = nil -- unknown: the request may have been processed
    if not connected then sent = false end
    if res.status == 504 then
      return fail("timeout", "the API did not answer in time (nginx proxy timeout)", sent)
    end
    return fail("network", connected and "the connection to the API closed without an answer"
      or "cannot connect to the API", sent)
  end
  if res.truncated then
    return fail("network", "the API's answer was cut off", nil)
  end
  local data = res.body or ""
  local max_body = req.max_body or self.max_body
  if #data > max_body then
    return fail("decode", ("the answer is larger than max_body (%d bytes)"):format(max_body), nil)
  end
  local status = res.status
  if req.sink and status >= 200 and status < 300 then
    local ok, err = write_sink(req.sink, data)
    if not ok then return fail("network", err, nil) end
    data = ""
  end
  return status, data, lower_headers(res.header)
end

--- Run `reqs` with at most `concurrency` in flight on light threads
-- (tingting.transport.threads).
-- nginx keeps each subrequest's memory
-- (about 14 KB) until the main request ends: a batch of thousands belongs in
-- a script, or spread over several requests.
function _M.many(self, reqs, concurrency, on_done)
  return threads.many(self, reqs, concurrency, on_done, "tingting.transport.ngx")
end

--- Sleep without blocking the worker.
function _M.sleep(_, seconds)
  if seconds and seconds > 0 then ngx_sleep(seconds) end
end

function mt.__tostring(self)
  return "tingting.transport.ngx(" .. self.location .. ")"
end

--- For the internal location's `rewrite_by_lua_block`: the subrequest
-- carries exactly the headers of the request, none of the client's.
function _M.rewrite()
  local h = ngx.ctx.tingting
  if not h then return ngx.exit(ngx.HTTP_NOT_FOUND) end
  local set = ngx.req.set_header
  for _, name in ipairs(SENT) do set(name, h[name]) end
end

-- Stop the answer: a filter that raises makes nginx end the subrequest
-- with an error and close the upstream connection (returning ngx.ERROR from
-- a body filter does not: nginx reads on). nginx logs the message, and the
-- transport reports why.
local function cut(limit, why, message)
  limit.cut = why
  error("tingting.transport.ngx: " .. message .. "; the answer is cut off and its connection closed", 0)
end

--- For the internal location's `header_filter_by_lua_block`: tells the
-- transport whether the upstream answered, to tell a timeout or a refused
-- connection from an answer of the API; an answer whose Content-Length is
-- over max_body is cut before its body is read.
function _M.header_filter()
  local ctx = ngx.ctx
  if not ctx.tingting then return end
  local var = ngx.var
  ctx.tingting_upstream = {
    status = last(var.upstream_status),
    connected = any_connected(var.upstream_connect_time),
    header_time = last(var.upstream_header_time),
  }
  local limit = ctx.tingting_limit
  local length = tonumber(var.upstream_http_content_length)
  if limit and length and length > limit.max_body then
    cut(limit, "max_body", ("the answer's Content-Length (%d) is over max_body (%d)"):format(length, limit.max_body))
  end
end

--- For the internal location's `body_filter_by_lua_block`: counts the
-- answer's bytes as they arrive and cuts it (closing the upstream
-- connection) once it passes max_body or the request's deadline, so that
-- neither an endless nor a dripping answer holds the worker's memory or the
-- request past the session's timeout.
function _M.body_filter()
  local limit = ngx.ctx.tingting_limit
  if not limit then return end
  if limit.cut then -- nginx ending the cut subrequest: let its last buffer through, empty
    ngx.arg[1] = ""
    return
  end
  local chunk = ngx.arg[1]
  limit.bytes = limit.bytes + #chunk
  if limit.bytes > limit.max_body then
    cut(limit, "max_body", ("the answer passed max_body (%d bytes)"):format(limit.max_body))
  end
  if now() > limit.deadline and not ngx.arg[2] then
    cut(limit, "deadline", "the answer did not end within the session's timeout")
  end
end

return _M
