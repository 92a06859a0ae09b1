-- tingting.transport.cosocket inside Debian's nginx (LuaJIT): what only the
-- cosocket transport does (timers, init_worker, phases, TLS verified by
-- nginx, keep-alive and its races, a hostile upstream), run by
-- spec/ngx/cosocket_cases.lua in a worker. The API-wide cases (every method,
-- retries, faults, batches) run on this transport too, in
-- spec/ngx_transport_spec.lua; the OTP service in spec/openresty_otp_spec.lua.
local emu = require "spec.helpers.emulator"
local ngxh = require "spec.helpers.openresty"
local tls = require "spec.helpers.tls"

local query = ngxh.query
local otp_numbers = emu.otp_counts

describe("tingting.transport.cosocket #openresty", function()
  local srv, certs, tls_port, tls_port2

  local function case(name, args, where)
    local status, body = srv:http("GET", "/" .. (where or "case") .. "/" .. name .. query(args))
    assert.equal(200, status, type(body) == "table" and body.error or tostring(body))
    return body
  end

  setup(function()
    emu.reset()
    emu.clear_requests()
    certs = tls.certs()
    tls_port = tls.free_port(19100)
    tls_port2 = tls.free_port(tls_port + 1)
    local conf = tls.fill(ngxh.root .. "/spec/ngx/cosocket.conf", {
      SPEC_NGX = ngxh.root .. "/spec/ngx", CA_FILE = certs.ca, CERT_DIR = certs.dir,
      TLS_PORT = tls_port, TLS_PORT2 = tls_port2,
    }, certs.dir .. "/nginx.conf")
    srv = ngxh.start { workers = 1, conf = conf }
  end)

  -- upstream failures are logged as errors here on purpose; crashes never
  teardown(function()
    if srv then srv:stop() end
    tls.remove(certs)
    assert.same({}, srv and srv.final_crashes or {})
  end)

  it("sends from a timer started in init_worker, where a call made directly fails before sending", function()
    local r = case("init_worker")
    assert.matches("^tingting%.transport%.cosocket", r.direct.transport)
    assert.is_false(r.direct.ok)
    assert.equal("network", r.direct.err.kind)
    assert.is_false(r.direct.err.sent)
    assert.is_false(r.direct.err.retryable)
    assert.matches("init_worker phase", r.direct.err.message)
    assert.matches("ngx.timer.at", r.direct.err.message, 1, true)
    assert.is_true(r.timer.ok, r.timer.err and r.timer.err.message)
    assert.equal("timer", r.timer.phase)
    assert.equal(1, otp_numbers()["9851000001"])
  end)

  it("is the default transport of a session made inside nginx", function()
    local r = case("default")
    assert.is_true(r.ok)
    assert.equal("tingting.transport.cosocket{pool_size=32, keepalive_timeout=60, ssl_verify=true}", r.transport)
  end)

  it("sends from ngx.timer.at after the request that started it has answered", function()
    local r = case("timer", { number = "9851000002" })
    assert.truthy(r.started)
    r = case("timer_result", { number = "9851000002" })
    assert.is_true(r.ok, r.err and r.err.message)
    assert.equal("timer", r.phase)
    assert.equal(1, otp_numbers()["9851000002"])
  end)

  it("works in ngx.timer.every callbacks", function()
    local r = case("every")
    assert.equal(2, #r.runs)
    for _, run in ipairs(r.runs) do
      assert.is_true(run.ok)
      assert.equal("timer", run.phase)
    end
  end)

  it("fails before sending, naming the phase and the way out, where nginx disables cosockets", function()
    emu.clear_requests()
    local status = srv:http("GET", "/phases")
    assert.equal(200, status)
    local r = case("phases")
    for _, phase in ipairs { "set", "header_filter", "body_filter", "log" } do
      local p = r[phase]
      assert.is_table(p, phase)
      assert.is_false(p.ok, phase)
      assert.equal("network", p.err.kind, phase)
      assert.is_false(p.err.sent, phase)
      assert.is_false(p.err.retryable, phase)
      assert.matches("in the " .. phase .. " phase", p.err.message, 1, true)
      assert.matches("ngx.timer.at", p.err.message, 1, true)
    end
    assert.same({}, emu.requests())
  end)

  it("refuses bad options with validation errors naming them", function()
    local r = case("bad_options")
    for name, field in pairs { pool_size = "pool_size", pool_size_float = "pool_size",
      keepalive_timeout = "keepalive_timeout", ssl_verify = "ssl_verify", max_body = "max_body",
      user_agent = "user_agent", colour = "colour", options = "options" } do
      assert.same({ ok = false, field = field, kind = "validation" }, r[name], name)
    end
    assert.equal("tingting.transport.cosocket{pool_size=4, keepalive_timeout=0, ssl_verify=false}", r.good)
  end)

  describe("against a hostile upstream", function()
    local function hostile(scenario, args)
      args = args or {}
      args.scenario = scenario
      return case("hostile", args)
    end

    it("reads a chunked body with extensions and trailers, arriving in pieces", function()
      local r = hostile("chunked")
      assert.equal(200, r.status)
      assert.equal("hello, world", r.body)
      assert.equal("a=1, b=2", r.headers["set-cookie"])
      assert.is_nil(r.headers["x-sum"]) -- a trailer is not a header
    end)

    it("reads a body that ends when the server closes", function()
      local r = hostile("untilclose")
      assert.equal(200, r.status)
      assert.equal("part one, part two", r.body)
    end)

    it("skips an interim 100 Continue, and reads no body after 204 whatever its headers say", function()
      local r = hostile("continue")
      assert.equal(200, r.status)
      assert.equal("ok", r.body)
      r = hostile("nocontent")
      assert.equal(204, r.status)
      assert.equal("", r.body)
    end)

    it("streams a 2xx body to a sink, where max_body does not apply", function()
      local path = os.tmpname()
      local r = hostile("bigbody", { sink = path, max_body = 1000 })
      assert.equal(200, r.status)
      assert.equal(0, r.size)
      local f = assert(io.open(path, "rb"))
      assert.equal(3000000, #f:read("a"))
      f:close()
      os.remove(path)
      r = hostile("chunked", { sink = path })
      assert.equal(200, r.status)
      f = assert(io.open(path, "rb"))
      assert.equal("hello, world", f:read("a"))
      f:close()
      os.remove(path)
    end)

    it("refuses garbage, oversized headers and an answer over max_body (decode), as sent requests", function()
      local r = hostile("garbage")
      assert.equal("network", r.err.kind)
      assert.matches("malformed answer", r.err.message)
      assert.is_true(r.err.sent)
      r = hostile("bigheader")
      assert.equal("network", r.err.kind)
      assert.matches("headers exceeded 256 KB", r.err.message)
      r = hostile("bigbody", { max_body = 1000000 })
      assert.equal("decode", r.err.kind) -- an answer we will not take, not retried
      assert.matches("max_body %(1000000 bytes%)", r.err.message)
    end)

    it("reports an answer cut short, and a connection closed without one, as sent", function()
      local r = hostile("cut")
      assert.equal("network", r.err.kind)
      assert.matches("cut off", r.err.message)
      assert.is_true(r.err.sent)
      r = hostile("noanswer", { method = "POST", body = "{}" })
      assert.equal("network", r.err.kind)
      assert.matches("closed without an answer", r.err.message)
      assert.is_true(r.err.sent)
    end)

    it("ends within timeout + connect_timeout against a byte-by-byte drip", function()
      local r = hostile("drip", { timeout = 1, connect_timeout = 1 })
      assert.equal("timeout", r.err.kind)
      assert.is_true(r.err.sent)
      assert.is_true(r.secs >= 0.9 and r.secs < 1.6, ("took %.2f s"):format(r.secs))
    end)
  end)

  describe("on a kept-alive connection that the server closes as the request arrives", function()
    before_each(function() case("reset") end)

    it("sends an idempotent request again, once, on a fresh connection", function()
      local r = case("keepalive", { method = "GET", idempotent = true })
      assert.equal(200, r.first.status)
      assert.equal(1, r.taken_on_pooled) -- the first request's connection was reused
      assert.equal(200, r.second.status, r.second.err and r.second.err.message)
      assert.equal("second", r.second.body)
      assert.equal(1, r.fresh)
    end)

    it("does not send a non-idempotent request again: the server may have acted on it", function()
      local r = case("keepalive", { method = "POST", idempotent = false })
      assert.equal(200, r.first.status)
      assert.equal(1, r.taken_on_pooled)
      assert.equal("network", r.second.err.kind)
      assert.is_true(r.second.err.sent)
      assert.matches("not resent as it is not idempotent", r.second.err.message)
      assert.equal(0, r.fresh)
    end)
  end)

  describe("over TLS", function()
    it("refuses the API's certificate unless lua_ssl_trusted_certificate trusts it, sending nothing", function()
      emu.clear_requests()
      local r = case("tls", { port = tls_port })
      assert.is_false(r.ok)
      assert.equal("network", r.err.kind)
      assert.is_false(r.err.sent)
      assert.matches("lua_ssl_trusted_certificate", r.err.message)
      assert.same({}, emu.requests())
    end)

    it("does not retry a certificate that does not verify: one attempt with max_retries = 3", function()
      local r = case("tls", { port = tls_port, retries = 3 })
      assert.is_false(r.ok)
      assert.equal(1, r.attempts)
      assert.is_false(r.err.retryable)
      assert.matches("the certificate does not verify", r.err.message)
    end)

    it("accepts it where lua_ssl_trusted_certificate names its CA, and keeps the connection", function()
      local r = case("tls", { port = tls_port }, "trusted")
      assert.is_true(r.ok, r.err and r.err.message)
      assert.is_true(r.again)
    end)

    it("checks the host name as well as the chain", function()
      local r = case("tls", { port = tls_port2 }, "trusted")
      assert.is_false(r.ok)
      assert.is_false(r.err.sent)
      assert.matches("TLS handshake", r.err.message)
    end)

    it("skips verification only when asked: ssl_verify = false, or the session's insecure = true", function()
      local r = case("tls", { port = tls_port, verify = false })
      assert.is_true(r.ok, r.err and r.err.message)
      r = case("tls", { port = tls_port, insecure = true })
      assert.is_true(r.ok, r.err and r.err.message)
      assert.matches("ssl_verify=false", r.transport)
    end)
  end)
end)
