-- Small HTTP client helpers shared by the emulator's own specs (spec/emulator*_spec.lua).
local emu = require "spec.helpers.emulator"
local cjson = require "cjson"
local assert = require "luassert"

local C = {}

-- lua-cjson decodes every number as a float; ids are integers.
function C.integers(v)
  if type(v) == "number" then return math.tointeger(v) or v end
  if type(v) == "table" then
    for k, x in pairs(v) do v[k] = C.integers(x) end
  end
  return v
end

-- A fresh emulator state and tokens for the seeded user in C.access / C.refresh.
function C.fresh()
  emu.reset()
  C.access, C.refresh = emu.login()
end

-- Calls the API with C.access unless headers.Authorization is given (false sends none).
-- Returns status, decoded body (or the raw text), headers, text.
function C.api(method, path, body, headers)
  local h = {}
  for k, v in pairs(headers or {}) do h[k] = v end
  if h.Authorization == nil then h.Authorization = "Bearer " .. C.access end
  if h.Authorization == false then h.Authorization = nil end
  local status, text, rh = emu.http(method, path, body, h)
  assert(status, text)
  local ok, decoded = pcall(cjson.decode, text)
  return status, ok and C.integers(decoded) or text, rh, text
end

function C.create(body)
  local status, res = C.api("POST", "/api/system/campaigns/", body)
  assert.equal(201, status)
  return res.data.details[1]
end

function C.campaign_numbers(id)
  local status, res = C.api("GET", "/api/system/campaigns/number/" .. id .. "/")
  assert.equal(200, status)
  return res.data["number-lists"]
end

function C.upload(parts)
  local body, ct = emu.multipart(parts)
  return C.api("POST", "/api/system/campaigns/", body, { ["Content-Type"] = ct })
end

-- Asserts a 400 envelope whose errors and message name `field`.
function C.expect_field_error(field, status, res)
  assert.equal(400, status)
  assert.is_false(res.success)
  assert.is_table(res.errors[field], "errors should name " .. field)
  assert.truthy(res.message:find(field .. ": ", 1, true), res.message)
end

return C
