-- make openresty-demo-2hosts: the OTP service of examples/openresty on two
-- nginx instances (A and B) sharing one Redis, driven from outside as a
-- load balancer would spread a user's requests.
--   lua5.4 examples/openresty/demo_2hosts.lua URL_A URL_B EMULATOR_URL
local tingting = require "tingting"
local cjson = require "cjson"

local a, b, emulator = arg[1], arg[2], arg[3]
local http = tingting.transport.curl { timeout = 10 }

local function call(method, url, doc)
  local status, body, headers = http:request { method = method, url = url, idempotent = false,
    headers = { ["Content-Type"] = "application/json", Accept = "application/json" },
    body = doc and cjson.encode(doc) or nil }
  assert(status, body and body.message)
  return status, cjson.decode(body), headers
end

local function show(what, status, doc, headers)
  local extra = headers and headers["retry-after"] and ("  (Retry-After: " .. headers["retry-after"] .. ")") or ""
  print(("%-52s -> %d %s%s"):format(what, status, cjson.encode(doc), extra))
end

local function phone()
  local _, st = call("GET", emulator .. "/__emulator__/state")
  return st.otps[#st.otps].otp
end

local function logins()
  local _, log = call("GET", emulator .. "/__emulator__/requests")
  local n = 0
  for _, r in ipairs(log) do if r.path == "/api/accounts/login/" then n = n + 1 end end
  return n
end

print("host A " .. a .. ", host B " .. b .. " (nginx + LuaJIT), one Redis, API " .. emulator)
print()
show("A: POST /otp/send +9779851023212", call("POST", a .. "/otp/send", { number = "+9779851023212" }))
local code = phone()
print(("%-52s    %s"):format("  the phone receives the code", code))
show("B: POST /otp/send 09851023212 (the same phone)", call("POST", b .. "/otp/send", { number = "09851023212" }))
show("B: POST /otp/verify with the code sent through A",
  call("POST", b .. "/otp/verify", { number = "9851023212", code = code }))
show("A: POST /otp/verify with it again (one use)",
  call("POST", a .. "/otp/verify", { number = "9851023212", code = code }))
print()
print(("logins the API saw, for both hosts and all their workers: %d"):format(logins()))
http:close()
