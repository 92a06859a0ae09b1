--- `tingting campaigns add`: the numbers of a CSV file added to a campaign,
-- and the report of what was added, skipped, invalid or failed.
-- @module tingting.cli.add
local output = require "tingting.cli.output"
local exit = require "tingting.cli.exit"

local M = {}

local EXIT = exit.codes

local function core() return require "tingting.core" end

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

--- `tingting campaigns add ID FILE.csv`: each number of the file added
-- exactly once, with progress on a terminal; the report groups the rows that
-- failed alike. Exit 5 when some were invalid or failed.
function M.run(ctx)
  local o = ctx.opts
  local concurrency
  if o.concurrency then concurrency = ctx:id(o.concurrency, "--concurrency") end
  local path = ctx.args[2]
  local id = ctx:id(ctx.args[1], "ID")
  -- read whole, so that progress knows its total (the library's each_csv
  -- streams a file of any size; keep = false spares the Number objects)
  local records, rerr = require("tingting.numbers").read_csv(path)
  if not records then exit.file_error(path, rerr.message, "FILE.csv") end
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

return M
