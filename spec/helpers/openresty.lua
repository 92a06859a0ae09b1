-- Test helper: nginx instances of examples/openresty/run against the emulator.
--
--   local ngxh = require "spec.helpers.openresty"
--   local srv = ngxh.start { workers = 2, env = { OTP_TTL = 3 } }  -- stopped by srv:stop()
--   srv:post("/otp/send", { number = "9851023212" }) -> status, decoded body, headers
--   srv:many({ {path =, body =}, ... }, concurrency) -> { {status =, body =, secs =}, ... }
--   srv:errors() -> the [error]/[crit]/[alert]/[emerg] lines of its error log
--   ngxh.query(args) -> "?k=v&..." for the case URLs of spec/ngx/
-- TINGTING_OPENRESTY_TREE (set by make test) names a luarocks tree holding the
-- rock built for Lua 5.1, which nginx then loads instead of this checkout;
-- TINGTING_OPENRESTY_CPATH a directory with another tingting/core.so (the
-- sanitizer build) and TINGTING_OPENRESTY_ENV extra environment for nginx.
local socket = require "socket"
local cjson = require "cjson"
local core = require "tingting.core"
local emu = require "spec.helpers.emulator"

local M = {}

M.root = emu.root
local port_free = emu.port_free

local function sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local Srv = {}
Srv.__index = Srv

