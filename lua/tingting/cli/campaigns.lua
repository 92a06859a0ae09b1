--- `tingting campaigns ...`: list, show, create, update, delete, begin,
-- numbers, add, report, summary.
-- @module tingting.cli.campaigns
local output = require "tingting.cli.output"
local exit = require "tingting.cli.exit"

local M = {}

local EXIT = exit.codes

local function core() return require "tingting.core" end

local function fields(obj)
  local t = core().fields(obj)
  if type(t.usable_tags) == "table" then t.usable_tags = output.array(t.usable_tags) end
  return t
end

local function tags_text(tags)
  if type(tags) ~= "table" then return "" end
  local keys, parts = {}, {}
  for k in pairs(tags) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. output.text(tags[k]) end
  return table.concat(parts, " ")
end

local function campaign(ctx)
  local id = ctx:id(ctx.args[1], "ID")
  return ctx:check(ctx:session():campaign(id))
end

-- What a v1 campaign has besides the legacy fields, shown when the server sent it.
local V1_SHOWN = { { "status", "status" }, { "message", "message" }, { "sms message", "sms_message" },
  { "voice", "voice" }, { "category", "category" }, { "schedule", "schedule" },
  { "contacts", "campaign_action_count" } }

local function show_campaign(ctx, c, verb)
  local f = fields(c)
  if ctx.as_json then return ctx:json(f) end
  if verb then ctx.out:write(verb, " campaign ", output.text(f.id), "\n") end
  local list = {
    { "id", f.id }, { "name", f.name }, { "services", f.services }, { "description", f.description },
    { "usable tags", f.usable_tags }, { "phone", f.user_phone },
  }
  for _, row in ipairs(V1_SHOWN) do
    if f[row[2]] ~= nil then list[#list + 1] = { row[1], f[row[2]] } end
  end
  output.pairs(ctx.out, list)
end

local function list(ctx)
  local s = ctx:session()
  local page
  if ctx.opts.page then page = ctx:id(ctx.opts.page, "--page") end
  local items = ctx:check(s:campaigns(page and { page = page } or nil))
  local pagination = items.pagination
  local all = {}
  for i, c in ipairs(items) do all[i] = fields(c) end
  if ctx.as_json then return ctx:json(output.array(all)) end
  if #all == 0 then
    ctx.out:write("no campaigns\n")
  else
    local rows = {}
    for i, f in ipairs(all) do
      rows[i] = { f.id, f.name, f.services, f.user_phone, f.usable_tags, f.description }
    end
    output.table(ctx.out, { "ID", "NAME", "SERVICES", "PHONE", "TAGS", "DESCRIPTION" }, rows,
      { nil, 32, nil, nil, 32, 40 })
  end
  if page and type(pagination) == "table" and pagination.total_pages then
    ctx.out:write(("page %s of %s (%s campaigns)\n"):format(output.text(pagination.page_number or page),
      output.text(pagination.total_pages), output.text(pagination.total_items)))
  end
end

local file_error = exit.file_error

-- The number file of `campaigns create --file`, checked before anything is
-- sent: there, readable, not empty, and a CSV or an .xlsx (a zip archive).
local function check_number_file(path)
  local kind = path:lower():match("%.(%w+)$")
  if kind ~= "csv" and kind ~= "xlsx" then
    file_error(path, "expected a .csv or .xlsx file", "--file")
  end
  local f, oerr = io.open(path, "rb")
  if not f then
    local why = tostring(oerr)
    if why:sub(1, #path + 2) == path .. ": " then why = why:sub(#path + 3) end
    file_error(path, "cannot open: " .. why, "--file")
  end
  local head, rerr = f:read(4)
  f:close()
  if head == nil and rerr then file_error(path, "cannot read: " .. tostring(rerr), "--file") end
  if head == nil then file_error(path, "the file is empty", "--file") end
  if kind == "xlsx" and head ~= "PK\3\4" then
    file_error(path, "not an .xlsx file (an .xlsx is a zip archive)", "--file")
  end
  return kind
end

-- v1 create ------------------------------------------------------------------------

local function sender_list(senders)
  local parts = {}
  for i, p in ipairs(senders) do parts[i] = output.text(p.id) .. " (" .. output.text(p.phone_number) .. ")" end
  return table.concat(parts, ", ")
end

-- The `user_phone` ids of a v1 campaign: --sender's, each one of the
-- account's sender numbers; else the account's only one, with the note that
-- says so once the campaign exists.
local function pick_senders(ctx, s)
  local given
  if ctx.opts.sender then
    given = {}
    for i, v in ipairs(ctx.opts.sender) do given[i] = ctx:id(v, "--sender") end
  end
  local senders = ctx:check(s:sender_numbers())
  if given then
    local known = {}
    for _, p in ipairs(senders) do known[tostring(p.id)] = true end
    for _, id in ipairs(given) do
      if not known[tostring(id)] then
        ctx:usage(("--sender %s: not one of the account's sender numbers (%s)"):format(tostring(id),
          #senders > 0 and sender_list(senders) or "it has none"), "--sender")
      end
    end
    return given
  end
  if #senders == 1 then
    return { senders[1].id }, ("tingting: sending from %s (--sender %s), the account's only sender number\n"):format(
      output.safe(output.text(senders[1].phone_number)), output.text(senders[1].id))
  end
  if #senders == 0 then
    ctx:usage("the account has no sender number, which a v1 campaign needs (see `tingting numbers owned`)",
      "--sender")
  end
  ctx:usage("the account has " .. #senders .. " sender numbers: choose with --sender ID (" .. sender_list(senders)
    .. ")", "--sender")
end

-- The recipients of `create` on v1, read and checked before the campaign
-- exists, so that a bad number or file leaves nothing behind: a list of
-- numbers or records, or the path of an .xlsx (the server reads it).
local function v1_recipients(ctx)
  local o = ctx.opts
  if o.number then
    local nums = require "tingting.numbers"
    for i, v in ipairs(o.number) do
      local ok, err = nums.normalize(v)
      if not ok then
        ctx:usage(("--number (value %d): %s"):format(i, err.message:gsub("^number: ", "")), "--number")
      end
    end
    return o.number
  end
  if o.file then
    if check_number_file(o.file) == "xlsx" then return o.file end
    local records, rerr = require("tingting.numbers").read_csv(o.file)
    if not records then file_error(o.file, rerr.message, "--file") end
    if #records == 0 then file_error(o.file, "no numbers in the file", "--file") end
    for _, r in ipairs(records) do
      local ok, err = require("tingting.numbers").normalize(r.number)
      if not ok then
        file_error(o.file, ("line %d: %s"):format(r.line, err.message:gsub("^number: ", "")), "--file")
      end
    end
    return records
  end
end

-- Adding the recipients failed once the campaign existed: say which
-- campaign, that it is there without them, and how to add them.
local function recipients_failed(ctx, c, err)
  local msg, info = ctx:describe(err)
  exit.fail(exit.exit_code(err), ("created campaign %s, but adding its recipients failed: %s; the campaign "
    .. "exists without them: add them with `tingting campaigns add %s FILE.csv`, or delete it with "
    .. "`tingting campaigns delete %s`"):format(output.text(c.id), msg, output.text(c.id), output.text(c.id)), info)
end

local function create_v1(ctx, s)
  local o = ctx.opts
  local recipients = v1_recipients(ctx)
  local voice = o.voice and ctx:id(o.voice, "--voice")
  local senders, note = pick_senders(ctx, s)
  local c = ctx:check(s:create_campaign {
    name = o.name, services = o.services and o.services:upper(), description = o.description,
    user_phone = senders, message = o.message, sms_message = o["sms-message"], schedule = o.schedule,
    voice = voice,
  })
  if note then ctx.err:write(note) end
  local added, problems = 0, {}
  if type(recipients) == "table" and o.number then
    local report, err = c:add_numbers(recipients)
    if not report then recipients_failed(ctx, c, err) end
    added = report.added
    for _, e in ipairs(report.invalid) do
      problems[#problems + 1] = { number = output.text(type(e.input) == "table" and e.input.number or e.input),
        error = output.text(e.reason) }
    end
    for _, e in ipairs(report.failed) do
      problems[#problems + 1] = { number = output.text(e.number),
        error = e.err and (ctx:describe(e.err)) or "failed" }
    end
    if added == 0 and #problems > 0 and #report.failed > 0 then recipients_failed(ctx, c, report.failed[1].err) end
  elseif recipients ~= nil then
    local res, err = c:upload_numbers(recipients)
    if not res then recipients_failed(ctx, c, err) end
    added = tonumber(res.total_validated_rows) or 0
    for _, e in ipairs(type(res.error_list) == "table" and res.error_list or {}) do
      problems[#problems + 1] = { row = e.row, number = output.text(e.number), error = output.text(e.error) }
    end
  end
  if ctx.as_json then
    local f = fields(c)
    f.recipients = { added = added, failed = output.array(problems) }
    ctx:json(f)
  else
    show_campaign(ctx, c, "created")
    ctx.out:write(("recipients: %d added"):format(added), #problems > 0 and (", " .. #problems .. " refused") or "",
      "\n")
    for _, p in ipairs(problems) do
      ctx.out:write("  ", p.row and ("row " .. output.text(p.row) .. ": ") or "", output.safe(p.number), ": ",
        output.safe(p.error), "\n")
    end
  end
  if #problems > 0 then return EXIT.partial end
end

local function create(ctx)
  local o = ctx.opts
  if o.number and o.file then ctx:usage("give --number or --file, not both") end
  if ctx:api() == "v1" then return create_v1(ctx, ctx:session()) end
  if not o.number and not o.file then ctx:usage("give the recipients: --number NUMBER ... or --file FILE") end
  local s = ctx:session()
  local file = o.file
  if file and check_number_file(file) == "csv" then
    -- a CSV is read a chunk at a time into the .xlsx the API takes
    local rows, rerr = require("tingting.numbers").each_csv(file)
    if not rows then file_error(file, rerr.message, "--file") end
    file = rows
  end
  local c, err = s:create_campaign {
    name = o.name, services = o.services and o.services:upper(), description = o.description,
    individual_number = o.number, send_to_number_file = file,
  }
  -- a CSV fault found while streaming it is the file's, as one found upfront
  if not c and type(err) == "table" and err.op == "read_csv" then file_error(o.file, err.message, "--file") end
  ctx:check(c, err)
  show_campaign(ctx, c, "created")
end

local function update(ctx)
  local o = ctx.opts
  if not (o.name or o.services or o.description or o.message or o["sms-message"] or o.schedule) then
    ctx:usage(ctx:api() == "v1" and "nothing to update: give --name, --services, --message, --sms-message or --schedule"
      or "nothing to update: give --name, --services or --description")
  end
  local c = campaign(ctx)
  ctx:check(c:update { name = o.name, services = o.services and o.services:upper(), description = o.description,
    message = o.message, sms_message = o["sms-message"], schedule = o.schedule })
  show_campaign(ctx, c, "updated")
end

local function delete(ctx)
  local c = campaign(ctx)
  local id = c.id
  ctx:check(c:delete())
  if ctx.as_json then return ctx:json { deleted = id } end
  ctx.out:write("deleted campaign ", output.text(id), "\n")
end

-- v1 sets the message and voice given, then runs the campaign.
local function begin_v1(ctx)
  local o = ctx.opts
  local voice = o.voice and ctx:id(o.voice, "--voice")
  local factor = o["length-factor"]
  if factor ~= nil then factor = tonumber(factor) or factor end
  local c = campaign(ctx)
  local args = { message = o.message, sms_message = o["sms-message"], voice = voice, length_factor = factor,
    category = o.category }
  local data = ctx:check(c:begin(next(args) and args or nil))
  if ctx.as_json then return ctx:json(data) end
  ctx.out:write("started campaign ", output.text(c.id), "\n")
  if type(data) == "table" and data.message ~= nil then ctx.out:write("message: ", output.text(data.message), "\n") end
end

local function begin(ctx)
  local o = ctx.opts
  if ctx:api() == "v1" then
    ctx:session()
    return begin_v1(ctx)
  end
  if o.message and o.audio then ctx:usage("give --message or --audio, not both") end
  local individual
  if o.individual then
    individual = {}
    for i, v in ipairs(o.individual) do individual[i] = ctx:id(v, "--individual") end
  end
  local factor = o["length-factor"]
  if factor ~= nil then factor = tonumber(factor) or factor end
  if ctx:session().api ~= "v1" and not (o.message or o.audio or o.status or o.priority) then
    ctx:usage("give --message or --audio (or --status or --priority to re-run)", "--message")
  end
  local c = campaign(ctx)
  local data = ctx:check(c:begin {
    message = o.message, aud_file = o.audio, voice_input = o.voice, schedule_date = o.schedule,
    length_factor = factor, individual = individual, status = o.status, priority = o.priority,
  })
  if ctx.as_json then return ctx:json(data) end
  ctx.out:write("started campaign ", output.text(c.id), "\n")
  if type(data) == "table" then
    local keys = {}
    for k in pairs(data) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    for _, k in ipairs(keys) do ctx.out:write(output.safe(k), ": ", output.text(data[k]), "\n") end
  end
end

-- v1's contact list carries no variables (they are each contact's
-- attributes) but the carrier: that column instead of an empty TAGS.
local function numbers_table(ctx, nums, v1)
  local rows = {}
  for i, f in ipairs(nums) do
    rows[i] = { f.id, f.number, f.status, f.duration, f.credit_consumed,
      v1 and f.carrier or tags_text(f.available_tags) }
  end
  output.table(ctx.out, { "ID", "NUMBER", "STATUS", "DURATION", "CREDIT", v1 and "CARRIER" or "TAGS" }, rows,
    { nil, nil, nil, nil, nil, 48 })
end

local function numbers(ctx)
  local c = campaign(ctx)
  local nums = ctx:check(c:numbers())
  local all = {}
  for i, n in ipairs(nums) do all[i] = core().fields(n) end
  if ctx.as_json then return ctx:json(output.array(all)) end
  if #all == 0 then
    ctx.out:write("no numbers\n")
  else
    numbers_table(ctx, all, ctx:session().api == "v1")
  end
end

local function report(ctx)
  local c = campaign(ctx)
  local path = ctx.opts.output
  if path then
    ctx:check(c:report(path))
    if ctx.as_json then return ctx:json { campaign_id = c.id, path = path } end
    ctx.out:write("wrote the report of campaign ", output.text(c.id), " to ", path, "\n")
    return
  end
  local bytes = ctx:check(c:report())
  if ctx.as_json then return ctx:json { campaign_id = c.id, csv = bytes } end
  -- shown, not saved: escapes and all (-o FILE keeps the bytes as they came)
  ctx.out:write(output.safe(bytes, true))
end

local SUMMARY_COLUMNS = { "campaign_id", "campaign_name", "services", "total_numbers", "not_started", "in_progress",
  "completed", "failed", "hungup", "unanswered", "terminated", "credit_consumed" }

local function summary(ctx)
  if ctx:api() == "v1" then
    ctx:usage("campaigns summary is legacy-only: on the v1 API run `tingting dashboard` (credits and counts)")
  end
  local data = ctx:check(ctx:session():report_summary())
  if ctx.as_json then
    if type(data.summary) == "table" then data.summary = output.array(data.summary) end
    return ctx:json(data)
  end
  local credits = type(data.credits) == "table" and data.credits or {}
  ctx.out:write(("credits: %s available, %s on hold, %s consumed\n"):format(output.text(credits.available),
    output.text(credits.on_hold), output.text(credits.consumed)))
  local items = type(data.summary) == "table" and data.summary or {}
  if #items == 0 then
    ctx.out:write("no campaigns\n")
    return
  end
  local headers, rows = {}, {}
  local short = { campaign_id = "ID", campaign_name = "NAME", total_numbers = "TOTAL", credit_consumed = "CREDIT" }
  for i, k in ipairs(SUMMARY_COLUMNS) do headers[i] = short[k] or k:upper():gsub("_", " ") end
  for r, item in ipairs(items) do
    rows[r] = {}
    for i, k in ipairs(SUMMARY_COLUMNS) do rows[r][i] = item[k] end
  end
  output.table(ctx.out, headers, rows, { nil, 32 })
end

-- the tree -----------------------------------------------------------------------------

local ID_HELP = "ID is the campaign's id (a positive integer, see `tingting campaigns list`)."

function M.register(sub)
  sub.campaigns = {
    summary = "voice and SMS campaigns",
    usage = "tingting campaigns list|show|create|update|delete|begin|numbers|add|report|summary ...",
    sub = {
      list = {
        summary = "list your campaigns (every page, or one)",
        usage = "tingting campaigns list [--page N]",
        options = { { name = "page", value = "N", help = "only page N (10 a page, newest first)" } },
        run = list,
      },
      show = {
        summary = "show a campaign", usage = "tingting campaigns show ID", args = { "ID" }, help = ID_HELP,
        run = function(ctx) show_campaign(ctx, campaign(ctx)) end,
      },
      create = {
        summary = "create a campaign",
        usage = "tingting campaigns create --name NAME --services PHONE|SMS (--number N ... | --file FILE) "
          .. "[--description TEXT]\n"
          .. "       tingting --api v1 campaigns create --name NAME --services PHONE|SMS|'SMS & PHONE' [--sender ID]\n"
          .. "         [--message M] [--sms-message M] [--voice ID] [--schedule YYYY-MM-DD] [--description TEXT]\n"
          .. "         [--number N ... | --file FILE]",
        help = "--file takes a .xlsx or .csv with a header row: a `number` column, and `tags_*` columns that\n"
          .. "become the campaign's usable tags.\n"
          .. "Legacy: the recipients (--number or --file) are required and sent with the campaign.\n"
          .. "v1: the campaign is created first, then --number's are added or --file uploaded (both\n"
          .. "optional: `campaigns add` adds more later); every number is checked before anything is sent.\n"
          .. "Without --sender the account's only sender number is used (several: choose one).\n"
          .. "If the recipients cannot be added, the campaign stays and the error says so (its id too).\n"
          .. "Exits 5 when the server refused some recipients (listed).",
        options = {
          { name = "name", value = "NAME", help = "the campaign's name" },
          { name = "services", value = "PHONE|SMS", help = "voice calls (PHONE) or SMS (v1 also 'SMS & PHONE')" },
          { name = "number", value = "N", list = true, field = { "individual_number", "contacts" },
            help = "a recipient (repeat, or comma-separated)" },
          { name = "file", value = "FILE", field = { "send_to_number_file", "bulk_file" }, input_file = true,
            help = "recipients from a .xlsx file, or a .csv file (sent as .xlsx)" },
          { name = "description", value = "TEXT", help = "a description" },
          { name = "sender", value = "ID", list = true, field = "user_phone", dialect = "v1",
            help = "the sender number's id (`tingting numbers owned`)" },
          { name = "message", short = "m", value = "M", dialect = "v1",
            help = "the text to speak, with {variables}" },
          { name = "sms-message", value = "M", field = "sms_message", dialect = "v1", help = "the SMS text" },
          { name = "voice", value = "ID", dialect = "v1", help = "the voice's id (`tingting voices`)" },
          { name = "schedule", value = "YYYY-MM-DD", dialect = "v1", help = "start on that day (Nepal time)" },
        },
        run = create,
      },
      update = {
        summary = "change a campaign's name, services, description (legacy) or messages (v1)",
        usage = "tingting campaigns update ID [--name NAME] [--services PHONE|SMS] [--description TEXT]\n"
          .. "       tingting --api v1 campaigns update ID [--name NAME] [--services S] [--message M]\n"
          .. "         [--sms-message M] [--schedule YYYY-MM-DD]",
        args = { "ID" },
        options = {
          { name = "name", value = "NAME", help = "new name" },
          { name = "services", value = "PHONE|SMS", help = "new services" },
          { name = "description", value = "TEXT", dialect = "legacy", help = "new description" },
          { name = "message", short = "m", value = "M", dialect = "v1", help = "new text to speak" },
          { name = "sms-message", value = "M", field = "sms_message", dialect = "v1", help = "new SMS text" },
          { name = "schedule", value = "YYYY-MM-DD", dialect = "v1", help = "new start day" },
        },
        run = update,
      },
      delete = {
        summary = "delete a campaign and its numbers", usage = "tingting campaigns delete ID", args = { "ID" },
        run = delete,
      },
      begin = {
        summary = "start (or re-run) a campaign",
        usage = "tingting campaigns begin ID [--message M | --audio FILE] [--voice V] [--schedule YYYY-MM-DDTHH:MM]\n"
          .. "         [--length-factor X] [--individual ID,...] [--status failed,hungup] [--priority audio|message]\n"
          .. "       tingting --api v1 campaigns begin ID [--message M] [--sms-message M] [--voice ID]\n"
          .. "         [--length-factor X] [--category Text]",
        help = "A message may use the campaign's tags ({tags_name}). A re-run (--status or --priority) may omit\n"
          .. "the message: the last one is used. --schedule is Nepal time (UTC+05:45).\n"
          .. "v1: the options given are set on the campaign first (its message and voice), then it runs;\n"
          .. "with none it runs as it was created. --voice is then a voice's id (`tingting voices`).",
        args = { "ID" },
        options = {
          { name = "message", short = "m", value = "M", help = "the text to speak or send" },
          { name = "sms-message", value = "M", field = "sms_message", dialect = "v1", help = "the SMS text" },
          { name = "audio", value = "FILE", field = "aud_file", input_file = true, dialect = "legacy",
            help = "an audio file to play instead of a message" },
          { name = "voice", value = "V", field = { "voice_input", "voice" },
            help = "legacy: np_rija, np_prasanna or np_binod; v1: a voice's id" },
          { name = "category", value = "C", dialect = "v1", help = "the message's category (Text)" },
          { name = "schedule", value = "YYYY-MM-DDTHH:MM", field = "schedule_date", dialect = "legacy",
            help = "start later (Nepal time)", instead = "on v1 give --schedule to `campaigns update`" },
          { name = "length-factor", value = "X", help = "speech speed factor (e.g. 1.4)" },
          { name = "individual", value = "ID", list = true, dialect = "legacy",
            help = "only these number ids (comma-separated)" },
          { name = "status", value = "S", list = true, dialect = "legacy",
            help = "re-run numbers with these statuses: hungup,unanswered,failed,terminated,completed" },
          { name = "priority", value = "audio|message", dialect = "legacy",
            help = "which to use when the campaign has both" },
        },
        run = begin,
      },
      numbers = {
        summary = "list a campaign's numbers with their status",
        usage = "tingting campaigns numbers ID", args = { "ID" }, run = numbers,
      },
      add = {
        summary = "add the numbers of a CSV file to a campaign, each exactly once",
        usage = "tingting campaigns add ID FILE.csv [--concurrency N] [--no-skip-existing]",
        help = "FILE.csv has a header row with a `number` column; other columns are tags (tags_name ...).\n"
          .. "Invalid numbers are reported and never sent (rows with the same reason on one line, with a\n"
          .. "count and the first line numbers; --json lists each); numbers already in the campaign are skipped.\n"
          .. "Exits 5 when some numbers were invalid or failed (the report lists them).",
        args = { "ID", "FILE.csv" },
        options = {
          { name = "concurrency", value = "N", help = "requests in flight (default 8)" },
          { name = "no-skip-existing", help = "send numbers already in the campaign too" },
        },
        run = require("tingting.cli.add").run,
      },
      report = {
        summary = "download a campaign's report (CSV)",
        usage = "tingting campaigns report ID [-o FILE]",
        help = "Without -o the CSV goes to stdout (with --json: {\"campaign_id\":..,\"csv\":\"..\"}), control\n"
          .. "characters made visible (\\x1b); -o FILE writes the bytes as they came.",
        args = { "ID" },
        options = { { name = "output", short = "o", value = "FILE", field = "path", help = "write the CSV to FILE" } },
        run = report,
      },
      summary = {
        summary = "credits and per-campaign status counts (legacy; v1: `tingting dashboard`)",
        usage = "tingting campaigns summary", run = summary,
      },
    },
  }
end

return M
