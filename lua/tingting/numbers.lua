--- Phone numbers and number files: normalisation and CSV reading.
-- @module tingting.numbers
local core = require "tingting.core"

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
  return nil, core.error { kind = "validation", field = "number", op = "normalize", message = why,
    sent = false, retryable = false }
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
  return nil, core.error { kind = "validation", field = line and "line" or "path", op = "read_csv",
    message = message, line = line, sent = false, retryable = false }
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
        if not q then return nil, ("line %d: unterminated quoted field"):format(line), line end
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

--- Read a number file: a header row, a `number` column, every other column a
-- tag of that number (`tags_name` ...). A UTF-8 BOM and CRLF line ends are fine.
-- @string path
-- @tparam[opt] table opts `{number_column = "number"}`
-- @treturn {{number=string, available_tags=table, line=int},...}|nil
-- @treturn tingting.error a validation error; `err.line` is the line at fault
function M.read_csv(path, opts)
  opts = opts or {}
  if type(path) ~= "string" then return csv_error("path: expected a file path") end
  if path == "" or path:find("%z") then return csv_error("path: expected a file path") end
  local f, oerr = io.open(path, "rb")
  if not f then return csv_error("path: " .. oerr) end
  -- a directory opens fine and fails on read
  local text, rerr = f:read("*a") -- "*a": Lua 5.1 knows no "a"
  f:close()
  if not text then return csv_error("path: cannot read " .. path .. ": " .. tostring(rerr)) end
  if text:sub(1, 3) == "\239\187\191" then text = text:sub(4) end
  local column = opts.number_column or "number"
  local pos, line, header = 1, 1, nil
  local out = {}
  while pos <= #text do
    local start_line = line
    local fields, nxt, bad_line = record(text, pos, line)
    if not fields then return csv_error(nxt, bad_line) end
    -- count the newlines consumed, quoted ones included
    local _, k = text:sub(pos, nxt - 1):gsub("\n", "")
    line = line + k
    pos = nxt
    if not (#fields == 1 and fields[1] == "") then -- skip blank lines
      if not header then
        header = {}
        for i, name in ipairs(fields) do
          name = name:match("^%s*(.-)%s*$")
          if name == "" then return csv_error(("line %d: column %d has no name"):format(start_line, i), start_line) end
          header[i] = name
        end
        local found
        for i, name in ipairs(header) do if name == column then found = i end end
        if not found then
          return csv_error(("line %d: no %q column in the header"):format(start_line, column), start_line)
        end
        header.number_index = found
      else
        if #fields ~= #header then
          return csv_error(("line %d: %d fields, the header has %d"):format(start_line, #fields, #header), start_line)
        end
        local rec = { number = fields[header.number_index], available_tags = {}, line = start_line }
        for i, name in ipairs(header) do
          if i ~= header.number_index and fields[i] ~= "" then rec.available_tags[name] = fields[i] end
        end
        out[#out + 1] = rec
      end
    end
  end
  if not header then return csv_error("line 1: the file is empty (expected a header row)", 1) end
  return out
end

return M
