-- Per-call cost, sequential, keep-alive where the client can: GET user details
-- and POST send OTP through this library, bare libcurl (the floor:
-- bench/bare_curl.c, sending the library's own request headers and body),
-- luasocket's socket.http + lua-cjson (what a Lua user would write by hand),
-- and the curl command per call. Run by `make bench`, or:
--   TINGTING_EMULATOR_URL=http://127.0.0.1:8787 lua5.4 bench/percall.lua [N] [ROUNDS]
-- Over https: BENCH_BASE=https://... BENCH_CA=cert.pem (bench/tls.sh puts nginx with
-- TLS in front of the emulator); luasocket then goes through luasec's ssl.https,
-- which, like socket.http, makes a new connection (and TLS handshake) per call.
-- N calls per client and request, in ROUNDS interleaved rounds (library, bare
-- libcurl, luasocket, one after the other, then again, in turns): the
-- machine's noise falls on every client alike; the medians of the rounds are
-- reported, and the ratios are medians of the ratios within each round.
package.path = "./lua/?.lua;./lua/?/init.lua;./?.lua;" .. package.path
package.cpath = "./build/lua5.4/?.so;" .. package.cpath
local tingting = require "tingting"
local emu = require "spec.helpers.emulator"
local wire = require "bench.wire"
local socket = require "socket"
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson"

