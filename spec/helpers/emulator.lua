-- Test helper for the TingTing emulator (Lua 5.4, luasocket, lua-cjson).
--
--   local emu = require "spec.helpers.emulator"
--   emu.url()              base URL: $TINGTING_EMULATOR_URL, else an emulator started
--                          once per process on a free port from 18800 up and stopped
--                          when the Lua state closes (busted exits through
--                          os.exit(code, true), which runs the __gc of this module's
--                          sentinel)
--   emu.reset(), emu.config(t) -> config, emu.fault(rule) -> rule, emu.clear_faults(),
--   emu.requests() -> list, emu.clear_requests(), emu.state() -> table,
--   emu.login() -> access, refresh; emu.count(path[, method]) -> requests logged
--   emu.server_numbers(campaign_id) -> { [number] = times in the campaign }
--   emu.last_otp(number) -> code, record; emu.otp_counts() -> { [number] = OTPs sent }
--   emu.root, emu.port_free(port), emu.tmpfile(content, ext) -> path
--   emu.http(method, path, body, headers) -> status, body, headers | nil, err
--   emu.raw(request_bytes) -> everything the server sent before closing
--   emu.multipart(parts) -> body, content_type
--   emu.xlsx(rows) -> bytes of a minimal .xlsx (stored zip, shared strings)
-- Admin answers are decoded with integral numbers turned into Lua integers.
local socket = require "socket"
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson"

local M = {}

local base_url, launcher, started_port

local function repo_root()
  local src = debug.getinfo(1, "S").source:gsub("^@", "")
  local dir = src:match("^(.*)/spec/helpers/emulator%.lua$") or "."
  if dir:sub(1, 1) ~= "/" then
    local pwd = os.getenv("PWD") or io.popen("pwd"):read("l")
    dir = (dir == "." or dir == "") and pwd or (pwd .. "/" .. dir:gsub("^%./", ""))
  end
  return dir
end

local function port_free(port)
  local s = socket.tcp()
  s:setoption("reuseaddr", true)
  local ok = s:bind("127.0.0.1", port)
  s:close()
  return ok ~= nil
end

--- The checkout's root directory (absolute).
M.root = repo_root()

--- Whether nothing listens on 127.0.0.1:port.
M.port_free = port_free

local function start()
  launcher = M.root .. "/bin/tingting-emulator"
  for port = 18800, 18999 do
    if port_free(port) then
      local p = io.popen(string.format("%q start --port %d 2>&1", launcher, port))
      local out = p:read("a")
      p:close()
      local url = out:match("(http://127%.0%.0%.1:%d+)")
      if url then
        started_port = port
        -- Stops the emulator when the Lua state closes.
        M._sentinel = setmetatable({}, { __gc = function()
          os.execute(string.format("%q stop --port %d >/dev/null 2>&1", launcher, started_port))
        end })
        return url
      end
      if not out:match("already in use") then
        error("could not start the emulator: " .. out, 0)
      end
    end
  end
  error("no free port for the emulator in 18800..18999", 0)
end

function M.url()
  if not base_url then
    local env = os.getenv("TINGTING_EMULATOR_URL")
    base_url = (env and env ~= "") and env:gsub("/+$", "") or start()
  end
  return base_url
end

-- HTTP ------------------------------------------------------------------------

