-- Cases for spec/cosocket_spec.lua, run inside an nginx worker started
-- with spec/ngx/cosocket.conf (GET /case/<name>?args, or /trusted/<name>
-- where the test CA is trusted): tingting.transport.cosocket against the
-- emulator, against the emulator behind TLS, and against a hostile upstream
-- (location /hostile/<scenario>, answers written on the raw connection).
-- Each case returns a plain table, answered as JSON.
local cjson = require "cjson.safe"
local tingting = require "tingting"
local core = require "tingting.core"

local _M = {}
local cases = {}
local results = ngx.shared.results

-- A tingting.error (or a transport's error table) as plain fields.
local function e(err)
  if err == nil then return nil end
  return { kind = err.kind, status = err.status, sent = err.sent, field = err.field, message = err.message,
    retryable = err.retryable, op = err.op }
end

local function session(extra)
  local opts = { email = "test@gmail.com", password = "test" }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return assert(tingting.session(opts))
end

local function send_otp(s, number)
  return s:send_otp { number = number, message = "Code {otp}", sms_send_options = "text",
    otp_options = "personnel", otp = "2468" }
end

local function record(key, value)
  results:set(key, cjson.encode(value))
end

local function recorded(key, wait)
  for _ = 1, (wait or 0) * 100 do
    if results:get(key) then break end
    ngx.sleep(0.01)
  end
  local v = results:get(key)
  return v and cjson.decode(v) or nil
end

local function elapsed(t0)
  ngx.update_time()
  return ngx.now() - t0
end

--- For init_worker_by_lua: a call made right here, and one from a timer.
function _M.init_worker()
  local s = session { max_retries = 2 }
  local user, err = s:user()
  record("init_worker_direct", { ok = user ~= nil, err = e(err), transport = tostring(core.state(s).transport) })
  local ok, terr = ngx.timer.at(0, function(premature)
    if premature then return end
    local res, serr = send_otp(session(), "9851000001")
    record("init_worker_timer", { ok = res ~= nil, err = e(serr), phase = ngx.get_phase() })
  end)
  if not ok then record("init_worker_timer", { timer = terr }) end
end

--- For the /phases location: the library called where cosockets are off.
function _M.probe(phase)
  if results:get("phase_" .. phase) then return "" end
  local s = session { access_token = "a.b.c", max_retries = 2 }
  local user, err = s:user()
  record("phase_" .. phase, { ok = user ~= nil, err = e(err) })
  return ""
end

function cases.init_worker()
  return { direct = recorded("init_worker_direct"), timer = recorded("init_worker_timer", 5) }
end

function cases.phases()
  local out = {}
  for _, phase in ipairs { "set", "header_filter", "body_filter", "log" } do
    out[phase] = recorded("phase_" .. phase, 2)
  end
  return out
end

--- The default transport of a session made inside nginx.
function cases.default()
  local s = session()
  local user, err = s:user()
  return { transport = tostring(core.state(s).transport), ok = user ~= nil, err = e(err) }
end

--- Sending from ngx.timer.at, after the request that started it has answered.
function cases.timer(args)
  local key = "timer_" .. args.number
  local ok, terr = ngx.timer.at(0, function(premature)
    if premature then return end
    local s = session()
    local t0 = ngx.now()
    local res, err = send_otp(s, args.number)
    record(key, { ok = res ~= nil, err = e(err), phase = ngx.get_phase(), secs = elapsed(t0) })
  end)
  return { started = ok, err = terr }
end

function cases.timer_result(args)
  return recorded("timer_" .. args.number, 5) or { missing = true }
end

--- ngx.timer.every: a call on every run (two runs).
function cases.every()
  local runs, out = 0, {}
  local s = session()
  local ok, terr = ngx.timer.every(0.05, function(premature)
    runs = runs + 1
    if premature or runs > 2 then return end
    local user, err = s:user()
    out[runs] = { ok = user ~= nil, err = e(err), phase = ngx.get_phase() }
  end)
  if not ok then return { err = terr } end
  for _ = 1, 300 do
    if out[2] then break end
    ngx.sleep(0.01)
  end
  return { runs = out }
end

function cases.bad_options()
  local out = {}
  local T = tingting.transport.cosocket
  for name, opts in pairs {
    pool_size = { pool_size = 0 }, pool_size_float = { pool_size = 1.5 },
    keepalive_timeout = { keepalive_timeout = -1 }, ssl_verify = { ssl_verify = "yes" },
    max_body = { max_body = 0 }, user_agent = { user_agent = "a\r\nb" }, colour = { colour = 1 },
    options = "x",
  } do
    local t, err = T(opts)
    out[name] = { ok = t ~= nil, field = err and err.field, kind = err and err.kind }
  end
  local t = T { pool_size = 4, keepalive_timeout = 0, ssl_verify = false, max_body = 10, user_agent = "x" }
  out.good = tostring(t)
  return out
end

local function url(path)
  return "http://127.0.0.1:" .. ngx.var.server_port .. path
end

--- One request to the hostile upstream over a bare transport.
function cases.hostile(args)
  local t = assert(tingting.transport.cosocket { max_body = tonumber(args.max_body) })
  local sink = args.sink
  ngx.update_time()
  local t0 = ngx.now()
  local status, body, headers = t:request { method = args.method or "GET", url = url("/hostile/" .. args.scenario),
    headers = { Accept = "application/json" }, body = args.body, idempotent = args.idempotent == "true",
    timeout = tonumber(args.timeout) or 5, connect_timeout = tonumber(args.connect_timeout) or 5, sink = sink }
  local secs = elapsed(t0)
  local out = { secs = secs, count = results:get("hostile_" .. args.scenario) }
  if not status then
    out.err = e(body)
  else
    out.status, out.headers = status, headers
    out.body = #body <= 4096 and body or nil
    out.size = #body
  end
  return out
end

--- Forget the hostile upstream's counters.
function cases.reset()
  for _, k in ipairs(results:get_keys(0)) do
    if k:find("^hostile_") or k:find("^ka_") then results:delete(k) end
  end
  return {}
end

--- The keep-alive race: a first request leaves the connection in the pool,
-- the server takes the second request on it and closes without answering.
function cases.keepalive(args)
  local t = assert(tingting.transport.cosocket())
  local idempotent = args.idempotent == "true"
  local s1, b1 = t:request { method = "GET", url = url("/hostile/ka_first"), idempotent = true }
  local s2, b2 = t:request { method = args.method, url = url("/hostile/ka_second"), idempotent = idempotent,
    body = args.method == "POST" and "{}" or nil, headers = { ["Content-Type"] = "application/json" } }
  return { first = { status = s1, body = s1 and b1 or nil, err = not s1 and e(b1) or nil },
    second = { status = s2, body = s2 and b2 or nil, err = not s2 and e(b2) or nil },
    taken_on_pooled = results:get("ka_reused") or 0, fresh = results:get("hostile_ka_second") or 0 }
end

--- A call through TLS: args.port, and the transport's options.
function cases.tls(args)
  local attempts = 0
  local opts = { base_url = "https://127.0.0.1:" .. args.port, max_retries = tonumber(args.retries) or 0,
    on_log = function(line) if line:find(" -> ", 1, true) then attempts = attempts + 1 end end }
  if args.verify then
    opts.transport = assert(tingting.transport.cosocket { ssl_verify = args.verify == "true" })
  end
  if args.insecure then opts.insecure = args.insecure == "true" end
  local s = session(opts)
  local user, err = s:user()
  local again
  if user then again = s:user() ~= nil end -- on the pooled TLS connection
  return { ok = user ~= nil, again = again, err = e(err), transport = tostring(core.state(s).transport),
    attempts = attempts }
end

-- The hostile upstream ---------------------------------------------------

local hostile = {}

local function close_after(sock, ...)
  for i = 1, select("#", ...) do
    local part = select(i, ...)
    if type(part) == "number" then ngx.sleep(part) else sock:send(part) end
  end
end

function hostile.garbage(sock) close_after(sock, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\r\n") end

function hostile.bigheader(sock)
  local line = "X-Big: " .. ("a"):rep(1000) .. "\r\n"
  close_after(sock, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", line:rep(300), "\r\nok")
end

function hostile.bigbody(sock)
  close_after(sock, "HTTP/1.1 200 OK\r\nContent-Length: 3000000\r\nConnection: close\r\n\r\n", ("x"):rep(3000000))
end

function hostile.drip(sock)
  sock:send("HTTP/1.1 200 OK\r\nX-Drip: ")
  for _ = 1, 40 do
    ngx.sleep(0.25)
    if not sock:send("a") then return end
  end
end

function hostile.chunked(sock)
  close_after(sock, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\nTrailer: X-Sum\r\n"
    .. "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n", "5;name=\"v a\";x=1\r\nhel", 0.05, "lo\r\n7\r\n, wo", 0.05,
    "rld\r\n0\r\nX-Sum: 12\r\n\r\n")
end

function hostile.untilclose(sock)
  close_after(sock, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\npart one, ", 0.05, "part two")
end

function hostile.cut(sock)
  close_after(sock, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
end

function hostile.continue(sock)
  close_after(sock, "HTTP/1.1 100 Continue\r\n\r\n", 0.05,
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
end

function hostile.nocontent(sock)
  close_after(sock, "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nConnection: close\r\n\r\n")
end

function hostile.noanswer() end

function hostile.ka_first(sock)
  sock:send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst")
  sock:settimeout(5000)
  local head = sock:receiveuntil("\r\n\r\n")()
  if head then results:incr("ka_reused", 1, 0) end
end

function hostile.ka_second(sock)
  close_after(sock, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecond")
end

function _M.hostile(name)
  results:incr("hostile_" .. name, 1, 0)
  local sock = assert(ngx.req.socket(true))
  local h = hostile[name]
  if h then h(sock) end
end

function _M.run(name)
  local case = cases[name]
  ngx.header["Content-Type"] = "application/json"
  if not case then
    ngx.status = 404
    ngx.say(cjson.encode { error = "no such case: " .. name })
    return
  end
  local ok, res = pcall(case, ngx.req.get_uri_args())
  if not ok then
    ngx.status = 500
    ngx.say(cjson.encode { error = tostring(res) })
    return
  end
  ngx.say(cjson.encode(res))
end

return _M
