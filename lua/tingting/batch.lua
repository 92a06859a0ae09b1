--- `c:add_numbers(list, opts)`: add many numbers to a campaign, concurrently,
-- each exactly once. The API adds one number per POST, and a POST whose answer
-- was lost may or may not have been processed; so every such ambiguous
-- failure is checked against the campaign's number list before it is retried.
-- @module tingting.batch
local core = require "tingting.core"
local call = require "tingting.call"
local errors = require "tingting.errors"
local numbers = require "tingting.numbers"

local M = {}

-- Validate and normalise the input; returns the unique records to send and
-- the invalid entries, never sending anything.
local function prepare(c, list)
  local usable = {}
  for _, t in ipairs(c.usable_tags) do usable[t] = true end
  local pending, invalid, seen, dups = {}, {}, {}, 0
  for i, item in ipairs(list) do
    local raw, tags = item, nil
    if type(item) == "table" then raw, tags = item.number, item.available_tags end
    local digits, why = numbers.normalize(raw)
    if not digits then why = why.message end
    if digits and tags ~= nil and type(tags) ~= "table" then
      digits, why = nil, "available_tags: expected a table"
    end
    if digits and tags then
      local names = {}
      for k in pairs(tags) do
        if not usable[k] then names[#names + 1] = tostring(k) end
      end
      if #names > 0 then
        table.sort(names)
        digits, why = nil, ("available_tags: %s not in the campaign's usable tags (%s)"):format(
          table.concat(names, ", "), #c.usable_tags > 0 and table.concat(c.usable_tags, ", ") or "none")
      end
    end
    if not digits then
      invalid[#invalid + 1] = { input = item, reason = why, index = i }
    elseif seen[digits] then
      dups = dups + 1
    else
      seen[digits] = true
      pending[#pending + 1] = { number = digits, available_tags = tags }
    end
  end
  return pending, invalid, dups
end

--- Add `list` (numbers, or records `{number=, available_tags=}`) to campaign `c`.
-- opts: `concurrency` (8), `skip_existing` (true), `on_progress(done, total)`,
-- `max_rounds` (session max_retries + 1).
-- @treturn table `{added=, skipped=, invalid={{input=, reason=}}, failed={{number=, err=}}, numbers={Number}}`
function M.add_numbers(c, list, opts)
  if opts ~= nil and type(opts) ~= "table" then
    return errors.invalid("add_numbers", "opts", "expected a table (got " .. type(opts) .. ")")
  end
  opts = opts or {}
  if type(list) ~= "table" then
    return errors.invalid("add_numbers", "list", "expected a list of numbers or {number=, available_tags=} records")
  end
  local concurrency = opts.concurrency or 8
  -- bounded: t:many() raises (a programmer error) on a non-integer such as 1e300
  if type(concurrency) ~= "number" or not (concurrency >= 1 and concurrency <= 1024)
      or concurrency ~= math.floor(concurrency) then
    return errors.invalid("add_numbers", "concurrency", "expected an integer from 1 to 1024")
  end
  concurrency = math.floor(concurrency) -- an integer on 5.3+, for t:many()
  if opts.on_progress ~= nil and type(opts.on_progress) ~= "function" then
    return errors.invalid("add_numbers", "on_progress", "expected a function(done, total)")
  end
  local s = core.session_of(c)
  core.check_open(s)
  local st = core.state(s)
  local report = { added = 0, skipped = 0, invalid = {}, failed = {}, numbers = {} }
  local pending, invalid, dups = prepare(c, list)
  report.invalid, report.skipped = invalid, dups

  local existing
  local function load_existing()
    local current, err = call.call(s, "campaign_numbers", { id = c.id })
    if not current then return nil, err end
    existing = {}
    for _, n in ipairs(current) do existing[n.number] = n end
    return true
  end
  if opts.skip_existing ~= false then
    local ok, err = load_existing()
    if not ok then return nil, err end
    local keep = {}
    for _, rec in ipairs(pending) do
      if existing[rec.number] then report.skipped = report.skipped + 1 else keep[#keep + 1] = rec end
    end
    pending = keep
  end

  local total, done = #pending, 0
  local function progress()
    done = done + 1
    if opts.on_progress then opts.on_progress(done, total) end
  end
  local max_rounds = opts.max_rounds or (st.max_retries + 1)
  local round = 0
  while #pending > 0 do
    round = round + 1
    local authed, aerr = call.ensure_auth(s)
    if not authed then
      for _, rec in ipairs(pending) do report.failed[#report.failed + 1] = { number = rec.number, err = aerr } end
      break
    end
    local reqs, recs = {}, {}
    for _, rec in ipairs(pending) do
      local req, berr = core.build(s, "add_number", { id = c.id, number = rec.number,
        available_tags = rec.available_tags })
      if req then
        reqs[#reqs + 1], recs[#reqs + 1] = req, rec
      else
        report.invalid[#report.invalid + 1] = { input = rec.number, reason = berr.message }
        progress()
      end
    end
    local again, ambiguous, timed_out = {}, {}, false
    call.many(st, reqs, concurrency, function(i, status, body, headers)
      local rec = recs[i]
      local n, err = call.finish(s, reqs[i], status, body, headers)
      if n then
        report.added = report.added + 1
        report.numbers[#report.numbers + 1] = n
        progress()
        return
      end
      rec.err = err
      if err.status == 401 or err.kind == "rate_limited" or err.sent == false then
        again[#again + 1] = rec -- provably not processed
      elseif err.kind == "network" or err.kind == "timeout" or err.kind == "server" then
        ambiguous[#ambiguous + 1] = rec -- may have been processed: look before retrying
        -- a 504 is a timeout too, of a gateway between us and the API
        if err.kind == "timeout" or err.status == 504 then timed_out = true end
      else
        report.failed[#report.failed + 1] = { number = rec.number, err = err }
        progress()
      end
    end)
    if #ambiguous > 0 then
      -- A request we stopped waiting for may still be running on the server:
      -- it would look absent now and be added twice. Give it as long again
      -- as it had before looking (a drop or a 5xx has already finished).
      if timed_out then call.sleep(st, st.timeout) end
      local lok, lerr = load_existing()
      for _, rec in ipairs(ambiguous) do
        local n = lok and existing[rec.number]
        if n then
          report.added = report.added + 1
          report.numbers[#report.numbers + 1] = n
          progress()
        elseif lok then
          again[#again + 1] = rec
        else
          rec.err = lerr -- cannot tell whether it was added: report, never resend blindly
          report.failed[#report.failed + 1] = { number = rec.number, err = lerr }
          progress()
        end
      end
    end
    if round >= max_rounds then
      for _, rec in ipairs(again) do
        report.failed[#report.failed + 1] = { number = rec.number, err = rec.err }
        progress()
      end
      break
    end
    pending = again
    if #pending > 0 then
      local wait = 0
      for _, rec in ipairs(pending) do
        if rec.err and rec.err.retry_after then wait = math.max(wait, rec.err.retry_after) end
      end
      call.sleep(st, math.min(math.max(wait, call.backoff(round)), call.policy.retry_after_cap))
      -- a 401 mid-batch means the token expired: renew once for all of them
      for _, rec in ipairs(pending) do
        if rec.err and rec.err.status == 401 then
          local rok, rerr = call.renew(s, st, st.access_token)
          if not rok then
            for _, r in ipairs(pending) do report.failed[#report.failed + 1] = { number = r.number, err = rerr } end
            pending = {}
          end
          break
        end
      end
    end
  end
  return report
end

return M
