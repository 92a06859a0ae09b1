-- make openresty-demo-2hosts: the OTP service of examples/openresty on two
-- nginx instances (A and B) sharing one Redis, driven from outside as a
-- load balancer would spread a user's requests.
--   lua5.4 examples/openresty/demo_2hosts.lua URL_A URL_B EMULATOR_URL
-- drive.lua stands beside this script, wherever it is run from.
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local drive = require "drive"

local a, b, emulator = arg[1], arg[2], arg[3]
local d = drive.new(emulator, 52)
local call, show = d.call, d.show

local function phone()
  local otps = d.otps()
  return otps[#otps].otp
end

local function logins()
  local n = 0
  for _, r in ipairs(d.requests()) do if r.path == "/api/accounts/login/" then n = n + 1 end end
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
d.close()
