-- The Redis protocol pieces of the C core (csrc/redis.c, over hiredis):
-- the sans-IO formatter and reader that the nginx path drives over a
-- cosocket, and the blocking connection plain Lua uses.
local core = require "tingting.core"
local redish = require "spec.helpers.redis"

local function reader_of(bytes, opts)
  local r = core.redis_reader(opts)
  assert(r:feed(bytes))
  return r
end

describe("core.redis_format", function()
  it("writes a command as RESP, binary-safe", function()
    assert.equal("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\0b\r\n\r\n", core.redis_format("SET", "k", "a\0b\r\n"))
    assert.equal("*1\r\n$4\r\nPING\r\n", core.redis_format("PING"))
    assert.equal("*2\r\n$3\r\nGET\r\n$0\r\n\r\n", core.redis_format("GET", ""))
  end)

  it("writes whole numbers as integers and others with all their digits", function()
    assert.equal(core.redis_format("X", "5", "-3", "1.5", "0.1"), core.redis_format("X", 5, -3, 1.5, 0.1))
    assert.equal(core.redis_format("X", "9007199254740992"), core.redis_format("X", 2 ^ 53))
  end)

  it("refuses what is not a string or a finite number (a programmer error)", function()
    assert.has_error(function() core.redis_format() end)
    assert.has_error(function() core.redis_format("SET", "k", true) end)
    assert.has_error(function() core.redis_format("SET", "k", {}) end)
    assert.has_error(function() core.redis_format("SET", "k", 0 / 0) end)
    assert.has_error(function() core.redis_format("SET", "k", math.huge) end)
  end)
end)

describe("core.redis_reader", function()
  it("maps every reply type to a Lua value", function()
    local r = reader_of("+OK\r\n:-42\r\n$5\r\nhello\r\n$-1\r\n*-1\r\n$0\r\n\r\n*0\r\n")
    assert.same({ ok = "OK" }, r:get())
    assert.equal(-42, r:get())
    assert.equal("hello", r:get())
    assert.equal(false, r:get())
    assert.equal(false, r:get())
    assert.equal("", r:get())
    assert.same({}, r:get())
    assert.is_nil(r:get()) -- nothing more yet
  end)

  it("gives an error reply as nil, message, \"redis\" and keeps its kind word", function()
    local r = reader_of("-NOSCRIPT No matching script. Please use EVAL.\r\n")
    local v, err, kind = r:get()
    assert.is_nil(v)
    assert.equal("NOSCRIPT No matching script. Please use EVAL.", err)
    assert.equal("redis", kind)
  end)

  it("builds nested arrays, with errors, statuses and nils inside as values", function()
    local r = reader_of("*4\r\n:1\r\n*2\r\n$1\r\na\r\n*1\r\n$-1\r\n-ERR inner\r\n+QUEUED\r\n")
    assert.same({ 1, { "a", { false } }, { err = "ERR inner" }, { ok = "QUEUED" } }, r:get())
  end)

  it("waits for more bytes on split input, whatever the split", function()
    local bytes = "*3\r\n$5\r\nhe\r\nl\r\n:123\r\n*2\r\n+OK\r\n$-1\r\n"
    for cut = 1, #bytes - 1 do
      local r = core.redis_reader()
      assert(r:feed(bytes:sub(1, cut)))
      assert.is_nil(r:get(), "cut at " .. cut)
      assert(r:feed(bytes:sub(cut + 1)))
      assert.same({ "he\r\nl", 123, { { ok = "OK" }, false } }, r:get())
    end
    -- one byte at a time
    local r = core.redis_reader()
    for i = 1, #bytes do
      assert(r:feed(bytes:sub(i, i)))
      if i < #bytes then assert.is_nil(r:get()) end
    end
    assert.same({ "he\r\nl", 123, { { ok = "OK" }, false } }, r:get())
  end)

  it("reports a protocol error, and stays failed", function()
    for _, bad in ipairs { "?what\r\n", ":12x\r\n", "$abc\r\n", "*-2\r\n" } do
      local r = reader_of(bad)
      local v, err, kind = r:get()
      assert.is_nil(v, bad)
      assert.equal("protocol", kind, bad)
      assert.is_string(err)
      assert.is_nil(r:feed("+OK\r\n"))
      assert.is_nil((r:get()))
    end
  end)

  it("refuses arrays nested deeper than hiredis' limit of 8", function()
    local ok = reader_of(("*1\r\n"):rep(8) .. ":1\r\n")
    assert.same({ { { { { { { { 1 } } } } } } } }, ok:get())
    local r = reader_of(("*1\r\n"):rep(9) .. ":1\r\n")
    local v, err, kind = r:get()
    assert.is_nil(v)
    assert.equal("protocol", kind)
    assert.matches("depth", err)
    -- and a deeply hostile one fails just as cleanly
    v, err = reader_of(("*1\r\n"):rep(100000)):get()
    assert.is_nil(v)
    assert.matches("depth", err)
  end)

  it("refuses a huge declared array before setting memory aside for it", function()
    local v, err, kind = reader_of("*2000000000\r\n"):get()
    assert.is_nil(v)
    assert.equal("protocol", kind)
    assert.matches("too large", err)
    v, err = reader_of("*100\r\n", { max_bytes = 64 }):get()
    assert.is_nil(v)
    assert.matches("array of 100 elements", err)
    -- out of hiredis' range altogether
    v, err = reader_of("*99999999999999\r\n"):get()
    assert.is_nil(v)
    assert.is_string(err)
  end)

  it("stops buffering a reply once it passes max_bytes, whatever length it declares", function()
    local r = core.redis_reader { max_bytes = 1000 }
    assert(r:feed("$9000000000000\r\n"))
    assert.is_nil(r:get()) -- declared, not yet arrived
    local ok, err, kind = r:feed(("x"):rep(2000))
    assert.is_nil(ok)
    assert.equal("protocol", kind)
    assert.matches("more than 1000 bytes", err)
    assert.is_nil((r:get()))
    -- a string that fits but is larger than the limit in one piece
    r = core.redis_reader { max_bytes = 16 }
    assert.is_nil((r:feed("$20\r\n" .. ("y"):rep(20) .. "\r\n")))
  end)

  it("counts only the reply being read against max_bytes", function()
    local r = core.redis_reader { max_bytes = 100 }
    for _ = 1, 50 do
      assert(r:feed("$60\r\n" .. ("z"):rep(60) .. "\r\n"))
      assert.equal(("z"):rep(60), r:get())
    end
  end)

  it("closes idempotently and refuses use after close", function()
    local r = core.redis_reader()
    assert(r:feed("$3\r\nab")) -- a reply half read is freed too
    r:close()
    r:close()
    assert.has_error(function() r:get() end)
    assert.has_error(function() r:feed("x") end)
    assert.matches("closed", tostring(r))
    assert.has_error(function() core.redis_reader { max_bytes = 1 } end)
  end)
end)

