-- The small promises that make the library pleasant to use: errors that
-- concatenate, one value on success, options tables that catch typos, clear
-- words for misuse and for nginx-only transports outside nginx.
local tingting = require "tingting"
local core = require "tingting.core"
local emu = require "spec.helpers.emulator"
local cjson = require "cjson"

local SPEC = "spec/paper_cuts_spec.lua"

local function legacy_session()
  return assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test" })
end

local function v1_sessions()
  local status, text = emu.http("POST", "/__emulator__/api-token")
  assert.equal(201, status, text)
  local key = assert(tingting.session { base_url = emu.url(), api_key = cjson.decode(text).token })
  local login = assert(tingting.session { base_url = emu.url(), api = "v1", email = "test@gmail.com",
    password = "test" })
  return key, login
end

-- The unknown-key error every options table gives.
local function assert_unknown(key, meant, err)
  assert.is_true(tingting.is_error(err), tostring(err))
  assert.equal("validation", err.kind)
  assert.equal(key, err.field)
  assert.is_false(err.sent)
  assert.matches(key .. ": unknown", err.message, 1, true)
  assert.matches("did you mean '" .. meant .. "'?", err.message, 1, true)
  assert.matches(meant, err.message:match("%(accepted: ([^)]*)%)") or err.message:match("%(expected ([^)]*)%)"),
    1, true)
end

describe("errors concatenate like strings", function()
  it("an error made in Lua goes on either side of ..", function()
    local _, err = tingting.session { base_url = 5 }
    assert.equal("failed: " .. tostring(err), "failed: " .. err)
    assert.equal(tostring(err) .. " (retrying)", err .. " (retrying)")
    assert.equal("1" .. tostring(err), 1 .. err)
  end)

  it("an error made in C, from validation or from an answer, goes on either side of ..", function()
    emu.reset()
    local s = legacy_session()
    local _, verr = s:create_campaign { name = "x", services = "FAX", individual_number = { "9843818700" } }
    assert.equal("validation", verr.kind)
    assert.equal("failed: " .. tostring(verr), "failed: " .. verr)
    local _, nerr = s:campaign(424242)
    assert.equal("not_found", nerr.kind)
    assert.equal(tostring(nerr) .. "!", nerr .. "!")
    assert.matches("^tingting: not_found error 404", "" .. nerr)
    s:close()
  end)

  it("concatenating an error with a table is still an error", function()
    local _, err = tingting.session { base_url = 5 }
    assert.has_error(function() return {} .. err end)
  end)
end)

