-- Entry point: routing, authentication, faults, latency and the request log.
-- content_by_lua calls handle() for every request.
local router = require "tingting_emu.router"
local util = require "tingting_emu.util"
local state = require "tingting_emu.state"
local auth = require "tingting_emu.auth"
local phones = require "tingting_emu.phones"
local campaigns = require "tingting_emu.campaigns"
local numbers = require "tingting_emu.numbers"
local begin = require "tingting_emu.begin"
local reports = require "tingting_emu.reports"
local otp = require "tingting_emu.otp"
local run = require "tingting_emu.run"
local faults = require "tingting_emu.faults"
local admin = require "tingting_emu.admin"
local v1 = require "tingting_emu.v1"

local _M = {}

-- Patterns match the path without its trailing slash; every path is served with and
-- without one. `public` routes need no token.
local ROUTES = {
  { "^/api/accounts/login$", { POST = auth.login }, public = true },
  { "^/api/accounts/token/refresh$", { POST = auth.refresh }, public = true },
  { "^/api/accounts/user_details$", { GET = auth.user_details } },
  { "^/api/system/owned/phone_numbers$", { GET = phones.owned } },
  { "^/api/system/phone_numbers$",
    { GET = phones.available, POST = phones.buy, DELETE = phones.release } },
  { "^/api/system/campaigns$", { GET = campaigns.list, POST = campaigns.create } },
  { "^/api/system/campaigns/(%d+)/details$", { GET = campaigns.details } },
  { "^/api/system/campaigns/(%d+)/update$", { PUT = campaigns.update, PATCH = campaigns.update } },
  { "^/api/system/campaigns/(%d+)/delete$", { DELETE = campaigns.delete } },
  { "^/api/system/campaigns/(%d+)/begin$", { POST = begin.begin } },
  { "^/api/system/campaigns/number/(%d+)$", { GET = numbers.list, POST = numbers.add } },
  { "^/api/system/campaigns/number/(%d+)/delete$", { DELETE = numbers.delete } },
  { "^/api/system/number/(%d+)$", { GET = numbers.info, PUT = numbers.edit, PATCH = numbers.edit } },
  { "^/api/system/campaigns/report/download$", { GET = reports.download } },
  { "^/api/system/campaigns/report/summary$", { GET = reports.summary } },
  { "^/api/system/test/voice$", { POST = otp.test_voice } },
  { "^/api/system/send/otp$", { POST = otp.send } },
  { "^/media/test_voice/(%d+)%.mp3$", { GET = otp.media }, public = true },
  { "^/media/campaign/(%d+)/(%a+)/[^/]+$", { GET = v1.media }, public = true },
}

local find_route = router.new(ROUTES)
local allowed = router.allowed

-- Runs fn under pcall: raised HTTP errors become their answer; anything else is a bug,
-- logged to error.log and answered 500.
local function protect(fn, ...)
  local ok, res = xpcall(fn, function(e)
    if util.is_http_error(e) then return e end
    return debug.traceback(tostring(e), 2)
  end, ...)
  if ok then return res end
  if util.is_http_error(res) then return res.res end
  ngx.log(ngx.ERR, "tingting emulator bug: ", res)
  return util.fail(500, "Internal emulator error (see the emulator's error.log).")
end

-- "/api/v1/..." (byte 6 is "v"; the legacy paths have "a" or "s" there).
local function is_v1(path)
  return path:byte(6) == 118 and path:sub(1, 8) == "/api/v1/"
end

local function process(method, path)
  if is_v1(path) then return v1.process(method, path) end
  local route, caps = find_route(path)
  if not route then return util.fail(404, "Not found.") end
  if not route.public then auth.authenticate() end
  local handler = route[2][method] or (method == "HEAD" and route[2].GET)
  if not handler then
    return util.json(405, { detail = string.format('Method "%s" not allowed.', method) },
      { Allow = allowed(route[2]) })
  end
  return handler({ params = caps, args = ngx.req.get_uri_args(100), method = method, path = path })
end

-- luacheck's ngx_lua std lists ngx.status and ngx.header as read-only; they are not.
-- luacheck: push ignore 122
local function send_headers(res, length)
  ngx.status = res.status
  for k, v in pairs(res.headers) do ngx.header[k] = v end
  if res.status ~= 204 and res.status ~= 304 then ngx.header["Content-Length"] = length end
end
-- luacheck: pop

local function send(res)
  send_headers(res, #res.body)
  if #res.body > 0 and res.status ~= 204 then ngx.print(res.body) end
end

-- The request log keeps the latest LOG_KEEP entries: a million-number run
-- would otherwise hold a million of them (state.requests_dropped counts the
-- older ones let go).
local LOG_KEEP = 200000

local function log_request(entry, status)
  entry.status = status
  local log = state.requests
  local n = #log
  if n >= LOG_KEEP then
    local keep = {}
    for i = n - LOG_KEEP / 2 + 1, n do keep[#keep + 1] = log[i] end
    state.requests_dropped = (state.requests_dropped or 0) + (n - #keep)
    state.requests = keep
    log, n = keep, #keep
  end
  log[n + 1] = entry
end

local function latency()
  local ms = state.config.latency_ms
  if ms and ms > 0 then ngx.sleep(ms / 1000) end
end

local function handle_api(method, uri, path)
  run.settle()
  local entry = { method = method, path = uri, query = ngx.var.args or "", time = ngx.now(),
    fault = util.null }
  -- v1 errors (faults' included) take DRF's shapes; see util.fail.
  if is_v1(uri) then ngx.ctx.dialect = "v1" end
  local rule = faults.match(method, uri)
  if rule then entry.fault = rule.kind end
  if rule and rule.kind == "drop" and not rule.after then
    log_request(entry, 444)
    return ngx.exit(444)
  end
  if rule and (rule.kind == "status" or rule.kind == "html") then
    local res = faults.response(rule)
    latency()
    log_request(entry, res.status)
    return send(res)
  end
  if rule and (rule.kind == "huge" or rule.kind == "endless") then
    log_request(entry, 200)
    return faults.stream(rule)
  end
  if rule and rule.kind == "delay" then ngx.sleep(rule.delay_ms / 1000) end
  local res = protect(process, method, path)
  latency()
  if rule and rule.kind == "drop" then
    log_request(entry, 444)
    return ngx.exit(444)
  end
  log_request(entry, res.status)
  if rule and rule.kind == "truncate" then
    -- Promise the whole body, deliver half of it, then close the connection.
    local body = res.body
    send_headers(res, #body)
    ngx.print(body:sub(1, math.floor(#body / 2)))
    ngx.flush(true)
    return ngx.exit(444)
  end
  return send(res)
end

function _M.handle()
  local method = ngx.req.get_method()
  local uri = ngx.var.uri
  local path = uri:gsub("(.)/$", "%1")
  if path:sub(1, 14) == "/__emulator__/" then
    return send(protect(admin.handle, method, path))
  end
  return handle_api(method, uri, path)
end

state.reset()

return _M
