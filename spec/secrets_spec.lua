-- Secrets: the password, the access and refresh tokens (every one the session
-- ever held) and the Authorization header never appear in any string the
-- library produces, on every op and every error path: tostring of sessions,
-- objects and errors, every string inside an error, log lines, and the CLI's
-- output with -v and --json. Also: the token file is 0600, plain http goes
-- only to loopback unless allowed, and TLS verification is off only when
-- asked for with insecure = true.
local tingting = require "tingting"
local call = require "tingting.call"
local core = require "tingting.core"
local emu = require "spec.helpers.emulator"
local ops = require "spec.helpers.ops"
local cli = require "spec.helpers.cli"

local WRONG_PASSWORD = "Zx9-very-secret-pass"

-- Every string reachable from v (keys, values, tostring of tables/userdata).
local function strings(v, out, seen)
  out, seen = out or {}, seen or {}
  local t = type(v)
  if t == "string" then
    out[#out + 1] = v
  elseif t == "table" or t == "userdata" then
    if seen[v] then return out end
    seen[v] = true
    out[#out + 1] = tostring(v)
    if t == "table" then
      for k, x in pairs(v) do
        strings(k, out, seen)
        strings(x, out, seen)
      end
    elseif getmetatable(v) and (tostring(v):find("^tingting%.campaign") or tostring(v):find("^tingting%.number")) then
      strings(core.fields(v), out, seen)
    end
  end
  return out
end

local function assert_clean(texts, secrets)
  for _, text in ipairs(texts) do
    for _, secret in ipairs(secrets) do
      assert.falsy(text:find(secret, 1, true), "a secret leaked into: " .. text:sub(1, 200))
    end
    assert.falsy(text:find("Bearer", 1, true), "an Authorization header leaked into: " .. text:sub(1, 200))
    assert.falsy(text:find(WRONG_PASSWORD, 1, true))
  end
end

describe("secrets", function()
  local saved
  before_each(function()
    emu.reset()
    saved = call.policy.backoff_base
    call.policy.backoff_base = 0.001
  end)
  after_each(function()
    call.policy.backoff_base = saved
    emu.clear_faults()
  end)

  it("never appear in results, errors, tostring or log lines, for every op and every error path", function()
    local texts, secrets = {}, {}
    local function keep_tokens(access, refresh)
      secrets[#secrets + 1] = access
      if refresh then secrets[#secrets + 1] = refresh end
    end
    local s = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test",
      timeout = 0.3, max_retries = 1, on_tokens = keep_tokens, on_log = function(l) texts[#texts + 1] = l end })
    assert(s:login())
    local FAULTS = { { kind = "status", status = 500 }, { kind = "status", status = 429, body = "html" },
      { kind = "status", status = 401 }, { kind = "status", status = 400 }, { kind = "drop" },
      { kind = "truncate" }, { kind = "delay", delay_ms = 500 } }
    for _, ep in ipairs(ops.list()) do
      local ctx = ops.setup(s)
      local method, path = ops.path(s, ep.op, ctx)
      strings({ ops.call(s, ep.op, ctx) }, texts) -- the success path
      for _, f in ipairs(FAULTS) do
        if ep.op == "delete_campaign" or ep.op == "delete_number" then ctx = ops.setup(s) end
        local rule = { method = method, path = path, count = 1 }
        for k, v in pairs(f) do rule[k] = v end
        emu.fault(rule)
        strings({ ops.call(s, ep.op, ctx) }, texts)
        emu.clear_faults()
      end
      strings({ core.build(s, ep.op, { nonsense = true }) }, texts) -- validation
      texts[#texts + 1] = tostring(s)
    end
    -- auth paths: a rejected refresh token and a wrong password
    emu.reset()
    strings({ s:user() }, texts)
    local s2 = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com",
      password = WRONG_PASSWORD, on_log = function(l) texts[#texts + 1] = l end })
    strings({ s2:user() }, texts)
    strings({ s2:login() }, texts)
    texts[#texts + 1] = tostring(s2)
    s:close()
    texts[#texts + 1] = tostring(s)
    assert.is_true(#secrets >= 4, "tokens were seen")
    assert.is_true(#texts > 500)
    assert_clean(texts, secrets)
  end)

  it("v1: the API token, the login cookies and the password never appear, on success and under faults", function()
    local V = require "spec.helpers.emulator_v1"
    V.fresh()
    local texts, secrets = {}, { V.token }
    local function keep(access, refresh)
      secrets[#secrets + 1] = access
      if refresh then secrets[#secrets + 1] = refresh end
    end
    local function log(l) texts[#texts + 1] = l end
    local key = assert(tingting.session { base_url = emu.url(), api_key = V.token, timeout = 0.3, max_retries = 1,
      on_log = log })
    local login = assert(tingting.session { base_url = emu.url(), api = "v1", email = "test@gmail.com",
      password = "test", timeout = 0.3, max_retries = 1, on_log = log, on_tokens = keep })
    assert.is_true(login:login())
    for _, s in ipairs { key, login } do
      local c = assert(s:create_campaign { name = "secret", services = "PHONE" })
      local n = assert(c:add_number("9841234567", { name = "Ram" }))
      local calls = {
        function() return s:user() end, function() return select(2, s:api_token()) end,
        function() return s:dashboard() end, function() return s:campaigns() end,
        function() return s:campaign(c.id) end, function() return c:numbers() end,
        function() return c:update { name = "x" } end, function() return c:set_message { message = "m" } end,
        function() return n:attributes() end, function() return n:update { available_tags = { a = "1" } } end,
        function() return c:test_voice { message = "m" } end, function() return n:demo_call() end,
        function() return c:report() end, function() return s:otps() end,
        function() return s:send_otp(ops.OTP_V1) end,
        -- the token is what these two give: only their errors are looked at
        function() return select(2, s:generate_api_token()) end,
      }
      for _, f in ipairs(calls) do
        strings({ f() }, texts)
        for _, fault in ipairs { { kind = "status", status = 500 }, { kind = "status", status = 401 },
          { kind = "drop" }, { kind = "status", status = 400, body = { detail = "no" } } } do
          local rule = { count = 1 }
          for k, v in pairs(fault) do rule[k] = v end
          emu.fault(rule)
          strings({ f() }, texts)
          emu.clear_faults()
        end
      end
      texts[#texts + 1] = tostring(s)
    end
    strings({ select(2, key:generate_api_token()) }, texts)
    strings({ login:refresh() }, texts)
    key:close()
    login:close()
    texts[#texts + 1] = tostring(key)
    texts[#texts + 1] = tostring(login)
    assert.is_true(#secrets >= 3)
    assert.is_true(#texts > 150, #texts)
    assert_clean(texts, secrets)
  end)

  it("never appear in the CLI's output, with -v and --json, on success and on failure", function()
    cli.setup()
    local env = { TINGTING_EMAIL = cli.EMAIL, TINGTING_PASSWORD = cli.PASSWORD }
    local _, err, code = cli.run({ "login", "--base-url", emu.url(), "-v", "--json" }, env)
    assert.equal(0, code, err)
    local doc = cli.decode(cli.read(cli.session_file()))
    assert.equal("600", cli.mode(cli.session_file()))
    for _, fault in ipairs { { kind = "status", status = 500 }, { kind = "drop" },
      { kind = "status", status = 401 } } do
      emu.fault { path = "/api/accounts/user_details/", kind = fault.kind, status = fault.status, count = 3 }
      cli.tt({ "whoami", "-v" }, env)
      cli.tt({ "whoami", "--json", "-v" }, env)
      emu.clear_faults()
    end
    cli.tt({ "otp", "send", "9851023212", "--message", "Code {otp}", "-v", "--json" }, env)
    cli.run({ "login", "--base-url", emu.url(), "-v" },
      { TINGTING_EMAIL = cli.EMAIL, TINGTING_PASSWORD = WRONG_PASSWORD })
    local newest = cli.decode(cli.read(cli.session_file()) or "{}")
    local secrets = { doc.access, doc.refresh }
    if newest.access then secrets[#secrets + 1] = newest.access end
    assert_clean(cli.transcript, secrets)
    cli.teardown()
  end)

  it("keeps the token file private (0600), whatever the umask", function()
    local path = os.tmpname()
    os.remove(path)
    local st = tingting.store.file(path)
    assert(os.execute("umask 000; true"))
    st:save("a.b.c", "r.e.f")
    cli.setup()
    assert.equal("600", cli.mode(path))
    cli.teardown()
    assert.equal("a.b.c", (st:load()))
    assert.falsy(tostring(st):find("a.b.c", 1, true))
    os.remove(path)
  end)

  it("refuses plain http to a non-loopback host unless allow_insecure_http = true", function()
    local s, err = tingting.session { base_url = "http://app.tingting.io" }
    assert.is_nil(s)
    assert.equal("base_url", err.field)
    for _, url in ipairs { "http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9" } do
      assert(tingting.session { base_url = url }):close()
    end
    assert(tingting.session { base_url = "http://app.tingting.io", allow_insecure_http = true }):close()
    local _, berr = tingting.session { base_url = "http://app.tingting.io", allow_insecure_http = "yes" }
    assert.equal("allow_insecure_http", berr.field)
  end)

  it("verifies TLS unless insecure = true: https to a plain http port fails, nothing is downgraded", function()
    local port = emu.url():match(":(%d+)$")
    local access = emu.login()
    emu.clear_requests()
    local s = assert(tingting.session { base_url = "https://127.0.0.1:" .. port, access_token = access,
      max_retries = 0, timeout = 2 })
    local res, err = s:user()
    assert.is_nil(res)
    assert.equal("network", err.kind)
    assert.is_false(err.sent) -- the handshake failed before the request
    s:close()
    for _, r in ipairs(emu.requests()) do assert.not_equal("/api/accounts/user_details/", r.path) end
    local _, ierr = tingting.session { base_url = "https://app.tingting.io", insecure = "true" }
    assert.equal("insecure", ierr.field)
    local _, ierr2 = tingting.session { base_url = "https://app.tingting.io", insecure = 1 }
    assert.equal("insecure", ierr2.field)
    assert.falsy(tostring(core.curl()):find("insecure", 1, true))
    assert.truthy(tostring(core.curl { insecure = true }):find("insecure=true", 1, true))
  end)
end)