describe("success is one value", function()
  -- Every method of the three classes, called so that it succeeds; a new
  -- method without a case here fails the coverage check below.
  local seen = {}
  local function one(name, ...)
    seen[name:gsub("^%a:", ""):match("^[%w_]+")] = true
    local n, first, second = select("#", ...), ...
    assert(first ~= nil, name .. " failed: " .. tostring(second))
    assert.is_nil(second, name .. " returned a second value on success")
    assert.is_true(n <= 1 or second == nil, name)
    return first
  end
  -- a listing asked for one page: the list, then its pagination (never an
  -- error in second place)
  local function page(name, ...)
    seen[name:gsub("^%a:", ""):match("^[%w_]+")] = true
    local n, first, second = select("#", ...), ...
    assert(first ~= nil, name .. " failed: " .. tostring(second))
    assert.equal(2, n, name)
    assert.is_false(tingting.is_error(second), name)
    assert.equal(first.pagination, second, name .. ": the second value is the list's pagination")
    return first
  end

  setup(function() emu.reset() end)

  it("on a legacy session, for every Session, Campaign and Number method", function()
    local s = legacy_session()
    one("login", s:login())
    one("refresh", s:refresh())
    one("user", s:user())
    one("owned_numbers", s:owned_numbers())
    local available = one("available_numbers", s:available_numbers())
    one("buy_number", s:buy_number(available[1].phone_number_sid))
    one("release_number", s:release_number(available[1].phone_number_sid))
    local c = one("create_campaign", s:create_campaign { name = "one", services = "PHONE",
      individual_number = { "9843818700" } })
    one("campaigns", s:campaigns())
    page("campaigns{page}", s:campaigns { page = 1 })
    one("campaign", s:campaign(c.id))
    one("report_summary", s:report_summary())
    one("test_voice", s:test_voice { message = "hi", voice_input = "np_rija" })
    one("send_otp", s:send_otp { number = "9843818700", message = "code {otp}", sms_send_options = "text",
      otp_options = "generated" })
    one("c:reload", c:reload())
    one("c:update", c:update { name = "two" })
    one("c:numbers", c:numbers())
    local n = one("c:add_number", c:add_number("9843818702"))
    one("c:add_numbers", c:add_numbers { "9843818704" })
    one("number", s:number(n.id))
    one("n:reload", n:reload())
    one("n:update", n:update { number = "9843818709" })
    one("n:fields", n:fields())
    one("c:begin", c:begin { message = "hi", voice_input = "np_rija" })
    one("c:report", c:report())
    one("c:render", c:render("hi {tags_x}", {}))
    one("c:fields", c:fields())
    one("n:delete", n:delete())
    one("c:delete", c:delete())
    s:close()
  end)

  it("on v1 sessions (API token and login), for every Session, Campaign and Number method", function()
    local k, l = v1_sessions()
    one("login", l:login())
    one("refresh", l:refresh())
    one("user", k:user())
    one("api_token", l:api_token())
    one("dashboard", k:dashboard { days = 7 })
    one("voice_models", k:voice_models())
    one("sender_numbers", k:sender_numbers())
    one("owned_numbers", k:owned_numbers())
    local c = one("create_campaign", k:create_campaign { name = "v", services = "PHONE" })
    one("campaigns", k:campaigns())
    page("campaigns{limit}", k:campaigns { limit = 1 })
    one("each_campaign", k:each_campaign())
    one("campaign", k:campaign(c.id))
    one("c:reload", c:reload())
    one("c:update", c:update { name = "vv" })
    one("c:set_message", c:set_message { message = "hello", voice = 1 })
    local n = one("c:add_number", c:add_number("9843818700", { name = "a" }))
    one("c:add_numbers", c:add_numbers { "9843818702" })
    one("c:upload_numbers", c:upload_numbers { "9843818705" })
    one("c:numbers", c:numbers())
    page("c:numbers{limit}", c:numbers { limit = 1 })
    one("c:each_number", c:each_number())
    one("c:test_voice", c:test_voice { message = "hi", voice_input = "np_rija" })
    one("n:update", n:update { available_tags = { name = "b" } })
    one("n:attributes", n:attributes())
    one("n:demo_call", n:demo_call())
    one("c:begin", c:begin())
    one("survey_report", k:survey_report(c.id))
    one("send_otp", k:send_otp { number = "9843818700", message = "code {otp}", sms_send_options = "text",
      otp_options = "generated", company_name = "acme" })
    one("otps", k:otps())
    page("otps{limit}", k:otps { limit = 1 })
    one("n:delete", n:delete())
    one("c:delete", c:delete())
    one("generate_api_token", l:generate_api_token())
    k:close()
    l:close()
  end)

  it("covers every method of the three classes", function()
    for _, methods in ipairs { core.session_methods, core.campaign_methods, core.number_methods } do
      for name in pairs(methods) do
        if name ~= "close" then assert.is_true(seen[name], "no one-value case for method " .. name) end
      end
    end
  end)

  it("keeps a page's pagination on the list (and second for one page), away from ipairs, pairs, JSON", function()
    emu.reset()
    emu.config { page_size = 2 }
    local s = legacy_session()
    for i = 1, 3 do
      assert(s:create_campaign { name = "p" .. i, services = "SMS", individual_number = { "9843818700" } })
    end
    local list, pagination = s:campaigns { page = 1 }
    assert.equal(list.pagination, pagination)
    assert.equal(2, #list)
    assert.equal(3, list.pagination.total_items)
    assert.is_true(list.pagination.has_next)
    local keys = 0
    for _ in pairs(list) do keys = keys + 1 end
    assert.equal(2, keys)
    assert.equal(3, s:campaigns().pagination.total_items)
    assert.equal(1, select("#", s:campaigns()))
    s:close()
  end)

  it("keeps the server's message of a legacy begin as server_message", function()
    emu.reset()
    local s = legacy_session()
    local c = assert(s:create_campaign { name = "run", services = "PHONE", individual_number = { "9843818700" } })
    local data, err = c:begin { message = "hi", voice_input = "np_rija" }
    assert.is_nil(err)
    assert.is_string(data["hold amount"])
    assert.equal("Campaign is running!!", data.server_message)
    s:close()
  end)
end)

describe("options tables refuse unknown keys", function()
  it("session{}: names the key, the one likely meant and the accepted ones", function()
    local s, err = tingting.session { base_url = "http://127.0.0.1:9", timout = 3 }
    assert.is_nil(s)
    assert_unknown("timout", "timeout", err)
    assert.matches("connect_timeout", err.message, 1, true)
  end)

  it("c:add_numbers options, sending nothing", function()
    emu.reset()
    local s = legacy_session()
    local c = assert(s:create_campaign { name = "b", services = "SMS", individual_number = { "9843818700" } })
    emu.clear_requests()
    local report, err = c:add_numbers({ "9810000001" }, { concurency = 4 })
    assert.is_nil(report)
    assert_unknown("concurency", "concurrency", err)
    assert.equal(0, #emu.requests())
    s:close()
  end)

  it("c:report options and the arguments of API methods", function()
    emu.reset()
    local s = legacy_session()
    local c = assert(s:create_campaign { name = "r", services = "SMS", individual_number = { "9843818700" } })
    local _, err = c:report(nil, { max_byte = 10 })
    assert_unknown("max_byte", "max_bytes", err)
    _, err = s:create_campaign { nmae = "x", services = "SMS" }
    assert_unknown("nmae", "name", err)
    _, err = c:begin { mesage = "hi" }
    assert_unknown("mesage", "message", err)
    s:close()
  end)

  it("tingting.otp, the stores, number files and templates", function()
    local s = assert(tingting.session { base_url = "http://127.0.0.1:9" })
    local flow, err = require("tingting.otp").new { session = s, max_attempt = 3 }
    assert.is_nil(flow)
    assert_unknown("max_attempt", "max_attempts", err)
    local store
    store, err = tingting.store.redis { hots = "127.0.0.1" }
    assert.is_nil(store)
    assert_unknown("hots", "host", err)
    local dict = {}
    for _, m in ipairs { "get", "set", "add", "incr", "ttl", "delete" } do dict[m] = function() end end
    store, err = tingting.store.shared_dict(dict, { prefx = "x:" })
    assert.is_nil(store)
    assert_unknown("prefx", "prefix", err)
    local path = emu.tmpfile("number\n9843818700\n", "csv")
    local rows
    rows, err = tingting.numbers.read_csv(path, { number_colum = "number" })
    assert.is_nil(rows)
    assert_unknown("number_colum", "number_column", err)
    local out
    out, err = tingting.template.render("{a}", { a = 1 }, { apu = "v1" })
    assert.is_nil(out)
    assert_unknown("apu", "api", err)
    s:close()
  end)

  it("the curl transport's options", function()
    local t, err = tingting.transport.curl { conect_timeout = 3 }
    assert.is_nil(t)
    assert_unknown("conect_timeout", "connect_timeout", err)
  end)
end)

describe("nginx-only transports outside nginx", function()
  it("say that they need OpenResty, under each name users try", function()
    assert.is_nil(rawget(_G, "ngx"))
    for _, name in ipairs { "ngx", "nginx", "cosocket" } do
      local ctor = tingting.transport[name]
      assert.is_function(ctor, name)
      local t, err = ctor { location = "/_tingting" }
      assert.is_nil(t)
      assert.equal("unsupported", err.kind)
      assert.matches("runs only inside OpenResty/nginx (ngx is not available)", err.message, 1, true)
    end
  end)

  it("raise the same reason when their module is required", function()
    for _, mod in ipairs { "tingting.transport.ngx", "tingting.transport.cosocket" } do
      package.loaded[mod] = nil
      local ok, err = pcall(require, mod)
      assert.is_false(ok)
      assert.matches("runs only inside OpenResty/nginx (ngx is not available)", err, 1, true)
    end
  end)
end)

describe("misuse raises at the caller's line", function()
  local s, c, n
  setup(function()
    emu.reset()
    s = legacy_session()
    c = assert(s:create_campaign { name = "m", services = "PHONE", individual_number = { "9843818700" } })
    n = assert(c:add_number("9843818702"))
  end)

  -- `f` calls the method on its first line; the error must name that line.
  local function raises_here(f, pattern)
    local line = debug.getinfo(f, "S").linedefined
    local ok, err = pcall(f)
    assert.is_false(ok)
    assert.is_string(err)
    local prefix = SPEC .. ":" .. line .. ": "
    assert.equal(prefix, err:sub(1, #prefix), err)
    if pattern then assert.matches(pattern, err, 1, true) end
  end

  it("a method called with '.' instead of ':'", function()
    raises_here(function() local _ = s.user() end, "call it with ':'")
    raises_here(function() local _ = s.campaigns { page = 1 } end, "s:campaigns")
    raises_here(function() local _ = c.begin { message = "hi" } end, "c:begin")
    raises_here(function() local _ = c.add_numbers { "9843818700" } end, "c:add_numbers")
    raises_here(function() local _ = n.update { number = "9843818703" } end, "n:update")
    raises_here(function() local _ = tingting:session { base_url = emu.url() } end, "tingting.session{...}")
  end)

  it("a method of a closed object, or of an object whose session is closed", function()
    local other = assert(s:campaign(c.id))
    other:close()
    raises_here(function() local _ = other:reload() end, "the object is closed")
    s:close()
    raises_here(function() local _ = s:user() end, "session is closed")
    raises_here(function() local _ = c:numbers() end, "session is closed")
    raises_here(function() local _ = n:reload() end, "session is closed")
    raises_here(function() local _ = c:add_numbers { "9843818700" } end, "session is closed")
  end)
end)

describe("small inputs, clear answers", function()
  it("template.check reports an unbalanced brace", function()
    local ok, err = tingting.template.check("hi {tags_name", { "tags_name" })
    assert.is_nil(ok)
    assert.is_true(tingting.is_error(err))
    assert.equal("validation", err.kind)
    assert.equal("message", err.field)
    assert.matches("unbalanced '{'", err.message, 1, true)
    assert.matches("{tags_name", err.message, 1, true)
    ok, err = tingting.template.check("hi tags_name}", {})
    assert.is_nil(ok)
    assert.matches("unbalanced '}'", err.message, 1, true)
    assert.is_true(tingting.template.check("hi {tags_name} {otp}", { "tags_name" }))
  end)

  it("template.check's unknown tags are a tingting.error", function()
    local ok, err = tingting.template.check("hi {tags_x}", { "tags_name" })
    assert.is_nil(ok)
    assert.is_true(tingting.is_error(err))
    assert.equal("message", err.field)
    assert.matches("{tags_x}", err.message, 1, true)
  end)

  it("normalize_phone of letters is a validation error for the field number", function()
    local digits, err = tingting.normalize_phone("abc")
    assert.is_nil(digits)
    assert.is_true(tingting.is_error(err))
    assert.equal("validation", err.kind)
    assert.equal("number", err.field)
    assert.equal("9843818700", tingting.normalize_phone("+977-984-381-8700"))
  end)

  it("a base_url holding the API's own path is refused with the URL to use", function()
    local s, err = tingting.session { base_url = "https://app.tingting.io/api/v1" }
    assert.is_nil(s)
    assert.equal("base_url", err.field)
    assert.matches("without the API's path; got '/api/v1' (the library adds /api/...)", err.message, 1, true)
    s, err = tingting.session { base_url = "https://app.tingting.io/API/system/" }
    assert.is_nil(s)
    assert.equal("base_url", err.field)
    assert.matches("'https://app.tingting.io'", err.message, 1, true)
    s = assert(tingting.session { base_url = "https://app.tingting.io/" })
    assert.equal("https://app.tingting.io", s.base_url)
    s:close()
  end)

  it("a base_url with another path is a reverse proxy's prefix, kept in front of /api/...", function()
    local s = assert(tingting.session { base_url = "https://proxy.example.com/tingting/", api_key = "k" })
    assert.equal("https://proxy.example.com/tingting", s.base_url)
    s:close()
  end)
end)

describe("a report to a path that cannot be written", function()
  it("names the path, is not retried, and leaves nothing behind", function()
    emu.reset()
    local s = legacy_session()
    local c = assert(s:create_campaign { name = "r", services = "SMS", individual_number = { "9843818700" } })
    -- a directory that exists, where no file can be made (not even by root)
    local path = "/proc/tingting-report.csv"
    emu.clear_requests()
    local ok, err = c:report(path)
    assert.is_nil(ok)
    assert.matches(path, err.message, 1, true)
    assert.is_false(err.retryable)
    assert.equal(1, err.attempts)
    local downloads = 0
    for _, r in ipairs(emu.requests()) do
      if r.path:find("/report/download/", 1, true) then downloads = downloads + 1 end
    end
    assert.equal(1, downloads)
    s:close()
  end)
end)
