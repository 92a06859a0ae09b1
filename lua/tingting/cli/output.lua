--- Output of the tingting command: aligned tables (UTF-8 aware), key/value
-- listings and deterministic JSON (the core's encoder: sorted keys; empty
-- lists stay lists when marked with `M.array`).
-- @module tingting.cli.output
local M = {}

-- Loaded when first needed: `tingting --version` must still answer when the
-- core cannot be loaded.
local function core() return require "tingting.core" end

--- Mark a table as a JSON array, so that an empty one encodes as `[]`.
function M.array(t)
  return setmetatable(t or {}, core().json_array)
end

--- Display width: code points (a UTF-8 continuation byte adds nothing).
function M.width(s)
  local _, cont = s:gsub("[\128-\191]", "")
  return #s - cont
end

--- At most `n` code points of `s`, with an ellipsis when cut.
function M.truncate(s, n)
  if M.width(s) <= n then return s end
  local count, i = 0, 1
  while i <= #s do
    local b = s:byte(i)
    local len = b >= 240 and 4 or b >= 224 and 3 or b >= 192 and 2 or 1
    if count == n - 1 then break end
    count = count + 1
    i = i + len
  end
  return s:sub(1, i - 1) .. "…"
end

-- Code points that a terminal acts on or that reorder what is shown: C1
-- controls and the bidirectional overrides (a name that reads backwards).
local function hidden_cp(cp)
  return (cp >= 0x80 and cp <= 0x9F) or (cp >= 0x202A and cp <= 0x202E) or (cp >= 0x2066 and cp <= 0x2069)
end

-- Length of the valid UTF-8 sequence at byte i of s (its code point too), or
-- nil: overlong forms, surrogates and stray bytes are not text.
local function utf8_at(s, i)
  local b = s:byte(i)
  local len, cp, min
  if b < 0x80 then return 1, b
  elseif b >= 0xC2 and b <= 0xDF then len, cp, min = 2, b - 0xC0, 0x80
  elseif b >= 0xE0 and b <= 0xEF then len, cp, min = 3, b - 0xE0, 0x800
  elseif b >= 0xF0 and b <= 0xF4 then len, cp, min = 4, b - 0xF0, 0x10000
  else return nil end
  for k = 1, len - 1 do
    local c = s:byte(i + k)
    if not c or c < 0x80 or c > 0xBF then return nil end
    cp = cp * 64 + (c - 0x80)
  end
  if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then return nil end
  return len, cp
end

-- `s` with each byte that pattern `special` finds, and what follows it as
-- `piece(s, j)` says, rewritten: piece returns the text and the bytes taken.
local function rewrite(s, special, piece)
  local out, n, i, len = {}, 0, 1, #s
  while i <= len do
    local j = s:find(special, i)
    if not j then
      n = n + 1
      out[n] = s:sub(i)
      break
    end
    if j > i then
      n = n + 1
      out[n] = s:sub(i, j - 1)
    end
    local text, step = piece(s, j)
    n = n + 1
    out[n] = text
    i = j + step
  end
  return table.concat(out)
end

-- A non-ASCII character of text: itself, or `\uHHHH` when a terminal would
-- act on it; `stray(b)` for a byte that is not UTF-8.
local function non_ascii(s, j, stray)
  local ulen, cp = utf8_at(s, j)
  if not ulen then return stray(s:byte(j)), 1 end
  if hidden_cp(cp) then return ("\\u%04x"):format(cp), ulen end
  return s:sub(j, j + ulen - 1), ulen
end

local function hex_byte(b) return ("\\x%02x"):format(b) end

local function visible(s, j)
  local b = s:byte(j)
  if b < 0x80 then return hex_byte(b), 1 end
  return non_ascii(s, j, hex_byte)
end

local function visible_multiline(s, j)
  local b = s:byte(j)
  if b == 10 or b == 9 or (b == 13 and s:byte(j + 1) == 10) then return string.char(b), 1 end
  return visible(s, j)
end

