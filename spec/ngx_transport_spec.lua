-- tingting.transport.ngx inside Debian's nginx (LuaJIT): the whole API, the
-- retry policy, token renewal, batches and failures, run by spec/ngx/cases.lua
-- in a worker and checked here against the emulator's log and state. The
-- same cases run on tingting.transport.cosocket (what only one of the two
-- does is marked; the cosocket's own cases are spec/cosocket_spec.lua).
local emu = require "spec.helpers.emulator"
local ngxh = require "spec.helpers.openresty"

local tmpfile = emu.tmpfile

local query = ngxh.query

-- (the loop's body keeps the indentation it had before it ran twice)
for _, transport in ipairs { "ngx", "cosocket" } do
local ngx_only = transport == "ngx" and it or function() end

describe("tingting.transport." .. transport .. " #openresty", function()
  local srv

  local function case(name, args, headers)
    args = args or {}
    args.transport = transport
    local status, body = srv:http("GET", "/case/" .. name .. query(args), nil, headers)
    assert.equal(200, status, type(body) == "table" and body.error or tostring(body))
    return body
  end

  setup(function()
    srv = ngxh.start { workers = 1, conf = ngxh.root .. "/spec/ngx/nginx.conf" }
  end)
  -- upstream failures are logged as errors here on purpose; crashes never
  teardown(function()
    if not srv then return end
    srv:stop()
    assert.same({}, srv.final_crashes)
  end)
  before_each(function()
    emu.reset()
    emu.clear_requests()
  end)

  it("runs every method of the API, uploads and downloads included", function()
    local xlsx = tmpfile(emu.xlsx { { "number", "tags_name" }, { "9843818700", "Ram" }, { "9851022343", "Sita" } },
      ".xlsx")
    local csv = tmpfile("number,tags_city\n9812345678,Pokhara\n9812345679,Biratnagar\n", ".csv")
    local mp3 = tmpfile("ID3\3\0\0\0\0\0\0" .. ("\255\251\144\100" .. ("\0"):rep(413)):rep(4), ".mp3")
    local report = os.tmpname() .. ".csv"
    local r = case("ops", { xlsx = xlsx, csv = csv, mp3 = mp3, report = report })
    assert.equal("test@gmail.com", r.login.email)
    assert.equal("Adwait", r.user.first_name)
    assert.is_true(r.available > 0)
    assert.is_true(r.owned >= 1)
    assert.is_true(r.released)
    assert.equal("ngx list", r.created.name)
    assert.same({ "tags_name" }, r.from_file.usable_tags)
    local tags = {}
    for _, n in ipairs(r.from_file_numbers) do tags[n.number] = n.available_tags.tags_name end
    assert.same({ ["9843818700"] = "Ram", ["9851022343"] = "Sita" }, tags)
    assert.equal(2, r.from_csv_numbers)
    assert.equal(3, r.all)
    assert.equal(3, r.page1)
    assert.equal(3, r.pagination.total_items)
    assert.equal("ngx list", r.details.name)
    assert.equal("नमस्कार from nginx", r.updated)
    assert.equal("9812121212", r.added.number)
    assert.equal("राम", r.added.available_tags.tags_name)
    assert.equal(r.added.id, r.info.id)
    assert.equal("Hari", r.edited.available_tags.tags_name)
    assert.equal(3, r.numbers)
    assert.is_true(r.number_deleted)
    assert.matches("credits on hold", r.begin_message["hold amount"])
    assert.matches("credits on hold", r.begin_audio["hold amount"])
    assert.matches("^id,number,status", r.report_bytes)
    local f = assert(io.open(report, "rb"))
    assert.equal(r.report_bytes, f:read("a"))
    f:close()
    assert.is_table(r.summary.summary)
    assert.matches("%.mp3$", r.voice.audio_url)
    assert.equal("4321", r.otp_personnel.otp)
    assert.matches("^%d%d%d%d%d%d$", r.otp_generated.otp)
    assert.is_true(r.deleted)
    assert.is_true(r.refreshed)
    -- what the server holds: the audio arrived whole, the Devanagari byte-exact
    local st = emu.state()
    local by_name = {}
    for _, c in ipairs(st.campaigns) do by_name[c.name] = c end
    assert.equal(10 + 4 * 417, by_name["ngx file"].audio.size)
    assert.equal("नमस्कार from nginx", by_name["ngx list"].description)
    for _, p in ipairs { xlsx, csv, mp3, report } do os.remove(p) end
  end)

  it("refuses bad input before sending anything", function()
    local r = case("validation")
    assert.equal("validation", r.services.kind)
    assert.equal("services", r.services.field)
    assert.is_false(r.services.sent)
    assert.equal("validation", r.message.kind)
    assert.equal("message", r.message.field)
    assert.same({}, emu.requests())
  end)

  it("retries an idempotent call after a 503 (sleeping with ngx.sleep)", function()
    emu.fault { path = "/api/accounts/user_details/", kind = "status", status = 503, count = 1 }
    local r = case("user")
    assert.is_true(r.ok)
    assert.equal(2, ngxh.count("/api/accounts/user_details/"))
  end)

  it("runs a v1 OTP flow with an API token: sent once to /api/v1/, naming the company, verified once", function()
    local status, text = emu.http("POST", "/__emulator__/api-token")
    assert.equal(201, status)
    local key = text:match('"token"%s*:%s*"(%x+)"')
    local r = case("v1_otp", { key = key, number = "9851023212" })
    assert.is_true(r.ok, r.err and r.err.text)
    assert.equal("v1", r.api)
    assert.equal(1, ngxh.count("/api/v1/auths/send/otp/"))
    local otps = emu.state().otps
    local sent = otps[#otps]
    assert.equal("prixa", sent.company_name)
    assert.equal("personnel", sent.otp_options)
    local wrong = (sent.otp:sub(1, 1) == "0" and "1" or "0") .. sent.otp:sub(2)
    assert.is_false(case("v1_otp", { key = key, number = "9851023212", code = wrong }).ok)
    assert.is_true(case("v1_otp", { key = key, number = "9851023212", code = sent.otp }).ok)
    assert.is_false(case("v1_otp", { key = key, number = "9851023212", code = sent.otp }).ok)
  end)

  it("honours a 429 on a non-idempotent call and sends it again once", function()
    emu.fault { path = "/api/system/send/otp/", kind = "status", status = 429, retry_after = 1, count = 1 }
    local r = case("send_otp")
    assert.is_true(r.ok)
    assert.equal(2, ngxh.count("/api/system/send/otp/"))
  end)

  it("never sends an OTP twice when the connection drops after the server acted", function()
    emu.fault { path = "/api/system/send/otp/", kind = "drop", after = true, count = 1 }
    local r = case("send_otp")
    assert.is_false(r.ok)
    assert.equal("network", r.err.kind)
    assert.is_true(r.err.sent)
    assert.is_false(r.err.retryable)
    assert.equal(1, ngxh.count("/api/system/send/otp/"))
    assert.equal(1, #emu.state().otps) -- it was sent, once
  end)

  it("reports a cut-off answer as a network error", function()
    emu.fault { path = "/api/accounts/user_details/", kind = "truncate", count = 3 }
    local r = case("user", { max_retries = 0 })
    assert.is_false(r.ok)
    assert.equal("network", r.err.kind)
    assert.matches("cut off", r.err.message)
  end)

  it("reports no answer in time (nginx's proxy timeout, the session's timeout) as a timeout", function()
    emu.fault { path = "/api/accounts/user_details/", kind = "delay", delay_ms = 2500, count = 1 }
    local r = case("user", { max_retries = 0, timeout = 1 })
    assert.is_false(r.ok)
    assert.equal("timeout", r.err.kind)
  end)

  it("passes an HTML error page from the API on as a server error", function()
    emu.fault { path = "/api/accounts/user_details/", kind = "html", count = 5 }
    local r = case("user", { max_retries = 0 })
    assert.is_false(r.ok)
    assert.equal("server", r.err.kind)
    assert.equal(502, r.err.status)
  end)

  it("knows a refused connection was never sent, and retries even an OTP then", function()
    local r = case("refused")
    assert.is_false(r.ok)
    assert.equal("network", r.err.kind)
    assert.is_false(r.err.sent)
    assert.is_true(r.err.retryable)
    assert.equal("network", r.otp.kind)
    assert.is_false(r.otp.sent)
    assert.is_true(r.otp.retryable)
    assert.is_true(r.secs >= 0.5, "the retries waited their backoff")
  end)

  ngx_only("does not call a request unsent when one peer took it and the next refused", function()
    emu.fault { path = "/api/accounts/user_details/", kind = "drop", after = true, count = 1 }
    local r = case("multi")
    assert.is_false(r.ok)
    assert.equal("network", r.err.kind)
    assert.is_true(r.err.sent)
    assert.equal(1, ngxh.count("/api/accounts/user_details/"))
  end)

  it("renews tokens that the server no longer accepts, then replays the call", function()
    local access, refresh = emu.login()
    emu.reset() -- new signing key: both tokens are now invalid
    emu.clear_requests()
    local r = case("stale", { access = access, refresh = refresh })
    assert.is_true(r.ok)
    assert.is_false(r.same)
    local log = emu.requests()
    local seen = {}
    for _, q in ipairs(log) do seen[#seen + 1] = q.method .. " " .. q.path .. " " .. q.status end
    assert.same({
      "GET /api/accounts/user_details/ 401",
      "POST /api/accounts/token/refresh/ 401",
      "POST /api/accounts/login/ 200",
      "GET /api/accounts/user_details/ 200",
    }, seen)
  end)

  it("sends only its own headers upstream, never the client's", function()
    local r = case("isolated", nil, { Authorization = "Bearer client-token", Cookie = "session=abc" })
    assert.equal(401, r.status)
    assert.equal("Authentication credentials were not provided.", r.body.detail)
  end)

  it("adds numbers on light threads, each exactly once under faults", function()
    local access = emu.login()
    local status, body = emu.http("POST", "/api/system/campaigns/",
      { name = "batch", services = "SMS", individual_number = { 9843818700 } },
      { Authorization = "Bearer " .. access })
    assert.equal(201, status)
    local id = math.tointeger(require("cjson").decode(body).data.details[1].id)
    emu.fault { path = "^/api/system/campaigns/number/", method = "POST", kind = "drop", after = true, rate = 0.05 }
    emu.fault { path = "^/api/system/campaigns/number/", method = "POST", kind = "status", status = 503, rate = 0.05 }
    emu.fault { path = "^/api/system/campaigns/number/", method = "POST", kind = "truncate", rate = 0.05 }
    local r = case("batch", { campaign = id, n = 300, concurrency = 16 })
    assert.equal(300, r.added + r.failed)
    assert.equal(0, r.invalid)
    assert.equal(300, r.max_done)
    assert.equal(300, r.progress_calls)
    local count = {}
    for _, c in ipairs(emu.state().campaigns) do
      if math.tointeger(c.id) == id then
        for _, n in ipairs(c.numbers) do
          local k = tostring(n.number)
          count[k] = (count[k] or 0) + 1
        end
      end
    end
    local added = 0
    for number, k in pairs(count) do
      assert.equal(1, k, number .. " is in the campaign " .. k .. " times")
      if number ~= "9843818700" then added = added + 1 end
    end
    assert.equal(r.added, added)
  end)

  it("stops a batch when on_done raises, and raises that error", function()
    local r = case("many_error")
    assert.is_false(r.ok)
    assert.equal("stop at 3", r.err)
    assert.is_true(r.seen >= 3 and r.seen <= 4)
  end)

  ngx_only("refuses bad options of the transport and the store with validation errors", function()
    local r = case("bad_options")
    for _, name in ipairs { "location", "max_body", "user_agent", "colour", "options", "dict" } do
      assert.same({ ok = false, field = name, kind = "validation" }, r[name], name)
    end
  end)

  ngx_only("gives a clear error, sending nothing, where nginx allows no subrequests", function()
    local r = case("timer")
    assert.is_false(r.ok)
    assert.equal("network", r.err.kind)
    assert.is_false(r.err.sent)
    assert.matches("timer", r.err.message)
    assert.same({}, emu.requests())
  end)
end)
end
