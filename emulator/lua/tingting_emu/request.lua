-- Reading request bodies (JSON or multipart, with size limits) and validating fields
-- with DRF-like messages that name the field.
local util = require "tingting_emu.util"
local multipart = require "tingting_emu.multipart"

local _M = {}

_M.JSON_LIMIT = 1024 * 1024
_M.MULTIPART_LIMIT = 10 * 1024 * 1024

local function too_large(limit)
  util.raise(util.fail(413, string.format("Request body too large: the limit is %d bytes.", limit)))
end
_M.too_large = too_large

local function raw_body(limit)
  local declared = tonumber(ngx.var.http_content_length or "")
  -- Refuse before reading, so a huge upload is never buffered.
  if declared and declared > limit then too_large(limit) end
  ngx.req.read_body()
  local data = ngx.req.get_body_data()
  if not data then
    local file = ngx.req.get_body_file()
    if file then
      local f = assert(io.open(file, "rb"))
      data = f:read("*a")
      f:close()
    end
  end
  data = data or ""
  if #data > limit then too_large(limit) end
  return data
end
--- The raw body, up to `limit` bytes (a larger one is a 413, refused before
-- reading when Content-Length says so).
_M.raw_body = raw_body

local function media_type()
  local ct = ngx.var.http_content_type or ""
  return ct:match("^%s*([^;%s]+)") or "", ct
end

-- Reads the body as a field table. `opts.multipart` allows multipart/form-data; the
-- answer is then `fields, files` where files maps a part name to {filename, type, content}.
-- An empty body without a content type counts as an empty JSON object.
function _M.body(opts)
  opts = opts or {}
  local mt, ct = media_type()
  mt = mt:lower()
  if mt == "multipart/form-data" and opts.multipart then
    local data = raw_body(_M.MULTIPART_LIMIT)
    local fields, files, err = multipart.parse(data, ct)
    if not fields then util.raise(util.fail(400, "Multipart form parse error - " .. err)) end
    return fields, files, "multipart"
  end
  local data = raw_body(_M.JSON_LIMIT)
  if mt == "" and data:match("^%s*$") then return {}, {}, "json" end
  if mt ~= "application/json" and not mt:match("^application/[%w%.%-]+%+json$") then
    util.raise(util.fail(400, string.format('Unsupported media type "%s" in request.', ct)))
  end
  if data:match("^%s*$") then return {}, {}, "json" end
  local value, err = util.decode(data)
  if value == nil then
    util.raise(util.fail(400, "JSON parse error - " .. tostring(err)))
  end
  if not util.is_object(value) then
    util.raise(util.fail(400, "Invalid data. Expected a dictionary, but got "
      .. util.json_type(value) .. "."))
  end
  return value, {}, "json"
end

-- Field checks --------------------------------------------------------------

function _M.no_unknown(body, allowed)
  local set = {}
  for _, name in ipairs(allowed) do set[name] = true end
  local unknown = {}
  for k in pairs(body) do
    if not set[k] then unknown[#unknown + 1] = tostring(k) end
  end
  table.sort(unknown)
  if unknown[1] then util.bad(unknown[1], "Unknown field.") end
end

local function present(v)
  return v ~= nil and v ~= util.null
end
_M.present = present

function _M.required(body, field)
  local v = body[field]
  if v == nil then util.bad(field, "This field is required.") end
  if v == util.null then util.bad(field, "This field may not be null.") end
  return v
end

function _M.string(body, field, opts)
  opts = opts or {}
  local v = opts.required and _M.required(body, field) or body[field]
  if not present(v) then return nil end
  if type(v) == "number" and opts.coerce then v = string.format("%d", v) end
  if type(v) ~= "string" then
    util.bad(field, "Not a valid string.")
  end
  if not opts.allow_blank and util.trim(v) == "" then
    util.bad(field, "This field may not be blank.")
  end
  if opts.max and #v > opts.max then
    util.bad(field, string.format("Ensure this field has no more than %d characters.", opts.max))
  end
  return v
end

function _M.choice(body, field, choices, opts)
  opts = opts or {}
  local v = opts.required and _M.required(body, field) or body[field]
  if not present(v) then return nil end
  for _, c in ipairs(choices) do
    if v == c then return v end
  end
  util.bad(field, string.format('"%s" is not a valid choice. Valid choices: %s.',
    type(v) == "string" and v or util.encode(v), table.concat(choices, ", ")))
end

-- An integer given as a JSON integer or a digit string (DRF's IntegerField accepts both).
function _M.to_integer(v)
  if type(v) == "number" and v == math.floor(v) and math.abs(v) < 2 ^ 53 then return v end
  if type(v) == "string" and v:match("^%s*%-?%d+%s*$") and #util.trim(v) < 16 then
    return tonumber(v)
  end
  return nil
end

function _M.integer(body, field, opts)
  opts = opts or {}
  local v = opts.required and _M.required(body, field) or body[field]
  if not present(v) then return nil end
  local n = _M.to_integer(v)
  if not n then util.bad(field, "A valid integer is required.") end
  if opts.min and n < opts.min then
    util.bad(field, string.format("Ensure this value is greater than or equal to %d.", opts.min))
  end
  if opts.max and n > opts.max then
    util.bad(field, string.format("Ensure this value is less than or equal to %d.", opts.max))
  end
  return n
end

function _M.list(body, field, opts)
  opts = opts or {}
  local v = opts.required and _M.required(body, field) or body[field]
  if not present(v) then return nil end
  if type(v) ~= "table" or (next(v) ~= nil and not util.is_list(v)) then
    util.bad(field, string.format('Expected a list of items but got type "%s".', util.json_type(v)))
  end
  if opts.non_empty and #v == 0 then util.bad(field, "This list may not be empty.") end
  return v
end

function _M.object(body, field, opts)
  opts = opts or {}
  local v = opts.required and _M.required(body, field) or body[field]
  if not present(v) then return nil end
  if type(v) ~= "table" or (next(v) ~= nil and not util.is_object(v)) then
    util.bad(field, string.format('Expected a dictionary of items but got type "%s".',
      util.json_type(v)))
  end
  return v
end

-- Phone numbers: digits only after stripping spaces and dashes, 7 to 14 of them.
function _M.phone_digits(v)
  if type(v) == "number" then
    if v ~= math.floor(v) or v < 0 or v >= 1e15 then return nil end
    v = string.format("%d", v)
  end
  if type(v) ~= "string" then return nil end
  local s = v:gsub("[%s%-]", "")
  if not s:match("^%d+$") or #s < 7 or #s > 14 then return nil end
  return s
end

return _M
