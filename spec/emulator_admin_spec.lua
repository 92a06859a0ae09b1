-- The emulator's admin API, every fault kind and the launcher. HTTP only.
local emu = require "spec.helpers.emulator"
local C = require "spec.helpers.emulator_client"
local cjson = require "cjson"
local socket = require "socket"

local api, create = C.api, C.create

describe("emulator", function()
  before_each(C.fresh)

  describe("admin API", function()
    it("config answers the full config; reset restores the defaults", function()
      local cfg = emu.config { latency_ms = 5, page_size = 3 }
      assert.same({ access_ttl = 86400, refresh_ttl = 86400, latency_ms = 5, run_speed = 1, seed = 1,
        page_size = 3, credits = 10000 }, cfg)
      emu.reset()
      assert.equal(10, emu.config().page_size)
      local status = emu.http("POST", "/__emulator__/config", { colour = 1 })
      assert.equal(400, status)
    end)

    it("latency_ms delays API answers but not admin answers", function()
      emu.config { latency_ms = 300 }
      local t0 = socket.gettime()
      api("GET", "/api/accounts/user_details/")
      assert.is_true(socket.gettime() - t0 >= 0.3)
      t0 = socket.gettime()
      emu.state()
      assert.is_true(socket.gettime() - t0 < 0.25)
    end)

    it("the request log lists API requests with status and fault; DELETE clears it", function()
      emu.clear_requests()
      api("GET", "/api/accounts/user_details/?x=1")
      api("GET", "/api/system/campaigns/5/details")
      local log = emu.requests()
      assert.equal(2, #log)
      assert.equal("GET", log[1].method)
      assert.equal("/api/accounts/user_details/", log[1].path)
      assert.equal("x=1", log[1].query)
      assert.equal(200, log[1].status)
      assert.equal(404, log[2].status)
      assert.is_number(log[1].time)
      emu.clear_requests()
      assert.equal(0, #emu.requests())
    end)

    it("state shows campaigns with numbers, owned numbers, credits and otps", function()
      create { name = "x", services = "PHONE", individual_number = { 98675432123 } }
      local st = emu.state()
      assert.equal("x", st.campaigns[1].name)
      assert.equal(98675432123, st.campaigns[1].numbers[1].number)
      assert.equal(1, #st.owned_numbers)
      assert.same({ available = 10000, on_hold = 0, consumed = 0 }, st.credits)
      assert.same({}, st.otps)
    end)
  end)

  describe("faults", function()
    after_each(function() emu.clear_faults() end)
    local USER = "/api/accounts/user_details/"
    local OTP = "/api/system/send/otp/"
    local otp_body = { number = "9851023212", message = "{otp}", sms_send_options = "text" }

    it("status answers the JSON envelope with Retry-After, then stops after count", function()
      local rule = emu.fault { method = "GET", path = USER, kind = "status", status = 429, retry_after = 2, count = 1 }
      assert.is_number(rule.id)
      local status, res, h = api("GET", USER)
      assert.equal(429, status)
      assert.equal("2", h["retry-after"])
      assert.is_false(res.success)
      assert.equal(429, res.status)
      assert.equal(200, (api("GET", USER)))
      local log = emu.requests()
      assert.equal("status", log[#log - 1].fault)
      assert.equal(cjson.null, log[#log].fault)
    end)

    it("status with body html answers an HTML page; kind html answers nginx's 502 page", function()
      emu.fault { path = USER, kind = "status", status = 503, body = "html", count = 1 }
      local status, _, h, text = api("GET", USER)
      assert.equal(503, status)
      assert.equal("text/html", h["content-type"])
      assert.truthy(text:find("<title>503 Service Unavailable</title>", 1, true))
      emu.fault { path = "^/api/accounts/", kind = "html", count = 1 }
      status, _, _, text = api("GET", USER)
      assert.equal(502, status)
      assert.truthy(text:find("<center>nginx</center>", 1, true))
    end)

    it("drop before processing closes without an answer and changes nothing", function()
      emu.fault { method = "POST", path = OTP, kind = "drop", count = 1 }
      local status = emu.http("POST", OTP, otp_body, { Authorization = "Bearer " .. C.access })
      assert.is_nil(status)
      assert.equal(0, #emu.state().otps)
      assert.equal(200, (api("POST", OTP, otp_body)))
    end)

    it("drop after processing changes state yet sends nothing", function()
      emu.fault { method = "POST", path = OTP, kind = "drop", after = true, count = 1 }
      local raw = emu.raw("POST " .. OTP .. " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " .. C.access
        .. "\r\nContent-Type: application/json\r\nContent-Length: " .. #cjson.encode(otp_body) .. "\r\n\r\n"
        .. cjson.encode(otp_body))
      assert.equal("", raw)
      assert.equal(1, #emu.state().otps)
    end)

    it("truncate promises the whole body but sends half of it, then closes", function()
      emu.fault { path = USER, kind = "truncate", count = 1 }
      local raw = emu.raw("GET " .. USER .. " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " .. C.access .. "\r\n\r\n")
      local head, body = raw:match("^(.-\r\n)\r\n(.*)$")
      local length = tonumber(head:match("[Cc]ontent%-[Ll]ength: (%d+)"))
      assert.truthy(head:match("^HTTP/1.1 200"))
      assert.equal(math.floor(length / 2), #body)
    end)

    it("delay answers normally after delay_ms", function()
      emu.fault { path = USER, kind = "delay", delay_ms = 300, count = 1 }
      local t0 = socket.gettime()
      assert.equal(200, (api("GET", USER)))
      assert.is_true(socket.gettime() - t0 >= 0.3)
    end)

    it("rate applies to a seed-determined share of matching requests", function()
      local function pattern()
        C.fresh()
        emu.fault { path = USER, kind = "status", status = 500, rate = 0.5 }
        local out = {}
        for i = 1, 40 do out[i] = (api("GET", USER)) == 500 and "x" or "." end
        return table.concat(out)
      end
      local a, b = pattern(), pattern()
      assert.equal(a, b)
      local hits = select(2, a:gsub("x", ""))
      assert.is_true(hits > 8 and hits < 32, a)
    end)

    it("faults are listed and cleared; method narrows the match; bad rules are 400", function()
      emu.fault { method = "POST", path = USER, kind = "status", status = 500 }
      assert.equal(200, (api("GET", USER)))
      assert.equal(1, #emu.faults())
      emu.clear_faults()
      assert.equal(0, #emu.faults())
      assert.equal(400, (emu.http("POST", "/__emulator__/faults", { kind = "explode" })))
      assert.equal(400, (emu.http("POST", "/__emulator__/faults", { kind = "status", rate = 2 })))
    end)
  end)

  describe("launcher", function()
    it("says so when the port is taken, and leaves no prefix behind", function()
      local server = assert(socket.bind("127.0.0.1", 0))
      local _, port = server:getsockname()
      local p = io.popen("bin/tingting-emulator start --port " .. port .. " 2>&1")
      local out = p:read("a")
      local ok = p:close()
      server:close()
      assert.is_falsy(ok)
      assert.truthy(out:find("port " .. port .. " is already in use", 1, true), out)
      local tmp = os.getenv("TMPDIR") or "/tmp"
      assert.is_nil(io.open(tmp .. "/tingting-emulator-" .. port .. "/conf/nginx.conf"))
    end)
  end)
end)
