-- Object lifetimes: sessions, campaigns and numbers collected in any order,
-- close twice, use after close, `<close>` variables.
local tingting = require "tingting"
local core = require "tingting.core"
local cjson = require "cjson"

local function answer_campaign(id)
  return 200, cjson.encode { status = 200, success = true, message = cjson.null, errors = {},
    data = { details = { { id = id, name = "c" .. id, user_phone = {}, services = "SMS",
      description = "d", usable_tags = {} } } } }
end

local function transport()
  local t = { closed = 0 }
  function t:request(req) return answer_campaign(tonumber(req.path:match("(%d+)"))) end
  function t:sleep() end
  function t:close() self.closed = self.closed + 1 end
  return t
end

local function session(t)
  return assert(tingting.session { base_url = "http://127.0.0.1:9", access_token = "a.b.c", transport = t })
end

describe("lifetimes", function()
  it("keeps a session alive while its objects are", function()
    local c = assert(session(transport()):campaign(3))
    collectgarbage()
    collectgarbage()
    assert.equal("c3", c.name)
    assert.equal(c, assert(c:reload()))
  end)

  it("collects sessions and objects in any order", function()
    local kept = {}
    for round = 1, 50 do
      local s = session(transport())
      for i = 1, 20 do
        local c = assert(s:campaign(i))
        if round % 2 == 0 then kept[#kept + 1] = c end
      end
      if round % 10 == 0 then kept = {} end
      collectgarbage()
    end
    for _, c in ipairs(kept) do assert.matches("^c%d+$", c.name) end
    kept = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
  end)

  it("closes idempotently, and only a transport it created", function()
    local t = transport()
    local s = session(t)
    s:close()
    s:close()
    assert.equal(0, t.closed) -- the caller's transport stays the caller's
    assert.has_error(function() s:campaign(1) end)
    assert.matches("closed", tostring(s))
  end)

  it("raises a clear error for methods of an object whose session was closed", function()
    local s = session(transport())
    local c = assert(s:campaign(1))
    s:close()
    local ok, err = pcall(c.reload, c)
    assert.is_false(ok)
    assert.matches("session is closed", err)
  end)

  it("supports Lua 5.4 to-be-closed variables", function()
    local t = transport()
    local probe
    do
      local s <close> = session(t)
      probe = s
      assert(s:campaign(1))
    end
    assert.is_true(probe.closed)
  end)

  it("closes the default transport with the session", function()
    local s = assert(tingting.session { base_url = "http://127.0.0.1:9" })
    local st = core.state(s)
    local curl = st.transport
    s:close()
    assert.is_nil(core.state(s).transport)
    assert.has_error(function() curl:request { method = "GET", url = "http://127.0.0.1:9/" } end)
  end)

  it("closes campaigns and numbers: fields stay readable, methods raise, the session is let go", function()
    local s = session(transport())
    local weak = setmetatable({ s }, { __mode = "v" })
    local c = assert(s:campaign(4))
    do
      local c2 <close> = assert(s:campaign(5))
      assert.equal("c5", c2.name)
    end
    c:close()
    c:close()
    assert.equal("c4", c.name)
    local ok, err = pcall(c.reload, c)
    assert.is_false(ok)
    assert.matches("tingting.campaign: the object is closed", err, 1, true)
    s = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    assert.is_nil(weak[1], "a closed campaign still holds its session")
  end)

  it("compares sessions by identity", function()
    local a, b = session(transport()), session(transport())
    assert.is_true(a == a)
    assert.is_false(a == b)
  end)
end)

