-- A script that runs every C function of tingting.core at least once, on its
-- success and failure paths, against the emulator ($TINGTING_EMULATOR_URL),
-- then drops everything and exits through lua_close. It is what the leak
-- checkers run (make test-sanitize: LeakSanitizer; make test-valgrind:
-- memcheck), so a leak or bad access anywhere in the core shows up here.
--   TINGTING_EMULATOR_URL=... LUA_PATH="lua/?.lua;lua/?/init.lua;;" \
--     LUA_CPATH="build/lua5.4/?.so;;" lua5.4 spec/memcheck.lua
package.path = "./?.lua;" .. package.path
local tingting = require "tingting"
local core = require "tingting.core"
local call = require "tingting.call"
local emu = require "spec.helpers.emulator"

local url = assert(os.getenv("TINGTING_EMULATOR_URL"), "TINGTING_EMULATOR_URL is not set")
local tmp = os.tmpname()
call.policy.backoff_base = 0.001
local covered = {}
local function mark(name) covered[name] = (covered[name] or 0) + 1 end
local function check(cond, what)
  if not cond then error("memcheck: " .. what, 2) end
end

local function run()
  emu.reset()
  local lines = {}
  local s = assert(tingting.session { base_url = url, email = "test@gmail.com", password = "test",
    timeout = 2, max_retries = 1, on_log = function(l) lines[#lines + 1] = l end })
  mark("session_new")
  check(tostring(s):find("tingting.session", 1, true), "session tostring")
  check(not s.logged_in and s.base_url == url, "session index")
  check(not pcall(function() s.base_url = "x" end), "session newindex")
  assert(s:login()); assert(s:refresh()); assert(s:user())
  check(core.jwt_payload(s.access_token):find("exp", 1, true), "jwt_payload")
  check(core.jwt_payload("not-a-jwt") == nil, "jwt_payload of garbage")
  assert(s:owned_numbers())
  local avail = assert(s:available_numbers())
  local phone = assert(s:buy_number(avail[1].phone_number_sid))
  check(phone, "buy_number")
  assert(s:release_number(avail[1].phone_number_sid))
  mark("build"); mark("parse")

  -- objects: campaigns and numbers, every accessor
  local c = assert(s:create_campaign { name = "mem", services = "SMS", individual_number = { "9843818700" },
    description = "नमस्कार" })
  local csv = tmp .. ".csv"
  local f = assert(io.open(csv, "w")); f:write("number,tags_name\n9851022343,Ram\n"); f:close()
  local c2 = assert(s:create_campaign { name = "file", services = "PHONE", send_to_number_file = csv })
  check(tostring(c):find("tingting.campaign{id=", 1, true), "campaign tostring")
  check(c ~= c2 and c == assert(s:campaign(c.id)), "campaign eq")
  check(core.fields(c).name == "mem" and core.session_of(c) == s, "fields, session_of")
  check(not pcall(function() c.name = "x" end), "campaign newindex")
  assert(c:update { description = "d2" }); assert(c:reload())
  local n = assert(c2:add_number("9851023212", { tags_name = "Hari" }))
  check(tostring(n):find("tingting.number{", 1, true) and n.campaign == c2.name, "number")
  assert(n:update { available_tags = { tags_name = "Sita" } }); assert(n:reload())
  local report = assert(c:add_numbers({ "9800000001", "9800000002", "bad", "9800000003" },
    { concurrency = 2 }))
  check(report.added == 3 and #report.invalid == 1, "add_numbers")
  mark("curl_many")
  assert(c:numbers()); assert(s:campaigns()); assert(s:campaigns { page = 1 })
  assert(c:begin { message = "hello", schedule_date = os.time() + 3600, length_factor = 1.2,
    priority = "message", voice_input = "np_rija" })
  assert(c:report()); assert(c:report(tmp .. ".report")); os.remove(tmp .. ".report")
  assert(s:report_summary())
  assert(s:test_voice { message = "नमस्कार", voice_input = "np_binod" })
  assert(s:send_otp { number = "9851023212", message = "code {otp}", sms_send_options = "text", otp_length = 6 })
  assert(n:delete()); assert(c2:delete())
  os.remove(csv)

  -- failures: validation of every field type, API errors, injected faults
  local bad = {
    { "create_campaign", { name = "", services = "FAX" } },
    { "create_campaign", { name = "x", services = "SMS", individual_number = { "12", 3.5 } } },
    { "begin", { id = 1, schedule_date = "2023-02-30T10:00", status = { "nope" } } },
    { "begin", { id = 1, length_factor = "abc" } }, { "begin", { id = 1, individual = { -1 } } },
    { "begin", { id = 1, aud_file = "/nonexistent" } }, { "begin", { id = 0 / 0 } },
    { "add_number", { id = 1, number = "98x", available_tags = { ["bad key"] = 1 } } },
    { "send_otp", { number = "9851023212", message = "no placeholder", sms_send_options = "text", otp = "x" } },
    { "send_otp", { number = "9851023212", message = "{otp}", sms_send_options = "text", otp_length = "99" } },
    { "update_number", { id = 1 } }, { "campaigns", { page = 1.5 } }, { "user", { unknown = 1 } },
  }
  for _, b in ipairs(bad) do
    local req, err = core.build(s, b[1], b[2])
    check(req == nil and err.kind == "validation" and tostring(err):find(err.field, 1, true), "validation " .. b[1])
  end
  mark("validate")
  local _, e404 = s:campaign(999999); check(e404.kind == "not_found", "404")
  local _, e400 = s:buy_number("no-such-sid")
  check(e400.kind == "api" or e400.kind == "not_found", "4xx " .. tostring(e400))
  emu.fault { path = "/api/accounts/user_details/", kind = "status", status = 503, retry_after = 0, count = 2 }
  local _, e503 = s:user(); check(e503.kind == "server" and e503.retryable, "503")
  emu.fault { path = "/api/accounts/user_details/", kind = "html", count = 2 }
  local _, ehtml = s:user(); check(ehtml.message:find("HTML", 1, true), "html")
  emu.fault { path = "/api/accounts/user_details/", kind = "truncate", count = 2 }
  local _, etrunc = s:user(); check(etrunc, "truncate")
  emu.fault { method = "POST", path = "/api/system/send/otp/", kind = "drop", after = true, count = 1 }
  local _, edrop = s:send_otp { number = "9851023212", message = "{otp}", sms_send_options = "text" }
  check(edrop.kind == "network" and edrop.sent == true, "drop after")
  check(core.parse(s, "user", 200, "{not json", {}) == nil, "parse garbage")
  check(core.is_error(core.error { kind = "api", message = "m" }) and not core.is_error({}), "is_error")
  check(tingting.normalize_phone("+977 984-381-8700") == "9843818700", "normalize_phone")
  -- json_encode: a document large enough to grow its buffer, and each refusal
  -- (the buffer is freed on every path)
  local doc = { list = setmetatable({}, core.json_array), n = 0.1, s = ("é\1"):rep(3000) }
  for i = 1, 200 do doc[("k%03d"):format(i)] = { i, { x = i } } end
  check(#core.json_encode(doc) > 9000, "json_encode")
  local cyc = {}; cyc[1] = { cyc }
  check(core.json_encode(cyc) == nil and core.json_encode({ 0 / 0 }) == nil, "json_encode refusals")
  check(core.json_encode({ [true] = 1 }) == nil, "json_encode bad key")
  check(#lines > 0, "on_log")

  -- the transport on its own: request, many with a raising on_done, close, tostring
  local t = core.curl { timeout = 1, user_agent = "memcheck", max_body = 1 << 20 }
  local st = t:request { method = "GET", url = url .. "/api/accounts/user_details/" }
  check(st == 401, "curl request")
  local reqs = {}
  for i = 1, 6 do reqs[i] = { method = "GET", url = url .. "/api/accounts/user_details/" } end
  check(not pcall(t.many, t, reqs, 3, function(i) if i then error("stop") end end), "many raising")
  check(t:many(reqs, 3, function() end), "many")
  local refused = { method = "POST", url = "http://127.0.0.1:1/", body = "x", idempotent = false }
  local _, rerr = t:request(refused); check(rerr.sent == false, "refused")
  t:sleep(0.001); core.sleep(0.001)
  check(tostring(t):find("timeout=1", 1, true), "curl tostring")
  t:close(); t:close()
  check(tostring(t) == "tingting.curl{closed}", "curl closed")
  mark("curl_request")

  -- fsutil
  assert(core.write_private(tmp .. ".tok", "secret"))
  check(core.write_private("/nonexistent/dir/x", "y") == nil, "write_private failure")
  os.remove(tmp .. ".tok")
  check(type(core.isatty(io.stdout)) == "boolean" and core.isatty(-1) == false, "isatty")

  -- crypto: every length class of SHA-256 padding, HMAC with short and long
  -- keys, hex across buffer refills, random bytes at both bounds, the
  -- constant-time compare, and the argument errors of each
  check(core.hex(core.sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256")
  for _, len in ipairs { 0, 55, 56, 63, 64, 65, 100000 } do
    check(#core.sha256(("a\0"):rep(len // 2 + 1):sub(1, len)) == 32, "sha256 length " .. len)
  end
  check(core.hex(core.hmac_sha256("Jefe", "what do ya want for nothing?")) ==
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "hmac_sha256")
  check(#core.hmac_sha256(("\xaa"):rep(131), "m\0sg") == 32 and #core.hmac_sha256("", "") == 32, "hmac long key")
  check(#core.hex(("\0\255"):rep(5000)) == 20000 and core.hex("") == "", "hex")
  check(#core.random_bytes(1) == 1 and #core.random_bytes(65536) == 65536, "random_bytes")
  check(core.equal("a\0b", "a\0b") and not core.equal("a\0b", "a\0c") and not core.equal("a", "ab"), "equal")
  check(not pcall(core.random_bytes, 0) and not pcall(core.random_bytes, "16"), "random_bytes bad n")
  check(not pcall(core.sha256, 1) and not pcall(core.hmac_sha256, "k", {}) and not pcall(core.equal, "a")
    and not pcall(core.hex, nil), "crypto bad arguments")
  mark("crypto")

  -- http_response (the cosocket transport's parser): a chunked answer with
  -- trailers byte by byte, a streamed body, each refusal, answers left to __gc
  local hp = core.http_response(64, true)
  local answer = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n"
    .. "Transfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"
  for i = 1, #answer do hp:feed(answer:sub(i, i)) end
  check(hp:done() and hp:take() == "hello" and hp:headers()["set-cookie"] == "a, b" and hp:trailers()["x-t"] == "1",
    "http_response chunked")
  hp:close(); hp:close()
  for _, answer_bad in ipairs { "garbage\r\n", "HTTP/1.1 200 OK\r\n" .. ("X: " .. ("y"):rep(100) .. "\r\n"):rep(3000),
    "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" .. ("z"):rep(100), "HTTP/1.1 101 Up\r\n\r\n" } do
    local p = core.http_response(10)
    check(p:feed(answer_bad) == nil and p:feed("more") == nil, "http_response refusal")
  end
  local cut = core.http_response()
  cut:feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
  check(cut:feed(nil) == nil and tostring(cut):find("status=200", 1, true), "http_response cut")
  check(not pcall(core.http_response, -1), "http_response bad max_body")
  mark("http_response")

  -- lifetimes: close twice, use after close, objects outliving their session
  local keep = c
  s:close(); s:close()
  check(not pcall(s.user, s), "use after close")
  check(not pcall(keep.reload, keep), "object of a closed session")
  check(tostring(keep):find("mem", 1, true), "tostring after close")
  local s2 = assert(tingting.session { base_url = url, email = "test@gmail.com", password = "test" })
  local list = assert(s2:campaigns())
  s2 = nil -- luacheck: ignore 311
  collectgarbage(); collectgarbage()
  check(#list > 0 and list[1].id, "objects keep their session")
  list[1]:close(); list[1]:close()
  check(not pcall(list[1].reload, list[1]), "method of a closed object")
  local s3 = assert(tingting.session { base_url = url })
  check(list[1] == list[1] and s ~= s3 and s3 == s3, "__eq of objects and sessions")
  s3:close()
  mark("lifetime")

  -- redis.c: the formatter, the reader on good, split, hostile and half-read
  -- input, and the blocking connection (a private redis-server, and a refused one)
  check(#core.redis_format("SET", "k", 1, 1.5, "v\0") > 0, "redis_format")
  check(not pcall(core.redis_format, "SET", {}), "redis_format refuses a table")
  local r = core.redis_reader()
  assert(r:feed("*3\r\n:1\r\n*1\r\n-ERR x\r\n+OK\r\n$3\r\nab"))
  check(type(r:get()) == "table", "reader array")
  check(r:get() == nil, "reader needs more")
  r:close(); r:close()
  for _, hostile in ipairs { "*2000000000\r\n", ("*1\r\n"):rep(20), "?\r\n", "$5\r\nabcdefgh" } do
    local rd = core.redis_reader { max_bytes = 64 }
    rd:feed(hostile)
    rd:get()
  end
  core.redis_reader():feed("$3\r\nab") -- dropped half-read, for the GC
  mark("redis_reader")
  check(core.redis_connect { port = 1, timeout = 1 } == nil, "redis_connect refused")
  local redis = require("spec.helpers.redis").start()
  local conn = assert(core.redis_connect { port = redis.port, timeout = 1 })
  assert(conn:command("SET", "k", ("v"):rep(100)))
  check(conn:command("GET", "k") == ("v"):rep(100), "redis command")
  check(conn:command("INCR", "k") == nil, "redis error reply")
  check(conn:command("BLPOP", "none", 2) == nil and not conn:usable(), "redis timeout drops the connection")
  conn:close(); conn:close()
  local big = assert(core.redis_connect { port = redis.port, timeout = 1, max_bytes = 16 })
  check(big:command("GET", "k") == nil, "redis reply over max_bytes")
  big = nil -- luacheck: ignore 311
  local store = assert(tingting.store.redis { port = redis.port })
  assert(store:set("a", 1, 10)); assert(store:incr("n", 1, 10)); assert(store:lock(1, 5))
  redis:stop()
  mark("redis_connect")
end

run()
-- Keep C modules mapped at exit: lua_close would dlclose them before the leak
-- checkers report, leaving stacks of "<unknown module>" frames.
setmetatable(debug.getregistry()._CLIBS or {}, nil)
collectgarbage()
collectgarbage()
os.remove(tmp)
local names = {}
for k in pairs(covered) do names[#names + 1] = k end
table.sort(names)
print("memcheck: ok (" .. table.concat(names, ", ") .. ")")
