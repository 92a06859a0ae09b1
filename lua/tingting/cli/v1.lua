--- Commands of `tingting` for what TingTing's v1 API adds: voices,
-- dashboard, otps, contacts, token show|generate. On a legacy session the
-- library answers `unsupported` for the v1-only ones, which exits 2 (see
-- `tingting.cli.exit`).
-- @module tingting.cli.v1
local output = require "tingting.cli.output"

local M = {}

local function core() return require "tingting.core" end

local function yes_no(v)
  if v == true then return "yes" elseif v == false then return "no" end
  return v
end

--- A non-negative integer option (`--offset 0` is a page start), or nil.
local function count_option(ctx, name, allow_zero)
  local v = ctx.opts[name]
  if v == nil then return nil end
  if allow_zero then
    if v == "0" then return 0 end
    if not require("tingting.cli.args").id(v) then
      ctx:usage(("--%s: expected an integer of 0 or more (got %q)"):format(name, v))
    end
  end
  return ctx:id(v, "--" .. name)
end

local function page_filters(ctx)
  local f = {}
  f.limit = count_option(ctx, "limit", false)
  f.offset = count_option(ctx, "offset", true)
  return f, (f.limit ~= nil or f.offset ~= nil)
end

local PAGE_OPTIONS = {
  { name = "limit", value = "N", help = "that many only (one page; the server allows at most 10)" },
  { name = "offset", value = "N", help = "start after N items (one page)" },
}

-- voices -------------------------------------------------------------------------

local function voices(ctx)
  local list = ctx:check(ctx:session():voice_models())
  if ctx.as_json then return ctx:json(output.array(list)) end
  if #list == 0 then
    ctx.out:write("no voices\n")
    return
  end
  local rows = {}
  for i, v in ipairs(list) do
    rows[i] = { v.id, v.voice_display_name, v.voice_internal_name, yes_no(v.is_premium) }
  end
  output.table(ctx.out, { "ID", "NAME", "INTERNAL NAME", "PREMIUM" }, rows, { nil, 32, 32 })
end

-- dashboard ----------------------------------------------------------------------