function M.http(method, path, body, headers)
  local hdrs = {}
  for k, v in pairs(headers or {}) do hdrs[k:lower()] = v end
  if type(body) == "table" then
    body = cjson.encode(body)
    hdrs["content-type"] = hdrs["content-type"] or "application/json"
  end
  if body then hdrs["content-length"] = tostring(#body) end
  local chunks = {}
  local ok, status, res_headers = http.request {
    url = M.url() .. path,
    method = method,
    headers = hdrs,
    source = body and ltn12.source.string(body) or nil,
    sink = ltn12.sink.table(chunks),
    redirect = false,
  }
  if not ok then return nil, status end
  return status, table.concat(chunks), res_headers or {}
end

-- Sends raw bytes and returns all bytes received until the server closes (or 5 s).
function M.raw(bytes)
  local host, port = M.url():match("^http://([^:/]+):(%d+)")
  local c = assert(socket.connect(host, tonumber(port)))
  c:settimeout(5)
  assert(c:send(bytes))
  local out = {}
  while true do
    local data, _, partial = c:receive(8192)
    if data then out[#out + 1] = data
    else
      -- "closed" ends a dropped or finished answer; "timeout" one that never ends.
      if partial and #partial > 0 then out[#out + 1] = partial end
      break
    end
  end
  c:close()
  return table.concat(out)
end

local function integers(v)
  if type(v) == "number" then return math.tointeger(v) or v end
  if type(v) == "table" then
    for k, x in pairs(v) do v[k] = integers(x) end
  end
  return v
end

local function admin(method, path, body)
  local status, text = M.http(method, "/__emulator__/" .. path, body)
  if not status then error("emulator admin " .. path .. ": " .. tostring(text), 2) end
  if status < 200 or status > 299 then
    error(string.format("emulator admin %s %s: %d %s", method, path, status, text), 2)
  end
  return integers(cjson.decode(text))
end

function M.reset() admin("POST", "reset") end
function M.config(t) return admin(t and "POST" or "GET", "config", t) end
function M.fault(rule) return admin("POST", "faults", rule) end
function M.clear_faults() admin("DELETE", "faults") end
function M.faults() return admin("GET", "faults") end
function M.requests() return admin("GET", "requests") end
function M.clear_requests() admin("DELETE", "requests") end
function M.state() return admin("GET", "state") end

--- How many times each number (a digit string) is in campaign `campaign_id`,
-- from the emulator's state: exactly-once checks.
function M.server_numbers(campaign_id)
  for _, c in ipairs(M.state().campaigns or {}) do
    if math.tointeger(c.id) == campaign_id then
      local counts = {}
      for _, n in ipairs(c.numbers or {}) do
        local key = type(n.number) == "number" and string.format("%.0f", n.number) or n.number
        counts[key] = (counts[key] or 0) + 1
      end
      return counts
    end
  end
  return {}
end

--- Requests to `path` (of `method`, when given) in the log since the last clear.
function M.count(path, method)
  local n = 0
  for _, r in ipairs(M.requests()) do
    if r.path == path and (method == nil or r.method == method) then n = n + 1 end
  end
  return n
end

--- The OTP code the emulator last sent to `number` (its "phone"), and that
-- OTP's record.
function M.last_otp(number)
  local otps = M.state().otps
  for i = #otps, 1, -1 do
    if otps[i].number == number then return otps[i].otp, otps[i] end
  end
  return nil
end

--- How many OTPs the emulator has sent to each number (a digit string).
function M.otp_counts()
  local out = {}
  for _, o in ipairs(M.state().otps) do out[tostring(o.number)] = (out[tostring(o.number)] or 0) + 1 end
  return out
end

--- A temporary file holding `content`, named with `ext`.
function M.tmpfile(content, ext)
  local path = os.tmpname() .. (ext or "")
  local f = assert(io.open(path, "wb"))
  f:write(content)
  f:close()
  return path
end

function M.login()
  local status, text = M.http("POST", "/api/accounts/login/",
    { email = "test@gmail.com", password = "test" })
  assert(status == 200, "emulator login failed: " .. tostring(status) .. " " .. tostring(text))
  local token = cjson.decode(text).data.token
  return token.access, token.refresh
end

-- Multipart --------------------------------------------------------------------

-- parts: {name =, value =} or {name =, filename =, content =, type =}
function M.multipart(parts)
  local boundary = "----tingting-spec-" .. string.format("%08x", math.random(0, 0x7fffffff))
  local out = {}
  for _, p in ipairs(parts) do
    out[#out + 1] = "--" .. boundary .. "\r\n"
    if p.filename then
      out[#out + 1] = string.format('Content-Disposition: form-data; name="%s"; filename="%s"\r\n',
        p.name, p.filename)
      out[#out + 1] = "Content-Type: " .. (p.type or "application/octet-stream") .. "\r\n\r\n"
      out[#out + 1] = p.content
    else
      out[#out + 1] = string.format('Content-Disposition: form-data; name="%s"\r\n\r\n', p.name)
      out[#out + 1] = tostring(p.value)
    end
    out[#out + 1] = "\r\n"
  end
  out[#out + 1] = "--" .. boundary .. "--\r\n"
  return table.concat(out), "multipart/form-data; boundary=" .. boundary
end

-- xlsx -------------------------------------------------------------------------

local crc_table = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do
    c = (c & 1 == 1) and (0xEDB88320 ~ (c >> 1)) or (c >> 1)
  end
  crc_table[i] = c
end

local function crc32(s)
  local c = 0xFFFFFFFF
  for i = 1, #s do
    c = crc_table[(c ~ s:byte(i)) & 0xFF] ~ (c >> 8)
  end
  return c ~ 0xFFFFFFFF
end

-- A zip archive of uncompressed (stored) entries: list of {name, data}.
function M.zip(entries)
  local out, central, offset = {}, {}, 0
  for _, e in ipairs(entries) do
    local name, data = e[1], e[2]
    local crc = crc32(data)
    local lh = string.pack("<I4I2I2I2I2I2I4I4I4I2I2", 0x04034b50, 20, 0, 0, 0, 0x21,
      crc, #data, #data, #name, 0) .. name
    out[#out + 1] = lh
    out[#out + 1] = data
    central[#central + 1] = string.pack("<I4I2I2I2I2I2I2I4I4I4I2I2I2I2I2I4I4", 0x02014b50, 20, 20,
      0, 0, 0, 0x21, crc, #data, #data, #name, 0, 0, 0, 0, 0, offset) .. name
    offset = offset + #lh + #data
  end
  local cd = table.concat(central)
  return table.concat(out) .. cd .. string.pack("<I4I2I2I2I2I4I4I2", 0x06054b50, 0, 0,
    #entries, #entries, #cd, offset, 0)
end

local function xml_escape(s)
  return (s:gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }))
end

local function col_name(i)
  local s = ""
  while i > 0 do
    local r = (i - 1) % 26
    s = string.char(65 + r) .. s
    i = (i - 1 - r) // 26
  end
  return s
end

-- The parts of a minimal workbook whose first sheet holds rows (lists of strings or
-- numbers). Strings go to the shared strings table, as Excel writes them.
function M.xlsx_parts(rows)
  local strings, index, sheet = {}, {}, {}
  for r, row in ipairs(rows) do
    local cells = {}
    for c, v in ipairs(row) do
      local ref = col_name(c) .. r
      if type(v) == "number" then
        cells[#cells + 1] = string.format('<c r="%s"><v>%s</v></c>', ref,
          math.type(v) == "integer" and string.format("%d", v) or string.format("%.17g", v))
      else
        v = tostring(v)
        if not index[v] then
          strings[#strings + 1] = v
          index[v] = #strings - 1
        end
        cells[#cells + 1] = string.format('<c r="%s" t="s"><v>%d</v></c>', ref, index[v])
      end
    end
    sheet[#sheet + 1] = string.format('<row r="%d">%s</row>', r, table.concat(cells))
  end
  local sst = {}
  for i, s in ipairs(strings) do sst[i] = "<si><t xml:space=\"preserve\">" .. xml_escape(s) .. "</t></si>" end
  local decl = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
  local ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
  local rns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
  local pkg = "http://schemas.openxmlformats.org/package/2006/"
  local off = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
  local ct = "application/vnd.openxmlformats-officedocument.spreadsheetml."
  return {
    { "[Content_Types].xml", decl .. '<Types xmlns="' .. pkg .. 'content-types">'
      .. '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      .. '<Default Extension="xml" ContentType="application/xml"/>'
      .. '<Override PartName="/xl/workbook.xml" ContentType="' .. ct .. 'sheet.main+xml"/>'
      .. '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="' .. ct .. 'worksheet+xml"/>'
      .. '<Override PartName="/xl/sharedStrings.xml" ContentType="' .. ct .. 'sharedStrings+xml"/>'
      .. "</Types>" },
    { "_rels/.rels", decl .. '<Relationships xmlns="' .. pkg .. 'relationships">'
      .. '<Relationship Id="rId1" Type="' .. off .. 'officeDocument" Target="xl/workbook.xml"/>'
      .. "</Relationships>" },
    { "xl/workbook.xml", decl .. "<workbook " .. ns .. " " .. rns .. ">"
      .. '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>' },
    { "xl/_rels/workbook.xml.rels", decl .. '<Relationships xmlns="' .. pkg .. 'relationships">'
      .. '<Relationship Id="rId1" Type="' .. off .. 'worksheet" Target="worksheets/sheet1.xml"/>'
      .. '<Relationship Id="rId2" Type="' .. off .. 'sharedStrings" Target="sharedStrings.xml"/>'
      .. "</Relationships>" },
    { "xl/worksheets/sheet1.xml", decl .. "<worksheet " .. ns .. "><sheetData>"
      .. table.concat(sheet) .. "</sheetData></worksheet>" },
    { "xl/sharedStrings.xml", decl .. "<sst " .. ns .. string.format(' count="%d" uniqueCount="%d">',
      #strings, #strings) .. table.concat(sst) .. "</sst>" },
  }
end

function M.xlsx(rows)
  return M.zip(M.xlsx_parts(rows))
end

return M
