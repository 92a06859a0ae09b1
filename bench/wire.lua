-- The requests of the per-call benchmarks, and what the library puts on the
-- wire for them, so that the bare libcurl floor (bench/bare_curl.c) sends the
-- very same request headers. The headers are read off a socket: a listener
-- takes the library's request, which then times out unanswered.
--   lua5.4 bench/wire.lua get|post    prints bare_curl's arguments, one a line
-- (needs TINGTING_EMULATOR_URL and TT_ACCESS).
package.path = "./lua/?.lua;./lua/?/init.lua;./?.lua;" .. package.path
package.cpath = "./build/lua5.4/?.so;" .. package.cpath
local socket = require "socket"

local M = {}

M.USER = "/api/accounts/user_details/"
M.OTP = "/api/system/send/otp/"
M.OTP_ARGS = { number = "9851023212", message = "Code {otp}", sms_send_options = "text",
  otp_options = "personnel", otp = "123456" }

-- Header lines of the request `call(session)` sends (request line, Host,
-- Content-Length and Expect left out: libcurl writes those itself), and its body.
function M.capture(tingting, access, call)
  local server = assert(socket.bind("127.0.0.1", 0))
  local _, port = server:getsockname()
  local s = assert(tingting.session { base_url = "http://127.0.0.1:" .. port, access_token = access,
    timeout = 0.2, max_retries = 0 })
  call(s)
  s:close()
  server:settimeout(2)
  local c = assert(server:accept())
  c:settimeout(2)
  local lines, length = {}, 0
  assert(c:receive("*l"), "no request line")
  while true do
    local line = assert(c:receive("*l"))
    if line == "" then break end
    local name, value = line:match("^([^:]+):%s*(.*)$")
    name = name:lower()
    if name == "content-length" then length = tonumber(value) end
    if name ~= "host" and name ~= "content-length" and name ~= "expect" then lines[#lines + 1] = line end
  end
  local body = length > 0 and assert(c:receive(length)) or nil
  c:close()
  server:close()
  return lines, body
end

-- bare_curl's arguments after URL and N: the same headers (User-Agent as
-- CURLOPT_USERAGENT, as a libcurl program sets it) and the same body.
function M.bare_args(lines, body)
  local args = {}
  for _, line in ipairs(lines) do
    local ua = line:match("^[Uu]ser%-[Aa]gent: (.*)$")
    if ua then
      args[#args + 1] = "-A"
      args[#args + 1] = ua
    else
      args[#args + 1] = "-H"
      args[#args + 1] = line
    end
  end
  if body then
    args[#args + 1] = "-d"
    args[#args + 1] = body
  end
  return args
end

function M.get(s) return s:user() end
function M.post(s) return s:send_otp(M.OTP_ARGS) end

if arg and arg[0] and arg[0]:match("wire%.lua$") then
  local tingting = require "tingting"
  local which = arg[1]
  assert(which == "get" or which == "post", "usage: wire.lua get|post")
  for _, a in ipairs(M.bare_args(M.capture(tingting, assert(os.getenv("TT_ACCESS")), M[which]))) do print(a) end
end

return M
