--- Phone numbers and number files: normalisation and CSV reading.
-- @module tingting.numbers
local core = require "tingting.core"
local errors = require "tingting.errors"

local M = {}

--- A phone number as a digit string: spaces, dashes, dots and parentheses are
-- dropped, and a leading +977 / 00977 / 977 country prefix on a full national
-- number; 7 to 14 digits must remain.
-- @param v string or integer
-- @treturn string|nil digits
-- @treturn tingting.error why not (kind "validation", field "number")
function M.normalize(v)
  local digits, why = core.normalize_phone(v)
  if digits then return digits end
  return nil, errors.validation { op = "normalize", field = "number", message = why }
end

--- The canonical form of a Nepal number: `normalize`'s digits without the
-- country code (+977, 00977 or 977 before a national number of 8 or more
-- digits) and without leading zeros, so that "+9779851023212",
-- "009779851023212", "9779851023212" and "09851023212" are all "9851023212",
-- and "+977-1-4123456" and "01-4123456" are both "14123456". One handset,
-- one form: `tingting.otp` keys its limits, attempts and codes on it.
-- @param v string or integer
-- @treturn string|nil digits
-- @treturn tingting.error why not (kind "validation", field "number")
function M.canonical(v)
  local digits, err = M.normalize(v)
  if not digits then return nil, err end
  if #digits >= 13 and digits:sub(1, 5) == "00977" then
    digits = digits:sub(6)
  elseif #digits >= 11 and digits:sub(1, 3) == "977" then
    digits = digits:sub(4)
  end
  digits = digits:gsub("^0+", "")
  if #digits < 7 then
    return nil, core.error { kind = "validation", field = "number", op = "canonical", sent = false,
      retryable = false, message = "number: too few digits once the country code and leading zeros are dropped" }
  end
  return digits
end

-- A read_csv failure: a validation error naming the path or the line.
local function csv_error(message, line)
  return nil, errors.validation { op = "read_csv", field = line and "line" or "path", message = message,
    line = line }
end