describe("core.redis_connect", function()
  local srv
  setup(function() srv = redish.start() end)
  teardown(function() if srv then srv:stop() end end)

  it("runs commands on a blocking hiredis connection", function()
    local c = assert(core.redis_connect { host = "127.0.0.1", port = srv.port, timeout = 1 })
    assert.same({ ok = "PONG" }, c:command("PING"))
    assert.same({ ok = "OK" }, c:command("SET", "spec:k", "v\0w"))
    assert.equal("v\0w", c:command("GET", "spec:k"))
    assert.equal(false, c:command("GET", "spec:none"))
    assert.equal(3, c:command("INCRBY", "spec:n", 3))
    assert.same({ 1, "two", false, { 3 } },
      c:command("EVAL", "return {1, 'two', false, {3}}", 0))
    local v, err, kind = c:command("INCR", "spec:k")
    assert.is_nil(v)
    assert.matches("^ERR", err)
    assert.equal("redis", kind)
    assert.is_true(c:usable()) -- an error reply leaves the connection usable
    assert.same({ ok = "PONG" }, c:command("PING"))
    c:close()
    c:close()
    assert.is_false(c:usable())
    assert.has_error(function() c:command("PING") end)
    srv:cmd("FLUSHALL")
  end)

  it("fails with network when nothing listens, and timeout when the server takes too long", function()
    local c, err, kind = core.redis_connect { host = "127.0.0.1", port = 1, timeout = 1 }
    assert.is_nil(c)
    assert.equal("network", kind)
    assert.matches("Redis at 127.0.0.1:1", err)
    c = assert(core.redis_connect { port = srv.port, timeout = 0.2 })
    local v
    v, err, kind = c:command("BLPOP", "spec:nothing", 2)
    assert.is_nil(v)
    assert.equal("timeout", kind)
    assert.matches("Redis at 127.0.0.1:" .. srv.port, err)
    -- a timed-out connection is dropped: its next answer cannot be trusted
    assert.is_false(c:usable())
    v, err, kind = c:command("PING")
    assert.is_nil(v)
    assert.equal("network", kind)
    assert.matches("timed out", err)
    c:close()
  end)

  it("refuses an oversized reply and drops the connection", function()
    local c = assert(core.redis_connect { port = srv.port, timeout = 1, max_bytes = 64 })
    assert(c:command("SET", "spec:big", ("b"):rep(1000)))
    local v, err, kind = c:command("GET", "spec:big")
    assert.is_nil(v)
    assert.equal("protocol", kind)
    assert.matches("too large", err)
    assert.is_false(c:usable())
    c:close()
    srv:cmd("FLUSHALL")
  end)

  it("is freed by the garbage collector and by <close>-style close alike", function()
    for _ = 1, 50 do
      local c = assert(core.redis_connect { port = srv.port, timeout = 1 })
      assert(c:command("PING"))
    end
    collectgarbage()
    collectgarbage()
    local clients = srv:cmd("CLIENT", "LIST")
    local n = select(2, clients:gsub("\n", "\n"))
    assert.is_true(n <= 3, n .. " connections still open")
  end)
end)
