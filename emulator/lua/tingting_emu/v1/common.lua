-- What the v1 handlers share: request bodies in any of the clients' encodings, value
-- coercions, times (Nepal time, ISO 8601), schedules, pagination with absolute links,
-- voices, contact numbers and their carriers. See docs/wire.md, "v1".
local util = require "tingting_emu.util"
local state = require "tingting_emu.state"
local request = require "tingting_emu.request"
local multipart = require "tingting_emu.multipart"
local bsdate = require "tingting_emu.bsdate"

local _M = {}

local NEPAL_OFFSET = bsdate.NEPAL_OFFSET

function _M.not_found()
  util.raise(util.json(404, { detail = "Not found." }))
end

-- A non-field 400 ({"detail": msg}).
function _M.refuse(msg, status)
  util.raise(util.json(status or 400, { detail = msg }))
end

-- Bodies ------------------------------------------------------------------------

local function form_fields(data)
  local args = ngx.decode_args(data, 100)
  local out = {}
  for k, v in pairs(args) do
    if v == true then v = "" end
    if type(v) == "table" then
      local list = util.array()
      for i, x in ipairs(v) do list[i] = (x == true) and "" or x end
      v = list
    end
    out[k] = v
  end
  return out
end

-- The request's fields in any encoding a client sends (JSON, form, multipart); a
-- multipart body sent as application/json (PHP's bulk upload) is read as multipart.
-- Returns fields, files (name -> {filename, type, content}), kind.
function _M.body()
  local ct = ngx.var.http_content_type or ""
  local mt = (ct:match("^%s*([^;%s]+)") or ""):lower()
  if mt == "multipart/form-data" then return request.body({ multipart = true }) end
  local data = request.raw_body(request.MULTIPART_LIMIT)
  local boundary = data:match("^%-%-([^\r\n]+)\r?\n[Cc]ontent%-[Dd]isposition")
  if boundary then
    local fields, files, err = multipart.parse(data, "multipart/form-data; boundary=" .. boundary)
    if not fields then util.raise(util.fail(400, "Multipart form parse error - " .. err)) end
    return fields, files, "multipart"
  end
  if #data > request.JSON_LIMIT then request.too_large(request.JSON_LIMIT) end
  if mt == "application/x-www-form-urlencoded" then return form_fields(data), {}, "form" end
  if data:match("^%s*$") then return {}, {}, "json" end
  if mt ~= "" and mt ~= "application/json" and not mt:match("^application/[%w%.%-]+%+json$")
    and not mt:match("^text/") then
    util.raise(util.json(415, { detail = string.format('Unsupported media type "%s" in request.', ct) }))
  end
  local value, err = util.decode(data)
  if value == nil then util.raise(util.fail(400, "JSON parse error - " .. tostring(err))) end
  if not util.is_object(value) then
    util.raise(util.fail(400, "Invalid data. Expected a dictionary, but got "
      .. util.json_type(value) .. "."))
  end
  return value, {}, "json"
end

-- Values -------------------------------------------------------------------------

local present = request.present
_M.present = present

-- Booleans as JSON booleans or, case-insensitively, true/false/1/0/yes/no/on/off.
local BOOLS = { ["true"] = true, ["1"] = true, yes = true, on = true,
  ["false"] = false, ["0"] = false, no = false, off = false, [""] = false }

function _M.bool(v, field)
  if not present(v) then return nil end
  if type(v) == "boolean" then return v end
  if type(v) == "number" and (v == 0 or v == 1) then return v == 1 end
  if type(v) == "string" then
    local b = BOOLS[util.trim(v):lower()]
    if b ~= nil then return b end
  end
  util.bad(field, "Must be a valid boolean.")
end

-- A list field: a JSON list, repeated form fields, a JSON list in a string, "a,b", one value.
function _M.list(v, field)
  if not present(v) then return nil end
  if type(v) == "string" then
    local decoded = v:match("^%s*%[") and util.decode(v)
    if type(decoded) == "table" then return decoded end
    local out = {}
    for item in v:gmatch("[^,]+") do
      if util.trim(item) ~= "" then out[#out + 1] = util.trim(item) end
    end
    return out
  end
  if type(v) == "number" then return { v } end
  if type(v) ~= "table" or (next(v) ~= nil and not util.is_list(v)) then
    util.bad(field, string.format('Expected a list of items but got type "%s".', util.json_type(v)))
  end
  return v
end

function _M.int(v, field, opts)
  if not present(v) then return nil end
  local n = request.to_integer(v)
  if not n then util.bad(field, "A valid integer is required.") end
  if opts and opts.min and n < opts.min then
    util.bad(field, string.format("Ensure this value is greater than or equal to %d.", opts.min))
  end
  if opts and opts.max and n > opts.max then
    util.bad(field, string.format("Ensure this value is less than or equal to %d.", opts.max))
  end
  return n
end

-- length_factor: a number from 0 (excluded) to 3, as a JSON number or a string.
function _M.length_factor(v)
  if not present(v) then return nil end
  local n = (type(v) == "number" and v) or (type(v) == "string" and tonumber(util.trim(v)))
  if not n or n ~= n then util.bad("length_factor", "A valid number is required.") end
  if n <= 0 or n > 3 then util.bad("length_factor", "Ensure this value is between 0 and 3.") end
  return n
end

-- Contact numbers: digits after stripping spaces, dashes, dots and parentheses, a
-- leading + and a +977 / 00977 country code; 7 to 14 digits.
function _M.digits(v)
  if type(v) == "number" then
    if v ~= math.floor(v) or v < 0 or v >= 1e15 then return nil end
    v = string.format("%d", v)
  end
  if type(v) ~= "string" then return nil end
  local s = v:gsub("[%s%-%.%(%)]", ""):gsub("^%+", "")
  if not s:match("^%d+$") then return nil end
  if #s == 13 and s:sub(1, 3) == "977" then s = s:sub(4)
  elseif #s == 15 and s:sub(1, 5) == "00977" then s = s:sub(6) end
  if #s < 7 or #s > 14 then return nil end
  return s
end

-- Mobile operators by the first three digits of a 10-digit number: the Nepal
-- Telecommunications Authority's allocations as libphonenumber's carrier data lists
-- them (resources/carrier/en/977.txt, 2026-07; NDCL is Nepal Telecom's company name).
local CARRIERS = {
  ["974"] = "NTC", ["975"] = "NTC", ["976"] = "NTC", ["984"] = "NTC", ["985"] = "NTC",
  ["986"] = "NTC",
  ["970"] = "Ncell", ["971"] = "Ncell", ["980"] = "Ncell", ["981"] = "Ncell", ["982"] = "Ncell",
  ["961"] = "Smart", ["962"] = "Smart", ["988"] = "Smart",
  ["972"] = "UTL",
}
_M.CARRIERS = CARRIERS

function _M.carrier(digits)
  if #digits ~= 10 then return "other" end
  return CARRIERS[digits:sub(1, 3)] or "other"
end

-- Times ---------------------------------------------------------------------------

local function micros(t)
  local us = math.floor((t - math.floor(t)) * 1e6 + 0.5)
  return us > 999999 and 999999 or us
end

-- "2025-07-07T11:38:24.219065+05:45"
function _M.iso(t)
  local y, m, d, hh, mm, ss = bsdate.nepal_fields(t)
  return string.format("%04d-%02d-%02dT%02d:%02d:%02d.%06d+05:45", y, m, d, hh, mm, ss, micros(t))
end

-- "2025-07-08T00:00:00+05:45"
function _M.iso_seconds(t)
  local y, m, d, hh, mm, ss = bsdate.nepal_fields(t)
  return string.format("%04d-%02d-%02dT%02d:%02d:%02d+05:45", y, m, d, hh, mm, ss)
end

-- "2025-02-20T14:30:00.000Z", as the API token page shows its times.
function _M.utc_ms(t)
  local day = math.floor(t / 86400)
  local secs = math.floor(t) - day * 86400
  local y, m, d = bsdate.civil_from_days(day)
  return string.format("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d, math.floor(secs / 3600),
    math.floor(secs % 3600 / 60), secs % 60, math.floor(micros(t) / 1000))
end

local AP_MONTHS = { "Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.",
  "Oct.", "Nov.", "Dec." }

-- "Jan. 27, 2026, 05:19 PM" (Nepal time): add-contact's updated_at.
function _M.display(t)
  local y, m, d, hh, mm = bsdate.nepal_fields(t)
  local h12 = hh % 12
  if h12 == 0 then h12 = 12 end
  return string.format("%s %02d, %04d, %02d:%02d %s", AP_MONTHS[m], d, y, h12, mm,
    hh < 12 and "AM" or "PM")
end

-- The start of the Nepal-time day after the one holding t.
function _M.next_nepal_day(t)
  return (math.floor((t + NEPAL_OFFSET) / 86400) + 1) * 86400 - NEPAL_OFFSET
end

local SCHEDULE_FORMATS = "Datetime has wrong format. Use one of these formats instead: "
  .. "YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."

local function month_days(y, m)
  local leap = y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)
  return ({ 31, leap and 29 or 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 })[m]
end

-- A schedule: "YYYY-MM-DD" (midnight, Nepal time) or "YYYY-MM-DDTHH:MM[:SS[.fff]]"
-- with Z, an offset or none (= Nepal time). Returns epoch seconds or nil.
function _M.parse_datetime(s)
  if type(s) ~= "string" then return nil end
  s = util.trim(s)
  local y, mo, d, rest = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
  if not y then return nil end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if mo < 1 or mo > 12 or d < 1 or d > month_days(y, mo) then return nil end
  local hh, mm, ss, offset = 0, 0, 0, NEPAL_OFFSET
  if rest ~= "" then
    local h, mi, tail = rest:match("^[Tt ](%d%d):(%d%d)(.*)$")
    if not h then return nil end
    hh, mm = tonumber(h), tonumber(mi)
    local sec, tail2 = tail:match("^:(%d%d)(.*)$")
    if sec then
      ss, tail = tonumber(sec), tail2
      local _, tail3 = tail:match("^%.(%d+)(.*)$")
      if tail3 then tail = tail3 end
    end
    if tail == "Z" or tail == "z" then
      offset = 0
    elseif tail ~= "" then
      local sign, oh, om = tail:match("^([+-])(%d%d):?(%d%d)$")
      if not sign then return nil end
      offset = (tonumber(oh) * 3600 + tonumber(om) * 60) * (sign == "-" and -1 or 1)
    end
    if hh > 23 or mm > 59 or ss > 59 then return nil end
  end
  return bsdate.days_from_civil(y, mo, d) * 86400 + hh * 3600 + mm * 60 + ss - offset
end

-- A schedule field: nil (absent), false ("" or null: clear it) or epoch seconds.
function _M.schedule(body)
  local v = body.schedule
  if v == nil then return nil end
  if v == util.null or (type(v) == "string" and util.trim(v) == "") then return false end
  local t = _M.parse_datetime(v)
  if not t then util.bad("schedule", SCHEDULE_FORMATS) end
  return t
end

-- Pagination ------------------------------------------------------------------------

_M.MAX_LIMIT = 10

function _M.page(args)
  local function arg(name)
    local v = args[name]
    if type(v) == "table" then v = v[1] end
    if v == true or v == "" then return nil end
    return v
  end
  local limit = _M.int(arg("limit"), "limit", { min = 1, max = _M.MAX_LIMIT }) or _M.MAX_LIMIT
  local offset = _M.int(arg("offset"), "offset", { min = 0 }) or 0
  return limit, offset
end

-- The request's absolute URL with limit and offset replaced (offset left out when nil),
-- other parameters kept, sorted by name as DRF writes them.
local function page_url(args, limit, offset)
  local host = ngx.var.http_host or ("127.0.0.1:" .. ngx.var.server_port)
  local proto = (ngx.var.http_x_forwarded_proto or ""):match("^%s*(https?)")
  local keys, parts = {}, {}
  for k in pairs(args) do
    if k ~= "limit" and k ~= "offset" then keys[#keys + 1] = k end
  end
  keys[#keys + 1] = "limit"
  if offset then keys[#keys + 1] = "offset" end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = args[k]
    if k == "limit" then v = limit elseif k == "offset" then v = offset end
    local list = type(v) == "table" and v or { v }
    for _, x in ipairs(list) do
      if x == true then parts[#parts + 1] = ngx.escape_uri(k)
      else parts[#parts + 1] = ngx.escape_uri(k) .. "=" .. ngx.escape_uri(tostring(x)) end
    end
  end
  return string.format("%s://%s%s?%s", proto or ngx.var.scheme, host, ngx.var.uri,
    table.concat(parts, "&"))
end

-- The paginated envelope: count, total_pages, next, previous, results.
function _M.envelope(args, count, limit, offset, results)
  local nxt, prev = util.null, util.null
  if offset + limit < count then nxt = page_url(args, limit, offset + limit) end
  if offset > 0 then
    prev = page_url(args, limit, (offset - limit > 0) and (offset - limit) or nil)
  end
  return { count = count, total_pages = math.ceil(count / limit), next = nxt, previous = prev,
    results = results }
end

-- Voices ------------------------------------------------------------------------------

_M.VOICES = {
  { id = 1, voice_display_name = "Rija", voice_internal_name = "np_rija", is_premium = false },
  { id = 2, voice_display_name = "Rija premium", voice_internal_name = "np_rija", is_premium = true },
  { id = 3, voice_display_name = "Prashanna", voice_internal_name = "np_prashanna", is_premium = false },
  { id = 4, voice_display_name = "Binod", voice_internal_name = "np_binod", is_premium = false },
  { id = 5, voice_display_name = "Shreegya", voice_internal_name = "np_shreegya", is_premium = false },
}

-- Names as the docs and the clients write them (legacy spells np_prasanna).
local VOICE_NAMES = {
  np_rija = 1, ["np_rija(premium)"] = 2, ["np_rija (premium)"] = 2, np_rija_premium = 2,
  np_prashanna = 3, np_prasanna = 3, np_binod = 4, np_shreegya = 5,
}

function _M.voice_view(id)
  local v = _M.VOICES[id]
  if not v then return util.null end
  return { id = v.id, voice_display_name = v.voice_display_name,
    voice_internal_name = v.voice_internal_name, is_premium = v.is_premium }
end

-- A voice given as an id, a digit string, a #9 object or an internal name -> its id.
function _M.voice(v, field)
  if not present(v) then return nil end
  if type(v) == "table" and util.is_object(v) then v = v.id end
  local id = request.to_integer(v)
  if not id and type(v) == "string" then id = VOICE_NAMES[util.trim(v):lower()] end
  if not id or not _M.VOICES[id] then
    util.bad(field, string.format('Invalid pk "%s" - object does not exist.',
      type(v) == "string" and v or util.encode(v == nil and util.null or v)))
  end
  return id
end

-- The voice id a legacy campaign's voice_input names.
function _M.voice_of_name(name)
  return name and VOICE_NAMES[name] or nil
end

-- Sender numbers ------------------------------------------------------------------------

-- The account's sender ("broker") numbers: the legacy face's owned numbers, by their
-- index in the inventory, in E.164.
function _M.senders()
  local list = {}
  for i, p in ipairs(state.phones) do
    if p.owned then
      list[#list + 1] = { id = i, phone_number = "+977" .. p.phone_number:gsub("^0", "") }
    end
  end
  return list
end

return _M
