-- The `tingting` command on TingTing's v1 API, against the emulator: the
-- global options --api and --api-key-file, TINGTING_API_KEY, a v1 login,
-- and the commands voices, dashboard, otps, contacts and token. Run as a
-- subprocess with its own XDG_CONFIG_HOME per test, checking stdout, stderr,
-- exit codes and what reached the server.
local cjson = require "cjson"
local emu = require "spec.helpers.emulator"
local cli = require "spec.helpers.cli"
local V = require "spec.helpers.emulator_v1"

local run, tt, login, decode, read, write = cli.run, cli.tt, cli.login, cli.decode, cli.read, cli.write
local paths_requested, requested, make_campaign = cli.paths_requested, cli.requested, cli.make_campaign
local CREDS = cli.CREDS

-- The environment of a command holding the API token.
local function keyed(extra)
  local e = { TINGTING_API_KEY = V.token }
  for k, v in pairs(extra or {}) do e[k] = v end
  return e
end

local function v1_login()
  local out, err, code = tt({ "--api", "v1", "login" }, CREDS)
  assert(code == 0, "v1 login failed: " .. out .. err)
end

-- The emulator's current API token (admin API).
local function server_token()
  local status, text = emu.http("GET", "/__emulator__/api-token")
  assert.equal(200, status, text)
  local doc = cjson.decode(text).api_token
  return type(doc) == "table" and doc.token or nil
end

local function send_otp(code)
  local status, res = V.api("POST", "auths/send/otp/", { number = "9851023212", message = "Your code {otp}",
    sms_send_options = "text", otp_options = "personnel", otp = code, company_name = "acme" })
  assert.equal(200, status, cjson.encode(res))
end

-- A v1 campaign with two contacts; its id.
local function v1_campaign()
  local c = V.create { name = "v1 cli", services = "SMS", sms_message = "hi" }
  V.add(c.id, { { number = "9851022343" }, { number = "9843818700" } })
  return c.id
end

local function one_line_error(err)
  assert.matches("^tingting: [^\n]*\n$", err)
end

