-- Injected faults: rules that match API requests by method and path and make the
-- emulator answer a status, drop the connection, truncate the body, add delay, or
-- answer a huge (`size` bytes) or endless body, as a hostile server would.
local util = require "tingting_emu.util"
local state = require "tingting_emu.state"
local request = require "tingting_emu.request"

local _M = {}

local KINDS = { "status", "drop", "truncate", "html", "delay", "huge", "endless" }

-- An endless answer stops by itself after this long, whoever still reads it.
local ENDLESS_SECONDS = 120
local CHUNK = string.rep(" ", 65536)

local REASONS = {
  [400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden", [404] = "Not Found",
  [405] = "Method Not Allowed", [408] = "Request Timeout", [409] = "Conflict",
  [413] = "Request Entity Too Large", [429] = "Too Many Requests",
  [500] = "Internal Server Error", [502] = "Bad Gateway", [503] = "Service Unavailable",
  [504] = "Gateway Time-out",
}

local function strip_slash(p)
  return (p:gsub("(.)/$", "%1"))
end

-- Validates and stores a rule from the admin API; returns the stored rule.
function _M.add(body)
  request.no_unknown(body, { "method", "path", "kind", "status", "retry_after", "delay_ms",
    "count", "rate", "body", "after", "size" })
  local kind = request.choice(body, "kind", KINDS, { required = true })
  local rule = { id = state.next_fault, kind = kind, matched = 0, applied = 0 }
  local method = request.string(body, "method")
  rule.method = method and method:upper()
  rule.path = request.string(body, "path")
  if rule.path and rule.path:sub(1, 1) == "^" and not pcall(string.find, "", rule.path) then
    util.bad("path", "Not a valid Lua pattern.")
  end
  local default_status = (kind == "html") and 502 or 503
  rule.status = request.integer(body, "status", { min = 100, max = 599 }) or default_status
  if request.present(body.retry_after) then
    local ra = body.retry_after
    if type(ra) ~= "number" and type(ra) ~= "string" then
      util.bad("retry_after", "Must be a number of seconds or an HTTP date.")
    end
    rule.retry_after = type(ra) == "number" and string.format("%d", ra) or ra
  end
  rule.delay_ms = request.integer(body, "delay_ms", { min = 0 }) or (kind == "delay" and 1000 or 0)
  rule.count = request.integer(body, "count", { min = 1 })
  rule.size = request.integer(body, "size", { min = 1, max = 2 ^ 40 }) or (kind == "huge" and 100 * 1024 * 1024 or nil)
  if request.present(body.rate) then
    if type(body.rate) ~= "number" or body.rate < 0 or body.rate > 1 then
      util.bad("rate", "Must be a number from 0 to 1.")
    end
    rule.rate = body.rate
  end
  if request.present(body.body) then
    if type(body.body) ~= "string" and type(body.body) ~= "table" then
      util.bad("body", 'Must be "html", "json", "empty", a string or an object.')
    end
    rule.body = body.body
  end
  if request.present(body.after) then
    if type(body.after) ~= "boolean" then util.bad("after", "Must be a boolean.") end
    rule.after = body.after
  else
    rule.after = false
  end
  state.next_fault = state.next_fault + 1
  state.faults[#state.faults + 1] = rule
  return rule
end

local function path_matches(rule_path, uri)
  if not rule_path then return true end
  if rule_path:sub(1, 1) == "^" then return uri:find(rule_path) ~= nil end
  return strip_slash(rule_path) == strip_slash(uri)
end

-- The rule to apply to this request, if any. `count` is consumed only when a rule is
-- applied; `rate` is decided by a hash of the seed, the rule and its match count.
function _M.match(method, uri)
  for _, rule in ipairs(state.faults) do
    if (not rule.method or rule.method == method) and path_matches(rule.path, uri)
      and (not rule.count or rule.count > 0) then
      rule.matched = rule.matched + 1
      local apply = true
      if rule.rate then
        local roll = util.hash(state.config.seed, "fault", rule.id, rule.matched) % 1000000
        apply = roll < rule.rate * 1000000
      end
      if apply then
        if rule.count then rule.count = rule.count - 1 end
        rule.applied = rule.applied + 1
        return rule
      end
    end
  end
  return nil
end

function _M.html_page(status)
  local title = status .. " " .. (REASONS[status] or "Error")
  return "<html>\r\n<head><title>" .. title .. "</title></head>\r\n<body>\r\n<center><h1>"
    .. title .. "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
end

-- The answer of a `status` or `html` rule.
function _M.response(rule)
  local status = rule.status
  local headers = {}
  if rule.retry_after then headers["Retry-After"] = rule.retry_after end
  local body = rule.body
  if rule.kind == "html" or body == "html" then
    headers["Content-Type"] = "text/html"
    return util.response(status, _M.html_page(status), headers)
  elseif body == "empty" then
    return util.response(status, "", headers)
  elseif type(body) == "table" then
    return util.json(status, body, headers)
  elseif type(body) == "string" and body ~= "json" then
    headers["Content-Type"] = "text/plain"
    return util.response(status, body, headers)
  end
  local res = util.fail(status, (REASONS[status] or "Error") .. " (injected fault)")
  for k, v in pairs(headers) do res.headers[k] = v end
  return res
end

-- A `huge` rule's answer: 200 with a Content-Length of `size` bytes (spaces,
-- then the braces of a JSON object), sent a chunk at a time so that the
-- emulator never holds it; an `endless` one: chunked spaces until the client
-- goes away or ENDLESS_SECONDS pass.
function _M.stream(rule)
  ngx.status = 200
  ngx.header["Content-Type"] = "application/json"
  if rule.kind == "huge" then ngx.header["Content-Length"] = rule.size end
  local sent, deadline = 0, ngx.now() + ENDLESS_SECONDS
  while true do
    local n = #CHUNK
    if rule.kind == "huge" then
      n = math.min(n, rule.size - sent)
      if n <= 0 then break end
    elseif ngx.now() > deadline then
      break
    end
    local ok = ngx.print(n == #CHUNK and CHUNK or CHUNK:sub(1, n))
    if not ok then break end
    local fok = ngx.flush(true)
    if not fok then break end -- the client is gone
    sent = sent + n
  end
  return ngx.exit(rule.kind == "huge" and ngx.HTTP_OK or 444)
end

function _M.view(rule)
  local v = {}
  for k, val in pairs(rule) do v[k] = val end
  return v
end

return _M
