-- Per-call cost, sequential, keep-alive where the client can: GET user details
-- and POST send OTP through this library, bare libcurl (the floor: bench/bare_curl.c),
-- luasocket's socket.http + lua-cjson (what a Lua user would write by hand), and
-- the curl command per call. Run by `make bench`, or:
--   TINGTING_EMULATOR_URL=http://127.0.0.1:8787 lua5.4 bench/percall.lua [N]
package.path = "./lua/?.lua;./lua/?/init.lua;./?.lua;" .. package.path
package.cpath = "./build/lua5.4/?.so;" .. package.cpath
local tingting = require "tingting"
local emu = require "spec.helpers.emulator"
local socket = require "socket"
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson"

local N = tonumber(arg[1]) or 2000
local BARE = os.getenv("BARE_CURL") or "build/bench/bare_curl"
local base = emu.url()
emu.reset()
emu.config { latency_ms = 0, credits = 1e9 }
local access = emu.login()

local USER = "/api/accounts/user_details/"
local OTP = "/api/system/send/otp/"
local OTP_BODY = cjson.encode { number = "9851023212", message = "Code {otp}", sms_send_options = "text",
  otp_options = "personnel", otp = "123456" }

-- wall time per call, and the client's own CPU time per call (the server's
-- share of the wall time is the same for every client)
local function timed(n, fn)
  collectgarbage()
  local t0, c0 = socket.gettime(), os.clock()
  for i = 1, n do fn(i) end
  return { wall = (socket.gettime() - t0) / n, cpu = (os.clock() - c0) / n }
end

local results = {}
local function row(name, get, post)
  results[#results + 1] = { name = name, get = get, post = post }
end

-- this library
local s = assert(tingting.session { base_url = base, access_token = access })
assert(s:user())
local otp_args = { number = "9851023212", message = "Code {otp}", sms_send_options = "text",
  otp_options = "personnel", otp = "123456" }
row("tingting (this library)",
  timed(N, function() assert(s:user()) end),
  timed(N, function() assert(s:send_otp(otp_args)) end))

-- bare libcurl
local function bare(path, n, body)
  local cmd = ("%s '%s%s' %d '%s'%s"):format(BARE, base, path, n, access, body and (" '" .. body .. "'") or "")
  local p = assert(io.popen(cmd))
  local line = p:read("l") or ""
  p:close()
  local wall, cpu = line:match("^(%S+) (%S+)$")
  assert(wall, "bare_curl failed")
  return { wall = tonumber(wall) / n, cpu = tonumber(cpu) / n }
end
row("bare libcurl (floor)", bare(USER, N), bare(OTP, N, OTP_BODY))

-- luasocket + cjson, as a user would write it (no keep-alive in socket.http)
local function ls_request(method, path, body)
  local out = {}
  local _, code = http.request {
    url = base .. path, method = method, sink = ltn12.sink.table(out),
    source = body and ltn12.source.string(body) or nil,
    headers = { Authorization = "Bearer " .. access, Accept = "application/json",
      ["Content-Type"] = body and "application/json" or nil, ["Content-Length"] = body and #body or nil },
  }
  assert(code == 200, code)
  return cjson.decode(table.concat(out))
end
local n_ls = math.min(N, 1000)
row("luasocket + cjson",
  timed(n_ls, function() ls_request("GET", USER) end),
  timed(n_ls, function() ls_request("POST", OTP, OTP_BODY) end))

-- the curl command per call
local n_cli = math.min(N, 200)
local function cli(path, body)
  local cmd = ("curl -sf -o /dev/null -H 'Authorization: Bearer %s' %s'%s%s'"):format(access,
    body and ("-H 'Content-Type: application/json' -d '" .. body .. "' ") or "", base, path)
  assert(os.execute(cmd))
end
row("curl command per call",
  timed(n_cli, function() cli(USER) end),
  timed(n_cli, function() cli(OTP, OTP_BODY) end))
s:close()

local floor = results[2]
print(("Per call, sequential, emulator latency 0, N = %d (luasocket %d, curl CLI %d)"):format(N, n_ls, n_cli))
print("wall = time per call; cpu = the client's own CPU per call (the curl CLI's is in child processes)")
print(("%-24s %10s %10s %8s %10s %10s %8s"):format("client", "GET wall", "GET cpu", "vs bare", "POST wall",
  "POST cpu", "vs bare"))
local function us(v) return ("%.1fus"):format(v * 1e6) end
for i, r in ipairs(results) do
  local cli_row = i == #results
  print(("%-24s %10s %10s %7.2fx %10s %10s %7.2fx"):format(r.name, us(r.get.wall),
    cli_row and "-" or us(r.get.cpu), r.get.wall / floor.get.wall, us(r.post.wall),
    cli_row and "-" or us(r.post.cpu), r.post.wall / floor.post.wall))
end
local lib, ls = results[1], results[3]
print(("library vs luasocket+cjson: wall %.1fx / %.1fx faster (GET / POST), client CPU %.1fx / %.1fx less"):format(
  ls.get.wall / lib.get.wall, ls.post.wall / lib.post.wall, ls.get.cpu / lib.get.cpu, ls.post.cpu / lib.post.cpu))
