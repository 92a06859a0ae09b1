-- The ngx transport against a hostile upstream (spec/helpers/hostile.lua):
-- whatever the upstream does, a request ends within the session's timeout
-- + 1 s, the worker's memory stays within the documented bound (max_body
-- twice over plus a proxy buffer), and nginx's error log says why.
local socket = require "socket"
local emu = require "spec.helpers.emulator"
local ngxh = require "spec.helpers.openresty"
local hostile = require "spec.helpers.hostile"

local TIMEOUT = 2              -- the session's timeout (= proxy_read_timeout of /_hostile/)
local MAX_BODY = 1024 * 1024   -- the transport's max_body
local BOUND_KB = (2 * MAX_BODY + 4 * 1024 * 1024) // 1024 -- documented: 2 x max_body + buffers

local function worker_pid(srv)
  local f = assert(io.open(srv.prefix .. "/nginx.pid"))
  local master = f:read("*l")
  f:close()
  local p = io.popen("pgrep -P " .. master)
  local pid = p:read("*l")
  p:close()
  return assert(tonumber(pid), "no worker")
end

local function status_kb(pid, field)
  local f = assert(io.open("/proc/" .. pid .. "/status"))
  local text = f:read("*a")
  f:close()
  return tonumber(text:match(field .. ":%s*(%d+)"))
end

describe("tingting.transport.ngx against a hostile upstream #openresty", function()
  local srv, bad, pid

  setup(function()
    emu.url() -- the nginx helper needs the emulator for --api, though nothing here calls it
    bad = hostile.start()
    srv = ngxh.start { workers = 1, conf = ngxh.root .. "/spec/ngx/nginx.conf", env = { TINGTING_HOSTILE = bad.port } }
    pid = worker_pid(srv)
    -- the worker's first request loads the library: not what is measured
    srv:http("GET", ("/case/hostile?case=big&max_body=%d&timeout=%d"):format(MAX_BODY, TIMEOUT))
  end)
  teardown(function()
    if srv then
      srv:stop()
      assert.same({}, srv.final_crashes)
    end
    if bad then bad:stop() end
  end)

  -- GET through the hostile `case`: what the client saw, its duration, the
  -- worker's peak RSS above its RSS before (kB), the new error log lines
  local function run(case)
    local before_log = #srv:log()
    local rss = status_kb(pid, "VmRSS")
    local f = io.open("/proc/" .. pid .. "/clear_refs", "w") -- resets VmHWM to the current RSS
    if f then f:write("5") f:close() end
    local t0 = socket.gettime()
    local path = ("/case/hostile?case=%s&max_body=%d&timeout=%d"):format(case, MAX_BODY, TIMEOUT)
    local status, body = srv:http("GET", path)
    local secs = socket.gettime() - t0
    socket.sleep(0.1)
    local grown = status_kb(pid, "VmHWM") - rss
    return status, body, secs, grown, srv:log():sub(before_log + 1)
  end

  it("cuts an answer announced as 100 MB before reading its body, and says so", function()
    local status, body, secs, grown, log = run("big")
    assert.equal(200, status)
    assert.equal("network", body.err.kind)
    assert.matches("larger than max_body", body.err.message)
    assert.is_true(secs < 1, secs)
    assert.is_true(grown < BOUND_KB, grown .. " kB")
    assert.matches("Content%-Length %(104857600%) is over max_body", log)
  end)

  it("cuts an endless answer once it passes max_body, in time and in bounded memory", function()
    local _, _, secs, grown, log = run("endless")
    -- nginx ends a subrequest cut in its body together with its main request
    assert.is_true(secs < TIMEOUT + 1, secs)
    assert.is_true(grown < BOUND_KB, grown .. " kB")
    assert.matches("passed max_body %(1048576 bytes%)", log)
  end)

  it("cuts an answer dripping a byte a second at the session's timeout", function()
    local _, _, secs, grown, log = run("drip")
    assert.is_true(secs >= TIMEOUT - 0.5 and secs < TIMEOUT + 1, secs)
    assert.is_true(grown < BOUND_KB, grown .. " kB")
    assert.matches("did not end within the session's timeout", log)
  end)

  it("ends headers dripping a line a second at proxy_read_timeout, reported as a timeout", function()
    local status, body, secs, _, log = run("headers")
    assert.equal(200, status)
    assert.equal("timeout", body.err.kind)
    assert.is_true(secs < TIMEOUT + 1, secs)
    assert.matches("upstream timed out", log)
  end)

  it("refuses headers that never end once they pass proxy_buffer_size", function()
    local status, body, secs, grown, log = run("flood")
    assert.equal(200, status)
    assert.equal("network", body.err.kind)
    assert.is_true(secs < 1, secs)
    assert.is_true(grown < BOUND_KB, grown .. " kB")
    assert.matches("too big header", log)
  end)

  it("gives up on an upstream that never answers at proxy_read_timeout", function()
    local status, body, secs = run("silent")
    assert.equal(200, status)
    assert.equal("timeout", body.err.kind)
    assert.is_true(secs < TIMEOUT + 1, secs)
  end)

  it("still answers normally afterwards: the worker is well", function()
    assert.equal(200, (srv:http("GET", "/health")))
  end)
end)
