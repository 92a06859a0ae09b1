-- Ids of 15 digits and more on the wire and in tostring, on every Lua: Lua
-- 5.1 and LuaJIT hold numbers as doubles and write 123456789012345 as
-- 1.2345678901235e+14, which must never reach a path, a query or a body.
-- Ids beyond 2^53 (which no double holds) go as digit strings. Sans-IO: the
-- built requests are read from a recording transport. Runs in make
-- test-compat (lua5.3, lua5.1, luajit).
local tingting = require "tingting"
local core = require "tingting.core"
local cjson = require "cjson"

local BASE = "http://127.0.0.1:9"
local BIG = 123456789012345          -- 15 digits: %.14g writes it with an exponent
local BIGGER = 4503599627370497      -- 16 digits, still below 2^53
local HUGE = "123456789012345678"    -- beyond 2^53: only a digit string holds it

local function recorder(body)
  local t = { requests = {} }
  function t:request(req)
    self.requests[#self.requests + 1] = req
    return 200, body or cjson.encode { status = 200, success = true, data = {} },
      { ["content-type"] = "application/json" }
  end
  function t:sleep() end
  return t
end

-- a legacy access token that expires in 2100
local TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjQxMDI0NDQ4MDAsInRva2VuX3R5cGUiOiJhY2Nlc3MifQ.sig"

local function session(t, extra)
  local opts = { base_url = BASE, access_token = TOKEN, transport = t }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return assert(tingting.session(opts))
end

describe("ids of 15 digits and more", function()
  local s
  before_each(function() s = session(recorder()) end)

  it("go into a path exactly, as numbers and as digit strings beyond 2^53", function()
    for _, case in ipairs {
      { BIG, "/api/system/campaigns/123456789012345/details" },
      { BIGGER, "/api/system/campaigns/4503599627370497/details" },
      { 2 ^ 53, "/api/system/campaigns/9007199254740992/details" },
      { HUGE, "/api/system/campaigns/123456789012345678/details" },
      { "9223372036854775807", "/api/system/campaigns/9223372036854775807/details" },
    } do
      local req = assert(core.build(s, "campaign", { id = case[1] }))
      assert.equal(case[2], req.path)
      assert.equal(BASE .. case[2], req.url)
    end
  end)

  it("go into a query exactly", function()
    local req = assert(core.build(s, "report", { campaign_id = BIG }))
    assert.equal("/api/system/campaigns/report/download/?campaign_id=123456789012345", req.path)
    req = assert(core.build(s, "report", { campaign_id = HUGE }))
    assert.equal("/api/system/campaigns/report/download/?campaign_id=123456789012345678", req.path)
  end)

  it("go into a JSON body as JSON integers, digit strings included", function()
    local v1 = assert(tingting.session { base_url = BASE, api_key = ("ab12"):rep(16), transport = recorder() })
    local req = assert(core.build(v1, "create_campaign", { name = "n", services = "PHONE", message = "m",
      user_phone = { BIG, HUGE }, voice = BIGGER }))
    assert.matches('"user_phone":%[123456789012345,123456789012345678%]', req.body)
    assert.matches('"voice":4503599627370497', req.body)
  end)

  it("reach the server whole through a session method", function()
    local t = recorder()
    s = session(t)
    s:campaign(BIG)
    s:campaign(HUGE)
    assert.equal("/api/system/campaigns/123456789012345/details", t.requests[1].path)
    assert.equal("/api/system/campaigns/123456789012345678/details", t.requests[2].path)
  end)

  it("are refused, naming the field, when not a positive integer, and nothing is sent", function()
    local t = recorder()
    s = session(t)
    for _, bad in ipairs { 0, -BIG, BIG + 0.5, "-123456789012345678", "1234567890123456.5", "9223372036854775808",
      "0123456789012345678", "8", "9007199254740992", " 123456789012345678", 2 ^ 60 } do
      local res, err = s:campaign(bad)
      assert.is_nil(res)
      assert.equal("validation", err.kind)
      assert.equal("id", err.field)
      assert.matches("expected a positive integer", err.message)
    end
    assert.equal(0, #t.requests)
  end)

  it("beyond 2^53 as a number: the error says to pass a digit string", function()
    local _, err = s:campaign(2 ^ 60)
    assert.matches("digit string", err.message)
  end)

  it("show whole in tostring of a campaign and a number", function()
    local c = core.parse(s, "campaign", 200,
      '{"data": {"details": [{"id": 123456789012345, "name": "x", "services": "PHONE"}]}}', {})
    assert.equal('tingting.campaign{id=123456789012345, name="x", services="PHONE"}', tostring(c))
    c = core.parse(s, "campaign", 200,
      '{"data": {"details": [{"id": 3000000000, "name": "x", "services": "PHONE"}]}}', {})
    assert.matches("^tingting%.campaign{id=3000000000,", tostring(c))
    local n = core.parse(s, "number", 200,
      '{"data": {"number-detail": [{"id": 9876543210123, "number": "9841000000", "status": "completed"}]}}', {})
    assert.equal('tingting.number{id=9876543210123, number="9841000000", status="completed"}', tostring(n))
  end)
end)
