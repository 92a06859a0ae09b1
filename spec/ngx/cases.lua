-- Cases for spec/ngx_transport_spec.lua, run inside an nginx worker
-- (GET /case/<name>?args): the library over tingting.transport.ngx, or
-- over tingting.transport.cosocket with ?transport=cosocket, against the
-- emulator. Each case returns a plain table, answered as JSON; the spec
-- asserts on it and on the emulator's request log and state.
local cjson = require "cjson.safe"
local tingting = require "tingting"

local _M = {}
local cases = {}

-- The transport under test, set per request by ?transport=.
local current = "ngx"

local function new_transport(location)
  if current == "cosocket" then return assert(tingting.transport.cosocket()) end
  return assert(tingting.transport.ngx { location = location or "/_tingting" })
end

-- Where a bare transport's request goes: the location's upstream, or the API itself.
local function api_url(path)
  if current == "cosocket" then return os.getenv("TINGTING_BASE_URL") .. path end
  return "http://x" .. path
end

local function session(extra)
  local opts = {
    email = "test@gmail.com", password = "test",
    transport = new_transport(extra and extra.location),
  }
  for k, v in pairs(extra or {}) do
    if k ~= "location" then opts[k] = v end
  end
  return assert(tingting.session(opts))
end

-- A tingting.error as plain fields (or nil).
local function e(err)
  if err == nil then return nil end
  return { kind = err.kind, status = err.status, sent = err.sent, field = err.field, message = err.message,
    retryable = err.retryable, op = err.op, text = tostring(err) }
end

local function must(v, err)
  if v == nil then error("unexpected failure: " .. tostring(err), 0) end
  return v
end

local function fields_of(list)
  local out = {}
  for i, o in ipairs(list) do out[i] = o:fields() end
  return out
end

--- Every method of the public API, in the order a script would use them.
function cases.ops(args)
  local s = session()
  local r = {}
  r.login = must(s:login())
  r.user = must(s:user())
  local available = must(s:available_numbers())
  r.available = #available
  local sid = available[1].phone_number_sid
  r.bought = must(s:buy_number(sid))
  r.owned = #must(s:owned_numbers())
  r.released = must(s:release_number(sid))

  local c = must(s:create_campaign { name = "ngx list", services = "SMS", individual_number = { "9843818700" } })
  r.created = c:fields()
  local fc = must(s:create_campaign { name = "ngx file", services = "PHONE", send_to_number_file = args.xlsx })
  r.from_file = fc:fields()
  r.from_file_numbers = fields_of(must(fc:numbers()))
  local cc = must(s:create_campaign { name = "ngx csv", services = "SMS", send_to_number_file = args.csv })
  r.from_csv_numbers = #must(cc:numbers())
  r.all = #must(s:campaigns())
  local page, pagination = s:campaigns { page = 1 }
  r.page1, r.pagination = #must(page, pagination), pagination
  assert(page.pagination == pagination, "a page's pagination is its second value and the list's field")
  r.details = must(s:campaign(c.id)):fields()
  r.updated = must(c:update { description = "नमस्कार from nginx" }).description

  local n = must(fc:add_number("9812121212", { tags_name = "राम" }))
  r.added = n:fields()
  r.info = must(s:number(n.id)):fields()
  r.edited = must(n:update { available_tags = { tags_name = "Hari" } }):fields()
  r.numbers = #must(fc:numbers())
  r.number_deleted = must(n:delete())

  r.begin_message = must(c:begin { message = "नमस्कार", schedule_date = "2030-01-01T10:00" })
  r.begin_audio = must(fc:begin { aud_file = args.mp3, voice_input = "np_rija" })
  r.report_bytes = must(c:report())
  r.report_file = must(c:report(args.report))
  r.summary = must(s:report_summary())
  r.voice = must(s:test_voice { message = "नमस्कार", voice_input = "np_binod" })
  r.otp_personnel = must(s:send_otp { number = "9851023212", message = "Code {otp}", sms_send_options = "text",
    otp_options = "personnel", otp = "4321" })
  r.otp_generated = must(s:send_otp { number = "9851023212", message = "Code {otp}", sms_send_options = "voice",
    otp_options = "generated", otp_length = 6 })
  r.deleted = must(cc:delete())
  r.refreshed = must(s:refresh())
  s:close()
  return r