--- `s` with everything a terminal would act on made visible, so that text
-- from the server never moves the cursor, retitles the window or clears the
-- screen: C0 controls and DEL as `\xHH` (ESC is `\x1b`), C1 controls and
-- bidi overrides as `\uHHHH`, bytes that are not UTF-8 as `\xHH`. Valid
-- UTF-8 text (Nepali included) is kept as it is. With `multiline`, LF, TAB
-- and the CR of a CRLF stay (a CSV shown whole).
function M.safe(s, multiline)
  s = tostring(s)
  -- the common case, nothing to do: printable ASCII only
  if not s:find("[^\32-\126]") then return s end
  return rewrite(s, "[^\32-\126]", multiline and visible_multiline or visible)
end

local function is_integral(v)
  return v == math.floor(v) and v > -2 ^ 53 and v < 2 ^ 53
end

--- A value as one line of text for humans, through `M.safe` (server text
-- never reaches the terminal as escape sequences).
function M.text(v)
  if v == nil then return "" end
  local t = type(v)
  if t == "number" then
    if is_integral(v) then return string.format("%d", v) end
    return string.format("%.14g", v)
  elseif t == "table" then
    local keys, parts = {}, {}
    for k in pairs(v) do keys[#keys + 1] = k end
    if #keys == #v then
      for i = 1, #v do parts[i] = M.text(v[i]) end
    else
      table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
      for _, k in ipairs(keys) do parts[#parts + 1] = M.safe(tostring(k)) .. "=" .. M.text(v[k]) end
    end
    return table.concat(parts, ", ")
  elseif t == "string" then
    return M.safe(v)
  elseif t == "userdata" then
    return "" -- cjson.null
  end
  return tostring(v)
end

--- Print rows (lists of cells) under `headers`, columns aligned; a column's
-- cells are cut to `max[i]` code points when given.
function M.table(out, headers, rows, max)
  max = max or {}
  local cells, widths = {}, {}
  for i, h in ipairs(headers) do widths[i] = M.width(h) end
  for r, row in ipairs(rows) do
    cells[r] = {}
    for i = 1, #headers do
      local s = M.text(row[i])
      if max[i] then s = M.truncate(s, max[i]) end
      cells[r][i] = s
      local w = M.width(s)
      if w > widths[i] then widths[i] = w end
    end
  end
  local function line(list)
    local parts = {}
    for i, s in ipairs(list) do
      parts[i] = i < #list and (s .. string.rep(" ", widths[i] - M.width(s))) or s
    end
    out:write((table.concat(parts, "  "):gsub("%s+$", "")), "\n")
  end
  line(headers)
  for _, row in ipairs(cells) do line(row) end
end

--- Print `key: value` lines for `keys` (a list of {label, value}).
function M.pairs(out, list)
  local w = 0
  local labels = {}
  for i, kv in ipairs(list) do
    labels[i] = M.safe(tostring(kv[1]))
    if M.width(labels[i]) > w then w = M.width(labels[i]) end
  end
  for i, kv in ipairs(list) do
    out:write(labels[i], ":", string.rep(" ", w - M.width(labels[i]) + 1), M.text(kv[2]), "\n")
  end
end

--- One JSON document for `v` (see `core.json_encode`); raises on what JSON
-- cannot hold (a cycle, nesting deeper than 32, NaN or an infinity, a key
-- that is neither a string nor a number).
function M.json(v)
  local text, err = core().json_encode(v)
  if not text then error(err, 0) end
  -- The encoder escapes C0 and passes other bytes through; C1 controls and
  -- stray bytes (only ever inside strings) are escaped too, so that JSON
  -- on a terminal is as safe as a table.
  if text:find("[\128-\255]") then text = M.json_safe(text) end
  return text
end

local function replacement() return "\\ufffd" end
local function json_piece(s, j) return non_ascii(s, j, replacement) end

--- JSON text with C1 controls and bidi overrides as `\uHHHH` and bytes that
-- are not UTF-8 as U+FFFD: the same document to a parser, inert on a terminal.
function M.json_safe(text)
  return rewrite(text, "[\128-\255]", json_piece)
end

return M
