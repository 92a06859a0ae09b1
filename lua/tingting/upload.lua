--- Recipient files made from lists: a list or an iterator of numbers or
-- `{number=, available_tags=}` records becomes a private temporary .xlsx
-- (libxlsxwriter's constant-memory mode, through `core.xlsx_open`), which an
-- upload sends and which is removed whatever happens. A million records cost
-- one row of memory, and nothing is sent when a record is bad.
-- @module tingting.upload
local core = require "tingting.core"
local errors = require "tingting.errors"
local numbers = require "tingting.numbers"

local M = {}

--- Data rows one sheet holds (Excel's limit, less the header row).
M.MAX_ROWS = 1048575

local function temp_path()
  local dir = os.getenv("TMPDIR")
  if not dir or dir == "" then dir = "/tmp" end
  return dir .. "/tingting-" .. core.hex(core.random_bytes(12)) .. ".xlsx"
end

-- A variable name as a column: what the API reads back as a tag.
local function good_name(k)
  return type(k) == "string" and #k > 0 and #k <= 64 and not k:find("[^%w_]")
end

--- Write `source` (a list, or an iterator returning an item per call and nil
-- at the end) to a new private .xlsx: header `number_column` then one column
-- per variable, sorted. A list's columns are every variable any record has;
-- an iterator's are the first record's, and a later record with another
-- variable is refused. Returns the path, or `nil, err` (a validation error
-- naming `field` and the item, or the limit) with no file left behind.
-- opts: `op`, `field` (for errors), `number_column` ("number").
function M.write(source, opts)
  local op, field = opts.op, opts.field
  local function bad(message) return errors.invalid(op, field, message) end
  local is_list = type(source) == "table"
  if not is_list and type(source) ~= "function" then
    return bad("expected a path, a list or an iterator of numbers or {number=, available_tags=} records")
  end
  local index, ended = 0, false
  local function next_item()
    if ended then return nil end
    index = index + 1
    local item, serr
    if is_list then item = source[index] else item, serr = source() end
    if item == nil then
      ended = true
      if serr ~= nil then return nil, serr end
    end
    return item
  end
  local function where(item)
    local line = type(item) == "table" and item.line
    return line and ("line " .. line) or ("item " .. index)
  end
  -- the columns
  local names, seen = {}, {}
  local function add_names(item)
    local tags = type(item) == "table" and item.available_tags
    if type(tags) ~= "table" then return true end
    for k in pairs(tags) do
      if not good_name(k) then
        return nil, ("%s: variable name %s: expected letters, digits and _"):format(where(item), tostring(k))
      end
      if not seen[k] then
        seen[k] = true
        names[#names + 1] = k
      end
    end
    return true
  end
  local first
  if is_list then
    if #source > M.MAX_ROWS then
      return bad(("%d numbers: one file holds at most %d"):format(#source, M.MAX_ROWS))
    end
    for i = 1, #source do
      index = i
      local ok, why = add_names(source[i])
      if not ok then return bad(why) end
    end
    index = 0
  else
    local serr
    first, serr = next_item()
    if first == nil and serr ~= nil then return nil, serr end
    local ok, why = add_names(first)
    if not ok then return bad(why) end
  end
  table.sort(names)
  local columns = { opts.number_column or "number" }
  for i, k in ipairs(names) do columns[i + 1] = k end

  local path = temp_path()
  local created, cerr = core.create_private(path)
  if not created then return bad("cannot create a temporary file: " .. cerr) end
  local w, werr = core.xlsx_open(path, columns)
  if not w then
    os.remove(path)
    return bad(werr)
  end
  local function give_up(err)
    w:abort()
    os.remove(path)
    return nil, err
  end
  local row, rows = {}, 0
  local item, serr
  if first ~= nil then item = first else item, serr = next_item() end
  while item ~= nil do
    local raw, tags = item, nil
    if type(item) == "table" then raw, tags = item.number, item.available_tags end
    local digits, nerr = numbers.normalize(raw)
    if not digits then return give_up(select(2, bad(where(item) .. ": " .. nerr.message))) end
    if tags ~= nil and type(tags) ~= "table" then
      return give_up(select(2, bad(where(item) .. ": available_tags: expected a table")))
    end
    row[1] = digits
    for i, k in ipairs(names) do
      local v = tags and tags[k]
      if v ~= nil and type(v) ~= "string" and type(v) ~= "number" then
        return give_up(select(2, bad(("%s: %s: expected a string or a number"):format(where(item), k))))
      end
      row[i + 1] = v
    end
    if tags and not is_list then
      for k in pairs(tags) do
        if not seen[k] then
          return give_up(select(2, bad(("%s: variable %s is not a column (an iterator's columns are its first "
            .. "record's: %s)"):format(where(item), tostring(k), #names > 0 and table.concat(names, ", ") or "none"))))
        end
      end
    end
    rows = rows + 1
    if rows > M.MAX_ROWS then
      return give_up(select(2, bad(("more than %d numbers: one file holds at most %d"):format(M.MAX_ROWS, M.MAX_ROWS))))
    end
    local ok, rerr = w:row(row)
    if not ok then return give_up(select(2, bad(rerr))) end
    item, serr = next_item()
  end
  if serr ~= nil then return give_up(serr) end
  if rows == 0 then return give_up(select(2, bad("no numbers to send"))) end
  local ok, cerr2 = w:close()
  if not ok then
    os.remove(path)
    return bad(cerr2)
  end
  return path
end

--- Call `fn(path)` with `source` as a file: a path is passed as it is; a
-- list or an iterator is written by `write` and removed after `fn` returns
-- or raises. Returns what `fn` returns (a result and an error), or
-- `nil, err` from writing.
function M.with_file(source, opts, fn)
  if type(source) == "string" then return fn(source) end
  local path, err = M.write(source, opts)
  if not path then return nil, err end
  local ok, res, ferr = pcall(fn, path)
  os.remove(path)
  if not ok then error(res, 0) end
  return res, ferr
end

return M
