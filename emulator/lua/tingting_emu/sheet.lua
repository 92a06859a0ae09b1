-- Numbers files (.csv and .xlsx) -> campaign numbers and usable tags.
local util = require "tingting_emu.util"
local xlsx = require "tingting_emu.xlsx"
local request = require "tingting_emu.request"

local _M = {}

-- RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks.
-- Returns rows (list of {row =, cells =}) or nil, err.
function _M.read_csv(data)
  data = data:gsub("^\239\187\191", "")
  local rows, cells, field = {}, {}, {}
  local i, n, line = 1, #data, 1
  local row_line = 1
  local function end_field()
    cells[#cells + 1] = table.concat(field)
    field = {}
  end
  local function end_row()
    end_field()
    rows[#rows + 1] = { row = row_line, cells = cells }
    cells = {}
    row_line = line
  end
  while i <= n do
    local c = data:sub(i, i)
    if c == '"' and #field == 0 then
      local j = i + 1
      while true do
        local q = data:find('"', j, true)
        if not q then return nil, string.format("line %d: unterminated quoted field", line) end
        local chunk = data:sub(j, q - 1)
        local _, breaks = chunk:gsub("\n", "")
        line = line + breaks
        field[#field + 1] = chunk
        if data:sub(q + 1, q + 1) == '"' then
          field[#field + 1] = '"'
          j = q + 2
        else
          i = q + 1
          break
        end
      end
      -- A quoted field that is empty still counts as a value.
      if #field == 0 then field[1] = "" end
    elseif c == "," then
      end_field()
      i = i + 1
    elseif c == "\r" or c == "\n" then
      i = i + ((c == "\r" and data:sub(i + 1, i + 1) == "\n") and 2 or 1)
      line = line + 1
      end_row()
    else
      local j = data:find('[,\r\n"]', i) or n + 1
      if data:sub(j, j) == '"' then j = j + 1 end
      field[#field + 1] = data:sub(i, j - 1)
      i = j
    end
  end
  if #field > 0 or #cells > 0 then end_row() end
  return rows
end

local function blank(cells)
  for _, v in ipairs(cells) do
    if v ~= "" then return false end
  end
  return true
end

local function cell_text(v)
  if type(v) == "number" then
    if v == math.floor(v) and math.abs(v) < 1e15 then return string.format("%d", v) end
    return tostring(v)
  end
  return v or ""
end

-- Reads an uploaded file part into rows {digits =, tags =} and the usable tags (the
-- header's tags_* columns). The number column is `number`, else the first column.
-- Raises a 400 naming `field` and the row for anything unreadable.
function _M.numbers_from_file(file, field)
  local name = (file.filename or ""):lower()
  local rows, err
  if name:match("%.xlsx$") or file.content:sub(1, 4) == "PK\3\4" then
    rows, err = xlsx.read(file.content)
    if not rows then util.bad(field, "Could not read the .xlsx file: " .. err .. ".") end
  elseif name:match("%.csv$") or (file.type or ""):match("csv") then
    rows, err = _M.read_csv(file.content)
    if not rows then util.bad(field, "Could not read the .csv file: " .. err .. ".") end
  else
    util.bad(field, "Unsupported file type; upload an .xlsx or .csv file.")
  end
  local first = 1
  while rows[first] and blank(rows[first].cells) do first = first + 1 end
  local header = rows[first]
  if not header then util.bad(field, "The file is empty.") end
  local number_col, tag_cols, usable = nil, {}, {}
  for col, v in ipairs(header.cells) do
    local title = util.trim(cell_text(v))
    if title:lower() == "number" and not number_col then
      number_col = col
    elseif title:match("^tags_") then
      tag_cols[#tag_cols + 1] = { col = col, name = title }
      usable[#usable + 1] = title
    end
  end
  if not number_col then
    number_col = 1
    if tag_cols[1] and tag_cols[1].col == 1 then
      util.bad(field, "The header has no number column.")
    end
  end
  local out = {}
  for i = first + 1, #rows do
    local row = rows[i]
    if not blank(row.cells) then
      local raw = cell_text(row.cells[number_col])
      local digits = request.phone_digits(raw)
      if not digits then
        util.bad(field, string.format('Row %d: "%s" is not a valid phone number (7 to 14 digits).',
          row.row, raw))
      end
      local tags = {}
      for _, t in ipairs(tag_cols) do
        local v = row.cells[t.col]
        if v == nil then v = "" end
        tags[t.name] = v
      end
      out[#out + 1] = { digits = digits, tags = tags }
    end
  end
  if #out == 0 then util.bad(field, "The file contains no numbers.") end
  return out, usable
end

return _M
