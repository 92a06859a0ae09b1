-- The `tingting` command against the emulator: run as a subprocess, with its
-- own XDG_CONFIG_HOME per test, checking stdout, stderr, exit codes, the
-- session files and what reached the server.
local emu = require "spec.helpers.emulator"
local cli = require "spec.helpers.cli"

local run, tt, login, decode, read, write, mode = cli.run, cli.tt, cli.login, cli.decode, cli.read, cli.write, cli.mode
local session_file, paths_requested, requested, make_campaign =
  cli.session_file, cli.paths_requested, cli.requested, cli.make_campaign
local EMAIL, PASSWORD, CREDS = cli.EMAIL, cli.PASSWORD, cli.CREDS

describe("tingting command", function()
  before_each(function()
    emu.reset()
    emu.config { run_speed = 0 }
    cli.setup()
  end)

  after_each(function()
    emu.clear_faults()
    cli.teardown()
  end)

  describe("help", function()
    local commands = {
      { {}, { "campaigns", "login", "whoami", "exit codes:", "TINGTING_PASSWORD", "5  partial" } },
      { { "login" }, { "--email", "TINGTING_PASSWORD" } },
      { { "logout" }, { "usage: tingting logout" } },
      { { "whoami" }, { "usage: tingting whoami" } },
      { { "numbers" }, { "owned", "available", "buy", "release" } },
      { { "numbers", "owned" }, { "usage: tingting numbers owned" } },
      { { "numbers", "available" }, { "usage: tingting numbers available" } },
      { { "numbers", "buy" }, { "SID" } },
      { { "numbers", "release" }, { "SID" } },
      { { "campaigns" }, { "list", "create", "begin", "add", "report", "summary" } },
      { { "campaigns", "list" }, { "--page" } },
      { { "campaigns", "show" }, { "ID" } },
      { { "campaigns", "create" }, { "--name", "--services", "--number", "--file", "--description" } },
      { { "campaigns", "update" }, { "--name", "--services", "--description" } },
      { { "campaigns", "delete" }, { "ID" } },
      { { "campaigns", "begin" }, { "--message", "--audio", "--voice", "--schedule", "--length-factor",
        "--individual", "--status", "--priority" } },
      { { "campaigns", "numbers" }, { "ID" } },
      { { "campaigns", "add" }, { "--concurrency", "--no-skip-existing", "Exits 5" } },
      { { "campaigns", "report" }, { "-o, --output" } },
      { { "campaigns", "summary" }, { "usage: tingting campaigns summary" } },
      { { "otp" }, { "send" } },
      { { "otp", "send" }, { "--message", "--via", "--otp", "--length" } },
      { { "voice" }, { "test" } },
      { { "voice", "test" }, { "--voice" } },
    }
    for _, case in ipairs(commands) do
      local path, wants = case[1], case[2]
      it("--help of `" .. table.concat(path, " ") .. "` lists its usage and options, exit 0", function()
        for _, flag in ipairs { "--help", "-h" } do
          local argv = {}
          for i, w in ipairs(path) do argv[i] = w end
          argv[#argv + 1] = flag
          local out, err, code = run(argv)
          assert.equal(0, code)
          assert.equal("", err)
          assert.truthy(out:find("usage: tingting", 1, true))
          assert.truthy(out:find("--json", 1, true)) -- global options are listed everywhere
          for _, w in ipairs(wants) do assert.truthy(out:find(w, 1, true), w .. " missing in:\n" .. out) end
        end
      end)
    end

    it("--help wins over a usage error, and --version prints the version", function()
      local out, _, code = run { "campaigns", "show", "--bogus", "--help" }
      assert.equal(0, code)
      assert.truthy(out:find("usage: tingting campaigns show", 1, true))
      out, _, code = run { "--version" }
      assert.equal(0, code)
      assert.matches("^tingting %d+%.%d+%.%d+\n$", out)
    end)
  end)

  describe("usage errors exit 2 naming the problem", function()
    local cases = {
      { { "frobnicate" }, 'unknown command "frobnicate"' },
      { { "campaigns", "list", "--bogus" }, "unknown option --bogus" },
      { { "campaigns", "list", "--page" }, "option --page needs a value" },
      { { "campaigns", "list", "--json=yes" }, "option --json takes no value" },
      { { "campaigns", "show" }, "missing argument ID" },
      { { "campaigns", "show", "1", "2" }, 'unexpected argument "2"' },
      { { "campaigns", "show", "abc" }, "ID: expected a positive integer" },
      { { "campaigns", "show", "0" }, "ID: expected a positive integer" },
      { { "campaigns", "report", "1", "-x" }, "unknown option -x" },
      { { "campaigns" }, "missing subcommand" },
    }
    for _, case in ipairs(cases) do
      it(table.concat(case[1], " "), function()
        login()
        local out, err, code = tt(case[1])
        assert.equal(2, code)
        assert.equal("", out)
        assert.truthy(err:find(case[2], 1, true), err)
        assert.matches("^tingting: [^\n]*\n$", err) -- one line, one prefix
        assert.falsy(err:find("tingting: tingting:", 1, true))
      end)
    end
  end)

  describe("login", function()
    it("stores the session 0600 in a 0700 directory, and later commands reuse it", function()
      local out, err, code = run({ "login", "--base-url", emu.url() }, CREDS)
      assert.equal(0, code, err)
      assert.truthy(out:find("logged in to " .. emu.url() .. " as " .. EMAIL, 1, true))
      assert.equal("600", mode(session_file()))
      assert.equal("600", mode(cli.xdg .. "/tingting/config.json"))
      assert.equal("700", mode(cli.xdg .. "/tingting"))
      local doc = decode(read(session_file()))
      assert.is_string(doc.access)
      assert.is_string(doc.refresh)
      assert.equal(emu.url(), decode(read(cli.xdg .. "/tingting/config.json")).base_url)

      emu.clear_requests()
      -- no credentials, no base URL: all from the stored login
      out, err, code = run { "whoami" }
      assert.equal(0, code, err)
      assert.truthy(out:find("Adwait", 1, true))
      assert.truthy(out:find(EMAIL, 1, true))
      assert.same({ "GET /api/accounts/user_details/" }, paths_requested())
    end)

    it("refuses without a password when stdin is not a terminal, and never takes one as an option", function()
      local _, err, code = run({ "login", "--base-url", emu.url(), "--email", EMAIL })
      assert.equal(2, code)
      assert.truthy(err:find("TINGTING_PASSWORD", 1, true))
      _, err, code = run({ "login", "--base-url", emu.url(), "--password", "x" }, CREDS)
      assert.equal(2, code)
      assert.truthy(err:find("unknown option --password", 1, true))
      assert.is_nil(read(session_file()))
    end)

    it("exits 3 on wrong credentials, without echoing the password", function()
      local out, err, code = run({ "login", "--base-url", emu.url() },
        { TINGTING_EMAIL = EMAIL, TINGTING_PASSWORD = "Wrong-Secret-42" })
      assert.equal(3, code)
      assert.equal("", out)
      assert.truthy(err:find("No active account", 1, true), err)
      assert.falsy(err:find("Wrong-Secret-42", 1, true))
      assert.is_nil(read(session_file()))
    end)

    it("logout removes the session; then commands exit 3", function()
      login()
      local out, _, code = run { "logout" }
      assert.equal(0, code)
      assert.equal("logged out\n", out)
      assert.is_nil(read(session_file()))
      assert.is_nil(read(cli.xdg .. "/tingting/config.json"))
      local err
      _, err, code = tt { "whoami" }
      assert.equal(3, code)
      assert.truthy(err:find("not logged in", 1, true))
    end)
  end)

  describe("sessions", function()
    it("not logged in and no credentials: exit 3 with the hint, nothing sent", function()
      emu.clear_requests()
      local out, err, code = tt { "campaigns", "list" }
      assert.equal(3, code)
      assert.equal("", out)
      assert.equal("tingting: not logged in: run `tingting login` or set TINGTING_EMAIL and TINGTING_PASSWORD\n", err)
      assert.same({}, paths_requested())
    end)

    it("logs in lazily with env credentials, without creating a session file", function()
      local out, err, code = tt({ "whoami", "--json" }, CREDS)
      assert.equal(0, code, err)
      assert.equal(EMAIL, decode(out).email)
      assert.is_nil(read(session_file()))
    end)

    it("saves refreshed tokens to the session file", function()
      -- renewed a quarter of its lifetime before it expires: 1 s early for a 4 s token
      emu.config { access_ttl = 4 }
      login()
      require("socket").sleep(3.2)
      local before = decode(read(session_file()))
      emu.clear_requests()
      local _, err, code = tt { "whoami" }
      assert.equal(0, code, err)
      assert.truthy(requested("^POST /api/accounts/token/refresh"))
      assert.falsy(requested("login"))
      local after = decode(read(session_file()))
      assert.are_not.equal(before.access, after.access)
      assert.equal("600", mode(session_file()))
    end)

    it("a session the server no longer accepts: exit 3 suggesting `tingting login`", function()
      login()
      emu.reset() -- new signing secret: the stored tokens are dead
      local _, err, code = tt { "whoami" }
      assert.equal(3, code)
      assert.truthy(err:find("run `tingting login`", 1, true), err)
      -- with credentials in the environment it logs in again instead
      local out
      out, err, code = tt({ "whoami" }, CREDS)
      assert.equal(0, code, err)
      assert.truthy(out:find("Adwait", 1, true))
    end)

    it("never sends the stored tokens to another base URL", function()
      login()
      local _, err, code = run { "whoami", "--base-url", "http://127.0.0.1:1" }
      assert.equal(3, code)
      assert.truthy(err:find("the stored session is for " .. emu.url(), 1, true), err)
    end)
  end)

  describe("commands", function()
    before_each(login)

    it("whoami: table and JSON, without tokens", function()
      local out, err, code = tt { "whoami" }
      assert.equal(0, code, err)
      assert.matches("first name: +Adwait\n", out)
      assert.matches("api: +" .. emu.url():gsub("%p", "%%%0"), out)
      out, err, code = tt { "whoami", "--json" }
      assert.equal(0, code, err)
      local doc = decode(out)
      assert.equal("adw8", doc.username)
      assert.is_nil(doc.access)
      assert.is_nil(doc.token)
    end)

    it("numbers owned, available, buy and release", function()
      local out, err, code = tt { "numbers", "owned" }
      assert.equal(0, code, err)
      assert.matches("^NUMBER +SID +RATE +CAPABILITIES", out)
      out, err, code = tt { "numbers", "available", "--json" }
      assert.equal(0, code, err)
      local available = decode(out)
      assert.equal(9, #available)
      local sid = available[1].phone_number_sid
      out, err, code = tt { "numbers", "buy", sid }
      assert.equal(0, code, err)
      assert.truthy(out:find("bought " .. available[1].phone_number, 1, true))
      out, err, code = tt { "numbers", "owned", "--json" }
      assert.equal(0, code, err)
      assert.equal(2, #decode(out))
      out, err, code = tt { "numbers", "release", sid, "--json" }
      assert.equal(0, code, err)
      assert.same({ released = sid }, decode(out))
      out, err, code = tt { "numbers", "available", "--json" }
      assert.equal(0, code, err)
      assert.equal(9, #decode(out))
    end)

    it("campaigns create, show, update, list (UTF-8 aligned), delete", function()
      local out, err, code = tt { "campaigns", "create", "--name", "निर्वाचन सूचना", "--services", "phone",
        "--number", "9843818700", "--number", "9851022343", "--description", "first" }
      assert.equal(0, code, err)
      local id = tonumber(out:match("^created campaign (%d+)\n"))
      assert.truthy(id, out)
      assert.matches("services: +PHONE", out)
      local csv = cli.home .. "/people.csv"
      write(csv, "number,tags_name\n9841000001,राम\n9841000002,सीता\n")
      out, err, code = tt { "campaigns", "create", "--name", "bulk", "--services", "SMS", "--file", csv, "--json" }
      assert.equal(0, code, err)
      local bulk = decode(out)
      assert.same({ "tags_name" }, bulk.usable_tags)

      out, err, code = tt { "campaigns", "show", tostring(id), "--json" }
      assert.equal(0, code, err)
      assert.same({ id = id, name = "निर्वाचन सूचना", services = "PHONE", description = "first" },
        { id = decode(out).id, name = decode(out).name, services = decode(out).services,
          description = decode(out).description })

      out, err, code = tt { "campaigns", "update", tostring(id), "--description=second" }
      assert.equal(0, code, err)
      assert.matches("description: +second", out)

      out, err, code = tt { "campaigns", "list" }
      assert.equal(0, code, err)
      local lines = {}
      for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
      assert.equal(3, #lines)
      local function col(line, word) -- code point column of `word`
        local at = line:find(word, 1, true)
        return utf8.len(line:sub(1, at - 1))
      end
      local row = lines[2]:find("bulk", 1, true) and lines[3] or lines[2]
      assert.truthy(row:find("निर्वाचन सूचना", 1, true))
      assert.equal(col(lines[1], "SERVICES"), col(row, "PHONE"))

      out, err, code = tt { "campaigns", "list", "--json" }
      assert.equal(0, code, err)
      assert.equal(2, #decode(out))
      out, err, code = tt { "campaigns", "list", "--page", "1" }
      assert.equal(0, code, err)
      assert.truthy(out:find("page 1 of 1 (2 campaigns)", 1, true))

      out, err, code = tt { "campaigns", "delete", tostring(id) }
      assert.equal(0, code, err)
      assert.equal("deleted campaign " .. id .. "\n", out)
      out, err, code = tt { "campaigns", "show", tostring(id) }
      assert.equal(4, code)
      assert.equal("", out)
      assert.matches("^tingting: not[_ ]found", err)
    end)

    it("campaigns begin, numbers, report and summary", function()
      local c = make_campaign("run", "SMS")
      local id = tostring(c.id)
      local out, err, code = tt { "campaigns", "begin", id, "--message", "नमस्कार" }
      assert.equal(0, code, err)
      assert.truthy(out:find("started campaign " .. id, 1, true))
      assert.truthy(out:find("credits on hold", 1, true))

      out, err, code = tt { "campaigns", "numbers", id }
      assert.equal(0, code, err)
      assert.matches("^ID +NUMBER +STATUS +DURATION +CREDIT +TAGS\n", out)
      assert.truthy(out:find("9843818700", 1, true))
      out, err, code = tt { "campaigns", "numbers", id, "--json" }
      assert.equal(0, code, err)
      local nums = decode(out)
      assert.equal(2, #nums)
      assert.is_string(nums[1].status)

      -- re-run one number id, by a list of statuses (SMS ends completed or failed)
      out, err, code = tt { "campaigns", "begin", id, "--status", "completed,failed", "--individual",
        tostring(nums[1].id), "--json" }
      assert.equal(0, code, err)
      assert.is_table(decode(out))

      local path = cli.home .. "/report.csv"
      out, err, code = tt { "campaigns", "report", id, "-o", path }
      assert.equal(0, code, err)
      assert.truthy(out:find(path, 1, true))
      assert.matches("^id,number,status,duration,playback,credit_consumed", read(path))
      out, err, code = tt { "campaigns", "report", id }
      assert.equal(0, code, err)
      assert.equal(read(path), out)
      out, err, code = tt { "campaigns", "report", id, "--json" }
      assert.equal(0, code, err)
      assert.equal(read(path), decode(out).csv)

      out, err, code = tt { "campaigns", "summary" }
      assert.equal(0, code, err)
      assert.matches("^credits: %d+ available, %d+ on hold, %d+ consumed\n", out)
      assert.truthy(out:find("run", 1, true))
      out, err, code = tt { "campaigns", "summary", "--json" }
      assert.equal(0, code, err)
      local doc = decode(out)
      assert.equal(1, #doc.summary)
      assert.is_number(doc.credits.available)
    end)

    it("otp send and voice test", function()
      local out, err, code = tt { "otp", "send", "9851023212", "--message", "Your code is {otp}", "--otp", "12345" }
      assert.equal(0, code, err)
      assert.truthy(out:find("1 2 3 4 5", 1, true), out)
      out, err, code = tt { "otp", "send", "9851023212", "-m", "{otp}", "--via", "voice", "--length", "6", "--json" }
      assert.equal(0, code, err)
      assert.is_table(decode(out))
      out, err, code = tt { "voice", "test", "नमस्कार", "--voice", "np_binod" }
      assert.equal(0, code, err)
      assert.matches("^http://127%.0%.0%.1:%d+/media/test_voice/%d+%.mp3\n$", out)
      out, err, code = tt { "voice", "test", "hello", "--json" }
      assert.equal(0, code, err)
      assert.equal("hello", decode(out).message)
    end)

    it("a validation error exits 2 naming the field, before anything is sent", function()
      emu.clear_requests()
      local out, err, code = tt { "campaigns", "create", "--name", "x", "--services", "FAX", "--number", "9843818700" }
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find("services", 1, true))
      assert.truthy(err:find("PHONE|SMS", 1, true))
      out, err, code = tt { "otp", "send", "9851023212", "--message", "hi {otp}", "--via", "pigeon" }
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find("--via", 1, true), err)
      assert.falsy(err:find("sms_send_options", 1, true), err)
      out, err, code = tt { "campaigns", "begin", "1", "--individual", "x" }
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find("--individual", 1, true), err)
      assert.falsy(requested("^POST"))
    end)

    it("a server failure exits 1", function()
      emu.fault { path = "/api/system/campaigns/report/summary/", kind = "status", status = 500, count = 10 }
      local _, err, code = tt { "campaigns", "summary", "--timeout", "5" }
      assert.equal(1, code)
      assert.truthy(err:find("500", 1, true), err)
    end)
  end)

  describe("campaigns add", function()
    local function csv_of(n)
      local lines = { "number,tags_name" }
      for i = 1, n do lines[#lines + 1] = tostring(9800000000 + i) .. ",n" .. i end
      -- invalid ones, and a duplicate
      for _, bad in ipairs { "12", "abc", "", "98000000011234567", "+1 (555)" } do lines[#lines + 1] = bad .. ",x" end
      lines[#lines + 1] = "9800000001,again"
      return table.concat(lines, "\n") .. "\n"
    end

    local function tagged_campaign()
      local csv = cli.home .. "/seed.csv"
      write(csv, "number,tags_name\n9843818700,seed\n")
      local out, err, code = tt { "campaigns", "create", "--name", "bulk", "--services", "SMS",
        "--file", csv, "--json" }
      assert(code == 0, out .. err)
      return decode(out).id
    end

    before_each(login)

    it("adds ~200 numbers, reports invalid ones with their lines, exits 5, plain progress lines", function()
      local id = tagged_campaign()
      local path = cli.home .. "/numbers.csv"
      write(path, csv_of(195))
      local out, err, code = tt { "campaigns", "add", tostring(id), path, "--concurrency", "4" }
      assert.equal(5, code, err)
      assert.truthy(out:find("added 195, skipped 1, invalid 5, failed 0", 1, true), out)
      -- the short ones share a reason: one line, with their line numbers
      assert.truthy(out:find("3 rows failed: number: too few digits (at least 7) (lines 197, 199, 201)\n", 1, true),
        out)
      assert.truthy(out:find("line 198: abc: ", 1, true), out)
      -- progress: one line per 10 %, no carriage returns when stderr is not a terminal
      local lines = {}
      for l in err:gmatch("[^\n]+") do lines[#lines + 1] = l end
      assert.equal(10, #lines, err)
      assert.equal("added 195/195", lines[#lines])
      assert.falsy(err:find("\r", 1, true))
      for _, l in ipairs(lines) do assert.matches("^added %d+/195$", l) end
      -- on the server: each exactly once
      local numbers
      for _, c in ipairs(emu.state().campaigns) do
        if c.id == id then numbers = c.numbers end
      end
      assert.equal(196, #numbers)
      -- again: everything is skipped, the invalid ones still reported
      out, err, code = tt { "campaigns", "add", tostring(id), path, "--json" }
      assert.equal(5, code, err)
      local doc = decode(out)
      assert.equal(0, doc.added)
      assert.equal(196, doc.skipped)
      assert.equal(5, #doc.invalid)
      assert.equal(197, doc.invalid[1].line)
      assert.equal("12", doc.invalid[1].input)
      assert.same({}, doc.failed)
      assert.equal("", err)
    end)

    it("draws a progress bar with rate and ETA when stderr is a terminal", function()
      if not cli.have_script() then
        pending("needs util-linux script for a terminal")
        return
      end
      local id = tagged_campaign()
      local path = cli.home .. "/tty.csv"
      write(path, csv_of(150))
      local out, code = cli.run_tty({ "campaigns", "add", tostring(id), path }, { TINGTING_BASE_URL = emu.url() })
      assert.equal(5, code, out)
      assert.matches("\r%[[#.]+%] +%d+%% %d+/150 +[%d.]+/s +ETA ", out)
      assert.truthy(out:find("\r[" .. string.rep("#", 30) .. "] 100% 150/150", 1, true), out)
      assert.falsy(out:find("added 15/150", 1, true)) -- no plain lines on a terminal
      assert.truthy(out:find("added 150, skipped 1, invalid 5, failed 0", 1, true), out)
    end)

    it("exits 0 when every number was added", function()
      local id = tagged_campaign()
      local path = cli.home .. "/ok.csv"
      write(path, "number,tags_name\n9841000001,राम\n9841000002,सीता\n")
      local out, err, code = tt { "campaigns", "add", tostring(id), path, "--json" }
      assert.equal(0, code, err)
      local doc = decode(out)
      assert.equal(2, doc.added)
      assert.equal("सीता", doc.numbers[2].available_tags.tags_name)
    end)

    it("reports failed numbers with their errors and exits 5", function()
      local id = tagged_campaign()
      local path = cli.home .. "/f.csv"
      write(path, "number\n9841000001\n9841000002\n")
      emu.fault { method = "POST", path = "^/api/system/campaigns/number/%d+/?$", kind = "status", status = 400,
        body = { status = 400, success = false, message = "number: refused.", errors = { number = { "refused." } },
          data = {} } }
      local out, err, code = tt { "campaigns", "add", tostring(id), path }
      assert.equal(5, code, err)
      assert.truthy(out:find("failed 2", 1, true), out)
      assert.truthy(out:find("2 rows failed: api error 400", 1, true), out)
      assert.truthy(out:find("(numbers 9841000001, 9841000002)", 1, true), out)
    end)

    it("a malformed CSV exits 2 with its line number; an unknown campaign exits 4", function()
      local path = cli.home .. "/bad.csv"
      write(path, "number,tags_name\n9841000001,a\n9841000002,\"open\n")
      local _, err, code = tt { "campaigns", "add", "1", path }
      assert.equal(2, code)
      assert.truthy(err:find("line 3", 1, true), err)
      write(path, "number\n9841000001\n")
      _, err, code = tt { "campaigns", "add", "999", path }
      assert.equal(4, code, err)
    end)
  end)

  it("never prints a token or the password", function()
    login()
    local doc = decode(read(session_file()))
    local c = make_campaign("secrets", "SMS")
    for _, argv in ipairs {
      { "whoami" }, { "whoami", "--json" }, { "whoami", "--verbose" }, { "campaigns", "list", "--json", "-v" },
      { "campaigns", "show", tostring(c.id), "--json" }, { "numbers", "owned", "--json" },
      { "login", "--base-url", emu.url(), "--json", "-v" }, { "campaigns", "summary", "--json" },
    } do
      local _, err, code = tt(argv, argv[1] == "login" and CREDS or nil)
      assert.equal(0, code, err)
    end
    emu.reset()
    tt { "whoami", "-v" } -- a rejected token and refresh: exit 3
    local newest = decode(read(session_file()))
    for _, text in ipairs(cli.transcript) do
      for _, secret in ipairs { doc.access, doc.refresh, newest.access, newest.refresh } do
        assert.falsy(text:find(secret, 1, true), "a token was printed")
      end
      assert.falsy(text:find("Bearer", 1, true))
      assert.falsy(text:find('"' .. PASSWORD .. '"', 1, true))
      assert.falsy(text:lower():find("password", 1, true))
    end
  end)
end)