local function dashboard(ctx)
  local days = ctx.opts.days and ctx:id(ctx.opts.days, "--days")
  local data = ctx:check(ctx:session():dashboard(days and { days = days } or nil))
  if ctx.as_json then return ctx:json(data) end
  local keys, list = {}, {}
  for k in pairs(data) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  for _, k in ipairs(keys) do list[#list + 1] = { k:gsub("_", " "), data[k] } end
  output.pairs(ctx.out, list)
end

-- otps ---------------------------------------------------------------------------

-- Fields of a sent OTP that hold its code: the code, and the message it was
-- put into.
local OTP_SECRET = { otp = true, message = true, sms_message = true }

local function otps(ctx)
  local filters = page_filters(ctx)
  local list = ctx:check(ctx:session():otps(filters))
  local show = ctx.opts["show-codes"] == true
  local all = {}
  for i, o in ipairs(list) do
    local t = {}
    for k, v in pairs(o) do
      if show or not OTP_SECRET[k] then t[k] = v end
    end
    all[i] = t
  end
  if ctx.as_json then return ctx:json(output.array(all)) end
  if #all == 0 then
    ctx.out:write("no OTPs\n")
    return
  end
  local headers = { "ID", "NUMBER", "VIA", "OTP OPTIONS", "CREATED" }
  if show then headers[#headers + 1] = "CODE" end
  local rows = {}
  for i, o in ipairs(all) do
    rows[i] = { o.id, o.phone_number, o.sms_send_options, o.otp_options, o.created_at }
    if show then rows[i][6] = o.otp end
  end
  output.table(ctx.out, headers, rows)
end

-- contacts -----------------------------------------------------------------------

local function contacts(ctx)
  local id = ctx:id(ctx.args[1], "ID")
  local filters, paged = page_filters(ctx)
  local s = ctx:session()
  if paged and s.api ~= "v1" then
    ctx:usage("--limit and --offset need the v1 API (--api v1 or TINGTING_API_KEY)")
  end
  local c = ctx:check(s:campaign(id))
  local nums = {}
  if s.api == "v1" and not paged then
    local it = c:each_number()
    while true do
      local n, err = it()
      if n == nil then
        if err then ctx:check(nil, err) end
        break
      end
      nums[#nums + 1] = n
    end
  else
    nums = ctx:check(c:numbers(paged and filters or nil))
  end
  local all = {}
  for i, n in ipairs(nums) do all[i] = core().fields(n) end
  if ctx.as_json then return ctx:json(output.array(all)) end
  if #all == 0 then
    ctx.out:write("no contacts\n")
    return
  end
  local rows = {}
  for i, f in ipairs(all) do rows[i] = { f.id, f.number, f.status, f.duration, f.carrier } end
  output.table(ctx.out, { "ID", "NUMBER", "STATUS", "DURATION", "CARRIER" }, rows)
end

-- token --------------------------------------------------------------------------

local SECRET_WARNING = "tingting: the API token above is a secret: keep it in a file of mode 0600 "
  .. "(--api-key-file) or TINGTING_API_KEY, never on a command line\n"

local function token_show(ctx)
  local t = ctx:check(ctx:session():api_token())
  if ctx.as_json then
    ctx:json(t)
  else
    output.pairs(ctx.out, { { "token", t.token }, { "created at", t.created_at }, { "last used", t.last_used } })
  end
  ctx.out:flush()
  if type(t) == "table" and t.token ~= nil then ctx.err:write(SECRET_WARNING) end
end

local function token_generate(ctx)
  local token = ctx:check(ctx:session():generate_api_token())
  if ctx.as_json then
    ctx:json { token = token }
  else
    ctx.out:write(output.safe(token), "\n")
  end
  ctx.out:flush()
  ctx.err:write(SECRET_WARNING, "tingting: it replaces the API token before it\n")
end

-- the tree -----------------------------------------------------------------------

local V1_NOTE = "v1 only: on the legacy API this exits 2 (unsupported)."

function M.register(sub)
  sub.voices = {
    summary = "the voices of text-to-speech (v1)",
    usage = "tingting voices [--json]",
    help = V1_NOTE,
    run = voices,
  }
  sub.dashboard = {
    summary = "the account's dashboard: calls, SMS, credits (v1)",
    usage = "tingting dashboard [--days N] [--json]",
    help = V1_NOTE,
    options = { { name = "days", value = "N", help = "the last N days (a positive integer)" } },
    run = dashboard,
  }
  sub.otps = {
    summary = "the OTPs sent (v1); codes only with --show-codes",
    usage = "tingting otps [--limit N] [--offset N] [--show-codes] [--json]",
    help = "OTP codes are secrets: neither the table nor --json shows a code, or the message that\n"
      .. "carries it, unless --show-codes is given. " .. V1_NOTE,
    options = {
      PAGE_OPTIONS[1], PAGE_OPTIONS[2],
      { name = "show-codes", help = "also show each OTP's code and message" },
    },
    run = otps,
  }
  sub.contacts = {
    summary = "the contacts (numbers) of a campaign, with their carrier on v1",
    usage = "tingting contacts ID [--limit N] [--offset N] [--json]",
    help = "Every contact, fetched page by page, unless --limit or --offset asks for one page (v1 only).",
    args = { "ID" },
    options = { PAGE_OPTIONS[1], PAGE_OPTIONS[2] },
    run = contacts,
  }
  sub.token = {
    summary = "the v1 API token: show, generate",
    usage = "tingting token show|generate",
    sub = {
      show = {
        summary = "show the account's API token (a secret: printed on stdout, warned on stderr)",
        usage = "tingting token show [--json]",
        help = V1_NOTE,
        run = token_show,
      },
      generate = {
        summary = "make a new API token, replacing the one before (needs a v1 login)",
        usage = "tingting --api v1 token generate [--json]",
        help = "Needs a login session (`tingting --api v1 login`), not an API token (exit 3 with one).\n"
          .. "The token is printed once, on stdout; a warning that it is a secret goes to stderr.\n"
          .. "Use it with TINGTING_API_KEY or --api-key-file PATH. " .. V1_NOTE,
        run = token_generate,
      },
    },
  }
end

return M
