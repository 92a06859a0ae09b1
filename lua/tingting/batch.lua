--- `c:add_numbers(source, opts)`: add many numbers to a campaign, concurrently,
-- each exactly once, in memory bounded by the requests in flight rather than
-- by the list. The legacy API adds one number per POST, v1 a group of them
-- (`contacts`, M.GROUP_SIZE a POST); a POST whose answer was lost may or may
-- not have been processed, so every number of such an ambiguous failure is
-- checked against the campaign's number list before it is retried.
--
-- The source is a list, or an iterator returning a number string or a
-- `{number=, available_tags=}` record per call and nil at the end (such as
-- `tingting.numbers.each_csv(path)`). Records are read, validated, deduplicated
-- and sent a window at a time (eight times the concurrency); seen numbers are
-- kept in a `core.numset` (8 bytes a slot), not in a table of strings.
-- @module tingting.batch
local core = require "tingting.core"
local call = require "tingting.call"
local errors = require "tingting.errors"
local numbers = require "tingting.numbers"

local M = {}

M.MAX_CONCURRENCY = 64
-- v1 contacts a POST: the answer lists each created contact (a few hundred
-- bytes each), well under ITEM_MAX_BODY.
M.GROUP_SIZE = 50
-- Each add's answer is a few hundred bytes: a batch item's answer larger than
-- this is refused, so that a batch holds at most concurrency x this much.
M.ITEM_MAX_BODY = 1024 * 1024
-- Ambiguous failures wait for one look at the campaign's list; more than this
-- many waiting triggers the look before the source is read on.
local RECONCILE_AT = 1024

local OPTIONS = {
  concurrency = true, skip_existing = true, on_progress = true, on_result = true, keep = true, max_rounds = true,
}

local function check_opts(opts, is_list)
  if opts ~= nil and type(opts) ~= "table" then
    return errors.invalid("add_numbers", "opts", "expected a table (got " .. type(opts) .. ")")
  end
  opts = opts or {}
  local known, kerr = errors.check_keys("add_numbers", opts, OPTIONS)
  if not known then return nil, kerr end
  local concurrency = opts.concurrency or 8
  if type(concurrency) ~= "number" or not (concurrency >= 1 and concurrency <= M.MAX_CONCURRENCY)
      or concurrency ~= math.floor(concurrency) then
    return errors.invalid("add_numbers", "concurrency", ("expected an integer from 1 to %d"):format(M.MAX_CONCURRENCY))
  end
  for _, name in ipairs { "on_progress", "on_result" } do
    if opts[name] ~= nil and type(opts[name]) ~= "function" then
      return errors.invalid("add_numbers", name, "expected a function")
    end
  end
  for _, name in ipairs { "keep", "skip_existing" } do
    if opts[name] ~= nil and type(opts[name]) ~= "boolean" then
      return errors.invalid("add_numbers", name, "expected a boolean")
    end
  end
  local max_rounds = opts.max_rounds
  if max_rounds ~= nil and (type(max_rounds) ~= "number" or max_rounds < 1 or max_rounds ~= math.floor(max_rounds)) then
    return errors.invalid("add_numbers", "max_rounds", "expected a positive integer")
  end
  local keep = opts.keep
  if keep == nil then keep = is_list end
  return {
    concurrency = math.floor(concurrency), -- an integer on 5.3+, for t:many()
    skip_existing = opts.skip_existing ~= false, on_progress = opts.on_progress, on_result = opts.on_result,
    keep = keep, max_rounds = max_rounds,
  }
end

