-- Reads the first worksheet of an .xlsx: the zip central directory is parsed here,
-- deflated entries are inflated by zlib through LuaJIT's FFI, and the XML parts are
-- read with string patterns (the subset of SpreadsheetML that holds cell values).
local ffi = require "ffi"

local _M = {}

ffi.cdef [[
typedef struct {
  const unsigned char *next_in; unsigned int avail_in; unsigned long total_in;
  unsigned char *next_out; unsigned int avail_out; unsigned long total_out;
  const char *msg; void *state; void *zalloc; void *zfree; void *opaque;
  int data_type; unsigned long adler; unsigned long reserved;
} tt_z_stream;
const char *zlibVersion(void);
int inflateInit2_(tt_z_stream *strm, int windowBits, const char *version, int stream_size);
int inflate(tt_z_stream *strm, int flush);
int inflateEnd(tt_z_stream *strm);
]]

local zlib
local function load_zlib()
  if zlib then return zlib end
  for _, name in ipairs({ "z", "libz.so.1" }) do
    local ok, lib = pcall(ffi.load, name)
    if ok then zlib = lib return lib end
  end
  error("zlib not found")
end

-- Entries bigger than this are refused rather than inflated (zip bombs).
local MAX_ENTRY = 64 * 1024 * 1024

local function u16(s, i) local a, b = s:byte(i, i + 1) return a + b * 256 end
local function u32(s, i)
  local a, b, c, d = s:byte(i, i + 3)
  return a + b * 256 + c * 65536 + d * 16777216
end

-- Raw deflate (no zlib header), as zip stores it.
local function inflate(data, size)
  local z = load_zlib()
  local strm = ffi.new("tt_z_stream")
  if z.inflateInit2_(strm, -15, z.zlibVersion(), ffi.sizeof(strm)) ~= 0 then
    return nil, "inflateInit2 failed"
  end
  local out = ffi.new("unsigned char[?]", size + 1)
  strm.next_in = ffi.cast("const unsigned char *", data)
  strm.avail_in = #data
  strm.next_out = out
  strm.avail_out = size + 1
  local rc = z.inflate(strm, 4) -- Z_FINISH
  local produced = tonumber(strm.total_out)
  z.inflateEnd(strm)
  if rc ~= 1 then return nil, "corrupt deflate data" end -- 1 = Z_STREAM_END
  if produced ~= size then return nil, "size mismatch" end
  return ffi.string(out, produced)
end

-- Returns a table name -> {method, offset, csize, size}, or nil, err.
function _M.zip_entries(zip)
  local eocd
  for i = #zip - 21, math.max(1, #zip - 22 - 65535), -1 do
    if zip:sub(i, i + 3) == "PK\5\6" then eocd = i break end
  end
  if not eocd then return nil, "not a zip file" end
  local count, cd_offset = u16(zip, eocd + 10), u32(zip, eocd + 16)
  local entries, p = {}, cd_offset + 1
  for _ = 1, count do
    if zip:sub(p, p + 3) ~= "PK\1\2" then return nil, "corrupt central directory" end
    local name_len, extra_len, comment_len = u16(zip, p + 28), u16(zip, p + 30), u16(zip, p + 32)
    local name = zip:sub(p + 46, p + 45 + name_len)
    entries[name] = {
      flags = u16(zip, p + 8), method = u16(zip, p + 10),
      csize = u32(zip, p + 20), size = u32(zip, p + 24), offset = u32(zip, p + 42),
    }
    p = p + 46 + name_len + extra_len + comment_len
  end
  return entries
end

function _M.zip_read(zip, entry)
  local p = entry.offset + 1
  if zip:sub(p, p + 3) ~= "PK\3\4" then return nil, "corrupt local header" end
  if entry.flags % 2 == 1 then return nil, "encrypted entries are not supported" end
  if entry.size > MAX_ENTRY then return nil, "entry too large" end
  local start = p + 30 + u16(zip, p + 26) + u16(zip, p + 28)
  local data = zip:sub(start, start + entry.csize - 1)
  if #data ~= entry.csize then return nil, "truncated entry" end
  if entry.method == 0 then return data end
  if entry.method == 8 then return inflate(data, entry.size) end
  return nil, "unsupported compression method " .. entry.method
end

local entities = { amp = "&", lt = "<", gt = ">", quot = '"', apos = "'" }

