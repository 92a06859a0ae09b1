--- Commands of `tingting` other than campaigns: login, logout, whoami,
-- numbers, otp, voice.
-- @module tingting.cli.commands
local output = require "tingting.cli.output"
local config = require "tingting.cli.config"
local exit = require "tingting.cli.exit"

local M = {}

local EXIT = exit.codes
local fail = exit.fail

-- Keys never shown, whatever the server sends.
local SECRET = { access = true, refresh = true, token = true, password = true, access_token = true,
  refresh_token = true }

local function redact(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do
    if not (type(k) == "string" and SECRET[k:lower()]) then out[k] = redact(x) end
  end
  return out
end
M.redact = redact

local function tty(file)
  local ok, core = pcall(require, "tingting.core")
  return ok and core.isatty(file) or false
end

-- login / logout / whoami ----------------------------------------------------------

local function login(ctx)
  local tingting = require "tingting"
  local paths = ctx:paths()
  local conf = config.load(paths)
  local base = ctx:base_url(conf)
  local interactive = tty(io.stdin)
  local email = ctx.opts.email or os.getenv("TINGTING_EMAIL")
  if email == "" then email = nil end
  if not email and interactive then email = config.prompt("Email: ", false) end
  if not email or email == "" then
    ctx:usage("no email: give --email or set TINGTING_EMAIL")
  end
  local password = os.getenv("TINGTING_PASSWORD")
  if password == "" then password = nil end
  if not password then
    if not interactive then
      fail(EXIT.usage, "no password: set TINGTING_PASSWORD, or run `tingting login` on a terminal to be asked for it")
    end
    password = config.prompt("Password: ", true)
    if not password or password == "" then fail(EXIT.usage, "no password given") end
  end
  local ok, derr = config.make_dir(paths.dir)
  if not ok then fail(EXIT.failure, derr) end
  local opts = ctx:session_options(base)
  local api = ctx:dialect(conf)
  local store = ctx:token_store(paths, base, api)
  opts.email, opts.password, opts.token_store, opts.api = email, password, store, api
  local s = ctx:check(tingting.session(opts))
  ctx._session = s
  ctx:check(s:login())
  local saved = store:load()
  if not saved or saved ~= s.access_token then
    fail(EXIT.failure, "logged in, but could not save the session to " .. paths.session)
  end
  local wok, werr = config.save(paths, { base_url = s.base_url, email = email, api = api })
  -- werr names the file already
  if not wok then fail(EXIT.failure, "logged in, but could not save the login: " .. tostring(werr)) end
  if ctx.as_json then
    ctx:json { logged_in = true, email = email, base_url = s.base_url, api = api, session_file = paths.session }
  else
    ctx.out:write("logged in to ", s.base_url, api == "v1" and " (v1 API)" or "", " as ", email, "\n")
  end
end

local function logout(ctx)
  local paths = ctx:paths()
  local had = config.remove(paths)
  if ctx.as_json then
    ctx:json { logged_out = had }
  else
    ctx.out:write(had and "logged out\n" or "not logged in\n")
  end
end

local USER_FIELDS = {
  { "first_name", "first name" }, { "last_name", "last name" }, { "email", "email" },
  { "username", "username" }, { "contact_number", "contact number" }, { "address", "address" },
  { "is_verified_email", "email verified" }, { "is_verified_phone", "phone verified" },
}

local function whoami(ctx)
  local s = ctx:session()
  local user = redact(ctx:check(s:user()))
  if ctx.as_json then return ctx:json(user) end
  local list, known = {}, {}
  for _, f in ipairs(USER_FIELDS) do
    known[f[1]] = true
    if user[f[1]] ~= nil then list[#list + 1] = { f[2], user[f[1]] } end
  end
  local extra = {}
  for k in pairs(user) do
    if not known[k] then extra[#extra + 1] = tostring(k) end
  end
  table.sort(extra)
  for _, k in ipairs(extra) do list[#list + 1] = { k, user[k] } end
  list[#list + 1] = { "api", s.base_url }
  output.pairs(ctx.out, list)
end

-- numbers ---------------------------------------------------------------------------

local function phones_table(ctx, list)
  if ctx.as_json then return ctx:json(output.array(list)) end
  if #list == 0 then
    ctx.out:write("no numbers\n")
    return
  end
  local rows = {}
  if ctx:session().api == "v1" then
    -- v1 numbers are an id (what `campaigns create --sender` takes) and a number
    for i, p in ipairs(list) do rows[i] = { p.id, p.phone_number } end
    return output.table(ctx.out, { "ID", "NUMBER" }, rows)
  end
  for i, p in ipairs(list) do
    rows[i] = { p.phone_number, p.phone_number_sid, p.rate, p.available_capabilities, p.friendly_name }
  end
  output.table(ctx.out, { "NUMBER", "SID", "RATE", "CAPABILITIES", "NAME" }, rows, { nil, nil, nil, 24, 32 })
end

-- v1 has no numbers for sale: buying and releasing are done elsewhere.
local function legacy_numbers_only(ctx)
  if ctx:api() == "v1" then
    ctx:usage("numbers " .. ctx.path[#ctx.path] .. " is legacy-only: the v1 API only reads the account's "
      .. "numbers (`tingting numbers owned`, whose ids `campaigns create --sender` takes)")
  end
end

local function phone_sid(ctx)
  legacy_numbers_only(ctx)
  local sid = ctx.args[1]
  if sid == "" then ctx:usage("SID: expected a phone number SID") end
  return sid
end

-- otp / voice -----------------------------------------------------------------------

local function show_table(ctx, t)
  if ctx.as_json then return ctx:json(t) end
  local keys, list = {}, {}
  for k in pairs(t) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  for _, k in ipairs(keys) do list[#list + 1] = { k, t[k] } end
  output.pairs(ctx.out, list)
end

local function otp_send(ctx)
  local o = ctx.opts
  if o.otp and o.length then ctx:usage("give --otp or --length, not both") end
  local details = ctx:check(ctx:session():send_otp {
    number = ctx.args[1], message = o.message, sms_send_options = o.via or "text",
    otp = o.otp, otp_length = o.length, company_name = o.company,
  })
  show_table(ctx, redact(details))
end

-- v1 previews a voice on a campaign (test-speak/riri/<id>/): its URL alone.
local function voice_test_v1(ctx)
  local id = ctx.opts.campaign
  if not id then
    ctx:usage("--campaign ID is required on the v1 API, which previews a voice on a campaign", "--campaign")
  end
  id = ctx:id(id, "--campaign")
  local voice = ctx.opts.voice
  if voice and voice:match("^%d+$") then voice = ctx:id(voice, "--voice") end
  local c = ctx:check(ctx:session():campaign(id))
  local url = ctx:check(c:test_voice { message = ctx.args[1], voice_input = voice })
  if ctx.as_json then return ctx:json { audio_url = url, campaign_id = c.id } end
  ctx.out:write(output.text(url), "\n")
end

local function voice_test(ctx)
  if ctx:session().api == "v1" then return voice_test_v1(ctx) end
  local data = ctx:check(ctx:session():test_voice { message = ctx.args[1], voice_input = ctx.opts.voice })
  if ctx.as_json then return ctx:json(data) end
  if type(data) == "table" and data.audio_url then
    ctx.out:write(output.text(data.audio_url), "\n")
  else
    show_table(ctx, data)
  end
end

-- the tree --------------------------------------------------------------------------

function M.register(sub)
  sub.login = {
    summary = "log in and keep the session for the other commands",
    usage = "tingting login [--email EMAIL] [--base-url URL]",
    help = "The password comes from TINGTING_PASSWORD, or is asked for (without echo) on a terminal;\n"
      .. "it is never accepted as an option. Tokens are kept in $XDG_CONFIG_HOME/tingting/session.json\n"
      .. "(mode 0600) and refreshed there as they expire.",
    options = { { name = "email", value = "EMAIL", help = "account email (env TINGTING_EMAIL)" } },
    run = login,
  }
  sub.logout = {
    summary = "forget the stored session",
    usage = "tingting logout",
    run = logout,
  }
  sub.whoami = {
    summary = "show the logged-in account",
    usage = "tingting whoami [--json]",
    run = whoami,
  }
  sub.numbers = {
    summary = "phone numbers: owned, available, buy, release",
    usage = "tingting numbers owned|available|buy SID|release SID",
    sub = {
      owned = {
        summary = "the numbers you own (v1: the sender numbers, with their ids)",
        usage = "tingting numbers owned [--json]",
        run = function(ctx) phones_table(ctx, ctx:check(ctx:session():owned_numbers())) end,
      },
      available = {
        summary = "numbers for sale (legacy)", usage = "tingting numbers available [--json]",
        help = "Legacy only: on the v1 API this exits 2 (v1 has `numbers owned` only).",
        run = function(ctx)
          legacy_numbers_only(ctx)
          phones_table(ctx, ctx:check(ctx:session():available_numbers()))
        end,
      },
      buy = {
        summary = "buy a number by its SID (legacy)", usage = "tingting numbers buy SID", args = { "SID" },
        help = "Legacy only: on the v1 API this exits 2 (v1 has `numbers owned` only).",
        arg_fields = { phone_sid = "SID" },
        run = function(ctx)
          local sid = phone_sid(ctx)
          local phone = ctx:check(ctx:session():buy_number(sid))
          if ctx.as_json then return ctx:json(phone) end
          ctx.out:write("bought ", output.text(phone.phone_number), " (", output.text(phone.phone_number_sid), ")\n")
        end,
      },
      release = {
        summary = "release a number you own by its SID (legacy)", usage = "tingting numbers release SID",
        args = { "SID" },
        help = "Legacy only: on the v1 API this exits 2 (v1 has `numbers owned` only).",
        arg_fields = { phone_sid = "SID" },
        run = function(ctx)
          local sid = phone_sid(ctx)
          ctx:check(ctx:session():release_number(sid))
          if ctx.as_json then return ctx:json { released = sid } end
          ctx.out:write("released ", output.text(sid), "\n")
        end,
      },
    },
  }
  sub.otp = {
    summary = "send one-time passwords",
    usage = "tingting otp send NUMBER --message M [--via text|voice] [--otp CODE | --length N] [--company NAME]",
    sub = {
      send = {
        summary = "send an OTP by SMS or voice call",
        usage = "tingting otp send NUMBER --message M [--via text|voice] [--otp CODE | --length N] [--company NAME]",
        help = "The message must contain {otp}. Without --otp the server generates a code of --length digits.",
        args = { "NUMBER" },
        options = {
          { name = "message", short = "m", value = "M", help = "the message, with {otp} where the code goes" },
          { name = "via", value = "text|voice", field = "sms_send_options",
            help = "send by SMS (text, default) or voice call" },
          { name = "otp", value = "CODE", help = "your own code (digits)" },
          { name = "length", value = "N", field = "otp_length", help = "length of a generated code" },
          { name = "company", value = "NAME", field = "company_name",
            help = "the company the message names (v1: required)" },
        },
        arg_fields = { number = "NUMBER" },
        run = otp_send,
      },
    },
  }
  sub.voice = {
    summary = "text-to-speech preview",
    usage = "tingting voice test MESSAGE [--voice V]",
    sub = {
      test = {
        summary = "synthesise a message and print the audio URL",
        usage = "tingting voice test MESSAGE [--voice np_rija|np_prasanna|np_binod]\n"
          .. "       tingting --api v1 voice test MESSAGE --campaign ID [--voice V]",
        help = "v1 previews a voice on a campaign: --campaign is required there (and refused on legacy).",
        args = { "MESSAGE" },
        arg_fields = { message = "MESSAGE" },
        options = {
          { name = "voice", value = "V", field = "voice_input",
            help = "np_rija, np_prasanna or np_binod (v1: also a voice's id)" },
          { name = "campaign", value = "ID", field = "id", dialect = "v1", help = "the campaign to preview on" },
        },
        run = voice_test,
      },
    },
  }
end

return M