end

--- Bad input: a validation error, nothing sent.
function cases.validation()
  local s = session()
  local _, err1 = s:create_campaign { name = "x", services = "FAX", individual_number = { "9843818700" } }
  local _, err2 = s:send_otp { number = "9851023212", message = "no placeholder", sms_send_options = "text" }
  return { services = e(err1), message = e(err2) }
end

--- One call, for the spec's faults: its result or error.
function cases.user(args)
  local s = session { max_retries = tonumber(args.max_retries) or 2, timeout = tonumber(args.timeout) }
  local user, err = s:user()
  return { ok = user ~= nil, err = e(err) }
end

function cases.send_otp(args)
  local s = session { max_retries = tonumber(args.max_retries) or 2 }
  assert(s:login())
  local res, err = s:send_otp { number = "9851023212", message = "Code {otp}", sms_send_options = "text",
    otp_options = "personnel", otp = "1234" }
  return { ok = res ~= nil, err = e(err) }
end

--- A v1 OTP flow with an API token (?key=, ?number=; ?code= verifies): the
-- code's HMAC in the shared dict, so the verify request finds it.
function cases.v1_otp(args)
  local s = assert(tingting.session { api_key = args.key, transport = new_transport() })
  local flow = must(require("tingting.otp").new { session = s, company_name = "prixa", prefix = "v1otp:",
    store = must(tingting.store.shared_dict(ngx.shared.tingting)), secret = "spec-secret-0123456789" })
  if args.code then
    local ok, why = flow:verify(args.number, args.code)
    return { ok = ok, why = why, api = s.api }
  end
  local info, why, detail = flow:send(args.number)
  return { ok = info ~= nil, why = why, err = detail and e(detail.err), api = s.api }
end

--- Connection refused: the request provably never left.
function cases.refused()
  local s = session { location = "/_dead", max_retries = 1, access_token = "a.b.c",
    base_url = current == "cosocket" and "http://127.0.0.1:9" or nil }
  local t0 = ngx.now()
  local user, err = s:user()
  local _, oerr = s:send_otp { number = "9851023212", message = "Code {otp}", sms_send_options = "text",
    otp_options = "personnel", otp = "1234" }
  ngx.update_time()
  return { ok = user ~= nil, err = e(err), otp = e(oerr), secs = ngx.now() - t0 }
end

--- Two upstream peers: the API took the request and dropped it, the next
-- peer refused. The request was sent: never `sent = false`.
function cases.multi()
  local s = session { location = "/_multi", max_retries = 0 }
  assert(s:login())
  local user, err = s:user()
  return { ok = user ~= nil, err = e(err) }
end

--- Stale tokens: the session renews them (refresh, else login) and replays.
function cases.stale(args)
  local s = session { access_token = args.access, refresh_token = args.refresh }
  local user, err = s:user()
  return { ok = user ~= nil, err = e(err), same = s.access_token == args.access }
end

--- The subrequest carries the library's headers only, never the client's.
function cases.isolated()
  local t = new_transport()
  local status, body = t:request { op = "user", method = "GET", url = api_url("/api/accounts/user_details/"),
    headers = { Accept = "application/json" } }
  return { status = status, body = cjson.decode(body) }
end

--- add_numbers on light threads.
function cases.batch(args)
  local s = session()
  local c = must(s:campaign(tonumber(args.campaign)))
  local list = {}
  for i = 1, tonumber(args.n) do list[i] = tostring(9800000000 + i) end
  local calls, max_done = 0, 0
  local report = must(c:add_numbers(list, { concurrency = tonumber(args.concurrency), on_progress = function(done)
    calls = calls + 1
    if done > max_done then max_done = done end
  end }))
  return { added = report.added, skipped = report.skipped, failed = #report.failed, invalid = #report.invalid,
    progress_calls = calls, max_done = max_done }
end

--- An error raised by on_done stops the batch and goes on to the caller.
function cases.many_error()
  local t = new_transport()
  local reqs = {}
  for i = 1, 10 do
    reqs[i] = { op = "health", method = "GET", url = api_url("/__emulator__/config"), headers = {} }
  end
  local seen = 0
  local ok, err = pcall(t.many, t, reqs, 2, function(i)
    seen = seen + 1
    if i == 3 then error("stop at 3", 0) end
  end)
  return { ok = ok, err = err, seen = seen }
