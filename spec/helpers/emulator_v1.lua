-- HTTP helpers for the specs of the emulator's v1 face (spec/emulator_v1*_spec.lua).
--   V.fresh()        reset; V.token = an API token made by the admin API; V.login()
--   V.login()        v1 login; V.access, V.refresh = the cookies' values
--   V.api(method, path, body, opts) -> status, decoded body (or text), headers, text
--                    path relative to /api/v1/; opts.auth = "token" (default) | "jwt" |
--                    "cookie" | false; opts.headers; a table body goes as JSON
--   V.create(fields) -> campaign; V.add(id, contacts) -> answer of the contacts form
--   V.cookie(headers, name) -> value of a Set-Cookie in a luasocket header table
local emu = require "spec.helpers.emulator"
local C = require "spec.helpers.emulator_client"
local cjson = require "cjson"
local assert = require "luassert"

local V = {}

V.BASE = "/api/v1/"

function V.cookie(headers, name)
  local all = headers["set-cookie"] or ""
  return all:match("%f[%w]" .. name .. "=([^;,%s]+)")
end

function V.login()
  local status, text, headers = emu.http("POST", V.BASE .. "auths/login/",
    { email = "test@gmail.com", password = "test" })
  assert.equal(200, status, text)
  V.access, V.refresh = V.cookie(headers, "access"), V.cookie(headers, "refresh")
  assert.truthy(V.access and V.refresh, "login set no cookies")
  return V.access, V.refresh
end

function V.fresh()
  emu.reset()
  local status, text = emu.http("POST", "/__emulator__/api-token")
  assert.equal(201, status, text)
  V.token = cjson.decode(text).token
  V.login()
end

function V.api(method, path, body, opts)
  opts = opts or {}
  local h = {}
  for k, v in pairs(opts.headers or {}) do h[k] = v end
  local how = opts.auth
  if how == nil then how = "token" end
  if how == "token" then h.Authorization = "Bearer " .. V.token
  elseif how == "jwt" then h.Authorization = "Bearer " .. V.access
  elseif how == "cookie" then h.Cookie = "access=" .. V.access end
  local status, text, rh = emu.http(method, V.BASE .. path, body, h)
  assert(status, text)
  local ok, decoded = pcall(cjson.decode, text)
  return status, ok and C.integers(decoded) or text, rh, text
end

function V.create(fields)
  local status, res = V.api("POST", "campaign/create/", fields)
  assert.equal(201, status, cjson.encode(res))
  return res
end

function V.add(id, contacts)
  local status, res = V.api("POST", "campaign/" .. id .. "/add-contact/", { contacts = contacts })
  assert.is_true(status == 201 or status == 200, tostring(status))
  return res
end

-- Sorted keys of a table.
function V.keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return out
end

return V
