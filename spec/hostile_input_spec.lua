-- Hostile input to every public function: wrong types, nil, NaN, huge
-- numbers, negative and fractional ids, 1 MB strings, invalid UTF-8, NUL,
-- CR/LF where a value reaches a header, `../` in ids, missing files and
-- directories passed as files, bad base URLs. Each must come back as a
-- validation error naming the field, never raise, and send nothing (a
-- recording transport counts what would have gone out).
local tingting = require "tingting"
local call = require "tingting.call"
local core = require "tingting.core"
local template = require "tingting.template"
local numbers = require "tingting.numbers"
local ops = require "spec.helpers.ops"

local MB = ("a"):rep(1024 * 1024)
local NAN, INF = 0 / 0, math.huge

-- Refused by every field, whatever its type.
local ANY = { print, true, false, io.stdout, NAN, INF, -INF, MB, "\xff\xfe", "\xc0\x80", "\xed\xa0\x80", "a\0b" }
local IDS = { 0, -1, 1.5, -0.5, 2 ^ 60, math.maxinteger, math.mininteger, "1", "../1", "1/../2", {}, { 1 } }
local PHONES = { "98x", "12", "", "+", "9843818700\r\nX-Evil: 1", "../9843818700", -9843818700, 1.5, 1e300, {} }
local STRINGS = { "", "   ", 12, {} }
local BY_FIELD = {
  id = IDS, campaign_id = IDS, page = IDS,
  number = PHONES,
  individual_number = { {}, { "98x" }, { [1] = "9843818700", [3] = "9843818701" }, { n = 1 }, "9843818700", { {} } },
  individual = { {}, { 0 }, { 1.5 }, { "1" }, { -1 }, { [2] = 1 }, 5 },
  status = { {}, { "nope" }, "", { 1 }, "failed, nope" },
  services = { "FAX", "", " PHONE\n", 1 }, voice_input = { "np_x", "" }, priority = { "video" },
  sms_send_options = { "fax" }, otp_options = { "mine" },
  send_to_number_file = { "/nonexistent/file.csv", "/tmp", "", "/dev/null" },
  aud_file = { "/nonexistent/a.mp3", "/tmp", "/dev/null" },
  name = STRINGS, message = STRINGS, email = STRINGS, password = STRINGS, refresh = STRINGS, phone_sid = STRINGS,
  description = { 12, {} },
  otp = { "12a", "-1", -1, 1.5, "12345678901234567" },
  otp_length = { "99", "0", "4294967297", "18446744073709551617", 11, -4 },
  schedule_date = { "2023-02-30T10:00", "2023-13-01T10:00", "2023-01-01 10:00", "2023-01-01T24:00", -1, 1e20 },
  length_factor = { "abc", "0x10", "1e400", "-1", 0, 1e9, "1.4\0" },
  available_tags = { "x", { [1] = "x" }, { ["bad key"] = "x" }, { tags_name = {} }, { tags_name = NAN },
    { tags_name = "\xff" }, { tags_name = MB }, { ["../x"] = "1" } },
}

-- v1 fields (docs/api/v1.md), and the fields whose v1 type differs: a v1
-- message may be empty (create, update, set_message), a v1 status is a
-- campaign status, a v1 number goes as a string.
local V1_BY_FIELD = {
  limit = { 0, 11, -1, 1.5, "10", {} }, offset = { -1, 1.5, "0", {} },
  from_date = { -1, 1.5, "2025-01-01" }, to_date = { -1, 1.5, "2025-01-01" }, days = IDS,
  search = STRINGS, draft = { "true", 1, {} }, sort_by = { "up", "" },
  status = { "nope", "", { "Running" }, 1 }, user_phone = { {}, { 0 }, { 1.5 }, { "1" }, 5 },
  message = { 12, {} }, sms_message = { 12, {} }, voice = IDS, category = { "Video", "" },
  schedule = { "2023-02-30", "2023-13-01T10:00", "2023-01-01 10:00", "2023-01-01T24:00", -1, 1e20, "tomorrow" },
  contacts = { {}, { "98x" }, { { number = "98x" } },
    { { number = "9841234567", available_tags = { ["bad key"] = 1 } } },
    "9841234567", { { nope = 1 } }, { [1] = "9841234567", [3] = "9841234568" } },
  bulk_file = BY_FIELD.send_to_number_file, format = { "xml", "" }, company_name = STRINGS,
  voice_input = { "np_x", "", 0, -1, 1.5 },
}
-- Booleans are refused by every field but a boolean one.
local BOOLEAN = { draft = true }