end

--- From a timer nginx allows no subrequests: a clear error, nothing sent.
function cases.timer()
  local result
  local ok, terr = ngx.timer.at(0, function()
    local s = session { access_token = "a.b.c", max_retries = 0 }
    local user, err = s:user()
    result = { ok = user ~= nil, err = e(err) }
  end)
  if not ok then return { timer = terr } end
  for _ = 1, 200 do
    if result then break end
    ngx.sleep(0.01)
  end
  return result or { timeout = true }
end

--- One GET through the hostile upstream's `case`, with the session's
-- `timeout` and the transport's `max_body`: what came back, how long it
-- took, and the worker's memory (VmRSS, VmHWM in kB) after it.
function cases.hostile(args)
  local t = assert(tingting.transport.ngx { location = "/_hostile", max_body = tonumber(args.max_body) })
  ngx.update_time()
  local t0 = ngx.now()
  local status, body, headers = t:request { op = "user", method = "GET", url = "http://api/" .. args.case,
    headers = { Accept = "application/json" }, timeout = tonumber(args.timeout) or 2, idempotent = true }
  ngx.update_time()
  local out = { secs = ngx.now() - t0, status = status }
  if status then
    out.bytes, out.headers = #body, headers
  else
    out.err = body
  end
  body = nil -- luacheck: ignore 311
  collectgarbage()
  local f = io.open("/proc/self/status", "r")
  local st = f and f:read("*a") or ""
  if f then f:close() end
  out.rss_kb = tonumber(st:match("VmRSS:%s*(%d+)"))
  out.hwm_kb = tonumber(st:match("VmHWM:%s*(%d+)"))
  out.pid = ngx.worker.pid()
  return out
end

--- tingting.store.redis over cosockets (args: port, password, db): every
-- method, the lock, a refused password and a server that is not there.
function cases.redis_store(args)
  local function new(o)
    o.port = tonumber(args.port)
    return assert(tingting.store.redis(o))
  end
  local s = new { password = args.password, db = tonumber(args.db), prefix = "ngx:" }
  local r = {}
  r.set = s:set("k", "v", 60)
  r.get = s:get("k")
  r.add = select(2, s:add("k", "w"))
  r.added = s:add("fresh", "x", 0.5)
  r.incr = s:incr("n", 2, 60)
  r.ttl = s:ttl("n")
  local id = s:lock(1, 5)
  r.locked = id ~= nil
  r.second = select(2, s:lock(0.05, 5))
  s:unlock(id)
  r.relocked = s:lock(0.05, 5) ~= nil
  s:save("access", "refresh")
  r.tokens = { s:load() }
  r.deleted = s:delete("k")
  r.gone = s:get("k") == nil
  local _, err = new({ password = "wrong" }):get("k")
  r.wrong = err and err.message
  _, err = tingting.store.redis({ port = 1 }):get("k")
  r.dead = err and { kind = err.kind, message = err.message }
  return r
end

--- Bad options: validation errors naming the option, no raise.
function cases.bad_options()
  local out = {}
  local T = tingting.transport.ngx
  for name, opts in pairs { location = { location = "no/slash" }, max_body = { max_body = 0 / 0 },
    user_agent = { user_agent = "a\r\nb" }, colour = { colour = 1 }, options = "x" } do
    local t, err = T(opts)
    out[name] = { ok = t ~= nil, field = err and err.field, kind = err and err.kind }
  end
  local d, err = tingting.store.shared_dict(ngx.shared.nope)
  out.dict = { ok = d ~= nil, field = err and err.field, kind = err and err.kind }
  return out
end

function _M.run(name)
  local case = cases[name]
  ngx.header["Content-Type"] = "application/json"
  if not case then
    ngx.status = 404
    ngx.say(cjson.encode { error = "no such case: " .. name })
    return
  end
  local args = ngx.req.get_uri_args()
  current = args.transport or "ngx"
  local ok, res = pcall(case, args)
  if not ok then
    ngx.status = 500
    ngx.say(cjson.encode { error = tostring(res) })
    return
  end
  ngx.say(cjson.encode(res))
end

return _M
