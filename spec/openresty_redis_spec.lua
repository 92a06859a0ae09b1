-- Two hosts, one Redis: two nginx instances of examples/openresty (each its
-- own prefix, port and shared dicts) with TINGTING_REDIS pointing at one
-- private redis-server, against the emulator, checked from outside.
local socket = require "socket"
local cjson = require "cjson"
local core = require "tingting.core"
local emu = require "spec.helpers.emulator"
local ngxh = require "spec.helpers.openresty"
local redish = require "spec.helpers.redis"

local NUMBER = "9851023212"

-- Requests {srv =, path =, body =} at once over one curl multi handle, all
-- in flight together; results in order, {status =, body =}.
local function across(list)
  local t = core.curl { timeout = 30 }
  local reqs, out = {}, {}
  for i, r in ipairs(list) do
    reqs[i] = { method = "POST", url = r.srv.url .. r.path, idempotent = false, body = cjson.encode(r.body),
      headers = { ["Content-Type"] = "application/json", Accept = "application/json" } }
  end
  t:many(reqs, #reqs, function(i, status, text)
    local ok, doc = pcall(cjson.decode, text or "")
    out[i] = { status = status, body = ok and doc or text }
  end)
  t:close()
  return out
end

local function show(by)
  local parts = {}
  for k, v in pairs(by) do parts[#parts + 1] = tostring(k) .. ": " .. v end
  table.sort(parts)
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function count_status(results)
  local by = {}
  for _, r in ipairs(results) do
    local k = r.status or "failed"
    by[k] = (by[k] or 0) + 1
  end
  return by
end

describe("Two hosts sharing one Redis #openresty", function()
  local redis, a, b

  local function start_hosts(env)
    local e = { TINGTING_REDIS = "127.0.0.1:" .. redis.port, OTP_RESEND_AFTER = 1, OTP_MAX_SENDS = 50 }
    for k, v in pairs(env or {}) do e[k] = v end
    a = ngxh.start { workers = 2, env = e }
    b = ngxh.start { workers = 2, env = e }
  end

  -- stops both, and fails on what they logged at [error] or worse, except
  -- lines matching one of the patterns `allow_errors`
  local function stop_hosts(allow_errors)
    local ea = a and a:stop() or {}
    local eb = b and b:stop() or {}
    a, b = nil, nil
    local crashes = {}
    for _, srv in ipairs { ea, eb } do
      for _, line in ipairs(srv) do
        local allowed = false
        for _, p in ipairs(allow_errors or {}) do allowed = allowed or line:find(p) ~= nil end
        if not allowed then crashes[#crashes + 1] = line end
      end
    end
    assert.same({}, crashes, "nginx logged:\n" .. table.concat(crashes, "\n"))
  end

  setup(function()
    redis = redish.start()
  end)
  teardown(function()
    if a or b then pcall(stop_hosts) end
    if redis then redis:stop() end
  end)

  describe("with both hosts up", function()
    setup(function()
      emu.reset()
      emu.config { latency_ms = 0 }
      redis:cmd("FLUSHALL")
      start_hosts()
    end)
    teardown(function() stop_hosts() end)
    before_each(function() socket.sleep(1.05) end) -- past the previous test's cooldown

    it("verifies through B a code sent through A, and only once", function()
      local status, body = a:post("/otp/send", { number = NUMBER })
      assert.equal(200, status)
      assert.equal(NUMBER, body.number)
      local code = ngxh.last_code(NUMBER)
      status, body = b:post("/otp/verify", { number = "+977" .. NUMBER, code = code })
      assert.equal(200, status, cjson.encode(body))
      status, body = a:post("/otp/verify", { number = NUMBER, code = code })
      assert.equal(403, status)
      assert.equal("expired", body.reason)
    end)

    it("lets exactly one of 50 concurrent right answers through A and B succeed", function()
      assert.equal(200, (b:post("/otp/send", { number = NUMBER })))
      local code = ngxh.last_code(NUMBER)
      local list = {}
      for i = 1, 50 do
        list[i] = { srv = (i % 2 == 0) and a or b, path = "/otp/verify", body = { number = NUMBER, code = code } }
      end
      local by = count_status(across(list))
      assert.equal(1, by[200], show(by))
      assert.equal(49, by[403], show(by))
    end)

    it("holds the resend cooldown across hosts", function()
      assert.equal(200, (a:post("/otp/send", { number = NUMBER })))
      local status, body, headers = b:post("/otp/send", { number = "0" .. NUMBER })
      assert.equal(429, status)
      assert.equal("rate_limited", body.reason)
      assert.equal("1", headers["retry-after"])
    end)
  end)

  describe("with a long cooldown", function()
    setup(function()
      emu.reset()
      redis:cmd("FLUSHALL")
      start_hosts { OTP_RESEND_AFTER = 60 }
    end)
    teardown(function() stop_hosts() end)

    it("holds the cooldown across hosts when asked at once: one send of 20 concurrent ones", function()
      emu.clear_requests()
      local number = "9851029999"
      -- more concurrent sends than the window allows, spread over both
      local list = {}
      for i = 1, 20 do list[i] = { srv = (i % 2 == 0) and a or b, path = "/otp/send", body = { number = number } } end
      local by = count_status(across(list))
      -- of the simultaneous ones, one goes through
      assert.equal(1, by[200], show(by))
      assert.equal(19, by[429], show(by))
      assert.equal(1, ngxh.count("/api/system/send/otp/"))
    end)
  end)

  describe("with a small send budget", function()
    setup(function()
      emu.reset()
      redis:cmd("FLUSHALL")
      start_hosts { OTP_RESEND_AFTER = 0, OTP_MAX_SENDS = 3 }
    end)
    teardown(function() stop_hosts() end)

    it("holds max_sends across hosts", function()
      emu.clear_requests()
      local list = {}
      for i = 1, 12 do list[i] = { srv = (i % 2 == 0) and a or b, path = "/otp/send", body = { number = NUMBER } } end
      local by = count_status(across(list))
      assert.equal(3, by[200], show(by))
      assert.equal(9, by[429], show(by))
      assert.equal(3, ngxh.count("/api/system/send/otp/"))
      local status, body = a:post("/otp/send", { number = NUMBER })
      assert.equal(429, status)
      assert.matches("at most 3", body.message)
    end)
  end)

  describe("on first requests", function()
    setup(function()
      emu.reset()
      emu.config { latency_ms = 50 } -- so that the first requests overlap the login
      redis:cmd("FLUSHALL")
      start_hosts()
    end)
    teardown(function()
      emu.config { latency_ms = 0 }
      stop_hosts()
    end)

    it("logs in once for 40 concurrent first requests spread over both hosts", function()
      emu.clear_requests()
      local list = {}
      for i = 1, 40 do
        list[i] = { srv = (i % 2 == 0) and a or b, path = "/otp/send", body = { number = tostring(9800000000 + i) } }
      end
      local by = count_status(across(list))
      assert.same({ [200] = 40 }, by)
      assert.equal(1, ngxh.count("/api/accounts/login/"))
      assert.equal(40, ngxh.count("/api/system/send/otp/"))
    end)
  end)

  describe("the store itself inside nginx (cosockets)", function()
    local locked, srv
    setup(function()
      locked = redish.start { password = "pass word" }
      srv = ngxh.start { workers = 1, conf = ngxh.root .. "/spec/ngx/nginx.conf" }
    end)
    teardown(function()
      if srv then srv:stop() end
      if locked then locked:stop() end
    end)

    it("runs every method with AUTH and SELECT on new connections, and names Redis when it fails", function()
      local status, r = srv:http("GET", "/case/redis_store?port=" .. locked.port .. "&password=pass%20word&db=2")
      assert.equal(200, status, cjson.encode(r))
      assert.is_true(r.set)
      assert.equal("v", r.get)
      assert.equal("exists", r.add)
      assert.is_true(r.added)
      assert.equal(2, r.incr)
      assert.is_true(r.ttl > 58 and r.ttl <= 60)
      assert.is_true(r.locked)
      assert.equal("timeout", r.second)
      assert.is_true(r.relocked)
      assert.same({ "access", "refresh" }, r.tokens)
      assert.is_true(r.deleted)
      assert.is_true(r.gone)
      assert.matches("AUTH failed", r.wrong)
      assert.equal("network", r.dead.kind)
      assert.matches("Redis at 127%.0%.0%.1:1", r.dead.message)
      -- all of it in database 2, under the prefix
      assert.same({ ok = "OK" }, locked:cmd("SELECT", 2))
      local keys = locked:keys()
      assert.same({ "ngx:fresh", "ngx:lock", "ngx:n", "ngx:tokens" }, keys)
      assert.same({ ok = "OK" }, locked:cmd("SELECT", 0))
      assert.same({}, locked:keys())
    end)
  end)

  describe("when Redis stops", function()
    setup(function()
      emu.reset()
      emu.config { latency_ms = 0 }
      redis:cmd("FLUSHALL")
      start_hosts { OTP_RESEND_AFTER = 0 }
    end)
    -- the workers log the outage: the cosocket's refused connect, a pooled
    -- connection that Redis reset (or closed) as it stopped, and the app's
    -- line naming Redis
    teardown(function()
      stop_hosts { "otp store unavailable: .*Redis at 127%.0%.0%.1", "connect%(%) failed %(111: Connection refused%)",
        "recv%(%) failed %(104: Connection reset by peer%)", "send%(%) failed %(32: Broken pipe%)" }
    end)

    it("fails sends and verifies closed, sends nothing, and recovers without restarting nginx", function()
      assert.equal(200, (a:post("/otp/send", { number = NUMBER })))
      local code = ngxh.last_code(NUMBER)
      redis:halt()
      emu.clear_requests()
      for _, srv in ipairs { a, b, a, b } do
        local status, body, headers = srv:post("/otp/send", { number = "9851023213" })
        assert.equal(503, status)
        assert.equal("unavailable", body.reason)
        assert.is_not_nil(headers["retry-after"])
        status, body = srv:post("/otp/verify", { number = NUMBER, code = code })
        assert.equal(503, status)
        assert.equal("unavailable", body.reason)
      end
      assert.equal(0, ngxh.count("/api/system/send/otp/"))
      for _, srv in ipairs { a, b } do
        local log = srv:log()
        assert.matches("otp store unavailable: [^\n]*Redis at 127%.0%.0%.1:" .. redis.port, log)
      end
      redis:start() -- the same port, empty
      local status = a:post("/otp/send", { number = "9851023213" })
      assert.equal(200, status)
      local status2, body2 = b:post("/otp/verify", { number = "9851023213", code = ngxh.last_code("9851023213") })
      assert.equal(200, status2, cjson.encode(body2))
      assert.equal(1, ngxh.count("/api/system/send/otp/"))
    end)
  end)
end)