local function utf8_char(cp)
  if cp < 0x80 then return string.char(cp) end
  if cp < 0x800 then
    return string.char(0xC0 + math.floor(cp / 64), 0x80 + cp % 64)
  end
  if cp < 0x10000 then
    return string.char(0xE0 + math.floor(cp / 4096), 0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
  end
  return string.char(0xF0 + math.floor(cp / 262144), 0x80 + math.floor(cp / 4096) % 64,
    0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
end

local function unescape(s)
  return (s:gsub("&(#?[xX]?)(%w+);", function(kind, name)
    if kind == "" then return entities[name] end
    local cp = tonumber(name, (kind == "#") and 10 or 16)
    return cp and utf8_char(cp)
  end))
end

-- The next start tag named exactly `name` from pos: start, end, attributes.
local function find_tag(xml, name, pos)
  while true do
    local s, e, attrs = xml:find("<" .. name .. "([^>]*)>", pos)
    if not s then return nil end
    local first = attrs:sub(1, 1)
    if first == "" or first == "/" or first:match("%s") then return s, e, attrs end
    pos = e + 1
  end
end

-- The text of every <t> inside an element (rich text runs are concatenated).
local function texts(xml)
  local out, pos = {}, 1
  while true do
    local _, e, attrs = find_tag(xml, "t", pos)
    if not e then break end
    if attrs:sub(-1) == "/" then
      pos = e + 1
    else
      local close = xml:find("</t>", e + 1, true)
      if not close then break end
      out[#out + 1] = unescape(xml:sub(e + 1, close - 1))
      pos = close + 4
    end
  end
  return table.concat(out)
end

local function shared_strings(xml)
  local list = {}
  if not xml then return list end
  for attrs, body in xml:gmatch("<si([^>]*)>(.-)</si>") do
    list[#list + 1] = attrs:match("/$") and "" or texts(body)
  end
  return list
end

local function column_index(ref)
  local letters = ref and ref:match("^(%u+)")
  if not letters then return nil end
  local n = 0
  for i = 1, #letters do n = n * 26 + letters:byte(i) - 64 end
  return n
end

local function cell_value(attrs, inner, strings)
  local t = attrs:match('%st="([^"]*)"') or "n"
  local v = inner and inner:match("<v[^>]*>(.-)</v>")
  if t == "s" then
    return strings[(tonumber(v) or -1) + 1] or ""
  elseif t == "inlineStr" then
    return inner and texts(inner) or ""
  elseif t == "str" or t == "e" then
    return v and unescape(v) or ""
  elseif t == "b" then
    return v == "1" and "TRUE" or "FALSE"
  end
  if not v then return "" end
  return tonumber(v) or unescape(v)
end

-- Cells of one <row> body, as a list indexed by column (gaps become "").
local function row_cells(body, strings)
  local cells, pos, col = {}, 1, 0
  while true do
    local s, e, attrs = find_tag(body, "c", pos)
    if not s then break end
    local inner
    if attrs:sub(-1) == "/" then
      pos = e + 1
    else
      local close = body:find("</c>", e + 1, true)
      if not close then break end
      inner = body:sub(e + 1, close - 1)
      pos = close + 4
    end
    col = column_index(attrs:match('%sr="([^"]*)"')) or col + 1
    cells[col] = cell_value(attrs, inner, strings)
  end
  for i = 1, col do
    if cells[i] == nil then cells[i] = "" end
  end
  return cells
end

-- The first sheet's path: from the workbook and its relationships when present.
local function first_sheet(entries, zip)
  local wb = entries["xl/workbook.xml"] and _M.zip_read(zip, entries["xl/workbook.xml"])
  local rels = entries["xl/_rels/workbook.xml.rels"]
    and _M.zip_read(zip, entries["xl/_rels/workbook.xml.rels"])
  if wb and rels then
    local rid = wb:match("<sheet%s[^>]-r:id=\"([^\"]+)\"")
    if rid then
      for rel in rels:gmatch("<Relationship%s[^>]*>") do
        if rel:match('Id="' .. rid:gsub("%p", "%%%0") .. '"') then
          local target = rel:match('Target="([^"]+)"')
          if target then
            target = target:gsub("^/", "")
            if not target:match("^xl/") then target = "xl/" .. target end
            if entries[target] then return target end
          end
        end
      end
    end
  end
  return "xl/worksheets/sheet1.xml"
end

-- Returns rows (list of {row = sheet row number, cells = {...}}) or nil, err.
function _M.read(zip)
  local entries, err = _M.zip_entries(zip)
  if not entries then return nil, err end
  local path = first_sheet(entries, zip)
  if not entries[path] then return nil, "no worksheet found" end
  local sheet_xml, serr = _M.zip_read(zip, entries[path])
  if not sheet_xml then return nil, serr end
  local strings = {}
  if entries["xl/sharedStrings.xml"] then
    local ss, sserr = _M.zip_read(zip, entries["xl/sharedStrings.xml"])
    if not ss then return nil, sserr end
    strings = shared_strings(ss)
  end
  local rows, index = {}, 0
  local data = sheet_xml:match("<sheetData[^>]*>(.*)</sheetData>") or ""
  local pos = 1
  while true do
    local s, e, attrs = find_tag(data, "row", pos)
    if not s then break end
    local body = ""
    if attrs:sub(-1) == "/" then
      pos = e + 1
    else
      local close = data:find("</row>", e + 1, true)
      if not close then return nil, "malformed worksheet" end
      body = data:sub(e + 1, close - 1)
      pos = close + 6
    end
    index = tonumber(attrs:match('%sr="(%d+)"')) or index + 1
    rows[#rows + 1] = { row = index, cells = row_cells(body, strings) }
  end
  return rows
end

return _M
