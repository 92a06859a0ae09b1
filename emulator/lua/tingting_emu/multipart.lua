-- A small multipart/form-data parser for bodies already read into memory.
local util = require "tingting_emu.util"

local _M = {}

local function header_param(value, name)
  return value:match(';%s*' .. name .. '="([^"]*)"') or value:match(';%s*' .. name .. '=([^;%s]+)')
end

-- Returns fields, files or nil, nil, err. A field sent more than once becomes a list;
-- files maps a part name to {filename =, type =, content =}.
function _M.parse(body, content_type)
  local boundary = header_param(content_type, "boundary")
  if not boundary or boundary == "" then return nil, nil, "missing boundary" end
  local delim = "--" .. boundary
  local fields, files = {}, {}
  local pos = body:find(delim, 1, true)
  if not pos then return nil, nil, "boundary not found" end
  pos = pos + #delim
  while true do
    if body:sub(pos, pos + 1) == "--" then return fields, files end
    -- Skip the line break after the delimiter.
    pos = body:match("^[ \t]*\r?\n()", pos)
    if not pos then return nil, nil, "malformed part delimiter" end
    local head_end, body_start = body:match("()\r?\n\r?\n()", pos)
    if not head_end then return nil, nil, "part without headers" end
    local head = body:sub(pos, head_end - 1)
    local next_delim = body:find("\r\n" .. delim, body_start - 2, true)
    local sep = 2
    if not next_delim then
      next_delim = body:find("\n" .. delim, body_start - 1, true)
      sep = 1
    end
    if not next_delim then return nil, nil, "unterminated part" end
    local content = body:sub(body_start, next_delim - 1)
    local disposition, ctype
    for line in (head .. "\n"):gmatch("([^\r\n]*)\r?\n") do
      local k, v = line:match("^([^:]+):%s*(.*)$")
      if k then
        k = k:lower()
        if k == "content-disposition" then disposition = v
        elseif k == "content-type" then ctype = v end
      end
    end
    if not disposition then return nil, nil, "part without Content-Disposition" end
    local name = header_param(disposition, "name")
    if not name then return nil, nil, "part without a name" end
    local filename = header_param(disposition, "filename")
    if filename then
      files[name] = { filename = filename, type = ctype or "application/octet-stream", content = content }
    else
      local prev = fields[name]
      if prev == nil then
        fields[name] = content
      elseif type(prev) == "table" then
        prev[#prev + 1] = content
      else
        fields[name] = util.array({ prev, content })
      end
    end
    pos = next_delim + sep + #delim
  end
end

return _M