-- The reason a source item cannot be added, or its digits and tags. v1
-- variables are free (no usable_tags: usable is nil).
local function check_item(item, usable, usable_list)
  local raw, tags = item, nil
  if type(item) == "table" then raw, tags = item.number, item.available_tags end
  local digits, why = numbers.normalize(raw)
  if not digits then return nil, why.message end
  if tags ~= nil and type(tags) ~= "table" then return nil, "available_tags: expected a table" end
  if tags and usable then
    local names = {}
    for k in pairs(tags) do
      if not usable[k] then names[#names + 1] = tostring(k) end
    end
    if #names > 0 then
      table.sort(names)
      return nil, ("available_tags: %s not in the campaign's usable tags (%s)"):format(
        table.concat(names, ", "), #usable_list > 0 and table.concat(usable_list, ", ") or "none")
    end
  end
  return digits, tags
end

--- Add `source` (a list or an iterator of numbers or records
-- `{number=, available_tags=}`) to campaign `c`.
-- opts: `concurrency` (8, at most 64), `skip_existing` (true),
-- `on_progress(done, total)` (total is nil for an iterator),
-- `on_result(item, number_or_nil, err_or_nil)` with the source's own item
-- (every outcome: added, failed, invalid; a skipped one has neither), `keep` (true for a list, false
-- for an iterator: fill `numbers`), `max_rounds` (session max_retries + 1).
-- @treturn table `{added=, skipped=, invalid={{input=, reason=, index=}}, failed={{number=, err=}},
-- numbers={Number} (with keep), error=err (a source that failed part-way)}`
function M.add_numbers(c, source, opts)
  local is_list = type(source) == "table"
  if not is_list and type(source) ~= "function" then
    return errors.invalid("add_numbers", "list",
      "expected a list or an iterator of numbers or {number=, available_tags=} records")
  end
  local o, oerr = check_opts(opts, is_list)
  if not o then return nil, oerr end
  local s = core.session_of(c)
  core.check_open(s)
  local st = core.state(s)
  local v1 = st.api == "v1"
  local usable_list = c.usable_tags
  local usable = not v1 and {} or nil
  for _, t in ipairs(v1 and {} or usable_list) do usable[t] = true end
  local group = v1 and M.GROUP_SIZE or 1
  local report = { added = 0, skipped = 0, invalid = {}, failed = {} }
  if o.keep then report.numbers = {} end
  local on_result, on_progress = o.on_result, o.on_progress
  local max_rounds = o.max_rounds or (st.max_retries + 1)

  -- the campaign's numbers as a set (and, for reconciliation, the Numbers
  -- of the ones asked about)
  local existing
  local function load_existing(wanted)
    local current, err = c:numbers() -- every page (v1 lists are paged)
    if not current then return nil, err end
    existing = core.numset(#current)
    local found = {}
    for i = 1, #current do
      local n = current[i]
      existing:add(n.number)
      if wanted and wanted[n.number] then found[n.number] = n end
    end
    return found
  end
  if o.skip_existing then
    local ok, err = load_existing()
    if not ok then return nil, err end
  end

  local seen = core.numset(is_list and #source or 0)
  local done, total = 0, nil
  local function outcome(rec, n, err)
    if on_result then on_result(rec, n, err) end
  end
  local function progress()
    done = done + 1
    if on_progress then on_progress(done, total) end
  end
  local function invalid(item, reason, index)
    report.invalid[#report.invalid + 1] = { input = item, reason = reason, index = index }
    if on_result then
      outcome(item, nil, errors.validation { op = "add_numbers", field = "number", message = reason })
    end
  end
  -- the record to send for source item `item`, or nil (invalid, duplicate, present)
  local function admit(item, index)
    local digits, tags = check_item(item, usable, usable_list)
    if not digits then
      invalid(item, tags, index)
      return nil
    end
    local rec = { number = digits, available_tags = tags, tries = 0, item = item }
    if not seen:add(digits) or (existing and existing:has(digits)) then
      report.skipped = report.skipped + 1
      outcome(item, nil, nil)
      return nil
    end
    return rec
  end

  -- The next record to send: a list is validated whole first, so that
  -- progress knows its total (its records are kept until sent); an
  -- iterator is read as the window needs it.
  local next_record
  if is_list then
    local recs = {}
    for i = 1, #source do
      local rec = admit(source[i], i)
      if rec then recs[#recs + 1] = rec end
    end
    total = #recs
    local i = 0
    next_record = function()
      i = i + 1
      local rec = recs[i]
      recs[i] = nil
      return rec
    end
  else
    local index, ended = 0, false
    next_record = function()
      while not ended do
        local item, serr = source()
        if item == nil then
          if serr ~= nil then report.error = serr end
          ended = true
        else
          index = index + 1
          local rec = admit(item, index)
          if rec then return rec end
        end
      end
      return nil
    end
  end

  local function fail(rec, err)
    report.failed[#report.failed + 1] = { number = rec.number, err = err }
    outcome(rec.item, nil, err)
    progress()
  end
  local function added(rec, n)
    report.added = report.added + 1
    if report.numbers then report.numbers[#report.numbers + 1] = n end
    outcome(rec.item, n, nil)
    progress()
  end

  local window = o.concurrency * 8 * group
  local again, ambiguous, timed_out = {}, {}, false

  -- Look for the ambiguous ones in the campaign: present means added; absent
  -- goes back to be sent again; a list that cannot be read leaves them failed
  -- (never resend blindly).
  local function reconcile()
    if #ambiguous == 0 then return end
    -- A request we stopped waiting for may still be running on the server:
    -- it would look absent now and be added twice. Give it twice as long
    -- again as it had before looking (a drop or a 5xx has already finished):
    -- the server may have received it late, on a loaded machine. The API
    -- has no idempotency key, so one that ends later still is added twice.
    if timed_out then call.sleep(st, 2 * st.timeout) end
    local wanted = {}
    for _, rec in ipairs(ambiguous) do wanted[rec.number] = true end
    local found, lerr = load_existing(wanted)
    for _, rec in ipairs(ambiguous) do
      local n = found and found[rec.number]
      if n then
        added(rec, n)
      elseif found then
        again[#again + 1] = rec
      else
        rec.err = lerr
        fail(rec, lerr)
      end
    end
    ambiguous, timed_out = {}, false
  end

  -- The request that adds `recs` (one record; on v1 up to a group), or
  -- nil, err when a value fails the core's checks.
  local function request_for(recs)
    local args
    if v1 then
      local contacts = {}
      for i, rec in ipairs(recs) do contacts[i] = { number = rec.number, available_tags = rec.available_tags } end
      args = { id = c.id, contacts = contacts }
    else
      args = { id = c.id, number = recs[1].number, available_tags = recs[1].available_tags }
    end
    local req, berr = call.prepare(s, st, "add_number", args)
    if req then req.max_body = math.min(M.ITEM_MAX_BODY, st.max_body) end
    return req, berr
  end

  -- Units of records to send, each with its request; a group the core
  -- refuses is split, so that only the records at fault are invalid.
  local function units_of(recs)
    local units = {}
    local function add(unit)
      local req, berr = request_for(unit)
      if req then
        unit.req = req
        units[#units + 1] = unit
      elseif #unit > 1 then
        for _, rec in ipairs(unit) do add({ rec }) end
      else
        invalid(unit[1].item, berr.message:gsub("^contacts%[1%]%.", ""), nil)
        progress()
      end
    end
    for i = 1, #recs, group do
      local unit = {}
      for j = i, math.min(i + group - 1, #recs) do unit[#unit + 1] = recs[j] end
      add(unit)
    end
    return units
  end

  -- A v1 group's answer: the contacts it created (by number), the ones it
  -- refused (errors, by index), and the rest skipped as already present.
  local function group_done(unit, list, meta)
    local created = {}
    for _, n in ipairs(list) do created[n.number] = n end
    local refused = {}
    for _, e in ipairs(type(meta.errors) == "table" and meta.errors or {}) do
      if type(e) == "table" and tonumber(e.index) then refused[tonumber(e.index) + 1] = e end
    end
    for i, rec in ipairs(unit) do
      local n = created[rec.number]
      if n then
        added(rec, n)
      elseif refused[i] then
        local why = type(refused[i].errors) == "table" and refused[i].errors.number
        fail(rec, errors.api { op = "add_number", field = "number", errors = refused[i].errors,
          message = "number: " .. tostring(type(why) == "table" and why[1] or "refused") })
      else
        report.skipped = report.skipped + 1
        outcome(rec.item, nil, nil)
        progress()
      end
    end
  end

  -- One window: records to retry first, then new ones from the source.
  local function send_window(recs)
    local authed, aerr = call.ensure_auth(s)
    if not authed then
      for _, rec in ipairs(recs) do fail(rec, aerr) end
      return
    end
    local units = units_of(recs)
    local reqs = {}
    for i, unit in ipairs(units) do
      reqs[i] = unit.req
      unit.req = nil
      for _, rec in ipairs(unit) do rec.tries = rec.tries + 1 end
    end
    call.many(st, reqs, o.concurrency, function(i, status, body, headers)
      local unit = units[i]
      local res, err = call.finish(s, reqs[i], status, body, headers)
      reqs[i] = nil -- let the request (and its body) go as soon as it is done
      if res then
        if v1 then return group_done(unit, res, err) end
        return added(unit[1], res)
      end
      err.retryable = call.retryable(err, false)
      local into
      if err.status == 401 or err.kind == "rate_limited" or err.sent == false then
        into = again -- provably not processed
      elseif err.kind == "network" or err.kind == "timeout" or err.kind == "server" then
        into = ambiguous -- may have been processed: look before retrying
        -- a 504 is a timeout too, of a gateway between us and the API
        if err.kind == "timeout" or err.status == 504 then timed_out = true end
      end
      for _, rec in ipairs(unit) do
        rec.err = err
        if into then into[#into + 1] = rec else fail(rec, err) end
      end
    end)
  end

  local round = 0
  while true do
    local batch = {}
    -- the ones to try again, unless they have had their rounds
    if #again > 0 then
      local retry, wait, renew = {}, 0, false
      for _, rec in ipairs(again) do
        if rec.tries >= max_rounds then
          fail(rec, rec.err)
        else
          retry[#retry + 1] = rec
          if rec.err and rec.err.retry_after then wait = math.max(wait, rec.err.retry_after) end
          if rec.err and rec.err.status == 401 then renew = true end
        end
      end
      again = {}
      if #retry > 0 then
        round = round + 1
        call.sleep(st, math.min(math.max(wait, call.backoff(round)), call.policy.retry_after_cap))
        -- a 401 mid-batch means the token expired: renew once for all of them
        if renew then
          local rok, rerr = call.renew(s, st, st.access_token)
          if not rok then
            for _, rec in ipairs(retry) do fail(rec, rerr) end
            retry = {}
          end
        end
      end
      for i = 1, math.min(#retry, window) do batch[i] = retry[i] end
      for i = window + 1, #retry do again[#again + 1] = retry[i] end
    end
    while #batch < window do
      local rec = next_record()
      if not rec then break end
      batch[#batch + 1] = rec
    end
    if #batch == 0 then
      if #ambiguous == 0 then break end
      reconcile()
    else
      send_window(batch)
      if #ambiguous >= RECONCILE_AT then reconcile() end
    end
  end
  seen:close()
  if existing then existing:close() end
  return report
end

return M
