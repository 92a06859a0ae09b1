-- The `tingting` command speaks its own language (options, not the library's
-- fields), fails on bad input files as a usage error, answers --json errors
-- in JSON, keeps its tokens for the host they came from, writes nothing
-- through a planted link, and never lets text from the server reach the
-- terminal as control sequences.
local emu = require "spec.helpers.emulator"
local cli = require "spec.helpers.cli"
local socket = require "socket"

local run, tt, login, decode, read, write = cli.run, cli.tt, cli.login, cli.decode, cli.read, cli.write
local CREDS = cli.CREDS

-- occurrences of plain `needle` in `s`
local function count(s, needle)
  local n, at = 0, 1
  while true do
    local i = s:find(needle, at, true)
    if not i then return n end
    n, at = n + 1, i + #needle
  end
end

local function lines_of(s)
  local list = {}
  for l in s:gmatch("[^\n]+") do list[#list + 1] = l end
  return list
end

describe("tingting command: safety", function()
  before_each(function()
    emu.reset()
    emu.config { run_speed = 0 }
    cli.setup()
  end)

  after_each(function()
    emu.clear_faults()
    cli.teardown()
  end)

  describe("errors name the command line's options", function()
    before_each(login)

    local cases = {
      { { "campaigns", "create", "--name", "x", "--services", "SMS", "--number", "9843818700,12" },
        "--number", "individual_number" },
      { { "campaigns", "create", "--name", "x", "--services", "SMS", "--file", "/nonexistent/n.xlsx" },
        "--file", "send_to_number_file" },
      { { "otp", "send", "9851023212", "--message", "hi {otp}", "--via", "pigeon" }, "--via", "sms_send_options" },
      { { "otp", "send", "9851023212" }, "--message", "error in send_otp" },
      { { "voice", "test", "hello", "--voice", "np_nobody" }, "--voice", "voice_input" },
    }
    for _, case in ipairs(cases) do
      it(case[2] .. " for " .. table.concat(case[1], " ", 1, 2) .. ", not " .. case[3] .. ", before anything is sent",
        function()
          emu.clear_requests()
          local out, err, code = tt(case[1])
          assert.equal(2, code, err)
          assert.equal("", out)
          assert.truthy(err:find(case[2], 1, true), err)
          assert.falsy(err:find(case[3], 1, true), err)
          assert.same({}, emu.requests())
        end)
    end

    it("campaigns begin names --message, --audio and --schedule, never message/aud_file/schedule_date", function()
      local c = cli.make_campaign("begin", "PHONE")
      emu.clear_requests()
      local _, err, code = tt { "campaigns", "begin", tostring(c.id) }
      assert.equal(2, code, err)
      assert.truthy(err:find("--message", 1, true) and err:find("--audio", 1, true), err)
      assert.falsy(err:find("aud_file", 1, true), err)
      _, err, code = tt { "campaigns", "begin", tostring(c.id), "--audio", cli.home .. "/none.mp3" }
      assert.equal(2, code, err)
      assert.truthy(err:find("--audio", 1, true), err)
      assert.falsy(err:find("aud_file", 1, true), err)
      _, err, code = tt { "campaigns", "begin", tostring(c.id), "--message", "hi", "--schedule", "soon" }
      assert.equal(2, code, err)
      assert.truthy(err:find("--schedule", 1, true), err)
      assert.falsy(err:find("schedule_date", 1, true), err)
      assert.falsy(cli.requested("^POST"))
    end)

    it("a refused plain-http base URL suggests --allow-insecure-http, which exists", function()
      local _, err, code = run({ "whoami", "--base-url", "http://192.0.2.1:9" }, CREDS)
      assert.equal(2, code, err)
      assert.truthy(err:find("--base-url: plain http", 1, true), err)
      assert.truthy(err:find("--allow-insecure-http", 1, true), err)
      assert.falsy(err:find("allow_insecure_http", 1, true), err)
      -- from the environment, the error names the variable that was used
      local env = { TINGTING_BASE_URL = "http://192.0.2.1:9" }
      for k, v in pairs(CREDS) do env[k] = v end
      _, err, code = run({ "whoami" }, env)
      assert.equal(2, code, err)
      assert.truthy(err:find("TINGTING_BASE_URL: plain http", 1, true), err)
      local help = run { "--help" }
      assert.truthy(help:find("--allow-insecure-http", 1, true), help)
      -- with it the URL is taken: the request is tried (and times out)
      _, err, code = run({ "whoami", "--base-url", "http://192.0.2.1:9", "--allow-insecure-http", "--timeout", "1" },
        CREDS)
      assert.equal(1, code, err)
      assert.falsy(err:find("plain http", 1, true), err)
    end)
  end)

  describe("--json errors", function()
    it("go to stdout as {\"error\": {...}} with the exit code of the error, nothing on stderr", function()
      local out, err, code = tt { "campaigns", "list", "--bogus", "--json" }
      assert.equal(2, code)
      assert.equal("", err)
      local doc = decode(out)
      assert.equal("usage", doc.error.kind)
      assert.truthy(doc.error.message:find("unknown option --bogus", 1, true), out)

      out, err, code = tt { "whoami", "--json" }
      assert.equal(3, code)
      assert.equal("", err)
      assert.equal("auth", decode(out).error.kind)

      login()
      out, err, code = tt { "otp", "send", "9851023212", "--message", "hi {otp}", "--via", "pigeon", "--json" }
      assert.equal(2, code)
      assert.equal("", err)
      doc = decode(out)
      assert.same({ kind = "validation", field = "sms_send_options", option = "--via" },
        { kind = doc.error.kind, field = doc.error.field, option = doc.error.option })
      assert.truthy(doc.error.message:find("^%-%-via: "), doc.error.message)

      out, err, code = tt { "campaigns", "show", "999", "--json" }
      assert.equal(4, code)
      assert.equal("", err)
      doc = decode(out)
      assert.equal("not_found", doc.error.kind)
      assert.equal(404, doc.error.status)
    end)
  end)

  describe("bad input files", function()
    before_each(login)

    local function bad_files()
      local dir = cli.home
      write(dir .. "/empty.csv", "")
      write(dir .. "/empty.xlsx", "")
      write(dir .. "/noheader.csv", "phone,tags_name\n9841000001,a\n")
      write(dir .. "/text.xlsx", "number\n9841000001\n")
      write(dir .. "/numbers.txt", "number\n9841000001\n")
      write(dir .. "/broken.csv", "number\n9841000001\n\"12\n")
      os.execute("mkdir -p " .. cli.q(dir .. "/folder.csv"))
      return {
        { dir .. "/missing.csv", "No such file" }, { dir .. "/folder.csv", "directory" },
        { dir .. "/empty.csv", "empty" }, { dir .. "/noheader.csv", "number" },
      }, {
        { dir .. "/missing.xlsx", "No such file" }, { dir .. "/empty.xlsx", "empty" },
        { dir .. "/text.xlsx", "xlsx" }, { dir .. "/numbers.txt", ".csv or .xlsx" },
        { dir .. "/missing.csv", "No such file" }, { dir .. "/noheader.csv", "number" },
        { dir .. "/broken.csv", "line 3" },
      }
    end

    it("campaigns add: missing, a directory, empty or without a number column exits 2, the path named once",
      function()
        local add_cases = bad_files()
        local c = cli.make_campaign("files", "SMS")
        for _, case in ipairs(add_cases) do
          local out, err, code = tt { "campaigns", "add", tostring(c.id), case[1] }
          assert.equal(2, code, case[1] .. ": " .. err)
          assert.equal("", out)
          assert.equal(1, count(err, case[1]), err)
          assert.truthy(err:find(case[2], 1, true), err)
        end
      end)

    it("campaigns create --file: missing, empty, malformed, not a CSV or an .xlsx exits 2, the path once, nothing sent",
      function()
        local _, create_cases = bad_files()
        emu.clear_requests()
        for _, case in ipairs(create_cases) do
          local out, err, code = tt { "campaigns", "create", "--name", "f", "--services", "SMS", "--file", case[1] }
          assert.equal(2, code, case[1] .. ": " .. err)
          assert.equal("", out)
          assert.equal(1, count(err, case[1]), err)
          assert.truthy(err:find(case[2], 1, true), err)
        end
        assert.falsy(cli.requested("^POST"))
      end)
  end)

  describe("a number file the server cannot read", function()
    before_each(login)

    it("exits 2 (bad input) naming --file, like one refused upfront", function()
      local path = cli.home .. "/zip.xlsx"
      write(path, "PK\3\4 but not a workbook")
      local out, err, code = tt { "campaigns", "create", "--name", "z", "--services", "SMS", "--file", path }
      assert.equal(2, code, err)
      assert.equal("", out)
      assert.truthy(err:find("--file: ", 1, true), err)
      assert.falsy(err:find("send_to_number_file", 1, true), err)
    end)
  end)

  describe("campaigns add with thousands of bad rows", function()
    before_each(login)

    it("prints one line per reason with a count and the first line numbers; --json lists every row", function()
      local c = cli.make_campaign("bulk", "SMS")
      local rows = { "number" }
      for i = 1, 3000 do rows[#rows + 1] = tostring(100 + i) end
      rows[#rows + 1] = "abc"
      rows[#rows + 1] = "xyz"
      local path = cli.home .. "/bad.csv"
      write(path, table.concat(rows, "\n") .. "\n")
      local out, err, code = tt { "campaigns", "add", tostring(c.id), path }
      assert.equal(5, code, err)
      local list = lines_of(out)
      assert.equal(4, #list, out)
      assert.equal("campaign " .. c.id .. ": added 0, skipped 0, invalid 3002, failed 0", list[1])
      assert.equal("invalid:", list[2])
      assert.equal("  3000 rows failed: number: too few digits (at least 7) (lines 2, 3, 4, 5, 6 and 2995 more)",
        list[3])
      assert.truthy(list[4]:find("^  2 rows failed: number: only digits.* %(lines 3002, 3003%)$"), list[4])
      out, err, code = tt { "campaigns", "add", tostring(c.id), path, "--json" }
      assert.equal(5, code, err)
      local doc = decode(out)
      assert.equal(3002, #doc.invalid)
      assert.equal(3003, doc.invalid[3002].line)
      assert.equal("xyz", doc.invalid[3002].input)
    end)
  end)

  describe("stored tokens", function()
    it("are written with the base URL and API they belong to", function()
      login()
      local doc = decode(read(cli.session_file()))
      assert.equal(emu.url(), doc.base_url)
      assert.equal("legacy", doc.api)
    end)

    it("are not sent to another base URL when config.json is gone", function()
      login()
      assert(os.remove(cli.xdg .. "/tingting/config.json"))
      -- a listener that would receive the request: the kernel takes the
      -- connection and its bytes even before accept()
      local server = assert(socket.bind("127.0.0.1", 0))
      local _, port = server:getsockname()
      local other = "http://127.0.0.1:" .. port
      local _, err, code = run { "whoami", "--base-url", other, "--timeout", "2" }
      server:settimeout(0.2)
      local conn = server:accept()
      local got = conn and conn:receive("*l")
      if conn then conn:close() end
      server:close()
      assert.is_nil(got, "a request reached the other host")
      assert.equal(3, code, err)
      assert.truthy(err:find("the stored session is for " .. emu.url() .. "; log in again for " .. other, 1, true),
        err)
    end)

    it("without config.json, go to the base URL they were issued by", function()
      login()
      assert(os.remove(cli.xdg .. "/tingting/config.json"))
      local out, err, code = run { "whoami" }
      assert.equal(0, code, err)
      assert.truthy(out:find(emu.url(), 1, true), out)
    end)

    it("of an older file that does not say its base URL are kept for the default base URL only", function()
      local access, refresh = emu.login()
      os.execute("mkdir -p -m 700 " .. cli.q(cli.xdg .. "/tingting"))
      write(cli.session_file(), ('{"access":"%s","refresh":"%s"}'):format(access, refresh))
      write(cli.xdg .. "/tingting/config.json", ('{"base_url":"%s","email":"%s"}'):format(emu.url(), cli.EMAIL))
      emu.clear_requests()
      local _, err, code = run { "whoami" }
      assert.equal(3, code, err)
      assert.truthy(err:find("https://app.tingting.io", 1, true), err)
      assert.same({}, emu.requests())
    end)

    it("tingting.store.file bound to a base URL does not load another's tokens", function()
      local tingting = require "tingting"
      local path = cli.home .. "/tokens.json"
      local a = assert(tingting.store.file(path, { base_url = "https://a.example/" }))
      a:save("tok-a", "ref-a")
      assert.same({ "tok-a", "ref-a" }, { a:load() })
      assert.is_nil((assert(tingting.store.file(path, { base_url = "https://b.example" })):load()))
      assert.is_nil((assert(tingting.store.file(path, { base_url = "https://a.example", api = "v1" })):load()))
      assert.equal("tok-a", (assert(tingting.store.file(path, { base_url = "https://a.example" })):load()))
    end)
  end)

  describe("private files", function()
    local core = require "tingting.core"

    local function pid()
      return assert(read("/proc/self/stat")):match("^(%d+)")
    end

    it("write_private never writes through a link planted at its temporary name or at the file", function()
      local dir = cli.home
      local victim = dir .. "/victim"
      write(victim, "precious")
      local path = dir .. "/session.json"
      assert(os.execute("ln -s " .. cli.q(victim) .. " " .. cli.q(path .. "." .. pid() .. ".tmp")))
      assert(core.write_private(path, "tokens"))
      assert.equal("precious", read(victim))
      assert.equal("tokens", read(path))
      assert.equal("600", cli.mode(path))
      -- a link at the file itself is replaced, its target untouched
      local link = dir .. "/config.json"
      assert(os.execute("ln -s " .. cli.q(victim) .. " " .. cli.q(link)))
      assert(core.write_private(link, "conf"))
      assert.equal("precious", read(victim))
      assert.equal("conf", read(link))
    end)

    it("campaigns report -o never writes through a link planted at FILE.part", function()
      login()
      local c = cli.make_campaign("report", "SMS")
      local victim = cli.home .. "/victim"
      write(victim, "precious")
      local path = cli.home .. "/report.csv"
      assert(os.execute("ln -s " .. cli.q(victim) .. " " .. cli.q(path .. ".part")))
      local _, err, code = tt { "campaigns", "report", tostring(c.id), "-o", path }
      assert.equal(0, code, err)
      assert.equal("precious", read(victim))
      assert.truthy(read(path):find("9843818700", 1, true))
      assert.equal("600", cli.mode(path))
    end)
  end)

  describe("text from the server", function()
    local EVIL = "\27]0;pwned\7\27[2J\194\155" .. "31m\127"

    -- no ESC, BEL, DEL, C1 (as UTF-8 or a bare byte) or other C0 but LF
    local function assert_inert(text, what)
      text = text:gsub("\r\n", "\n") -- a CSV's line ends
      assert.falsy(text:find("[%z\1-\9\11-\31\127]"), what .. " wrote a control character: " .. text)
      assert.falsy(text:find("\194[\128-\159]"), what .. " wrote a C1 control: " .. text)
      assert.falsy(text:find("[\128-\255]") and not utf8.len(text), what .. " wrote bytes that are not UTF-8")
    end

    it("never reaches the terminal raw: every command that shows it escapes it, UTF-8 text kept", function()
      login()
      local csv = cli.home .. "/tags.csv"
      write(csv, "number,tags_name\n9843818700,\27[31mred\n")
      local out, err, code = tt { "campaigns", "create", "--name", EVIL, "--services", "SMS", "--file", csv,
        "--description", "नेपाल \27[5m" }
      assert.equal(0, code, err)
      assert_inert(out .. err, "create")
      local id
      for _, c in ipairs(emu.state().campaigns) do id = c.id end
      for _, argv in ipairs {
        { "campaigns", "list" }, { "campaigns", "show", tostring(id) }, { "campaigns", "numbers", tostring(id) },
        { "campaigns", "summary" }, { "campaigns", "report", tostring(id) }, { "contacts", tostring(id) },
        { "campaigns", "list", "--json" }, { "campaigns", "show", tostring(id), "--json" },
        { "campaigns", "numbers", tostring(id), "--json" }, { "campaigns", "summary", "--json" },
      } do
        out, err, code = tt(argv)
        assert.equal(0, code, err)
        assert_inert(out .. err, table.concat(argv, " "))
      end
      out = tt { "campaigns", "show", tostring(id) }
      assert.truthy(out:find("\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m\\x7f", 1, true), out)
      assert.truthy(out:find("नेपाल \\x1b[5m", 1, true), out)
      out = tt { "campaigns", "show", tostring(id), "--json" }
      assert.equal(EVIL, decode(out).name)
    end)

    it("in an API error message is escaped too", function()
      login()
      emu.fault { path = "/api/system/campaigns/report/summary/", kind = "status", status = 400,
        body = { status = 400, success = false, message = "bad \27]0;pwned\7 \194\155", data = {} } }
      local out, err, code = tt { "campaigns", "summary" }
      assert.equal(1, code, err)
      assert_inert(out .. err, "an error")
      assert.truthy(err:find("\\x1b]0;pwned\\x07", 1, true), err)
      out, err, code = tt { "campaigns", "summary", "--json" }
      assert.equal(1, code, err)
      assert_inert(out .. err, "a --json error")
      assert.truthy(decode(out).error.message:find("\27]0;pwned\7", 1, true))
    end)
  end)
end)
