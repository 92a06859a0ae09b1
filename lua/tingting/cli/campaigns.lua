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

local function show_campaign(ctx, c, verb)
  local f = fields(c)
  if ctx.as_json then return ctx:json(f) end
  if verb then ctx.out:write(verb, " campaign ", output.text(f.id), "\n") end
  output.pairs(ctx.out, {
    { "id", f.id }, { "name", f.name }, { "services", f.services }, { "description", f.description },
    { "usable tags", f.usable_tags }, { "phone", f.user_phone },
  })
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

-- A bad number file is the command line's mistake (exit 2): the option,
-- the path once (the library's text may hold it already), then why.
local function file_error(path, message, option)
  message = message:gsub("^path: ", "")
  if not message:find(path, 1, true) then message = path .. ": " .. message end
  if option:sub(1, 2) == "--" then message = option .. ": " .. message end
  exit.fail(EXIT.usage, message, { option = option })
end

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

local function create(ctx)
  local o = ctx.opts
  if o.number and o.file then ctx:usage("give --number or --file, not both") end
  if not o.number and not o.file then ctx:usage("give the recipients: --number NUMBER ... or --file FILE") end
  local file = o.file
  if file and check_number_file(file) == "csv" then
    -- a CSV is read a chunk at a time into the .xlsx the API takes
    local rows, rerr = require("tingting.numbers").each_csv(file)
    if not rows then file_error(file, rerr.message, "--file") end
    file = rows
  end
  local c, err = ctx:session():create_campaign {
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
  if not (o.name or o.services or o.description) then
    ctx:usage("nothing to update: give --name, --services or --description")
  end
  local c = campaign(ctx)
  ctx:check(c:update { name = o.name, services = o.services and o.services:upper(), description = o.description })
  show_campaign(ctx, c, "updated")
end

local function delete(ctx)
  local c = campaign(ctx)
  local id = c.id
  ctx:check(c:delete())
  if ctx.as_json then return ctx:json { deleted = id } end
  ctx.out:write("deleted campaign ", output.text(id), "\n")
end

local function begin(ctx)
  local o = ctx.opts
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

local function numbers_table(ctx, nums)
  local rows = {}
  for i, f in ipairs(nums) do
    rows[i] = { f.id, f.number, f.status, f.duration, f.credit_consumed, tags_text(f.available_tags) }
  end
  output.table(ctx.out, { "ID", "NUMBER", "STATUS", "DURATION", "CREDIT", "TAGS" }, rows,
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
    numbers_table(ctx, all)
  end
end

-- add ----------------------------------------------------------------------------------

-- At most this many line numbers (or numbers) are listed for rows that
-- failed the same way; the count says how many there were.
local SHOWN_ROWS = 5

-- Rows by reason, in order of first appearance: `{reason =, count =,
-- first = {entry, ...}}`. A reason's trailing `(got "...")` is the row's own
-- value, so it is left out of the key.
local function group_rows(entries, reason_of)
  local groups, order = {}, {}
  for _, e in ipairs(entries) do
    local reason = output.safe(reason_of(e)):gsub('%s*%(got ".*"%)$', "")
    local g = groups[reason]
    if not g then
      g = { reason = reason, count = 0, first = {} }
      groups[reason] = g
      order[#order + 1] = g
    end
    g.count = g.count + 1
    if #g.first < SHOWN_ROWS then g.first[#g.first + 1] = e end
  end
  return order
end

-- One line per reason: a single row as `line 7: 12: reason`, more as
-- `1200 rows failed: reason (lines 2, 3, 5, 8, 13 and 1195 more)` (under
-- the heading that says whether they were invalid or refused).
local function write_groups(ctx, groups, one, where, what)
  for _, g in ipairs(groups) do
    if g.count == 1 then
      ctx.out:write("  ", one(g.first[1]), "\n")
    else
      local shown = {}
      for i, e in ipairs(g.first) do shown[i] = where(e) end
      local more = g.count > #shown and (" and " .. (g.count - #shown) .. " more") or ""
      ctx.out:write(("  %d rows failed: %s (%s %s%s)\n"):format(g.count, g.reason, what,
        table.concat(shown, ", "), more))
    end
  end
end

local function invalid_entry(e)
  local input, line = e.input, nil
  if type(input) == "table" then input, line = input.number, input.line end
  return { input = input ~= nil and output.text(input) or "", line = line, reason = e.reason }
end

local function add(ctx)
  local o = ctx.opts
  local concurrency
  if o.concurrency then concurrency = ctx:id(o.concurrency, "--concurrency") end
  local path = ctx.args[2]
  local id = ctx:id(ctx.args[1], "ID")
  -- read whole, so that progress knows its total (the library's each_csv
  -- streams a file of any size; keep = false spares the Number objects)
  local records, rerr = require("tingting.numbers").read_csv(path)
  if not records then file_error(path, rerr.message, "FILE.csv") end
  local c = ctx:check(ctx:session():campaign(id))
  local tty = core().isatty(io.stderr)
  local progress, finish = require("tingting.cli.progress").new(io.stderr, tty)
  local report, err = c:add_numbers(records, {
    concurrency = concurrency, skip_existing = not o["no-skip-existing"], on_progress = progress,
    keep = ctx.as_json == true,
  })
  finish()
  ctx:check(report, err)
  local invalid, failed = {}, {}
  for i, e in ipairs(report.invalid) do invalid[i] = invalid_entry(e) end
  for i, e in ipairs(report.failed) do
    failed[i] = { number = e.number, error = e.err and tostring(e.err):gsub("^tingting: ", "") or "failed",
      kind = type(e.err) == "table" and e.err.kind or nil }
  end
  local partial = #invalid > 0 or #failed > 0
  if ctx.as_json then
    local nums = {}
    for i, n in ipairs(report.numbers or {}) do nums[i] = core().fields(n) end
    ctx:json { campaign_id = c.id, added = report.added, skipped = report.skipped,
      invalid = output.array(invalid), failed = output.array(failed), numbers = output.array(nums) }
  else
    ctx.out:write(("campaign %s: added %d, skipped %d, invalid %d, failed %d\n"):format(
      output.text(c.id), report.added, report.skipped, #invalid, #failed))
    if #invalid > 0 then
      ctx.out:write("invalid:\n")
      write_groups(ctx, group_rows(invalid, function(e) return e.reason end), function(e)
        return (e.line and ("line " .. e.line .. ": ") or "") .. (e.input ~= "" and (e.input .. ": ") or "")
          .. output.text(e.reason)
      end, function(e) return e.line and tostring(e.line) or ("\"" .. e.input .. "\"") end, "lines")
    end
    if #failed > 0 then
      ctx.out:write("failed:\n")
      write_groups(ctx, group_rows(failed, function(e) return e.error end), function(e)
        return output.text(e.number) .. ": " .. output.text(e.error)
      end, function(e) return output.text(e.number) end, "numbers")
    end
  end
  return partial and EXIT.partial or EXIT.ok
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
          .. "[--description TEXT]",
        help = "--file takes a .xlsx or .csv with a header row: a `number` column, and `tags_*` columns that\n"
          .. "become the campaign's usable tags.",
        options = {
          { name = "name", value = "NAME", help = "the campaign's name" },
          { name = "services", value = "PHONE|SMS", help = "voice calls (PHONE) or SMS" },
          { name = "number", value = "N", list = true, field = "individual_number",
            help = "a recipient (repeat, or comma-separated)" },
          { name = "file", value = "FILE", field = "send_to_number_file", input_file = true,
            help = "recipients from a .xlsx file, or a .csv file (sent as .xlsx)" },
          { name = "description", value = "TEXT", help = "a description" },
        },
        run = create,
      },
      update = {
        summary = "change a campaign's name, services or description",
        usage = "tingting campaigns update ID [--name NAME] [--services PHONE|SMS] [--description TEXT]",
        args = { "ID" },
        options = {
          { name = "name", value = "NAME", help = "new name" },
          { name = "services", value = "PHONE|SMS", help = "new services" },
          { name = "description", value = "TEXT", help = "new description" },
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
          .. "         [--length-factor X] [--individual ID,...] [--status failed,hungup] [--priority audio|message]",
        help = "A message may use the campaign's tags ({tags_name}). A re-run (--status or --priority) may omit\n"
          .. "the message: the last one is used. --schedule is Nepal time (UTC+05:45).",
        args = { "ID" },
        options = {
          { name = "message", short = "m", value = "M", help = "the text to speak or send" },
          { name = "audio", value = "FILE", field = "aud_file", input_file = true,
            help = "an audio file to play instead of a message" },
          { name = "voice", value = "V", field = "voice_input", help = "np_rija, np_prasanna or np_binod" },
          { name = "schedule", value = "YYYY-MM-DDTHH:MM", field = "schedule_date", help = "start later (Nepal time)" },
          { name = "length-factor", value = "X", help = "speech speed factor (e.g. 1.4)" },
          { name = "individual", value = "ID", list = true, help = "only these number ids (comma-separated)" },
          { name = "status", value = "S", list = true,
            help = "re-run numbers with these statuses: hungup,unanswered,failed,terminated,completed" },
          { name = "priority", value = "audio|message", help = "which to use when the campaign has both" },
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
        run = add,
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
        summary = "credits and per-campaign status counts",
        usage = "tingting campaigns summary", run = summary,
      },
    },
  }
end

return M
