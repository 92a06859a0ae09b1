-- tingting.store.redis in plain Lua (blocking hiredis connections) against a
-- private redis-server: the shared_dict interface, TTLs, the renewal lock
-- across store objects, the prefix, scripts, failures and recovery.
local socket = require "socket"
local tingting = require "tingting"
local redish = require "spec.helpers.redis"

describe("tingting.store.redis", function()
  local srv

  local function new(opts)
    local o = { port = srv.port }
    for k, v in pairs(opts or {}) do o[k] = v end
    return assert(tingting.store.redis(o))
  end

  setup(function() srv = redish.start() end)
  teardown(function() if srv then srv:stop() end end)
  before_each(function() srv:cmd("FLUSHALL") end)

  describe("options", function()
    local cases = {
      { { host = "" }, "host" }, { { host = 5 }, "host" }, { { host = "a b" }, "host" },
      { { port = 0 }, "port" }, { { port = 70000 }, "port" }, { { port = 1.5 }, "port" }, { { port = "6379" }, "port" },
      { { password = "" }, "password" }, { { password = 1 }, "password" },
      { { db = -1 }, "db" }, { { db = 0.5 }, "db" },
      { { prefix = "" }, "prefix" }, { { prefix = 1 }, "prefix" },
      { { timeout = 0 }, "timeout" }, { { timeout = -1 }, "timeout" }, { { timeout = "1" }, "timeout" },
      { { pool_size = 0 }, "pool_size" }, { { pool_size = 2.5 }, "pool_size" },
      { { colour = "blue" }, "colour" },
    }
    for _, c in ipairs(cases) do
      local k, v = next(c[1])
      it("refuses " .. c[2] .. " = " .. tostring(v) .. " with a validation error naming it", function()
        local store, err = tingting.store.redis(c[1])
        assert.is_nil(store)
        assert.is_true(tingting.is_error(err))
        assert.equal("validation", err.kind)
        assert.equal(c[2], err.field)
        assert.matches(c[2], tostring(err))
        assert.equal(k, c[2] == "colour" and "colour" or k)
      end)
    end

    it("refuses options that are not a table", function()
      local store, err = tingting.store.redis("localhost")
      assert.is_nil(store)
      assert.equal("options", err.field)
    end)

    it("does not connect when made, even to nothing", function()
      local store = assert(tingting.store.redis { port = 1 })
      assert.matches("127.0.0.1:1", tostring(store))
      -- the same module, by its own name
      assert.is_table(require("tingting.store.redis") { port = 1 })
      assert.is_table(require("tingting.store.redis").new())
    end)
  end)

  it("sets, gets, adds once and deletes, with values as strings", function()
    local s = new()
    assert.is_nil(s:get("k"))
    assert.is_true(s:set("k", "v"))
    assert.equal("v", s:get("k"))
    assert.is_true(s:set("n", 42))
    assert.equal("42", s:get("n"))
    local ok, why = s:add("k", "w")
    assert.is_nil(ok)
    assert.equal("exists", why)
    assert.equal("v", s:get("k"))
    assert.is_true(s:add("fresh", "x"))
    assert.is_true(s:delete("k"))
    assert.is_nil(s:get("k"))
    assert.is_true(s:delete("k")) -- deleting what is gone is fine
  end)

  it("expires entries after their ttl (fractions of a second too) and reports what is left", function()
    local s = new()
    assert.is_true(s:set("short", "v", 0.3))
    assert.is_true(s:add("added", "v", 0.3))
    assert.equal(1, s:incr("count", 1, 0.3))
    assert.is_true(s:set("forever", "v"))
    local left = s:ttl("short")
    assert.is_true(left > 0.1 and left <= 0.3, tostring(left))
    assert.equal(0, s:ttl("forever"))
    assert.is_nil(s:ttl("none"))
    socket.sleep(0.4)
    assert.is_nil(s:get("short"))
    assert.is_nil(s:get("added"))
    assert.is_nil(s:ttl("short"))
    assert.equal(1, s:incr("count", 1)) -- gone, so it starts again at 0
    assert.equal(0, s:ttl("count"))     -- and a new key without a ttl has none
    assert.equal("v", s:get("forever"))
  end)

  it("counts with incr, giving a new key its ttl and leaving an old key's alone", function()
    local s = new()
    assert.equal(2, s:incr("c", 2, 60))
    assert.equal(5, s:incr("c", 3, 1))
    assert.equal(4, s:incr("c", -1))
    local left = s:ttl("c")
    assert.is_true(left > 58 and left <= 60, tostring(left))
    assert.equal(math.type and "integer" or "number", math.type and math.type(s:incr("c", 0)) or "number")
  end)

  it("keeps both tokens together, and clears them", function()
    local s, other = new(), new()
    assert.is_nil(s:load())
    s:save("access.one", "refresh.one")
    local a, r = other:load()
    assert.equal("access.one", a)
    assert.equal("refresh.one", r)
    s:save("access.two", nil)
    a, r = other:load()
    assert.equal("access.two", a)
    assert.is_nil(r)
    s:clear()
    assert.is_nil(other:load())
    s:save("access.three", "r")
    s:save(nil)
    assert.is_nil(other:load())
  end)

  it("gives the renewal lock to one holder at a time across store objects", function()
    local a, b = new(), new()
    local id = assert(a:lock(1, 5))
    local t0 = socket.gettime()
    local none, why = b:lock(0.3, 5)
    assert.is_nil(none)
    assert.equal("timeout", why)
    assert.is_true(socket.gettime() - t0 >= 0.3)
    -- unlock by a stranger's id does nothing; the holder's frees it
    b:unlock("not-the-holder")
    assert.is_nil((b:lock(0.05, 5)))
    a:unlock(id)
    local id2 = assert(b:lock(0.05, 5))
    assert.are_not.equal(id, id2)
    -- a lock whose holder never returns frees itself after `hold`
    local c = new()
    assert.is_nil((c:lock(0.05, 5)))
    b:unlock(id2)
    assert(c:lock(0.05, 0.2))
    socket.sleep(0.3)
    assert(a:lock(0.05, 5))
  end)

  it("waits for the lock to be freed rather than failing at once", function()
    local a, b = new(), new()
    local id = assert(a:lock(1, 5))
    -- freed by its holder in a second process while b waits
    local p = io.popen(("sleep 0.3; env -u LD_PRELOAD redis-cli -p %d DEL tingting:lock"):format(srv.port))
    local t0 = socket.gettime()
    assert(b:lock(3, 5))
    local waited = socket.gettime() - t0
    p:close()
    assert.is_true(waited >= 0.2 and waited < 2, tostring(waited))
    a:unlock(id) -- no longer a's: left alone
    assert.is_nil((a:lock(0.05, 5)))
  end)

  it("writes every key under its prefix, tokens and lock included", function()
    local s = new { prefix = "app1:" }
    s:save("acc", "ref")
    local id = assert(s:lock(1, 5))
    s:set("a", 1, 60)
    s:add("b", 2)
    s:incr("c", 1, 60)
    s:otp_begin_send({ code = "otp:1", cool = "otp:1:cool", sends = "otp:1:sends" },
      { record = "r", nonce = "n", ttl = 60, resend_after = 10, max_sends = 5, send_window = 600 })
    s:otp_verify({ code = "otp:1", tries = "otp:1:tries:n", cool = "otp:1:cool" },
      { record = "r", matched = false, max_attempts = 5 })
    local keys = srv:keys()
    assert.is_true(#keys >= 8, table.concat(keys, " "))
    for _, k in ipairs(keys) do assert.matches("^app1:", k) end
    s:unlock(id)
  end)

  it("uses another database when told, leaving db 0 alone", function()
    local s = new { db = 3 }
    assert.is_true(s:set("k", "in three"))
    assert.same({}, srv:keys())
    srv:cmd("SELECT", 3)
    assert.equal("in three", srv:cmd("GET", "tingting:k"))
    srv:cmd("SELECT", 0)
    srv:cmd("FLUSHALL")
  end)

  it("loads its scripts again after SCRIPT FLUSH (NOSCRIPT)", function()
    local s = new()
    assert.equal(1, s:incr("n", 1))
    srv:cmd("SCRIPT", "FLUSH")
    assert.equal(2, s:incr("n", 1))
    local id = assert(s:lock(1, 5))
    srv:cmd("SCRIPT", "FLUSH")
    s:unlock(id)
    assert(s:lock(0.05, 5))
  end)

  it("fails with a network error naming Redis while it is down, and recovers by itself", function()
    local s = new { timeout = 0.5 }
    assert.is_true(s:set("k", "before"))
    srv:halt()
    local v, err = s:get("k")
    assert.is_nil(v)
    assert.is_true(tingting.is_error(err))
    assert.equal("network", err.kind)
    assert.matches("Redis at 127%.0%.0%.1:" .. srv.port, err.message)
    for _, call in ipairs {
      function() return s:set("k", "v") end, function() return s:add("k", "v") end,
      function() return s:incr("k", 1) end, function() return s:ttl("k") end,
      function() return s:delete("k") end, function() return s:lock(0.1, 1) end,
    } do
      local ok, e = call()
      assert.is_nil(ok)
      assert.equal("network", e.kind)
    end
    assert.is_nil(s:load()) -- the session then logs in on its own
    assert.has_error(function() s:save("a", "r") end)
    srv:start()
    assert.is_nil(s:get("k")) -- a new, empty server
    assert.is_true(s:set("k", "after"))
    assert.equal("after", s:get("k"))
  end)

  it("uses a fresh connection when a pooled one was closed by a restart", function()
    local s = new()
    assert.is_true(s:set("k", "v"))
    srv:restart()
    assert.is_true(s:set("k", "again")) -- no error for the stale connection
    assert.equal("again", s:get("k"))
  end)

  it("keeps at most pool_size idle connections", function()
    local s = new { pool_size = 2 }
    for _ = 1, 10 do assert(s:set("k", "v")) end
    assert.is_true(#s.idle <= 2)
  end)

  describe("with a password", function()
    local locked
    setup(function() locked = redish.start { password = "s3cret pass" } end)
    teardown(function() if locked then locked:stop() end end)

    it("authenticates each new connection", function()
      local s = assert(tingting.store.redis { port = locked.port, password = "s3cret pass", db = 1 })
      assert.is_true(s:set("k", "v"))
      assert.equal("v", s:get("k"))
      local wrong = assert(tingting.store.redis { port = locked.port, password = "wrong" })
      local v, err = wrong:get("k")
      assert.is_nil(v)
      assert.equal("network", err.kind)
      assert.matches("AUTH", err.message)
      assert.is_nil(err.message:find("wrong", 1, true)) -- never the password
      local none = assert(tingting.store.redis { port = locked.port })
      v, err = none:get("k")
      assert.is_nil(v)
      assert.matches("NOAUTH", err.message)
    end)
  end)
end)