describe("tingting command on the v1 API", function()
  before_each(function()
    V.fresh() -- reset, V.token = a new API token
    emu.config { run_speed = 0 }
    emu.clear_requests()
    cli.setup()
  end)

  after_each(function()
    emu.clear_faults()
    cli.teardown()
  end)

  describe("help", function()
    local commands = {
      { {}, { "voices", "dashboard", "otps", "contacts", "token", "TINGTING_API_KEY", "TINGTING_API ",
        "--api legacy|v1", "--api-key-file PATH", "ps", "a command the API dialect" } },
      { { "voices" }, { "usage: tingting voices", "v1 only" } },
      { { "dashboard" }, { "--days" } },
      { { "otps" }, { "--limit", "--offset", "--show-codes", "secrets" } },
      { { "contacts" }, { "ID", "--limit", "--offset" } },
      { { "token" }, { "show", "generate" } },
      { { "token", "show" }, { "usage: tingting token show" } },
      { { "token", "generate" }, { "login", "secret", "--api-key-file" } },
    }
    for _, case in ipairs(commands) do
      local path, wants = case[1], case[2]
      it("--help of `" .. table.concat(path, " ") .. "` lists its usage and options, exit 0", function()
        local argv = {}
        for i, w in ipairs(path) do argv[i] = w end
        argv[#argv + 1] = "--help"
        local out, err, code = run(argv)
        assert.equal(0, code)
        assert.equal("", err)
        assert.truthy(out:find("--api-key-file", 1, true)) -- a global option, listed everywhere
        for _, w in ipairs(wants) do assert.truthy(out:find(w, 1, true), w .. " missing in:\n" .. out) end
      end)
    end
  end)

  describe("bad input exits 2 and sends nothing", function()
    local cases = {
      { { "--api", "bogus", "voices" }, '--api: expected legacy or v1 (got "bogus")' },
      { { "voices", "--api-key", "abc" }, "unknown option --api-key" },
      { { "dashboard", "--days", "0" }, "--days: expected a positive integer" },
      { { "dashboard", "--days", "week" }, "--days: expected a positive integer" },
      { { "otps", "--limit", "0" }, "--limit: expected a positive integer" },
      { { "otps", "--offset", "-1" }, "--offset: expected an integer of 0 or more" },
      { { "otps", "--offset", "x" }, "--offset: expected an integer of 0 or more" },
      { { "otps", "--show-codes=yes" }, "option --show-codes takes no value" },
      { { "contacts" }, "missing argument ID" },
      { { "contacts", "abc" }, "ID: expected a positive integer" },
      { { "token" }, "missing subcommand" },
      { { "token", "rotate" }, 'unknown command "rotate"' },
    }
    for _, case in ipairs(cases) do
      it(table.concat(case[1], " "), function()
        local out, err, code = tt(case[1], keyed())
        assert.equal(2, code, err)
        assert.equal("", out)
        assert.truthy(err:find(case[2], 1, true), err)
        one_line_error(err)
        assert.same({}, paths_requested())
      end)
    end

    it("TINGTING_API must be legacy or v1; --api legacy with an API token is refused", function()
      local out, err, code = tt({ "voices" }, keyed { TINGTING_API = "v2" })
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find('TINGTING_API: expected legacy or v1 (got "v2")', 1, true), err)
      out, err, code = tt({ "--api", "legacy", "voices" }, keyed())
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find("is a v1 credential", 1, true), err)
      out, err, code = tt({ "voices" }, keyed { TINGTING_API = "legacy" })
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find("is a v1 credential", 1, true), err)
      assert.same({}, paths_requested())
    end)

    it("--api-key-file must name a readable file holding a token", function()
      local path = cli.home .. "/empty-key"
      write(path, "\n")
      for _, p in ipairs { cli.home .. "/missing-key", path, cli.home } do
        local out, err, code = tt { "--api-key-file", p, "voices" }
        assert.equal(2, code)
        assert.equal("", out)
        assert.truthy(err:find("--api-key-file: expected a readable file", 1, true), err)
      end
      assert.same({}, paths_requested())
    end)
  end)

  describe("the API token", function()
    it("from TINGTING_API_KEY makes a v1 session with no login and no stored session", function()
      local out, err, code = tt({ "voices" }, keyed())
      assert.equal(0, code, err)
      assert.equal("", err)
      assert.same({ "GET /api/v1/voice-models/" }, paths_requested())
      assert.is_nil(read(cli.session_file()))
      assert.truthy(out:find("ID%s+NAME%s+INTERNAL NAME%s+PREMIUM\n"))
    end)

    it("from --api-key-file (first line, spaces trimmed) is the same", function()
      local path = cli.home .. "/key"
      write(path, "  " .. V.token .. "  \nignored\n")
      local out, err, code = tt { "--api-key-file", path, "voices", "--json" }
      assert.equal(0, code, err)
      assert.equal(5, #decode(out))
      -- the file wins over the environment
      out, err, code = tt({ "--api-key-file", path, "voices" }, { TINGTING_API_KEY = "wrong-token" })
      assert.equal(0, code, err)
      assert.truthy(out:find("Rija", 1, true))
    end)

    it("a rejected API token exits 3", function()
      local out, err, code = tt({ "voices" }, { TINGTING_API_KEY = "0123456789abcdef" })
      assert.equal(3, code)
      assert.equal("", out)
      assert.truthy(err:find("auth error 401", 1, true), err)
      one_line_error(err)
    end)

    it("the existing commands speak v1 with it (whoami, campaigns show)", function()
      local id = v1_campaign()
      emu.clear_requests()
      local out, err, code = tt({ "whoami" }, keyed())
      assert.equal(0, code, err)
      assert.truthy(out:find("test@gmail.com", 1, true))
      out, err, code = tt({ "campaigns", "show", tostring(id), "--json" }, keyed())
      assert.equal(0, code, err)
      assert.equal("v1 cli", decode(out).name)
      for _, line in ipairs(paths_requested()) do assert.matches("^%u+ /api/v1/", line) end
    end)
  end)

  describe("v1 login", function()
    it("stores the cookie tokens with the dialect; later commands use them without credentials", function()
      local out, err, code = tt({ "--api", "v1", "login", "--json" }, CREDS)
      assert.equal(0, code, err)
      local doc = decode(out)
      assert.equal("v1", doc.api)
      assert.is_true(doc.logged_in)
      local conf = decode(read(cli.xdg .. "/tingting/config.json"))
      assert.equal("v1", conf.api)
      assert.equal(emu.url(), conf.base_url)
      local stored = decode(read(cli.session_file()))
      assert.is_string(stored.access)
      assert.truthy(requested("^POST /api/v1/auths/login/$"))

      emu.clear_requests()
      out, err, code = tt { "voices", "--json" } -- no --api, no credentials: the stored v1 session
      assert.equal(0, code, err)
      assert.equal(5, #decode(out))
      assert.same({ "GET /api/v1/voice-models/" }, paths_requested())
    end)

    it("TINGTING_API=v1 logs in to v1 as well; a v1 session is not sent to the legacy API", function()
      local out, err, code = tt({ "login" }, { TINGTING_API = "v1", TINGTING_EMAIL = cli.EMAIL,
        TINGTING_PASSWORD = cli.PASSWORD })
      assert.equal(0, code, err)
      assert.truthy(out:find("(v1 API)", 1, true))
      emu.clear_requests()
      out, err, code = tt { "--api", "legacy", "whoami" }
      assert.equal(3, code)
      assert.equal("", out)
      assert.truthy(err:find("the stored session is for the v1 API", 1, true), err)
      assert.same({}, paths_requested())
    end)

    it("a legacy login stays legacy (and is not sent to v1)", function()
      login()
      assert.equal("legacy", decode(read(cli.xdg .. "/tingting/config.json")).api)
      emu.clear_requests()
      local _, err, code = tt { "whoami" }
      assert.equal(0, code, err)
      assert.falsy(requested("/api/v1/"))
      _, err, code = tt { "--api", "v1", "whoami" }
      assert.equal(3, code)
      assert.truthy(err:find("the stored session is for the legacy API", 1, true), err)
    end)

    it("not logged in on v1: exit 3 naming the v1 login and TINGTING_API_KEY, nothing sent", function()
      local out, err, code = tt { "--api", "v1", "voices" }
      assert.equal(3, code)
      assert.equal("", out)
      assert.equal("tingting: not logged in: run `tingting --api v1 login`, set TINGTING_EMAIL and "
        .. "TINGTING_PASSWORD, or set TINGTING_API_KEY\n", err)
      assert.same({}, paths_requested())
    end)

    it("a config.json written before v1 (no api) is a legacy session", function()
      login()
      local path = cli.xdg .. "/tingting/config.json"
      local conf = decode(read(path))
      conf.api = nil
      write(path, cjson.encode(conf))
      local _, err, code = tt { "whoami" }
      assert.equal(0, code, err)
    end)
  end)

  describe("voices", function()
    it("lists id, name, internal name and premium", function()
      local out, err, code = tt({ "voices" }, keyed())
      assert.equal(0, code, err)
      assert.truthy(out:find("\n1%s+Rija%s+np_rija%s+no\n"), out)
      assert.truthy(out:find("\n2%s+Rija premium%s+np_rija%s+yes\n"), out)
    end)

    it("--json prints the list as the server has it", function()
      local out, err, code = tt({ "voices", "--json" }, keyed())
      assert.equal(0, code, err)
      local list = decode(out)
      assert.same({ id = 1, voice_display_name = "Rija", voice_internal_name = "np_rija", is_premium = false },
        list[1])
    end)

    it("on the legacy API: unsupported, exit 2, nothing sent", function()
      login()
      emu.clear_requests()
      local out, err, code = tt { "voices" }
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find("unsupported", 1, true), err)
      assert.truthy(err:find("legacy", 1, true), err)
      one_line_error(err)
      assert.same({}, paths_requested())
    end)
  end)

  describe("dashboard", function()
    it("--days N reaches the server; the table lists the figures", function()
      local out, err, code = tt({ "dashboard", "--days", "7" }, keyed())
      assert.equal(0, code, err)
      local log = emu.requests()
      assert.equal(1, #log)
      assert.equal("/api/v1/dashboard/", log[1].path)
      assert.equal("days=7", log[1].query)
      assert.truthy(out:find("remaining credits:%s+10000"), out)
    end)

    it("--json prints the dashboard; without --days no days are sent", function()
      local out, err, code = tt({ "dashboard", "--json" }, keyed())
      assert.equal(0, code, err)
      assert.equal(10000, decode(out).remaining_credits)
      assert.equal("", emu.requests()[1].query)
    end)

    it("on the legacy API: exit 2", function()
      login()
      local out, err, code = tt { "dashboard" }
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find("unsupported", 1, true), err)
    end)
  end)

  describe("otps", function()
    it("lists the OTPs sent, never their codes or messages", function()
      send_otp("98765")
      send_otp("13579")
      local out, err, code = tt({ "otps" }, keyed())
      assert.equal(0, code, err)
      assert.truthy(out:find("^ID%s+NUMBER%s+VIA%s+OTP OPTIONS%s+CREATED\n"), out)
      assert.truthy(out:find("9851023212%s+text%s+personnel"), out)
      for _, secret in ipairs { "98765", "9 8 7 6 5", "13579", "1 3 5 7 9", "Your code" } do
        assert.falsy(out:find(secret, 1, true), secret .. " printed")
      end
      out, err, code = tt({ "otps", "--json" }, keyed())
      assert.equal(0, code, err)
      local list = decode(out)
      assert.equal(2, #list)
      for _, o in ipairs(list) do
        assert.is_nil(o.otp)
        assert.is_nil(o.message)
        assert.equal("9851023212", o.phone_number)
      end
      assert.falsy(out:find("98765", 1, true))
    end)

    it("--show-codes shows them, in the table and in JSON", function()
      send_otp("98765")
      local out, err, code = tt({ "otps", "--show-codes" }, keyed())
      assert.equal(0, code, err)
      assert.truthy(out:find("CODE\n", 1, true), out)
      assert.truthy(out:find("98765\n", 1, true), out)
      out, err, code = tt({ "otps", "--show-codes", "--json" }, keyed())
      assert.equal(0, code, err)
      local o = decode(out)[1]
      assert.equal("98765", o.otp)
      assert.is_string(o.message)
    end)

    it("--limit and --offset ask for one page", function()
      for i = 1, 3 do send_otp("1111" .. i) end
      emu.clear_requests()
      local out, err, code = tt({ "otps", "--limit", "2", "--offset", "0", "--json" }, keyed())
      assert.equal(0, code, err)
      assert.equal(2, #decode(out))
      local log = emu.requests()
      assert.equal(1, #log)
      assert.truthy(log[1].query:find("limit=2", 1, true), log[1].query)
      assert.truthy(log[1].query:find("offset=0", 1, true), log[1].query)
    end)

    it("no OTPs: says so; [] in JSON", function()
      local out, _, code = tt({ "otps" }, keyed())
      assert.equal(0, code)
      assert.equal("no OTPs\n", out)
      out = tt({ "otps", "--json" }, keyed())
      assert.equal("[]\n", out)
    end)
  end)

  describe("otp send", function()
    it("--company gives v1 its company_name; without it v1 refuses naming --company, exit 2, nothing sent", function()
      local out, err, code = tt({ "otp", "send", "9851023212", "-m", "code {otp}", "--otp", "4321" }, keyed())
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find("--company: is required", 1, true), err)
      assert.falsy(err:find("company_name", 1, true), err)
      assert.same({}, paths_requested())
      out, err, code = tt({ "otp", "send", "9851023212", "-m", "code {otp}", "--otp", "4321", "--company", "acme",
        "--json" }, keyed())
      assert.equal(0, code, err)
      assert.equal("acme", decode(out).company_name)
      assert.same({ "POST /api/v1/auths/send/otp/" }, paths_requested())
    end)
  end)

  describe("contacts", function()
    it("lists id, number, status, duration and carrier of every contact", function()
      local id = v1_campaign()
      local out, err, code = tt({ "contacts", tostring(id) }, keyed())
      assert.equal(0, code, err)
      assert.truthy(out:find("^ID%s+NUMBER%s+STATUS%s+DURATION%s+CARRIER\n"), out)
      assert.truthy(out:find("9851022343%s+not started%s+0%s+%u+"), out)
      assert.truthy(out:find("9843818700", 1, true), out)
    end)

    it("--json prints the contacts' fields; --limit/--offset one page", function()
      local id = v1_campaign()
      local out, err, code = tt({ "contacts", tostring(id), "--json" }, keyed())
      assert.equal(0, code, err)
      local list = decode(out)
      assert.equal(2, #list)
      assert.is_string(list[1].carrier)
      assert.equal(0, list[1].duration)
      emu.clear_requests()
      out, err, code = tt({ "contacts", tostring(id), "--limit", "1", "--offset", "1", "--json" }, keyed())
      assert.equal(0, code, err)
      list = decode(out)
      assert.equal(1, #list)
      assert.equal(list[1].number, "9843818700")
      assert.truthy(requested("^GET /api/v1/campaign%-detail/" .. id .. "/$"))
    end)

    it("an unknown campaign exits 4", function()
      local out, err, code = tt({ "contacts", "999" }, keyed())
      assert.equal(4, code)
      assert.equal("", out)
      one_line_error(err)
    end)

    it("on the legacy API lists the campaign's numbers; --limit there exits 2", function()
      login()
      local c = make_campaign("legacy contacts", "SMS", { "9843818700" })
      local out, err, code = tt { "contacts", tostring(c.id) }
      assert.equal(0, code, err)
      assert.truthy(out:find("9843818700", 1, true), out)
      out, err, code = tt { "contacts", tostring(c.id), "--limit", "1" }
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find("need the v1 API", 1, true), err)
    end)
  end)

  describe("token", function()
    it("show prints the token on stdout, the warning on stderr", function()
      local out, err, code = tt({ "token", "show" }, keyed())
      assert.equal(0, code, err)
      assert.truthy(out:find("token:%s+" .. V.token .. "\n"), out)
      assert.truthy(err:find("secret", 1, true), err)
      assert.falsy(err:find(V.token, 1, true))
      out, err, code = tt({ "token", "show", "--json" }, keyed())
      assert.equal(0, code, err)
      assert.equal(V.token, decode(out).token)
    end)

    it("generate needs a login: with an API token it exits 3 and prints nothing", function()
      local out, err, code = tt({ "token", "generate" }, keyed())
      assert.equal(3, code)
      assert.equal("", out)
      assert.truthy(err:find("needs a login session", 1, true), err)
      assert.equal(V.token, server_token()) -- unchanged
    end)

    it("generate after a v1 login prints the new token once, and it works", function()
      v1_login()
      local out, err, code = tt { "token", "generate" }
      assert.equal(0, code, err)
      local token = out:match("^(%S+)\n$")
      assert.truthy(token, out)
      assert.equal(server_token(), token)
      assert.not_equal(V.token, token)
      assert.truthy(err:find("secret", 1, true), err)
      assert.falsy(err:find(token, 1, true))
      out, err, code = tt({ "voices", "--json" }, { TINGTING_API_KEY = token })
      assert.equal(0, code, err)
      assert.equal(5, #decode(out))
      -- the old one is gone
      local _
      _, _, code = tt({ "voices" }, keyed())
      assert.equal(3, code)
    end)

    it("generate --json prints {token}", function()
      v1_login()
      local out, err, code = tt { "token", "generate", "--json" }
      assert.equal(0, code, err)
      assert.equal(server_token(), decode(out).token)
    end)

    it("on the legacy API: exit 2", function()
      login()
      for _, argv in ipairs { { "token", "show" }, { "token", "generate" } } do
        local out, err, code = tt(argv)
        assert.equal(2, code)
        assert.equal("", out)
        assert.truthy(err:find("unsupported", 1, true), err)
      end
    end)
  end)

  describe("campaigns on v1", function()
    local SENDER = "+9779876565435" -- the emulator account's only sender number after a reset

    -- The emulator's campaign `id` as the v1 API returns it.
    local function server_campaign(id)
      local status, c = V.api("GET", "campaign/" .. id .. "/")
      assert.equal(200, status)
      return c
    end

    -- A second sender number: bought on the legacy face, whose owned numbers are v1's senders.
    local function buy_second_sender()
      cli.login()
      local out, err, code = tt { "numbers", "available", "--json" }
      assert.equal(0, code, err)
      local sid = decode(out)[1].phone_number_sid
      out, err, code = tt { "numbers", "buy", sid }
      assert.equal(0, code, out .. err)
      emu.clear_requests()
    end

    local function create_posted() return requested("^POST /api/v1/campaign/create/?$") end

    -- What was asked of the server besides reading.
    local function changes()
      local out = {}
      for _, line in ipairs(paths_requested()) do
        if not line:find("^GET ") then out[#out + 1] = line end
      end
      return out
    end

    it("create --number makes the campaign with the only sender, then adds the numbers", function()
      local out, err, code = tt({ "campaigns", "create", "--name", "IPO", "--services", "SMS", "--sms-message", "hi",
        "--number", "9843818700,9851022343" }, keyed())
      assert.equal(0, code, err)
      assert.truthy(err:find("sending from " .. SENDER .. " (--sender 1), the account's only sender number", 1,
        true), err)
      assert.truthy(out:find("created campaign", 1, true), out)
      assert.truthy(out:find("recipients: 2 added", 1, true), out)
      local id = tonumber(out:match("created campaign (%d+)"))
      assert.same({ 1 }, server_campaign(id).user_phone)
      assert.same({ ["9843818700"] = 1, ["9851022343"] = 1 }, emu.server_numbers(id))
      assert.truthy(requested("^POST /api/v1/campaign/%d+/add%-contact/?$"))
      -- v1's contact list has each contact's carrier, and no variables
      out, err, code = tt({ "campaigns", "numbers", tostring(id) }, keyed())
      assert.equal(0, code, err)
      assert.truthy(out:match("^ID +NUMBER +STATUS +DURATION +CREDIT +CARRIER\n"), out)
      assert.truthy(out:find("9851022343", 1, true), out)
      assert.truthy(out:find("NTC", 1, true), out)
    end)

    it("create --file FILE.csv uploads the numbers with their variables; --json reports them", function()
      local path = cli.home .. "/people.csv"
      write(path, "number,name\n9843818700,Ram\n9851022343,Sita\n")
      local out, err, code = tt({ "campaigns", "create", "--name", "IPO", "--services", "PHONE", "--message",
        "namaste {name}", "--file", path, "--json" }, keyed())
      assert.equal(0, code, err)
      local doc = decode(out)
      assert.equal("IPO", doc.name)
      assert.equal("namaste {name}", doc.message)
      assert.same({ added = 2, failed = {} }, doc.recipients)
      assert.truthy(requested("^PATCH /api/v1/campaign/create/%d+/detail/?$"))
      assert.same({ ["9843818700"] = 1, ["9851022343"] = 1 }, emu.server_numbers(doc.id))
      -- the variables reach the server: the report has a column for each
      local report = tt({ "campaigns", "report", tostring(doc.id) }, keyed())
      assert.matches("\n[^\n]*9843818700[^\n]*,Ram\r?\n", report)
      assert.matches("\n[^\n]*9851022343[^\n]*,Sita\r?\n", report)
    end)

    it("recipients the server refuses are listed by row, and exit 5: the campaign has the others", function()
      local path = cli.home .. "/twice.csv"
      write(path, "number\n9843818700\n9843818700\n9851022343\n")
      local out, err, code = tt({ "campaigns", "create", "--name", "IPO", "--services", "SMS", "--sms-message", "x",
        "--file", path }, keyed())
      assert.equal(5, code, err)
      assert.truthy(out:find("recipients: 2 added, 1 refused\n  row 3: 9843818700: ", 1, true), out)
      local id = tonumber(out:match("created campaign (%d+)"))
      assert.same({ ["9843818700"] = 1, ["9851022343"] = 1 }, emu.server_numbers(id))
    end)

    it("create without recipients makes an empty campaign (`campaigns add` fills it later)", function()
      local out, err, code = tt({ "campaigns", "create", "--name", "Later", "--services", "SMS", "--sms-message", "x",
        "--json" }, keyed())
      assert.equal(0, code, err)
      assert.equal(0, decode(out).recipients.added)
      assert.falsy(requested("add%-contact"))
    end)

    it("--sender picks the sender number, and no note is printed", function()
      buy_second_sender()
      local out, err, code = tt({ "campaigns", "create", "--name", "Two", "--services", "SMS", "--sms-message", "x",
        "--sender", "2", "--json" }, keyed())
      assert.equal(0, code, err)
      assert.equal("", err)
      assert.same({ 2 }, server_campaign(decode(out).id).user_phone)
    end)

    it("with several sender numbers and no --sender: exit 2 listing them, nothing created", function()
      buy_second_sender()
      local out, err, code = tt({ "campaigns", "create", "--name", "Two", "--services", "SMS", "--sms-message", "x",
        "--number", "9843818700" }, keyed())
      assert.equal(2, code)
      assert.equal("", out)
      one_line_error(err)
      assert.truthy(err:find("the account has 2 sender numbers: choose with --sender ID (1 (" .. SENDER .. "), 2 (",
        1, true), err)
      assert.falsy(create_posted())
    end)

    it("a --sender that is not the account's: exit 2 naming it and the senders, nothing created", function()
      local out, _, code = tt({ "campaigns", "create", "--name", "X", "--services", "SMS", "--sms-message", "x",
        "--sender", "9", "--number", "9843818700", "--json" }, keyed())
      assert.equal(2, code)
      local e = decode(out).error
      assert.equal("--sender", e.option)
      assert.truthy(e.message:find("--sender 9: not one of the account's sender numbers (1 (" .. SENDER .. "))", 1,
        true), e.message)
      assert.falsy(create_posted())
    end)

    it("a bad --number or a bad row of --file exits 2 before anything is sent", function()
      local out, err, code = tt({ "campaigns", "create", "--name", "X", "--services", "SMS", "--sms-message", "x",
        "--number", "9843818700,12" }, keyed())
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find("--number (value 2): too few digits", 1, true), err)
      local path = cli.home .. "/bad.csv"
      write(path, "number\n9843818700\nabc\n")
      out, err, code = tt({ "campaigns", "create", "--name", "X", "--services", "SMS", "--sms-message", "x",
        "--file", path }, keyed())
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find("--file: " .. path .. ": line 3:", 1, true), err)
      assert.same({}, paths_requested())
    end)

    it("a field the server needs names the option: no --sms-message for SMS is exit 2, nothing created", function()
      local out, err, code = tt({ "campaigns", "create", "--name", "X", "--services", "SMS", "--number",
        "9843818700" }, keyed())
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find("--sms-message", 1, true), err)
      assert.falsy(err:find("sms_message", 1, true), err)
      assert.falsy(err:find("sending from", 1, true), err) -- the sender note comes with a campaign only
      assert.falsy(create_posted())
    end)

    it("recipients that cannot be added after the campaign exists: the error names the campaign, exit 1", function()
      emu.fault { method = "POST", path = "^/api/v1/campaign/%d+/add%-contact/?$", kind = "status", status = 500,
        count = 100 }
      local out, err, code = tt({ "campaigns", "create", "--name", "Half", "--services", "SMS", "--sms-message", "x",
        "--number", "9843818700" }, keyed())
      assert.equal(1, code)
      assert.equal("", out)
      local id = tonumber(err:match("created campaign (%d+), but adding its recipients failed"))
      assert.truthy(id, err)
      assert.truthy(err:find("tingting campaigns add " .. id .. " FILE.csv", 1, true), err)
      assert.equal("Half", server_campaign(id).name)
    end)

    it("begin sets the message, voice, length factor and category given, then runs the campaign", function()
      local id = v1_campaign()
      emu.clear_requests()
      local out, err, code = tt({ "campaigns", "begin", tostring(id), "--message", "namaste", "--sms-message", "hello",
        "--voice", "3", "--length-factor", "1.2", "--category", "Text" }, keyed())
      assert.equal(0, code, err)
      assert.truthy(out:find("started campaign " .. id, 1, true), out)
      assert.same({ "PATCH /api/v1/campaign/create/" .. id .. "/message/", "POST /api/v1/run-campaign/" .. id .. "/" },
        changes())
      local c = server_campaign(id)
      assert.equal("namaste", c.message)
      assert.equal("hello", c.sms_message)
      assert.equal(3, c.voice)
      assert.equal("Text", c.category)
      assert.not_equal("Not Started", c.status)
    end)

    it("begin without options runs the campaign as it is", function()
      local id = v1_campaign()
      emu.clear_requests()
      local out, err, code = tt({ "campaigns", "begin", tostring(id), "--json" }, keyed())
      assert.equal(0, code, err)
      assert.equal("string", type(decode(out).message))
      assert.same({ "POST /api/v1/run-campaign/" .. id .. "/" }, changes())
    end)

    it("update takes --message, --sms-message and --schedule on v1", function()
      local id = v1_campaign()
      local out, err, code = tt({ "campaigns", "update", tostring(id), "--message", "new text", "--sms-message", "sms",
        "--json" }, keyed())
      assert.equal(0, code, err)
      assert.equal("new text", decode(out).message)
      assert.equal("sms", server_campaign(id).sms_message)
    end)

    it("voice test --campaign ID previews on that campaign and prints the audio URL", function()
      local id = v1_campaign()
      emu.clear_requests()
      local out, err, code = tt({ "voice", "test", "namaste", "--campaign", tostring(id), "--voice", "3" }, keyed())
      assert.equal(0, code, err)
      assert.matches("^https?://%S+%.mp3\n$", out)
      assert.truthy(requested("^POST /api/v1/test%-speak/riri/" .. id .. "/?$"))
    end)

    it("voice test without --campaign on v1: exit 2 saying v1 needs it, nothing sent", function()
      local out, err, code = tt({ "voice", "test", "namaste" }, keyed())
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find("--campaign ID is required on the v1 API", 1, true), err)
      assert.same({}, paths_requested())
    end)

    it("numbers owned lists the sender numbers with the ids --sender takes", function()
      local out, err, code = tt({ "numbers", "owned" }, keyed())
      assert.equal(0, code, err)
      assert.matches("^ID%s+NUMBER\n1%s+%" .. SENDER .. "\n$", out)
    end)

    local legacy_only = { { "numbers", "buy", "abc" }, { "numbers", "release", "abc" }, { "numbers", "available" } }
    for _, argv in ipairs(legacy_only) do
      it(table.concat(argv, " ") .. " on v1: exit 2 naming what v1 offers, nothing sent", function()
        local out, err, code = tt(argv, keyed())
        assert.equal(2, code)
        assert.equal("", out)
        one_line_error(err)
        assert.truthy(err:find(argv[1] .. " " .. argv[2] .. " is legacy-only", 1, true), err)
        assert.truthy(err:find("numbers owned", 1, true), err)
        assert.same({}, paths_requested())
      end)
    end

    it("campaigns summary on v1: exit 2 pointing to dashboard, nothing sent", function()
      local out, err, code = tt({ "campaigns", "summary" }, keyed())
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find("tingting dashboard", 1, true), err)
      assert.same({}, paths_requested())
    end)

    describe("an option of the other dialect exits 2 naming it, nothing sent", function()
      local v1_cases = {
        { { "campaigns", "begin", "1", "--audio", "x.mp3" }, "--audio is legacy-only" },
        { { "campaigns", "begin", "1", "--individual", "3" }, "--individual is legacy-only" },
        { { "campaigns", "begin", "1", "--status", "failed" }, "--status is legacy-only" },
        { { "campaigns", "begin", "1", "--schedule", "2030-01-01T10:00" }, "campaigns update" },
        { { "campaigns", "update", "1", "--description", "d" }, "--description is legacy-only" },
      }
      for _, case in ipairs(v1_cases) do
        it("on v1: " .. table.concat(case[1], " "), function()
          local out, err, code = tt(case[1], keyed())
          assert.equal(2, code)
          assert.equal("", out)
          one_line_error(err)
          assert.truthy(err:find(case[2], 1, true), err)
          assert.same({}, paths_requested())
        end)
      end
      local legacy_cases = {
        { "campaigns", "create", "--name", "X", "--services", "SMS", "--number", "9843818700", "--sender", "1" },
        { "campaigns", "create", "--name", "X", "--services", "SMS", "--number", "9843818700", "--sms-message", "x" },
        { "campaigns", "begin", "1", "--message", "hi", "--category", "Text" },
        { "campaigns", "update", "1", "--message", "hi" },
        { "voice", "test", "hi", "--campaign", "1" },
      }
      for _, argv in ipairs(legacy_cases) do
        it("on legacy: " .. table.concat(argv, " "), function()
          cli.login()
          emu.clear_requests()
          local json = {}
          for i, a in ipairs(argv) do json[i] = a end
          json[#json + 1] = "--json"
          local out, _, code = tt(json)
          assert.equal(2, code)
          local e = decode(out).error
          assert.matches("^%-%-[%w-]+ is v1%-only: this session uses the legacy API", e.message)
          assert.equal(e.message:match("^(%-%-[%w-]+)"), e.option)
          assert.same({}, paths_requested())
        end)
      end
    end)

    it("--help marks the options of one dialect", function()
      local out = run { "campaigns", "create", "--help" }
      assert.matches("%-%-sender ID %.%.%.%s+[^\n]*%(v1 only%)", out)
      out = run { "campaigns", "begin", "--help" }
      assert.matches("%-%-audio FILE%s+[^\n]*%(legacy only%)", out)
      assert.matches("%-%-category C%s+[^\n]*%(v1 only%)", out)
      out = run { "voice", "test", "--help" }
      assert.matches("%-%-campaign ID%s+[^\n]*%(v1 only%)", out)
      out = run { "numbers", "buy", "--help" }
      assert.truthy(out:find("Legacy only", 1, true), out)
    end)
  end)

  it("never prints the API token, login tokens or OTP codes outside token show/generate and --show-codes", function()
    send_otp("24680")
    local id = v1_campaign()
    for _, argv in ipairs {
      { "voices" }, { "voices", "--json", "-v" }, { "dashboard", "--json", "-v" }, { "otps", "-v" },
      { "otps", "--json" }, { "contacts", tostring(id), "--json", "-v" }, { "whoami", "--json", "-v" },
      { "token", "generate" }, -- exits 3
    } do
      tt(argv, keyed())
    end
    v1_login()
    tt { "whoami", "-v" }
    tt { "otps", "--json", "-v" }
    local stored = decode(read(cli.session_file()))
    for _, text in ipairs(cli.transcript) do
      for _, secret in ipairs { V.token, stored.access, stored.refresh, "24680", "2 4 6 8 0" } do
        assert.falsy(text:find(secret, 1, true), "a secret was printed: " .. text)
      end
      assert.falsy(text:find("Bearer", 1, true))
    end
  end)
end)
