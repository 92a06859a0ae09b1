--- The OpenResty transport over cosockets: HTTP/1.1 straight to the API on
-- `ngx.socket.tcp` (TLS by `sslhandshake`), the answer parsed in C by
-- http-parser (`core.http_response`, sans-IO: Lua reads, C parses), a
-- keep-alive pool per host and port. It needs no `location` block, never
-- blocks the worker, and works in the rewrite, access and content phases
-- and in timers (`ngx.timer.at`, `ngx.timer.every`). It is the default
-- transport of a session made inside nginx.
--
--    local s = tingting.session {
--      email = ..., password = ...,
--      transport = tingting.transport.cosocket { pool_size = 32, keepalive_timeout = 60 },
--      token_store = tingting.store.shared_dict(ngx.shared.tingting),
--    }
--
-- nginx verifies the API's certificate against `lua_ssl_trusted_certificate`
-- (there is no per-socket CA file: a session's `ca_file` does not apply);
-- `lua_ssl_verify_depth` must cover the chain, and a host name needs a
-- `resolver`.
--
-- What happens to a request that fails (docs/design.md, errors: "sent"):
--
-- * Not connected (refused, unresolvable, connect timeout) or the TLS
--   handshake failed: nothing was sent, `sent = false`. A certificate that
--   does not verify is final besides (`retryable = false`): every try would
--   meet the same certificate.
-- * The send failed: nginx reports a failed send only while part of the
--   request is still unwritten, so the server never had the whole request
--   and cannot have acted on it. On a kept-alive connection that is the
--   server having closed it while idle: the request goes again, once, on a
--   fresh connection. On a fresh connection it is `sent = false`.
-- * The connection closed before one byte of the answer: on a fresh
--   connection the server had the request (`sent = true`). On a kept-alive
--   connection it may have closed the idle connection as the request went
--   out (nothing done), or taken the request and died (done): the two look
--   the same. libcurl resends in that case whatever the method; like the
--   curl transport, this one resends (once, on a fresh connection) only an
--   idempotent request, and reports any other as `sent = true`. nginx drops
--   pooled connections that the server closes while they are idle, so only
--   a close that crosses the request on the wire gets here.
-- * A timeout, or a close, after the request was written: `sent = true`.
--
-- Time: connecting (TCP and TLS) may take `connect_timeout`, and the request
-- then has `timeout` for sending and the whole answer, however slowly it
-- drips: every read waits at most for what is left of that.
-- @module tingting.transport.cosocket
if type(ngx) ~= "table" or not ngx.socket then
  -- level 3: the line that required it (level 2 is require itself)
  error("tingting.transport.cosocket runs only inside OpenResty/nginx (ngx is not available); "
    .. "outside nginx, leave out `transport` for the default (libcurl) one", 3)
end
local core = require "tingting.core"
local ngx = ngx
local threads = require "tingting.transport.threads"
local tcp = ngx.socket.tcp
local get_phase = ngx.get_phase
local ngx_now, update_time = ngx.now, ngx.update_time
local ngx_sleep = ngx.sleep
local concat, lower, floor, min = table.concat, string.lower, math.floor, math.min

local _M = { _VERSION = "0.1.0" }
local mt = { __index = _M }

-- the phases in which nginx allows cosockets
local PHASES = { rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true }
local METHODS = { GET = true, POST = true, PUT = true, DELETE = true, PATCH = true }
-- request headers whose job is the transport's: framing and the connection
local FRAMING = { ["content-length"] = true, ["transfer-encoding"] = true, connection = true }

local DEFAULT_MAX_BODY = 64 * 1024 * 1024
local READ_SIZE = 65536
local OPTIONS = { pool_size = true, keepalive_timeout = true, ssl_verify = true, max_body = true, user_agent = true }

local function invalid(field, message)
  return require("tingting.errors").invalid("transport.cosocket", field, message)
end

local function fail(kind, message, sent)
  return nil, { kind = kind, message = message, sent = sent }
end

--- A new transport. Options: `pool_size` (connections kept per host and
-- port in each worker, default 32), `keepalive_timeout` (seconds an idle
-- connection is kept, default 60; 0 keeps it until the server closes it),
-- `ssl_verify` (default true: the certificate and host name are checked
-- against lua_ssl_trusted_certificate), `max_body` (bytes, default 64 MiB),
-- `user_agent`. A bad option is `nil, err` (a validation error naming it).
function _M.new(opts)
  if opts ~= nil and type(opts) ~= "table" then return invalid("options", "expected a table") end
  opts = opts or {}
  local known, kerr = require("tingting.errors").check_keys("transport.cosocket", opts, OPTIONS)
  if not known then return nil, kerr end
  local pool_size = opts.pool_size or 32
  if type(pool_size) ~= "number" or pool_size ~= floor(pool_size) or pool_size < 1 or pool_size > 65535 then
    return invalid("pool_size", "expected an integer from 1 to 65535")
  end
  local keepalive = opts.keepalive_timeout or 60
  if type(keepalive) ~= "number" or not (keepalive >= 0 and keepalive < 2 ^ 31 / 1000) then
    return invalid("keepalive_timeout", "expected seconds (0 or more)")
  end
  local verify = opts.ssl_verify
  if verify == nil then verify = true end
  if type(verify) ~= "boolean" then return invalid("ssl_verify", "expected a boolean") end
  local max_body = opts.max_body or DEFAULT_MAX_BODY
  if type(max_body) ~= "number" or max_body ~= floor(max_body) or max_body <= 0 or max_body >= 2 ^ 53 then
    return invalid("max_body", "expected a positive integer (bytes)")
  end
  if opts.user_agent ~= nil and (type(opts.user_agent) ~= "string" or opts.user_agent:find("%c")) then
    return invalid("user_agent", "expected a string without control characters")
  end
  return setmetatable({
    pool_size = pool_size,
    keepalive_ms = floor(keepalive * 1000 + 0.5),
    ssl_verify = verify,
    max_body = max_body,
    user_agent = opts.user_agent or ("tingting-lua/" .. _M._VERSION .. " (cosocket)"),
    hosts = {}, nhosts = 0,
  }, mt)
end

local function ms(seconds)
  local v = floor(seconds * 1000 + 0.5)
  if v < 1 then return 1 end
  if v > 2147483647 then return 2147483647 end
  return v
end

local function now()
  update_time()
  return ngx_now()
end

-- The parts of a URL's origin the transport needs, kept per origin.
local function origin(self, url)
  local base, path = url:match("^(%a[%w+.-]*://[^/?#]*)(.*)$")
  if not base then return nil end
  local u = self.hosts[base]
  if not u then
    local scheme, authority = base:match("^(%a[%w+.-]*)://(.*)$")
    scheme = lower(scheme)
    if scheme ~= "http" and scheme ~= "https" then return nil end
    local host, port = authority:match("^%[([%x:.]+)%]:?(%d*)$")
    if not host then host, port = authority:match("^([^:@%[%]]+):?(%d*)$") end
    if not host then return nil end
    port = tonumber(port) or (scheme == "https" and 443 or 80)
    if port < 1 or port > 65535 then return nil end
    u = { https = scheme == "https", host = host, port = port, authority = authority }
    u.pool = ("tingting:%s:%s:%d:%s:%d"):format(scheme, lower(host), port,
      u.https and tostring(self.ssl_verify) or "", self.pool_size)
    if self.nhosts >= 64 then self.hosts, self.nhosts = {}, 0 end
    self.hosts[base], self.nhosts = u, self.nhosts + 1
  end
  if path == "" or path:sub(1, 1) == "?" then path = "/" .. path end
  return u, path:gsub("#.*$", "")
end

local function bad_request(what, msg)
  error("tingting.transport.cosocket: req." .. what .. ": " .. msg, 3)
end

-- The request's bytes: request line, headers, body. Raises on a malformed
-- request table (a programmer error, as the curl transport does).
local function serialize(self, req, u, path)
  local body, ctype = req.body, nil
  if body ~= nil and type(body) ~= "string" then bad_request("body", "expected a string") end
  if req.form ~= nil then
    if body ~= nil then bad_request("form", "form and body are exclusive") end
    body, ctype = require("tingting.transport.ngx").multipart(req.form)
    if not body then return nil, ctype end
  end
  local out, n = { req.method, " ", path, " HTTP/1.1\r\n" }, 4
  local has = {}
  local hdrs = req.headers
  if hdrs ~= nil and type(hdrs) ~= "table" then bad_request("headers", "expected a table") end
  for k, v in pairs(hdrs or {}) do
    if type(k) ~= "string" or not k:match("^[%w!#$%%&'*+%-.^_`|~]+$") then
      bad_request("headers", ("invalid header name '%s'"):format(tostring(k)))
    end
    if type(v) ~= "string" then bad_request("headers", ("value of '%s' must be a string"):format(k)) end
    if v:find("[\r\n%z]") then bad_request("headers", ("value of '%s' contains a line break"):format(k)) end
    local lk = lower(k)
    if not FRAMING[lk] and not (ctype and lk == "content-type") then
      out[n + 1], out[n + 2], out[n + 3], out[n + 4] = k, ": ", v, "\r\n"
      n = n + 4
      has[lk] = true
    end
  end
  if not has.host then
    out[n + 1], out[n + 2], out[n + 3] = "Host: ", u.authority, "\r\n"
    n = n + 3
  end
  if not has["user-agent"] then
    out[n + 1], out[n + 2], out[n + 3] = "User-Agent: ", self.user_agent, "\r\n"
    n = n + 3
  end
  if ctype then
    out[n + 1], out[n + 2], out[n + 3] = "Content-Type: ", ctype, "\r\n"
    n = n + 3
  end
  if body or (req.method ~= "GET" and req.method ~= "DELETE") then
    out[n + 1], out[n + 2], out[n + 3] = "Content-Length: ", tostring(body and #body or 0), "\r\n"
    n = n + 3
  end
  out[n + 1] = "\r\n"
  return concat(out), body
end

local function remove_part(sink)
  if sink then os.remove(sink.part) end
end

local open_part = threads.open_part

-- Body bytes of a 2xx answer to the sink's .part file, opened on first use.
local function sink_write(sink, data)
  if not sink.file then
    local f, err = open_part(sink.part)
    if not f then return nil, "cannot open the sink file: " .. tostring(err) end
    sink.file = f
  end
  if data ~= "" then
    local ok, err = sink.file:write(data)
    if not ok then return nil, "cannot write the sink file: " .. tostring(err) end
  end
  return true
end

local function sink_abort(sink)
  if sink and sink.file then
    sink.file:close()
    sink.file = nil
  end
  remove_part(sink)
end

-- The download moved into place; a 2xx without a body still leaves an
-- (empty) file, as the caller asked for one.
local function sink_finish(sink)
  local ok, err = sink_write(sink, "")
  if ok then
    local cok, cerr = sink.file:close()
    sink.file = nil
    if not cok then ok, err = nil, "cannot write the sink file: " .. tostring(cerr) end
  end
  if ok then
    local rok, rerr = os.rename(sink.part, sink.path)
    if not rok then ok, err = nil, "cannot rename the sink file into place: " .. tostring(rerr) end
  end
  if not ok then sink_abort(sink) end
  return ok, err
end

-- One attempt on one connection. Returns status, body, headers; or nil,
-- err; or nil, nil, "again" when the request may go again on a fresh
-- connection (see the module's notes).
local function attempt(self, req, u, head, body, idempotent, fresh, deadline, timeout)
  local sock = tcp()
  local start = now()
  local connect_left = min(req.connect_timeout or 10, deadline - start)
  if connect_left <= 0 then return fail("timeout", "no time left to connect to the API", false) end
  local cms = ms(connect_left)
  sock:settimeouts(cms, cms, cms)
  -- a fresh connection comes from a pool that never holds one
  local ok, err = sock:connect(u.host, u.port,
    fresh and { pool = u.pool .. ":fresh" } or { pool = u.pool, pool_size = self.pool_size })
  local where = u.host .. ":" .. u.port
  if not ok then
    local msg = "cannot connect to the API at " .. where .. ": " .. tostring(err)
    if tostring(err):find("resolver", 1, true) then
      msg = msg .. " (nginx needs a resolver directive for host names)"
    end
    return fail(err == "timeout" and "timeout" or "network", msg, false)
  end
  local reused = not fresh and (sock:getreusedtimes() or 0) > 0
  if u.https and not reused then
    local hok, herr = sock:sslhandshake(false, u.host, self.ssl_verify)
    if not hok then
      sock:close()
      herr = tostring(herr)
      -- nginx reports a failed verification as "<X509 code>: <reason>" or a
      -- host mismatch: the same on every try, so it is final
      local unverified = self.ssl_verify and (herr:find("^%d+: ") or herr:find("host mismatch", 1, true))
      local msg = "TLS handshake with " .. where .. " failed: "
        .. (unverified and ("the certificate does not verify (" .. herr .. "); not retried") or herr)
      if self.ssl_verify then
        msg = msg .. " (nginx verifies the certificate against lua_ssl_trusted_certificate)"
      end
      local e
      ok, e = fail(herr == "timeout" and "timeout" or "network", msg, false)
      if unverified then e.retryable = false end
      return ok, e
    end
  end

  local t = now()
  local stop = min(deadline, t + timeout)
  local tms = ms(stop - t)
  sock:settimeouts(cms, tms, tms)
  local sent, serr = sock:send(body and { head, body } or head)
  if not sent then
    sock:close()
    if reused then return nil, nil, "again" end
    return fail(serr == "timeout" and "timeout" or "network",
      "sending the request to " .. where .. " failed (" .. tostring(serr) .. "); the API never had all of it", false)
  end

  local p = core.http_response(req.max_body or self.max_body, req.sink ~= nil)
  local sink = req.sink and { path = req.sink, part = req.sink .. ".part" } or nil
  local got = 0
  while true do
    local left = stop - now()
    if left <= 0 then
      sock:close()
      sink_abort(sink)
      return fail("timeout", ("the API did not answer within %g s"):format(timeout), true)
    end
    sock:settimeouts(cms, tms, ms(left))
    local data, rerr = sock:receiveany(READ_SIZE)
    local done, perr, pcode
    if data then
      got = got + #data
      done, perr, pcode = p:feed(data)
    elseif rerr == "timeout" then
      sock:close()
      sink_abort(sink)
      return fail("timeout", ("the API did not answer within %g s"):format(timeout), true)
    elseif got == 0 then
      sock:close()
      if reused and idempotent then return nil, nil, "again" end
      return fail("network", "the connection closed without an answer (" .. tostring(rerr) .. ")"
        .. (reused and "; the request may have been processed, and was not resent as it is not idempotent" or ""),
        true)
    else
      done, perr, pcode = p:feed(nil) -- the end of a body read until close, or a cut
    end
    if done == nil then
      sock:close()
      sink_abort(sink)
      -- an answer past max_body is one we will not take, not a network failure
      return fail(pcode == "max_body" and "decode" or "network", perr, true)
    end
    if sink and p:streaming() then
      local wok, werr = sink_write(sink, p:take())
      if not wok then
        sock:close()
        sink_abort(sink)
        return fail("network", werr, true)
      end
    end
    if done then break end
  end

  if p:keepalive() and not fresh then
    sock:setkeepalive(self.keepalive_ms, self.pool_size)
  else
    sock:close()
  end
  local status, headers = p:status(), p:headers()
  local data = ""
  if sink and p:streaming() then
    local fok, ferr = sink_finish(sink)
    if not fok then return fail("network", ferr, true) end
  else
    data = p:body()
  end
  p:close()
  return status, data, headers
end

--- Perform request table `req` (docs/design.md): `status, body, headers`, or
-- `nil, {kind = "network"|"timeout", message =, sent =}`.
function _M.request(self, req)
  local phase = get_phase()
  if not PHASES[phase] then
    local _, err = fail("network", "tingting.transport.cosocket: nginx disables cosockets in the " .. phase
      .. " phase; call the API from a rewrite, access or content handler, or from a timer (use ngx.timer.at)", false)
    err.retryable = false -- no retry in this phase can do better
    return nil, err
  end
  if type(req) ~= "table" then error("tingting.transport.cosocket: expected a request table", 2) end
  if not METHODS[req.method] then return fail("network", "unsupported method " .. tostring(req.method), false) end
  if type(req.url) ~= "string" then bad_request("url", "expected a string") end
  local u, path = origin(self, req.url)
  if not u then return fail("network", "not an http(s) URL: " .. req.url:sub(1, 64), false) end
  local head, body = serialize(self, req, u, path)
  if not head then return fail("network", body, false) end
  local idempotent = req.idempotent
  if idempotent == nil then idempotent = req.method == "GET" or req.method == "PUT" or req.method == "DELETE" end
  local timeout = req.timeout or 30
  local deadline = now() + (req.connect_timeout or 10) + timeout
  local status, res, headers = attempt(self, req, u, head, body, idempotent, false, deadline, timeout)
  if status == nil and res == nil and headers == "again" then
    status, res, headers = attempt(self, req, u, head, body, idempotent, true, deadline, timeout)
  end
  return status, res, headers
end

--- Run `reqs` with at most `concurrency` in flight on light threads
-- (tingting.transport.threads).
function _M.many(self, reqs, concurrency, on_done)
  return threads.many(self, reqs, concurrency, on_done, "tingting.transport.cosocket")
end

--- Sleep without blocking the worker.
function _M.sleep(_, seconds)
  if seconds and seconds > 0 then ngx_sleep(seconds) end
end

function mt.__tostring(self)
  return ("tingting.transport.cosocket{pool_size=%d, keepalive_timeout=%g, ssl_verify=%s}"):format(
    self.pool_size, self.keepalive_ms / 1000, tostring(self.ssl_verify))
end

return _M
