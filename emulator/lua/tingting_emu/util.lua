-- Shared helpers: JSON, the API's envelopes, raising HTTP errors, hashing.
local cjson = require "cjson.safe"
local bit = require "bit"

-- Strict JSON, as the real API's parser: 0123, 0x1F, NaN and Infinity are
-- errors, not numbers (lua-cjson accepts them by default).
cjson.decode_invalid_numbers(false)

local _M = {}

_M.null = cjson.null

-- lua-cjson 2.1.0 (Debian) encodes an empty table as {} and caps number precision at
-- 14 digits, so the emulator has its own encoder: empty lists are marked with
-- ARRAY, and phone numbers travel as RAW digit strings so that they stay exact.
local ARRAY = { __name = "array" }
local RAW = { __name = "raw" }

function _M.array(t)
  return setmetatable(t or {}, ARRAY)
end

-- A JSON number written verbatim (digits only; callers validate).
function _M.raw_number(digits)
  return setmetatable({ digits }, RAW)
end

local escapes = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}

local function escape(c)
  return escapes[c] or string.format("\\u%04x", c:byte())
end

-- Keys and most values recur from answer to answer: quoted once, they are
-- looked up (the encoder was most of the time the emulator spent on a small
-- answer). At most 4,096 are kept.
local quoted, nquoted = {}, 0

local function quote(s)
  local q = quoted[s]
  if q then return q end
  if not s:find('[%c"\\]') then q = '"' .. s .. '"'
  else q = '"' .. s:gsub('[%c"\\]', escape) .. '"' end
  if nquoted >= 4096 then quoted, nquoted = {}, 0 end
  quoted[s], nquoted = q, nquoted + 1
  return q
end

local function format_number(v)
  if v ~= v or v == math.huge or v == -math.huge then
    error("cannot encode non-finite number " .. tostring(v))
  end
  if v == math.floor(v) and math.abs(v) < 2 ^ 53 then
    return string.format("%d", v)
  end
  local s = string.format("%.14g", v)
  if tonumber(s) ~= v then s = string.format("%.17g", v) end
  return s
end

local function is_list(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local encode_into

local function encode_table(t, buf, depth)
  if depth > 64 then error("nesting too deep") end
  local mt = getmetatable(t)
  if mt == RAW then
    buf[#buf + 1] = t[1]
    return
  end
  if mt == ARRAY or is_list(t) then
    buf[#buf + 1] = "["
    for i = 1, #t do
      if i > 1 then buf[#buf + 1] = "," end
      encode_into(t[i], buf, depth + 1)
    end
    buf[#buf + 1] = "]"
    return
  end
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  buf[#buf + 1] = "{"
  for i, k in ipairs(keys) do
    if i > 1 then buf[#buf + 1] = "," end
    buf[#buf + 1] = quote(k)
    buf[#buf + 1] = ":"
    local v = t[k]
    if v == nil then v = t[tonumber(k)] end
    encode_into(v, buf, depth + 1)
  end
  buf[#buf + 1] = "}"
end

encode_into = function(v, buf, depth)
  local t = type(v)
  if v == nil or v == _M.null then
    buf[#buf + 1] = "null"
  elseif t == "string" then
    buf[#buf + 1] = quote(v)
  elseif t == "number" then
    buf[#buf + 1] = format_number(v)
  elseif t == "boolean" then
    buf[#buf + 1] = tostring(v)
  elseif t == "table" then
    encode_table(v, buf, depth)
  else
    error("cannot encode a " .. t)
  end
end

function _M.encode(v)
  local buf = {}
  encode_into(v, buf, 0)
  return table.concat(buf)
end

-- Returns value, or nil and a message (cjson.safe never raises).
function _M.decode(s)
  return cjson.decode(s)
end

function _M.is_list(t)
  return type(t) == "table" and (getmetatable(t) == ARRAY or is_list(t))
end

-- A decoded JSON object: a table that is not a non-empty list.
function _M.is_object(t)
  return type(t) == "table" and getmetatable(t) ~= ARRAY and getmetatable(t) ~= RAW
    and not is_list(t)
end

-- Python's names, as DRF's messages use them.
function _M.json_type(v)
  local t = type(v)
  if v == _M.null then return "NoneType" end
  if t == "string" then return "str" end
  if t == "boolean" then return "bool" end
  if t == "number" then return v == math.floor(v) and "int" or "float" end
  if t == "table" then return is_list(v) and "list" or "dict" end
  return t
end

-- Responses -----------------------------------------------------------------

function _M.response(status, body, headers)
  return { status = status, body = body or "", headers = headers or {} }
end

function _M.json(status, value, headers)
  headers = headers or {}
  headers["Content-Type"] = "application/json"
  return _M.response(status, _M.encode(value), headers)
end

function _M.ok(status, message, data)
  return _M.json(status, {
    status = status, success = true, message = message == nil and _M.null or message,
    errors = _M.array(), data = data or {},
  })
end

-- On a v1 path (ngx.ctx.dialect == "v1", set by the dispatcher) errors take DRF's bare
-- shapes instead: the field -> messages object, or {"detail": message}.
function _M.fail(status, message, errors)
  if ngx.ctx.dialect == "v1" then
    if errors and next(errors) ~= nil and not _M.is_list(errors) then
      return _M.json(status, errors)
    end
    return _M.json(status, { detail = message })
  end
  return _M.json(status, {
    status = status, success = false, message = message,
    errors = errors or _M.array(), data = {},
  })
end

-- Handlers raise these; the dispatcher turns them into the answer.
local HTTP_ERROR = { __name = "http_error" }

function _M.raise(res)
  error(setmetatable({ res = res }, HTTP_ERROR), 0)
end

function _M.is_http_error(e)
  return getmetatable(e) == HTTP_ERROR
end

function _M.field_error(status, field, msg)
  _M.raise(_M.fail(status, field .. ": " .. msg, { [field] = _M.array({ msg }) }))
end

function _M.bad(field, msg)
  _M.field_error(400, field, msg)
end

function _M.not_found(msg)
  _M.raise(_M.fail(404, msg or "Not found."))
end

-- Hashing (deterministic outcomes from the seed) ----------------------------

local function mul32(a, b)
  local lo, hi = a % 65536, math.floor(a / 65536)
  return ((hi * b % 65536) * 65536 + lo * b) % 4294967296
end

-- FNV-1a over the arguments joined by ":", as an unsigned 32-bit number.
function _M.hash(...)
  local s = table.concat({ ... }, ":")
  local h = 2166136261
  for i = 1, #s do
    h = mul32(bit.bxor(h, s:byte(i)) % 4294967296, 16777619)
  end
  -- Mix the low bits so that modulo of small numbers is well spread.
  h = mul32(bit.bxor(h, bit.rshift(h, 15)) % 4294967296, 2246822519)
  return bit.bxor(h, bit.rshift(h, 13)) % 4294967296
end

function _M.hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

function _M.trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

return _M
