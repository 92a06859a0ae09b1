-- The core's two pieces for lists of a million numbers: a compact set of
-- phone numbers (dedupe and skip_existing without a Lua table of strings) and
-- an .xlsx writer in libxlsxwriter's constant-memory mode (recipient files).
local core = require "tingting.core"

local function sheet_xml(path)
  local p = assert(io.popen("unzip -p " .. path .. " xl/worksheets/sheet1.xml"))
  local xml = p:read("*a")
  p:close()
  return xml
end

describe("core.numset", function()
  it("adds each number once and says whether it was new", function()
    local s = core.numset()
    assert.is_true(s:add("9851023212"))
    assert.is_false(s:add("9851023212"))
    assert.is_true(s:has("9851023212"))
    assert.is_false(s:has("9851023213"))
    assert.equal(1, #s)
  end)

  it("keeps numbers that differ only by leading zeros apart", function()
    local s = core.numset()
    assert.is_true(s:add("014412345"))
    assert.is_true(s:add("14412345"))
    assert.is_true(s:add("0014412345"))
    assert.equal(3, #s)
    assert.is_true(s:remove("14412345"))
    assert.is_true(s:has("014412345"))
    assert.is_false(s:has("14412345"))
  end)

  it("grows past its initial size and removes without losing neighbours", function()
    local s = core.numset(10)
    for i = 1, 50000 do assert.is_true(s:add(tostring(9800000000 + i * 7))) end
    assert.equal(50000, #s)
    for i = 1, 50000, 3 do assert.is_true(s:remove(tostring(9800000000 + i * 7))) end
    for i = 1, 50000 do
      assert.equal(i % 3 ~= 1, s:has(tostring(9800000000 + i * 7)), "number " .. i)
    end
    assert.is_false(s:remove("9800000001"))
  end)

  it("holds a number in a few bytes (a million fit in 16 MiB)", function()
    local s = core.numset(1000000)
    assert.is_true(s:bytes() <= 16 * 1024 * 1024)
  end)

  it("refuses what is not a digit string of 1 to 14 digits (a programmer error)", function()
    local s = core.numset()
    for _, bad in ipairs { "", "98x", "123456789012345", "+977" } do
      assert.has_error(function() s:add(bad) end)
    end
    assert.has_error(function() s:add({}) end)
  end)

  it("raises once closed, and closes twice safely", function()
    local s = core.numset()
    s:close()
    s:close()
    assert.has_error(function() s:add("9851023212") end, "tingting.numset: the set is closed")
  end)
end)

describe("core.xlsx_open", function()
  local path
  before_each(function() path = os.tmpname() .. ".xlsx" end)
  after_each(function() os.remove(path) end)

  it("writes a header and rows that a spreadsheet reads back", function()
    local w = assert(core.xlsx_open(path, { "number", "tags_name", "tags_age" }))
    assert(w:row { "9851023212", "राम", 34 })
    assert(w:row { "9843818700", nil, 29.5 })
    assert.equal(2, w:rows())
    assert.is_true(w:close())
    local xml = sheet_xml(path)
    assert.matches("number", xml, 1, true)
    assert.matches("9851023212", xml, 1, true)
    assert.matches("राम", xml, 1, true)
    assert.matches("<v>34</v>", xml, 1, true)
    assert.matches("<v>29.5</v>", xml, 1, true)
    assert.is_true(w:close()) -- idempotent
  end)

  it("writes numbers as text, so leading zeros survive", function()
    local w = assert(core.xlsx_open(path, { "number" }))
    assert(w:row { "014412345" })
    assert(w:close())
    assert.matches("014412345", sheet_xml(path), 1, true)
  end)

  it("leaves no file when aborted, and refuses rows after close", function()
    local w = assert(core.xlsx_open(path, { "number" }))
    assert(w:row { "9851023212" })
    w:abort()
    assert.is_nil(io.open(path, "rb"))
    assert.has_error(function() w:row { "9851023212" } end, "tingting.xlsx: the writer is closed")
  end)

  it("says why a workbook cannot be written", function()
    local w = assert(core.xlsx_open("/nonexistent-dir/x.xlsx", { "number" }))
    local ok, err = w:close()
    assert.is_nil(ok)
    assert.matches("^xlsx: ", err)
  end)

  it("refuses cells that are not text or numbers, naming row and column", function()
    local w = assert(core.xlsx_open(path, { "number", "tags_x" }))
    assert.has_error(function() w:row { "9851023212", {} } end,
      "tingting.xlsx: row 1, column 2: expected a string or a number (got table)")
    assert.has_error(function() w:row { "9851023212", 0 / 0 } end)
    w:abort()
  end)

  it("refuses a header that is not a list of names", function()
    assert.has_error(function() core.xlsx_open(path, {}) end)
    assert.has_error(function() core.xlsx_open(path, { 1 }) end)
  end)
end)

describe("numbers.each_csv", function()
  local numbers = require "tingting.numbers"
  local path
  before_each(function() path = os.tmpname() end)
  after_each(function() os.remove(path) end)

  local function write(text)
    local f = assert(io.open(path, "wb"))
    f:write(text)
    f:close()
  end

  it("reads records one at a time across chunk boundaries, quoted line breaks included", function()
    local want, parts = {}, { "\239\187\191number,tags_name\r\n" }
    for i = 1, 6000 do
      local name = (i % 7 == 0) and ('"Shrestha,\r\n ' .. i .. ' ""Sita"""') or ("राम" .. i)
      parts[#parts + 1] = tostring(9800000000 + i) .. "," .. name .. "\r\n"
      want[i] = (i % 7 == 0) and ('Shrestha,\r\n ' .. i .. ' "Sita"') or ("राम" .. i)
    end
    write(table.concat(parts))
    local iter = assert(numbers.each_csv(path))
    local n, line = 0, 2
    for rec in iter do
      n = n + 1
      assert.equal(tostring(9800000000 + n), rec.number)
      assert.equal(want[n], rec.available_tags.tags_name)
      assert.equal(line, rec.line)
      line = line + ((n % 7 == 0) and 2 or 1)
    end
    assert.equal(6000, n)
    assert.same(numbers.read_csv(path), (function()
      local all = {}
      for rec in assert(numbers.each_csv(path)) do all[#all + 1] = rec end
      return all
    end)())
  end)

  it("fails at once for a missing file or a header without the number column", function()
    local it_, err = numbers.each_csv("/nonexistent/x.csv")
    assert.is_nil(it_)
    assert.equal("path", err.field)
    write("phone,tags_name\n9851023212,Ram\n")
    it_, err = numbers.each_csv(path)
    assert.is_nil(it_)
    assert.equal(1, err.line)
    assert.matches('no "number" column', err.message)
  end)

  it("ends with nil, err at a malformed line far into the file, and keeps saying so", function()
    local parts = { "number,tags_name\n" }
    for i = 1, 20000 do parts[#parts + 1] = tostring(9800000000 + i) .. ",x\n" end
    parts[#parts + 1] = "9851023212,a,b\n9851023213,y\n"
    write(table.concat(parts))
    local iter = assert(numbers.each_csv(path))
    local n = 0
    while iter() do n = n + 1 end
    assert.equal(20000, n)
    local rec, err = iter()
    assert.is_nil(rec)
    assert.equal(20002, err.line)
    assert.equal("validation", err.kind)
    assert.matches("line 20002: 3 fields, the header has 2", err.message)
  end)

  it("reports an unterminated quote with the line where it starts", function()
    write('number,tags_name\n9851023212,"open\n9851023213,x\n')
    local iter = assert(numbers.each_csv(path))
    local rec, err = iter()
    assert.is_nil(rec)
    assert.equal(2, err.line)
    assert.matches("unterminated", err.message)
  end)

  it("rejects unknown options, naming them", function()
    local it_, err = numbers.each_csv(path, { number_colum = "phone" })
    assert.is_nil(it_)
    assert.matches("number_colum", err.message)
  end)
end)
