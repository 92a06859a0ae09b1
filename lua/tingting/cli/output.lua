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

local function is_integral(v)
  return v == math.floor(v) and v > -2 ^ 53 and v < 2 ^ 53
end

--- A value as one line of text for humans: no control characters (server
-- text never reaches the terminal as escape sequences).
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
      for _, k in ipairs(keys) do parts[#parts + 1] = tostring(k) .. "=" .. M.text(v[k]) end
    end
    return table.concat(parts, ", ")
  elseif t == "string" then
    return (v:gsub("%c", " "))
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
  for _, kv in ipairs(list) do
    if M.width(kv[1]) > w then w = M.width(kv[1]) end
  end
  for _, kv in ipairs(list) do
    out:write(kv[1], ":", string.rep(" ", w - M.width(kv[1]) + 1), M.text(kv[2]), "\n")
  end
end

--- One JSON document for `v` (see `core.json_encode`); raises on what JSON
-- cannot hold (a cycle, nesting deeper than 32, NaN or an infinity, a key
-- that is neither a string nor a number).
function M.json(v)
  local text, err = core().json_encode(v)
  if not text then error(err, 0) end
  return text
end

return M
