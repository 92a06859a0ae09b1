-- The default transport (csrc/curl/) against the emulator: methods, bodies,
-- headers, keep-alive, multipart, sink, timeouts, failures and what reached
-- the server, max_body, many(), and the transport's lifetime.
local core = require "tingting.core"
local cjson = require "cjson"
local emu = require "spec.helpers.emulator"
local socket = require "socket"

local USER = "/api/accounts/user_details/"
local CAMPAIGNS = "/api/system/campaigns/"
local JSON = "application/json"

local function tmpname()
  local p = os.tmpname()
  os.remove(p)
  return p
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- Requests the emulator logged for path (and method) that began during this
-- test: one abandoned by an earlier test on a timeout is logged when it ends.
local test_start = 0
local function count(path, method, since)
  local n = 0
  for _, r in ipairs(emu.requests()) do
    if r.path == path and (method == nil or r.method == method) and r.time >= (since or test_start) then
      n = n + 1
    end
  end
  return n
end

describe("curl transport", function()
  local t, token, H

  local function req(method, path, fields)
    local r = { method = method, url = emu.url() .. path, headers = { Authorization = "Bearer " .. token } }
    for k, v in pairs(fields or {}) do r[k] = v end
    return r
  end

  local function json_req(method, path, body, fields)
    local r = req(method, path, fields)
    r.headers["Content-Type"] = JSON
    r.body = cjson.encode(body)
    return r
  end

  local function create_campaign(name)
    local status, body = t:request(json_req("POST", CAMPAIGNS,
      { name = name, services = "PHONE", individual_number = { 9843818700 } }, { idempotent = false }))
    assert.equal(201, status)
    return math.tointeger(cjson.decode(body).data.details[1].id)
  end

  before_each(function()
    test_start = socket.gettime() - 0.005
    emu.reset()
    token = emu.login()
    H = { Authorization = "Bearer " .. token }
    emu.clear_requests()
    t = core.curl { timeout = 5 }
  end)

  after_each(function()
    emu.clear_faults()
    emu.config { latency_ms = 0 }
    t:close()
  end)

  describe("request", function()
    it("GETs with a bearer token and returns an integer status, the body and lowercase headers", function()
      local status, body, headers = t:request { method = "GET", url = emu.url() .. USER, headers = H }
      assert.equal(200, status)
      assert.equal("integer", math.type(status))
      assert.equal("test@gmail.com", cjson.decode(body).data.user_details.email)
      assert.matches("^application/json", headers["content-type"])
      assert.equal(tostring(#body), headers["content-length"])
      for name in pairs(headers) do assert.equal(name:lower(), name) end
    end)

    it("POSTs, PUTs and DELETEs with bodies, each with its own method on one reused handle", function()
      local status, body = t:request { method = "POST", url = emu.url() .. "/api/accounts/login/",
        headers = { ["Content-Type"] = JSON }, body = '{"email":"test@gmail.com","password":"test"}',
        idempotent = true }
      assert.equal(200, status)
      assert.truthy(cjson.decode(body).data.token.access)
      local id = create_campaign("puts")
      status = t:request(json_req("PUT", CAMPAIGNS .. id .. "/update/", { description = "नमस्कार" }))
      assert.equal(200, status)
      status, body = t:request(req("GET", CAMPAIGNS .. id .. "/details"))
      assert.equal(200, status)
      assert.truthy(body:find("नमस्कार", 1, true)) -- UTF-8 both ways, byte-exact
      status = t:request(req("DELETE", CAMPAIGNS .. id .. "/delete"))
      assert.truthy(status >= 200 and status < 300)
      status = t:request(req("GET", CAMPAIGNS .. id .. "/details"))
      assert.equal(404, status)
      local methods = {}
      for _, r in ipairs(emu.requests()) do methods[#methods + 1] = r.method end
      assert.same({ "POST", "POST", "PUT", "GET", "DELETE", "GET" }, methods)
      local _, details = t:request(req("GET", "/api/system/campaigns"))
      assert.falsy(details:find("puts", 1, true))
    end)

    it("keeps the connection alive: libcurl replays an idempotent GET whose reused connection died", function()
      assert.equal(200, (t:request(req("GET", USER))))
      emu.fault { method = "GET", path = USER, kind = "drop", count = 1 }
      local status = t:request(req("GET", USER))
      assert.equal(200, status) -- only possible on a reused connection
      assert.equal(3, count(USER, "GET"))
    end)

    it("never replays a non-idempotent POST: the server received it once and err.sent is true", function()
      assert.equal(200, (t:request(req("GET", USER))))
      emu.clear_requests()
      emu.fault { method = "POST", path = CAMPAIGNS, kind = "drop", after = true, count = 1 }
      local status, err = t:request(json_req("POST", CAMPAIGNS,
        { name = "once", services = "PHONE", individual_number = { 9843818700 } }, { idempotent = false }))
      assert.is_nil(status)
      assert.equal("network", err.kind)
      assert.is_true(err.sent)
      assert.equal(1, count(CAMPAIGNS, "POST"))
      assert.equal(1, #emu.state().campaigns)
    end)

    it("never replays a non-idempotent POST without a body (it takes a fresh connection)", function()
      assert.equal(200, (t:request(req("GET", USER))))
      emu.clear_requests()
      emu.fault { method = "POST", path = CAMPAIGNS, kind = "drop", after = true, count = 1 }
      local status, err = t:request(req("POST", CAMPAIGNS, { idempotent = false }))
      assert.is_nil(status)
      assert.is_true(err.sent)
      assert.equal(1, count(CAMPAIGNS, "POST"))
    end)

    it("never replays a non-idempotent multipart POST", function()
      local csv = tmpname()
      local f = assert(io.open(csv, "wb"))
      f:write("number\n9843818700\n")
      f:close()
      assert.equal(200, (t:request(req("GET", USER))))
      emu.clear_requests()
      emu.fault { method = "POST", path = CAMPAIGNS, kind = "drop", after = true, count = 1 }
      local status, err = t:request(req("POST", CAMPAIGNS, { idempotent = false, form = {
        { name = "name", value = "once" }, { name = "services", value = "SMS" },
        { name = "send_to_number_file", file = csv, filename = "n.csv", type = "text/csv" } } }))
      os.remove(csv)
      assert.is_nil(status)
      assert.is_true(err.sent)
      assert.equal(1, count(CAMPAIGNS, "POST"))
    end)

    it("sends a multipart form with a file part", function()
      local csv = tmpname()
      local f = assert(io.open(csv, "wb"))
      f:write("number,tags_name\n9843818700,Ram\n9851023212,सीता\n")
      f:close()
      local status, body = t:request(req("POST", CAMPAIGNS, { idempotent = false, form = {
        { name = "name", value = "bulk" }, { name = "services", value = "SMS" },
        { name = "send_to_number_file", file = csv, filename = "numbers.csv", type = "text/csv" } } }))
      os.remove(csv)
      assert.equal(201, status)
      local c = cjson.decode(body).data.details[1]
      assert.same({ "tags_name" }, c.usable_tags)
      local _, nums = t:request(req("GET", "/api/system/campaigns/number/" .. math.tointeger(c.id) .. "/"))
      assert.equal(2, #cjson.decode(nums).data["number-lists"])
    end)

    it("fails a form whose file cannot be read without sending anything", function()
      local status, err = t:request(req("POST", CAMPAIGNS, { form = {
        { name = "send_to_number_file", file = "/nonexistent/numbers.csv" } } }))
      assert.is_nil(status)
      assert.equal("network", err.kind)
      assert.is_false(err.sent)
      assert.matches("form file", err.message)
      assert.equal(0, count(CAMPAIGNS))
    end)

    it("streams a 2xx answer to the sink file and returns an empty body", function()
      local id = create_campaign("report")
      local path = tmpname()
      local status, body, headers = t:request(req("GET",
        "/api/system/campaigns/report/download/?campaign_id=" .. id, { sink = path }))
      assert.equal(200, status)
      assert.equal("", body)
      assert.matches("^text/csv", headers["content-type"])
      local csv = slurp(path)
      assert.equal(tonumber(headers["content-length"]), #csv)
      assert.matches("^id,number,status", csv)
      assert.is_false(exists(path .. ".part"))
      os.remove(path)
    end)

    it("keeps a non-2xx answer in memory and creates no sink file", function()
      local path = tmpname()
      local status, body = t:request(req("GET", "/api/system/campaigns/report/download/?campaign_id=999999",
        { sink = path }))
      assert.equal(404, status)
      assert.is_false(cjson.decode(body).success)
      assert.is_false(exists(path))
      assert.is_false(exists(path .. ".part"))
    end)

    it("leaves no file behind when a sunk download is cut short", function()
      local id = create_campaign("cut")
      local path = tmpname()
      emu.fault { path = "/api/system/campaigns/report/download/", kind = "truncate", count = 1 }
      local status, err = t:request(req("GET", "/api/system/campaigns/report/download/?campaign_id=" .. id,
        { sink = path }))
      assert.is_nil(status)
      assert.equal("network", err.kind)
      assert.is_true(err.sent)
      assert.is_false(exists(path))
      assert.is_false(exists(path .. ".part"))
    end)

    it("reports a truncated answer as a network error", function()
      emu.fault { path = USER, kind = "truncate", count = 1 }
      local status, err = t:request(req("GET", USER))
      assert.is_nil(status)
      assert.equal("network", err.kind)
      assert.equal("integer", math.type(err.code))
      assert.is_true(err.sent)
    end)

    it("times out with kind 'timeout', per transport and per request", function()
      emu.fault { path = USER, kind = "delay", delay_ms = 1500, count = 2 }
      local quick = core.curl { timeout = 0.3 }
      local t0 = socket.gettime()
      local status, err = quick:request(req("GET", USER))
      quick:close()
      assert.is_nil(status)
      assert.equal("timeout", err.kind)
      assert.is_true(err.sent)
      status, err = t:request(req("GET", USER, { timeout = 0.3 }))
      assert.is_nil(status)
      assert.equal("timeout", err.kind)
      assert.truthy(socket.gettime() - t0 < 1.5)
    end)

    it("reports a refused connection as not sent, without the token in the message", function()
      local status, err = t:request { method = "POST", url = "http://127.0.0.1:1/api/system/send/otp/",
        headers = { Authorization = "Bearer " .. token, ["Content-Type"] = JSON }, body = "{}",
        idempotent = false }
      assert.is_nil(status)
      assert.equal("network", err.kind)
      assert.is_false(err.sent)
      assert.equal(7, err.code) -- CURLE_COULDNT_CONNECT
      assert.falsy(err.message:find(token, 1, true))
      assert.falsy(err.message:find("Bearer", 1, true))
      assert.is_nil(getmetatable(err))
    end)

    it("reports a failed TLS handshake as not sent", function()
      local status, err = t:request(req("GET", USER, { url = emu.url():gsub("^http:", "https:") .. USER }))
      assert.is_nil(status)
      assert.equal("network", err.kind)
      assert.is_false(err.sent)
      assert.equal(0, count(USER))
    end)

    it("refuses an answer larger than max_body as one it cannot take (decode), in memory or in a sink", function()
      local small = core.curl { max_body = 64 }
      local status, err = small:request(req("GET", USER))
      assert.is_nil(status)
      assert.equal("decode", err.kind)
      assert.is_true(err.sent)
      assert.matches("larger than max_body %(64 bytes%)", err.message)
      local path = tmpname()
      local id = create_campaign("big")
      local report = "/api/system/campaigns/report/download/?campaign_id=" .. id
      status, err = small:request(req("GET", report, { sink = path }))
      assert.is_nil(status)
      assert.equal("decode", err.kind)
      assert.is_nil(io.open(path, "rb"), "no file is left for a refused answer")
      assert.is_nil(io.open(path .. ".part", "rb"))
      -- the request's own max_body wins over the transport's
      status = small:request(req("GET", report, { sink = path, max_body = 1024 * 1024 }))
      small:close()
      assert.equal(200, status)
      assert.truthy(#slurp(path) > 64)
      local p = io.popen("stat -c %a " .. path)
      assert.equal("600", p:read("*l"))
      p:close()
      os.remove(path)
    end)

    it("raises on malformed requests and options, naming the field", function()
      assert.has_error(function() t:request { method = "GET" } end, "tingting.curl: req.url: expected a string")
      assert.has_error(function() t:request { method = "GETS", url = "http://x/" } end)
      assert.has_error(function() t:request { method = "GET", url = "http://x/", headers = { A = 1 } } end,
        "tingting.curl: req.headers: value of 'A' must be a string")
      assert.has_error(function()
        t:request { method = "GET", url = "http://x/", headers = { Authorization = "a\r\nX: secret" } }
      end, "tingting.curl: req.headers: value of 'Authorization' contains a line break")
      assert.has_error(function()
        t:request { method = "POST", url = "http://x/", body = "a", form = { { name = "a", value = "b" } } }
      end, "tingting.curl: req.form: form and body are exclusive")
      assert.has_error(function() t:request { method = "GET", url = "http://x/", timeout = -1 } end)
      assert.has_error(function() t:request("GET") end)
      assert.has_error(function() core.curl { timeout = "30" } end,
        "tingting.curl: timeout: expected a positive number of seconds")
      assert.has_error(function() core.curl { insecure = 1 } end, "tingting.curl: insecure: expected a boolean")
      assert.has_error(function() core.curl { timout = 3 } end, "tingting.curl: unknown option 'timout'")
    end)
  end)

  describe("many", function()
    it("runs 50 requests with at most 4 in flight and reports each index once", function()
      emu.fault { path = USER, kind = "delay", delay_ms = 100 }
      local reqs = {}
      for i = 1, 50 do reqs[i] = req("GET", USER) end
      local seen, order = {}, {}
      local start = socket.gettime()
      assert.is_true(t:many(reqs, 4, function(i, status, body, headers)
        assert.equal(200, status)
        assert.truthy(body:find("test@gmail.com", 1, true))
        assert.matches("^application/json", headers["content-type"])
        assert.is_nil(seen[i])
        seen[i] = true
        order[#order + 1] = i
      end))
      local elapsed = socket.gettime() - start
      table.sort(order)
      for i = 1, 50 do assert.equal(i, order[i]) end
      assert.equal(50, count(USER, "GET", start - 0.01))
      -- 13 waves of 100 ms at 4 in flight; one at a time would take 5 s
      assert.truthy(elapsed >= 1.2, "too fast for 4 in flight: " .. elapsed)
      assert.truthy(elapsed < 3, "too slow for 4 in flight: " .. elapsed)
    end)

    it("reuses connections across the batch (a dead reused connection is replayed)", function()
      local reqs = {}
      for i = 1, 20 do reqs[i] = req("GET", USER) end
      reqs[15] = req("GET", "/api/system/owned/phone_numbers")
      emu.fault { method = "GET", path = "/api/system/owned/phone_numbers", kind = "drop", count = 1 }
      local ok = 0
      t:many(reqs, 2, function(_, status) if status == 200 then ok = ok + 1 end end)
      assert.equal(20, ok)
    end)

    it("gives each failure as on_done(i, nil, err) with the same semantics as request", function()
      local path = tmpname()
      local reqs = {
        req("GET", USER),
        { method = "GET", url = "http://127.0.0.1:1/" },
        req("GET", USER, { timeout = 0.2 }),
        req("GET", "/api/system/campaigns/report/download/?campaign_id=999999", { sink = path }),
      }
      emu.fault { path = "/api/system/owned/phone_numbers", kind = "delay", delay_ms = 1000 }
      reqs[3].url = emu.url() .. "/api/system/owned/phone_numbers"
      local got = {}
      t:many(reqs, 8, function(i, status, x) got[i] = { status = status, x = x } end)
      assert.equal(200, got[1].status)
      assert.is_nil(got[2].status)
      assert.is_false(got[2].x.sent)
      assert.equal("timeout", got[3].x.kind)
      assert.equal(404, got[4].status)
      assert.is_false(exists(path))
    end)

    it("never replays a non-idempotent POST on a connection kept from an earlier batch", function()
      t:many({ req("GET", USER) }, 1, function(_, status) assert.equal(200, status) end)
      emu.fault { method = "POST", path = CAMPAIGNS, kind = "drop", after = true, count = 1 }
      local got
      t:many({ json_req("POST", CAMPAIGNS, { name = "once", services = "PHONE",
        individual_number = { 9843818700 } }, { idempotent = false }) }, 1, function(_, status, err)
        got = { status = status, err = err }
      end)
      assert.is_nil(got.status)
      assert.is_true(got.err.sent)
      assert.equal(1, count(CAMPAIGNS, "POST"))
    end)

    it("reports a request that cannot start at once and goes on with the rest", function()
      local reqs = { req("GET", USER), req("POST", CAMPAIGNS, { form = {
        { name = "send_to_number_file", file = "/nonexistent/numbers.csv" } } }), req("GET", USER) }
      local got = {}
      t:many(reqs, 1, function(i, status, x) got[i] = status or x end)
      assert.equal(200, got[1])
      assert.is_false(got[2].sent)
      assert.equal(200, got[3])
    end)

    it("propagates an error raised by on_done, aborts the rest and stays usable", function()
      local reqs = {}
      for i = 1, 10 do reqs[i] = req("GET", USER) end
      local calls = 0
      local ok, err = pcall(t.many, t, reqs, 3, function()
        calls = calls + 1
        if calls == 2 then error({ boom = true }) end
      end)
      assert.is_false(ok)
      assert.same({ boom = true }, err)
      assert.equal(2, calls)
      assert.equal(200, (t:request(req("GET", USER))))
      calls = 0
      assert.is_true(t:many(reqs, 3, function() calls = calls + 1 end))
      assert.equal(10, calls)
    end)

    it("raises on malformed arguments before sending anything", function()
      assert.has_error(function() t:many({ req("GET", USER), { method = "GET" } }, 2, function() end) end,
        "tingting.curl: reqs[2].url: expected a string")
      assert.has_error(function() t:many({}, 0, function() end) end)
      assert.has_error(function() t:many({}, 1.5, function() end) end)
      assert.has_error(function() t:many({}, 1) end)
      assert.equal(0, count(USER))
      assert.is_true(t:many({}, 1, function() end))
    end)

    it("stops when on_done closes the transport", function()
      local reqs = {}
      for i = 1, 6 do reqs[i] = req("GET", USER) end
      assert.has_error(function() t:many(reqs, 2, function() t:close() end) end,
        "tingting.curl: transport is closed")
      assert.equal("tingting.curl{closed}", tostring(t))
    end)
  end)

  describe("lifetime", function()
    it("closes idempotently and raises on use after close", function()
      local c = core.curl()
      assert.equal("tingting.curl{timeout=30, connect_timeout=10}", tostring(c))
      c:close()
      c:close()
      assert.has_error(function() c:request(req("GET", USER)) end, "tingting.curl: transport is closed")
      assert.has_error(function() c:many({}, 1, function() end) end, "tingting.curl: transport is closed")
      assert.has_error(function() c:sleep(0) end, "tingting.curl: transport is closed")
    end)

    it("is collected while its connections are open, and after an aborted batch", function()
      local c = core.curl()
      assert.equal(200, (c:request(req("GET", USER))))
      local reqs = { req("GET", USER), req("GET", USER), req("GET", USER) }
      pcall(c.many, c, reqs, 2, function() error("stop") end)
      c = nil -- luacheck: ignore 311
      collectgarbage()
      collectgarbage()
      assert.equal(200, (t:request(req("GET", USER))))
    end)

    it("closes at the end of a <close> scope", function()
      local chunk = assert(load([[
        local core = ...
        local keep
        do
          local c <close> = core.curl()
          keep = c
        end
        return tostring(keep)
      ]]))
      assert.equal("tingting.curl{closed}", chunk(core))
    end)

    it("sleeps", function()
      local t0 = socket.gettime()
      t:sleep(0.05)
      assert.truthy(socket.gettime() - t0 >= 0.05)
    end)
  end)
end)