local N = tonumber(arg[1]) or 2100
local ROUNDS = tonumber(arg[2]) or 21
local n = math.max(1, N // ROUNDS)
local BARE = os.getenv("BARE_CURL") or "build/bench/bare_curl"
local base = os.getenv("BENCH_BASE") or emu.url()
local CA = os.getenv("BENCH_CA")
local TLS = base:match("^https:") ~= nil
emu.reset()
emu.config { latency_ms = 0, credits = 1e9 }
local access = emu.login()

-- wall time per call and the client's own CPU time per call (user + system:
-- the server's share of the wall time is the same for every client)
local function timed(calls, fn)
  collectgarbage()
  local t0, c0 = socket.gettime(), os.clock()
  for i = 1, calls do fn(i) end
  return { wall = (socket.gettime() - t0) / calls, cpu = (os.clock() - c0) / calls }
end

local function median(list, k)
  local v = {}
  for i, r in ipairs(list) do v[i] = r[k] end
  table.sort(v)
  local m = #v // 2
  if #v % 2 == 1 then return v[m + 1] end
  return (v[m] + v[m + 1]) / 2
end

-- this library
local s = assert(tingting.session { base_url = base, access_token = access, ca_file = CA })
assert(s:user())
assert(s:send_otp(wire.OTP_ARGS))
local lib = {
  get = function() return timed(n, function() assert(s:user()) end) end,
  post = function() return timed(n, function() assert(s:send_otp(wire.OTP_ARGS)) end) end,
}

-- bare libcurl, with the library's headers and body as read off the wire
local function shell_quote(v) return "'" .. v:gsub("'", "'\\''") .. "'" end
local function bare_cmd(path, call)
  local parts = { BARE, shell_quote(base .. path), tostring(n) }
  for _, a in ipairs(wire.bare_args(wire.capture(tingting, access, call))) do parts[#parts + 1] = shell_quote(a) end
  if CA then parts[#parts + 1] = "-C " .. shell_quote(CA) end
  return table.concat(parts, " ")
end
local bare_get, bare_post = bare_cmd(wire.USER, wire.get), bare_cmd(wire.OTP, wire.post)
local function bare(cmd)
  local p = assert(io.popen(cmd))
  local line = p:read("l") or ""
  p:close()
  local wall, cpu = line:match("^(%S+) (%S+)$")
  assert(wall, "bare_curl failed")
  return { wall = tonumber(wall) / n, cpu = tonumber(cpu) / n }
end
local floor = { get = function() return bare(bare_get) end, post = function() return bare(bare_post) end }

-- luasocket + cjson, as a user would write it (no keep-alive in socket.http)
local OTP_BODY = cjson.encode(wire.OTP_ARGS)
local request = http.request
if TLS then
  local https = require "ssl.https"
  request = function(t)
    t.cafile, t.verify, t.protocol = CA, "peer", "any"
    return https.request(t)
  end
end
local function ls_request(method, path, body)
  local out = {}
  local _, code = request {
    url = base .. path, method = method, sink = ltn12.sink.table(out),
    source = body and ltn12.source.string(body) or nil,
    headers = { Authorization = "Bearer " .. access, Accept = "application/json",
      ["Content-Type"] = body and "application/json" or nil, ["Content-Length"] = body and #body or nil },
  }
  assert(code == 200, code)
  return cjson.decode(table.concat(out))
end
local ls = {
  get = function() return timed(n, function() ls_request("GET", wire.USER) end) end,
  post = function() return timed(n, function() ls_request("POST", wire.OTP, OTP_BODY) end) end,
}

local clients = {
  { name = "tingting (this library)", run = lib },
  { name = "bare libcurl (floor)", run = floor },
  { name = TLS and "luasocket+luasec + cjson" or "luasocket + cjson", run = ls },
}
for _, c in ipairs(clients) do c.get, c.post = {}, {} end
for r = 1, ROUNDS do
  for _, op in ipairs { "get", "post" } do
    -- the order turns from round to round, so that none always goes first
    for k = 0, #clients - 1 do
      local c = clients[(r + k - 1) % #clients + 1]
      c[op][r] = c.run[op]()
    end
  end
end
-- ratios within each round (measured milliseconds apart, under the same
-- load), then their median: steadier than the ratio of the medians
local function ratio(a, b, op, k)
  local v = {}
  for r = 1, ROUNDS do v[r] = { x = a[op][r][k] / b[op][r][k] } end
  return median(v, "x")
end
local L, B, S = clients[1], clients[2], clients[3]
local R = {}
for _, op in ipairs { "get", "post" } do
  R[op] = { lib_bare_wall = ratio(L, B, op, "wall"), lib_bare_cpu = ratio(L, B, op, "cpu"),
    ls_lib_wall = ratio(S, L, op, "wall"), ls_lib_cpu = ratio(S, L, op, "cpu") }
end

local function least(list, k)
  local v = math.huge
  for _, r in ipairs(list) do v = math.min(v, r[k]) end
  return v
end
for _, c in ipairs(clients) do
  for _, op in ipairs { "get", "post" } do
    c[op] = { wall = median(c[op], "wall"), cpu = median(c[op], "cpu"), rounds = c[op],
      min_wall = least(c[op], "wall"), min_cpu = least(c[op], "cpu") }
  end
end

-- the curl command per call: one round, fewer calls (a process per call)
local n_cli = math.min(N, 200)
local function cli(path, body)
  local cmd = ("curl -sf -o /dev/null %s-H 'Authorization: Bearer %s' %s'%s%s'"):format(
    CA and ("--cacert " .. shell_quote(CA) .. " ") or "", access,
    body and ("-H 'Content-Type: application/json' -d '" .. body .. "' ") or "", base, path)
  assert(os.execute(cmd))
end
local cli_row = {
  name = "curl command per call",
  get = timed(n_cli, function() cli(wire.USER) end),
  post = timed(n_cli, function() cli(wire.OTP, OTP_BODY) end),
}
s:close()

local function us(v) return ("%.1fus"):format(v * 1e6) end
print(("Per call, sequential, emulator latency 0%s: %d rounds of %d calls per client and request, " ..
  "interleaved; medians of the rounds (curl CLI: %d calls, one round)"):format(
  TLS and ", over https (nginx with TLS in front of the emulator; luasocket via luasec)" or "", ROUNDS, n, n_cli))
print("wall = time per call; cpu = the client's own CPU per call (user + system; the curl CLI's is in child processes)")
print(("%-24s %10s %10s %10s %10s %10s %10s"):format("client", "GET wall", "GET cpu", "wall/bare",
  "POST wall", "POST cpu", "wall/bare"))
for _, r in ipairs { L, B, S, cli_row } do
  print(("%-24s %10s %10s %9.2fx %10s %10s %9.2fx"):format(r.name, us(r.get.wall),
    r == cli_row and "-" or us(r.get.cpu), r.get.wall / B.get.wall, us(r.post.wall),
    r == cli_row and "-" or us(r.post.cpu), r.post.wall / B.post.wall))
end
local function spread(c, op, k)
  local lo, hi = math.huge, 0
  for _, r in ipairs(c[op].rounds) do lo, hi = math.min(lo, r[k]), math.max(hi, r[k]) end
  return ("%s-%s"):format(us(lo):sub(1, -3), us(hi))
end
print(("spread of the rounds (GET wall): library %s, bare %s, luasocket %s"):format(
  spread(L, "get", "wall"), spread(B, "get", "wall"), spread(S, "get", "wall")))
print(("library / bare libcurl:    wall %.2fx / %.2fx (GET / POST), client CPU %.2fx / %.2fx " ..
  "(medians of the per-round ratios); wall over the floor %+.1fus / %+.1fus"):format(
  R.get.lib_bare_wall, R.post.lib_bare_wall, R.get.lib_bare_cpu, R.post.lib_bare_cpu,
  (L.get.wall - B.get.wall) * 1e6, (L.post.wall - B.post.wall) * 1e6))
print(("luasocket+cjson / library: wall %.2fx / %.2fx (GET / POST), client CPU %.2fx / %.2fx"):format(
  R.get.ls_lib_wall, R.post.ls_lib_wall, R.get.ls_lib_cpu, R.post.ls_lib_cpu))
print(("quickest round of each:    library / bare wall %.2fx / %.2fx, CPU %.2fx / %.2fx; " ..
  "luasocket / library wall %.2fx / %.2fx, CPU %.2fx / %.2fx"):format(
  L.get.min_wall / B.get.min_wall, L.post.min_wall / B.post.min_wall, L.get.min_cpu / B.get.min_cpu,
  L.post.min_cpu / B.post.min_cpu, S.get.min_wall / L.get.min_wall, S.post.min_wall / L.post.min_wall,
  S.get.min_cpu / L.get.min_cpu, S.post.min_cpu / L.post.min_cpu))