local function recorder()
  local t = { requests = {} }
  function t:request(req) self.requests[#self.requests + 1] = req; return 500, "" end
  function t:sleep() end
  return t
end

local function session(t)
  return assert(tingting.session { base_url = "https://api.example.com", access_token = "a.b.c",
    refresh_token = "r.e.f", transport = t, max_retries = 0 })
end

local CTX = { c = { id = 5 }, n = { id = 7 }, sale = "sid1", owned = "sid2", refresh = "r.e.f" }

local function refused(field, fn, ...)
  local ok, res, err = pcall(fn, ...)
  assert.is_true(ok, "raised for " .. field .. ": " .. tostring(res))
  assert.is_nil(res, field)
  assert.is_true(tingting.is_error(err), field .. ": " .. tostring(err))
  assert.equal("validation", err.kind, field .. ": " .. tostring(err))
  assert.is_false(err.sent, field)
  assert.is_string(err.field, field)
  assert.equal(field, err.field:match("^[%w_]+"), tostring(err))
  assert.matches(field, tostring(err), 1, true)
  return err
end

describe("hostile input", function()
  it("every field of every op refuses values of the wrong kind, sending nothing", function()
    local t = recorder()
    local s = session(t)
    local tried = 0
    for _, ep in ipairs(tingting.endpoints()) do
      for _, f in ipairs(ep.fields) do
        local values = {}
        for _, v in ipairs(ANY) do values[#values + 1] = v end
        for _, v in ipairs(BY_FIELD[f.name] or error("no hostile values for " .. f.name)) do values[#values + 1] = v end
        for _, v in ipairs(values) do
          local args = ops.args(ep.op, CTX) or {}
          args[f.name] = v
          if ep.op == "send_otp" and f.name == "otp" then args.otp_length = nil end
          refused(f.name, call.call, s, ep.op, args)
          tried = tried + 1
        end
        if f.required then
          local args = ops.args(ep.op, CTX) or {}
          args[f.name] = nil
          refused(f.name, call.call, s, ep.op, args)
        end
      end
    end
    assert.equal(0, #t.requests)
    assert.is_true(tried > 500, tried)
  end)

  it("every field of every v1 op refuses values of the wrong kind, sending nothing", function()
    local t = recorder()
    local s = assert(tingting.session { base_url = "https://api.example.com", api_key = ("ab"):rep(32),
      transport = t, max_retries = 0 })
    local ctx = { c = { id = 5 }, n = { id = 7 }, file = os.tmpname() }
    local tried = 0
    for _, ep in ipairs(tingting.endpoints("v1")) do
      for _, f in ipairs(ep.fields) do
        local values = {}
        for _, v in ipairs(ANY) do
          if not (BOOLEAN[f.name] and type(v) == "boolean") then values[#values + 1] = v end
        end
        local own = V1_BY_FIELD[f.name] or BY_FIELD[f.name] or error("no hostile v1 values for " .. f.name)
        for _, v in ipairs(own) do values[#values + 1] = v end
        for _, v in ipairs(values) do
          local args = ops.args(ep.op, ctx, "v1") or {}
          args[f.name] = v
          if ep.op == "send_otp" and f.name == "otp" then args.otp_length = nil end
          refused(f.name, call.call, s, ep.op, args)
          tried = tried + 1
        end
        if f.required then
          local args = ops.args(ep.op, ctx, "v1") or {}
          args[f.name] = nil
          refused(f.name, call.call, s, ep.op, args)
        end
      end
    end
    -- the v1 methods that take their own arguments
    local c = assert(core.parse(s, "campaign", 200, '{"id": 5, "name": "c"}', {}))
    local n = assert(core.parse(s, "update_number", 200, '{"id": 7, "number": "9841234567"}', {}))
    refused("number", c.add_number, c, "98x")
    refused("available_tags", c.add_number, c, "9841234567", { ["bad key"] = 1 })
    refused("filters", s.campaigns, s, "all")
    refused("limit", s.campaigns, s, { limit = 50 })
    refused("offset", c.numbers, c, { offset = -1 })
    refused("number", n.update, n, { number = "12" })
    refused("nope", n.update, n, { nope = 1 })
    refused("bulk_file", c.upload_numbers, c, { "98x" })
    refused("bulk_file", c.upload_numbers, c, 42)
    local it = s:each_campaign { sort_by = "sideways" }
    local none, err = it()
    assert.is_nil(none)
    assert.equal("sort_by", err.field)
    os.remove(ctx.file)
    assert.equal(0, #t.requests)
    assert.is_true(tried > 400, tried)
  end)

  it("the public methods refuse hostile arguments by field name", function()
    local t = recorder()
    local s = session(t)
    local c = ops.bind(s, { c = { id = 5 }, n = { id = 7 } })
    c, CTX.n = c.c, c.n
    local n = CTX.n
    for _, v in ipairs(IDS) do
      refused("id", s.campaign, s, v)
      refused("id", s.number, s, v)
    end
    for _, v in ipairs { NAN, "a\0b", MB, {}, 1 } do
      refused("phone_sid", s.buy_number, s, v)
      refused("phone_sid", s.release_number, s, v)
    end
    refused("arguments", s.campaigns, s, "x")
    refused("page", s.campaigns, s, { page = -1 })
    refused("arguments", s.create_campaign, s, "x")
    refused("arguments", s.send_otp, s, 5)
    refused("number", c.add_number, c, "98x")
    refused("available_tags", c.add_number, c, "9843818700", "x")
    refused("arguments", c.update, c, "x")
    refused("id", c.update, c, { id = 6, name = "x" })
    refused("id", n.update, n, { id = "../1" })
    refused("message", c.begin, c, { message = "hi {tags_unknown}" })
    for _, p in ipairs { 1, "", "a\0b", "/nonexistent/dir/file.csv", "/tmp", {} } do
      refused("path", c.report, c, p)
    end
    for _, l in ipairs { "x", 5, NAN } do refused("list", c.add_numbers, c, l) end
    for _, conc in ipairs { 0, -1, 1.5, NAN, INF, 1e300, "8" } do
      refused("concurrency", c.add_numbers, c, { "9843818700" }, { concurrency = conc })
    end
    refused("on_progress", c.add_numbers, c, { "9843818700" }, { on_progress = 5 })
    refused("opts", c.add_numbers, c, { "9843818700" }, 5)
    assert.equal(0, #t.requests)
  end)

  it("session options: types, NaN, CR/LF in header values, bad base URLs, missing files", function()
    local cases = {
      { "base_url", "https://user:pass@app.tingting.io" }, { "base_url", "ftp://app.tingting.io" },
      { "base_url", "file:///etc/passwd" }, { "base_url", "javascript:alert(1)" },
      { "base_url", "http://evil.example.com" }, { "base_url", "https://app.tingting.io/\r\nX: y" },
      { "base_url", "https://app.tingting.io?x=1" }, { "base_url", "https://" .. MB }, { "base_url", "" },
      { "base_url", "https://host:port" }, { "base_url", 5 },
      { "timeout", NAN }, { "timeout", -1 }, { "timeout", INF }, { "timeout", "30" },
      { "connect_timeout", 0 }, { "max_retries", NAN }, { "max_retries", -1 }, { "max_retries", 1e9 },
      { "user_agent", "ua\r\nX-Evil: 1" }, { "user_agent", "ua\nx" }, { "user_agent", "ua\0x" },
      { "user_agent", MB }, { "user_agent", 5 },
      { "access_token", "tok\r\nX-Evil: 1" }, { "access_token", "tok en" }, { "access_token", "" },
      { "access_token", MB }, { "refresh_token", "r\0x" },
      { "insecure", "yes" }, { "insecure", 1 }, { "allow_insecure_http", "true" },
      { "ca_file", "/nonexistent/ca.pem" }, { "ca_file", "/tmp" }, { "ca_file", "" }, { "ca_file", "a\0b" },
      { "transport", 5 }, { "transport", "curl" }, { "on_log", "print" }, { "on_tokens", 5 },
      { "token_store", 5 }, { "email", NAN }, { "password", {} }, { "nonsense", 1 },
    }
    for _, case in ipairs(cases) do
      local opts = { base_url = "https://app.tingting.io" }
      opts[case[1]] = case[2]
      refused(case[1], tingting.session, opts)
    end
    refused("password", tingting.session, { email = "a@b.c" })
    refused("options", tingting.session, "https://app.tingting.io")
  end)

  it("extreme numbers that are valid are encoded exactly, and hostile answers parse without UB", function()
    local t = recorder()
    local s = session(t)
    local c = ops.bind(s, { c = { id = 5 }, n = { id = 7 } }).c
    c:add_number("9843818700", { tags_age = math.maxinteger, tags_min = math.mininteger })
    assert.matches('"tags_age":9223372036854775807', t.requests[1].body, 1, true)
    assert.matches('"tags_min":-9223372036854775808', t.requests[1].body, 1, true)
    -- an envelope status or an object id no integer can hold (UBSan found the casts)
    local _, err = core.parse(s, "user", 200, '{"success": false, "status": 1e300}', {})
    assert.equal(400, err.status)
    local obj = core.parse(s, "campaign", 200, '{"data": {"details": [{"id": 1e300, "name": "x"}]}}', {})
    assert.matches("id=0", tostring(obj), 1, true)
    assert.equal("tingting: api error in x", tostring(core.error { kind = "api", status = 0 / 0, op = "x" }))
  end)

  it("helpers: template, numbers and normalize_phone never raise on hostile input", function()
    for _, v in ipairs { 5, NAN, {}, true } do
      refused("message", template.tags, v)
      refused("message", template.check, v, {})
      refused("message", template.render, v, {})
    end
    refused("usable_tags", template.check, "hi", "x")
    refused("values", template.render, "hi {tags_a}", "x")
    local out = template.render(MB .. "{tags_a}", { tags_a = "\0\xff" })
    assert.equal(#MB + 2, #out)
    for _, v in ipairs { NAN, INF, -1, 1.5, "", "abc", "\0", MB, {}, true } do
      local d, why = numbers.normalize(v)
      assert.is_nil(d)
      assert.equal("validation", why.kind)
      assert.equal("number", why.field)
      assert.is_nil((tingting.normalize_phone(v)))
    end
    for _, p in ipairs { "/nonexistent/x.csv", "/tmp", 5, "a\0b" } do
      local ok, recs, err = pcall(numbers.read_csv, p)
      assert.is_true(ok, tostring(recs))
      assert.is_nil(recs)
      assert.matches("path", tostring(err), 1, true)
    end
  end)

  it("constructors: stores, transports and OTP flows refuse bad options with a validation error", function()
    refused("path", tingting.store.file)
    for _, v in ipairs { 5, "", "a\0b", "x\ny", {}, true } do refused("path", tingting.store.file, v) end
    refused("path", tingting.store.file, "/tmp")
    refused("dict", tingting.store.shared_dict)
    for _, v in ipairs { 5, "x", {}, { get = print } } do refused("dict", tingting.store.shared_dict, v) end
    local dict = {}
    for _, m in ipairs { "get", "set", "add", "incr", "ttl", "delete" } do dict[m] = function() end end
    refused("prefix", tingting.store.shared_dict, dict, { prefix = 5 })
    refused("opts", tingting.store.shared_dict, dict, "x")
    refused("options", tingting.transport.curl, 5)
    refused("timeout", tingting.transport.curl, { timeout = "x" })
    refused("timeout", tingting.transport.curl, { timeout = -1 })
    refused("insecure", tingting.transport.curl, { insecure = "no" })
    refused("max_body", tingting.transport.curl, { max_body = 1.5 })
    refused("colour", tingting.transport.curl, { colour = "blue" })
    local s = assert(tingting.session { base_url = "https://api.example.com", transport = recorder() })
    local otp = require "tingting.otp"
    refused("options", otp.new, nil)
    refused("session", otp.new, { session = {} })
    refused("ttl", otp.new, { session = s, ttl = NAN })
    refused("length", otp.new, { session = s, length = INF })
    refused("message", otp.new, { session = s, message = MB })
    refused("via", otp.new, { session = s, via = "\0" })
  end)
end)