-- One CSV record (RFC 4180) starting at `pos`; returns fields, next position,
-- or nil and a reason. Quoted fields may hold commas, quotes ("") and newlines.
local function record(text, pos, line)
  local fields, n = {}, #text
  while true do
    local c = text:sub(pos, pos)
    if c == '"' then
      local buf, i = {}, pos + 1
      while true do
        local q = text:find('"', i, true)
        if not q then return nil, ("line %d: unterminated quoted field"):format(line), line, true end
        buf[#buf + 1] = text:sub(i, q - 1)
        if text:sub(q + 1, q + 1) == '"' then
          buf[#buf + 1] = '"'
          i = q + 2
        else
          pos = q + 1
          break
        end
      end
      fields[#fields + 1] = table.concat(buf)
      local after = text:sub(pos, pos)
      if after ~= "," and after ~= "\n" and after ~= "\r" and after ~= "" then
        return nil, ("line %d: unexpected text after a quoted field"):format(line), line
      end
    else
      local e = text:find("[,\r\n]", pos) or n + 1
      local field = text:sub(pos, e - 1)
      if field:find('"', 1, true) then
        return nil, ("line %d: a quote inside an unquoted field"):format(line), line
      end
      fields[#fields + 1] = field
      pos = e
    end
    local sep = text:sub(pos, pos)
    if sep == "," then
      pos = pos + 1
    else
      if sep == "\r" then pos = pos + 1 end
      if text:sub(pos, pos) == "\n" then pos = pos + 1 end
      return fields, pos
    end
  end
end

-- A chunked reader of CSV records: `next()` -> fields, first line | nil at
-- the end | nil, reason, line. Holds one chunk (64 KiB) and the record being
-- read, whatever the file's size.
local CHUNK = 65536
local function records(f)
  local buf, pos, line, eof = "", 1, 1, false
  local function fill()
    local more = f:read(CHUNK)
    if more == nil then
      eof = true
      return false
    end
    buf = buf:sub(pos) .. more
    pos = 1
    return true
  end
  return function()
    while true do
      -- a record is complete when a line end follows it in the buffer (a
      -- quoted field may hold line ends: record() tells) or the file ended
      if not eof and (pos > #buf or not buf:find("\n", pos, true)) then
        fill()
      else
        if pos > #buf then return nil end
        local fields, nxt, bad_line, incomplete = record(buf, pos, line)
        if not fields and not eof and incomplete then
          -- an unterminated quote may only mean the record goes on in the next chunk
          if not fill() then return nil, nxt, bad_line end
        elseif not fields then
          return nil, nxt, bad_line
        elseif not eof and nxt > #buf and not buf:find("\n", nxt - 1, true) then
          fill() -- the record may go on past the buffer: read it again whole
        else
          local start_line = line
          local _, k = buf:sub(pos, nxt - 1):gsub("\n", "")
          line = line + k
          pos = nxt
          if pos > CHUNK then
            buf = buf:sub(pos)
            pos = 1
          end
          return fields, start_line
        end
      end
    end
  end
end

--- An iterator over a number file's records, reading it a chunk at a time:
-- a header row, a `number` column, every other column a tag of that number
-- (`tags_name` ...). A UTF-8 BOM and CRLF line ends are fine. The header is
-- read at once, so a missing file or a bad header fails here; a malformed
-- line later ends the iteration with `nil, err` (and every call after it).
-- @string path
-- @tparam[opt] table opts `{number_column = "number"}`
-- @treturn function|nil iterator of `{number=string, available_tags=table, line=int}`
-- @treturn tingting.error a validation error; `err.line` is the line at fault
function M.each_csv(path, opts)
  opts = opts or {}
  if type(path) ~= "string" or path == "" or path:find("%z") then return csv_error("path: expected a file path") end
  if type(opts) ~= "table" then return csv_error("opts: expected a table") end
  local known, kerr = errors.check_keys("read_csv", opts, { "number_column" })
  if not known then return nil, kerr end
  local column = opts.number_column or "number"
  if type(column) ~= "string" then return csv_error("number_column: expected a string") end
  local f, oerr = io.open(path, "rb")
  if not f then return csv_error("path: " .. oerr) end
  -- a directory opens fine and fails on read
  local first, rerr = f:read(3)
  if first == nil and rerr then
    f:close()
    return csv_error("path: cannot read " .. path .. ": " .. tostring(rerr))
  end
  if first ~= "\239\187\191" then f:seek("set", 0) end
  local next_record = records(f)
  local header, fields, line, bad_line
  repeat -- skip blank lines
    fields, line, bad_line = next_record()
  until not fields or not (#fields == 1 and fields[1] == "")
  if not fields then
    f:close()
    if line then return csv_error(line, bad_line) end
    return csv_error("line 1: the file is empty (expected a header row)", 1)
  end
  header = {}
  for i, name in ipairs(fields) do
    name = name:match("^%s*(.-)%s*$")
    if name == "" then
      f:close()
      return csv_error(("line %d: column %d has no name"):format(line, i), line)
    end
    header[i] = name
  end
  local number_index
  for i, name in ipairs(header) do if name == column then number_index = i end end
  if not number_index then
    f:close()
    return csv_error(("line %d: no %q column in the header"):format(line, column), line)
  end
  local failed
  return function()
    if failed then return nil, failed end
    if not f then return nil end
    while true do
      local rec, at, at_line = next_record()
      if not rec then
        f:close()
        f = nil
        if at then
          failed = select(2, csv_error(at, at_line))
          return nil, failed
        end
        return nil
      end
      if not (#rec == 1 and rec[1] == "") then
        if #rec ~= #header then
          f:close()
          f = nil
          failed = select(2, csv_error(("line %d: %d fields, the header has %d"):format(at, #rec, #header), at))
          return nil, failed
        end
        local out = { number = rec[number_index], available_tags = {}, line = at }
        for i, name in ipairs(header) do
          if i ~= number_index and rec[i] ~= "" then out.available_tags[name] = rec[i] end
        end
        return out
      end
    end
  end
end

--- Read a whole number file into a list (see `each_csv`, which reads one
-- record at a time, for files too large to hold).
-- @string path
-- @tparam[opt] table opts `{number_column = "number"}`
-- @treturn {{number=string, available_tags=table, line=int},...}|nil
-- @treturn tingting.error a validation error; `err.line` is the line at fault
function M.read_csv(path, opts)
  local next_rec, err = M.each_csv(path, opts)
  if not next_rec then return nil, err end
  local out = {}
  while true do
    local rec, rerr = next_rec()
    if not rec then
      if rerr then return nil, rerr end
      return out
    end
    out[#out + 1] = rec
  end
end

return M