--- Start an instance. opts: workers (2), transport ("cosocket", "ngx" or
-- "curl"; default the example's own, cosocket), conf (a template
-- with the placeholders of examples/openresty/nginx.conf), env (extra
-- environment), api (the emulator's URL).
function M.start(opts)
  opts = opts or {}
  local run = M.root .. "/examples/openresty/run"
  local envs = {}
  for k, v in pairs(opts.env or {}) do envs[#envs + 1] = k .. "=" .. sh_quote(v) end
  local tree = os.getenv("TINGTING_OPENRESTY_TREE")
  local cpath = os.getenv("TINGTING_OPENRESTY_CPATH")
  -- e.g. LD_PRELOAD of a sanitizer runtime, for nginx alone
  local extra_env = os.getenv("TINGTING_OPENRESTY_ENV")
  if extra_env and extra_env ~= "" then envs[#envs + 1] = extra_env end
  for port = 18700, 18799 do
    if port_free(port) then
      local cmd = ("env %s %s start --port %d --api %s --workers %d --transport %s%s%s 2>&1"):format(
        table.concat(envs, " "), sh_quote(run), port, sh_quote(opts.api or emu.url()), opts.workers or 2,
        opts.transport or "cosocket", (tree and tree ~= "") and (" --tree " .. sh_quote(tree)) or "",
        (opts.conf and (" --conf " .. sh_quote(opts.conf)) or "")
        .. ((cpath and cpath ~= "") and (" --cpath " .. sh_quote(cpath)) or ""))
      local p = io.popen(cmd)
      local out = p:read("*a")
      p:close()
      local url = out:match("(http://127%.0%.0%.1:%d+)")
      if url then
        local prefix = (os.getenv("TMPDIR") or "/tmp") .. "/tingting-openresty-" .. port
        return setmetatable({ url = url, port = port, prefix = prefix, run = run,
          transport = core.curl { timeout = 30 } }, Srv)
      end
      if not out:match("in use") then error("could not start nginx: " .. out, 0) end
    end
  end
  error("no free port for nginx in 18700..18799", 0)
end

function Srv:stop()
  -- the log first: stopping removes the prefix
  self.final_errors, self.final_crashes = self:errors(), self:crashes()
  os.execute(("%s stop --port %d >/dev/null 2>&1"):format(sh_quote(self.run), self.port))
  if self.transport then self.transport:close() end
  self.transport = nil
  return self.final_errors
end

function Srv:log()
  local f = io.open(self.prefix .. "/logs/error.log", "rb")
  if not f then return "" end
  local text = f:read("*a")
  f:close()
  return text
end

local CRASH = { "%[crit%]", "%[alert%]", "%[emerg%]", "AddressSanitizer", "runtime error:", "LeakSanitizer" }

-- nginx retries a bind that failed while another process held the port for
-- an instant (another test run probing for a free port): an [emerg] line,
-- though it started. Had it not, start() would have failed.
local BIND_RETRY = "bind%(%) to [%d.:]+ failed %(98: Address already in use%)"

local function grep(text, patterns)
  local out = {}
  for line in text:gmatch("[^\n]+") do
    for _, p in ipairs(line:find(BIND_RETRY) and {} or patterns) do
      if line:find(p) then
        out[#out + 1] = line
        break
      end
    end
  end
  return out
end

--- Lines of the error log at level error or worse, and sanitizer reports.
function Srv:errors()
  return grep(self:log(), { "%[error%]", table.unpack(CRASH) })
end

--- Worse than an error: a worker that crashed, a sanitizer report.
function Srv:crashes()
  return grep(self:log(), CRASH)
end

local function decode(text)
  local ok, v = pcall(cjson.decode, text or "")
  return ok and v or text
end

local function request(self, method, path, body, headers)
  local h = { Accept = "application/json" }
  for k, v in pairs(headers or {}) do h[k] = v end
  if type(body) == "table" then body = cjson.encode(body) end
  if body then h["Content-Type"] = h["Content-Type"] or "application/json" end
  return { method = method, url = self.url .. path, headers = h, body = body, idempotent = false }
end

--- One request; returns status, decoded body, headers (nil, err on failure).
function Srv:http(method, path, body, headers)
  local status, text, hdrs = self.transport:request(request(self, method, path, body, headers))
  if not status then return nil, text end
  return status, decode(text), hdrs
end

function Srv:post(path, body, headers) return self:http("POST", path, body, headers) end

--- Requests {path=, body=, method=} at once, `concurrency` in flight; the
-- results in order, each {status=, body=, secs=}.
function Srv:many(list, concurrency)
  local reqs, out, t0 = {}, {}, socket.gettime()
  for i, r in ipairs(list) do reqs[i] = request(self, r.method or "POST", r.path, r.body, r.headers) end
  self.transport:many(reqs, concurrency or #reqs, function(i, status, text)
    out[i] = { status = status, body = status and decode(text) or text, secs = socket.gettime() - t0 }
  end)
  return out
end

--- Start `cmd`-style background POSTs with the curl command; returns a
-- function that waits for them and gives {status=, secs=} each.
function Srv:background_posts(path, bodies)
  local procs = {}
  for i, b in ipairs(bodies) do
    procs[i] = io.popen(("curl -s -o /dev/null -w '%%{http_code} %%{time_total}' -X POST "
      .. "-H 'Content-Type: application/json' -d %s %s"):format(sh_quote(cjson.encode(b)), sh_quote(self.url .. path)))
  end
  return function()
    local out = {}
    for i, p in ipairs(procs) do
      local line = p:read("*a") or ""
      p:close()
      local status, secs = line:match("^(%d+) ([%d.]+)")
      out[i] = { status = tonumber(status), secs = tonumber(secs) }
    end
    return out
  end
end

--- POST /otp/send under wrk (bench/wrk_otp.lua: a new number per request):
-- {rps=, total=, non2xx=, errors= (socket errors), p50=, p99= (ms)}.
function M.wrk(url, connections, seconds)
  local cmd = ("wrk -t2 -c%d -d%ds --latency -s %s/bench/wrk_otp.lua %s/otp/send 2>&1"):format(connections, seconds,
    sh_quote(M.root), url)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  local function ms(v, unit)
    v = tonumber(v)
    if not v then return nil end
    return unit == "us" and v / 1000 or unit == "s" and v * 1000 or v
  end
  local r = {
    rps = tonumber(out:match("Requests/sec:%s*([%d.]+)")),
    total = tonumber(out:match("(%d+) requests in")),
    non2xx = tonumber(out:match("Non%-2xx or 3xx responses:%s*(%d+)")) or 0,
    p50 = ms(out:match("50%%%s+([%d.]+)(%a+)")),
    p99 = ms(out:match("99%%%s+([%d.]+)(%a+)")),
    output = out,
  }
  local c, rd, w, t = out:match("Socket errors: connect (%d+), read (%d+), write (%d+), timeout (%d+)")
  r.errors = (tonumber(c) or 0) + (tonumber(rd) or 0) + (tonumber(w) or 0) + (tonumber(t) or 0)
  if not r.rps then error("wrk failed:\n" .. out, 0) end
  return r
end

--- The OTP code the emulator last sent to `number` (its "phone").
M.last_code = emu.last_otp

--- `args` as a query string ("" when empty), keys sorted so that a case's
-- URL is the same from run to run.
function M.query(args)
  local out = {}
  for k, v in pairs(args or {}) do
    out[#out + 1] = k .. "=" .. tostring(v):gsub("[^%w%-%._~/]", function(ch)
      return ("%%%02X"):format(ch:byte())
    end)
  end
  table.sort(out)
  return #out > 0 and ("?" .. table.concat(out, "&")) or ""
end

M.count = emu.count

return M
