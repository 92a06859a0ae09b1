-- make openresty-demo: the OTP service of examples/openresty, driven from
-- outside like a web or mobile app would, against the emulator.
--   lua5.4 examples/openresty/demo.lua SERVICE_URL EMULATOR_URL
-- drive.lua stands beside this script, wherever it is run from.
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local tingting = require "tingting"
local drive = require "drive"

local service, emulator = arg[1] or "http://127.0.0.1:8788", arg[2] or "http://127.0.0.1:8787"
local d = drive.new(emulator, 44)
local call, show = d.call, d.show
local NUMBER = "9851023212"

local function phone()
  local otps = d.otps()
  local last = otps[#otps]
  return last.otp, last.message
end

print("OTP service " .. service .. " (nginx + LuaJIT, tingting.transport.cosocket) -> API " .. emulator)
print()
show("POST /otp/send " .. NUMBER, call("POST", service .. "/otp/send", { number = NUMBER }))
local code, sms = phone()
print(("%-44s    %q"):format("  the phone receives", sms))
local wrong = (code:sub(1, 1) == "9" and "0" or "9") .. code:sub(2)
show("POST /otp/verify with a wrong code", call("POST", service .. "/otp/verify", { number = NUMBER, code = wrong }))
show("POST /otp/verify with the right code", call("POST", service .. "/otp/verify", { number = NUMBER, code = code }))
show("POST /otp/verify with it again (one use)",
  call("POST", service .. "/otp/verify", { number = NUMBER, code = code }))
show("POST /otp/send again at once", call("POST", service .. "/otp/send", { number = NUMBER }))
show("POST /otp/send with a bad number", call("POST", service .. "/otp/send", { number = "12345" }))
local LATER = "9851023213"
show("POST /otp/send_later " .. LATER, call("POST", service .. "/otp/send_later", { number = LATER }))
tingting.sleep(0.5)
local _, later = phone()
print(("%-44s    %q"):format("  then, from a timer, the phone receives", later))
d.close()
print()
print("The service stores only an HMAC of each code, in a lua_shared_dict shared by its workers,")
print("which also hold one login between them. Its nginx.conf: examples/openresty/nginx.conf")
