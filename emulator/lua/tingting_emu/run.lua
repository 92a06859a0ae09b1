-- Campaign runs: credit holds and a lazy, deterministic simulation. No timers: a
-- number's status is computed from its run's start time whenever state is read, and
-- settle() books finished runs at the start of every request.
local util = require "tingting_emu.util"
local state = require "tingting_emu.state"

local _M = {}

-- Credits held per targeted number, by service; see emulator/README.md. v1 adds
-- "SMS & PHONE" (a call and an SMS) and SURVEY (a call); a PHONE campaign with a v1
-- failover_target holds one more per number for its fallback SMS.
_M.HOLD = { PHONE = 2, SMS = 1, ["SMS & PHONE"] = 3, SURVEY = 2 }
_M.TERMINAL = { "hungup", "unanswered", "failed", "terminated", "completed" }

-- The terminal result of one attempt, from a hash of the seed, the number id and the
-- attempt count (so that a re-run can turn out differently, yet reproducibly).
-- `credit` is the whole cost, `sms` its SMS part.
local function call_outcome(run, n)
  local h = util.hash(run.seed, n.id, n.attempts)
  local h2 = util.hash("duration", run.seed, n.id, n.attempts)
  local roll = h % 100
  if run.services == "SMS" then
    local ok = roll < 90
    local credit = ok and _M.HOLD.SMS or 0
    return { status = ok and "completed" or "failed", duration = util.null,
      playback = util.null, credit = credit, sms = credit }
  end
  local status
  if roll < 60 then status = "completed"
  elseif roll < 70 then status = "hungup"
  elseif roll < 85 then status = "unanswered"
  elseif roll < 95 then status = "failed"
  else status = "terminated" end
  if status == "unanswered" or status == "failed" then
    return { status = status, duration = 0, playback = 0, credit = 0 }
  end
  local duration
  if status == "completed" then duration = 20 + h2 % 41
  elseif status == "hungup" then duration = 3 + h2 % 15
  else duration = 1 + h2 % 5 end
  local playback = duration - (h2 % 10) / 10
  if playback < 0 then playback = 0 end
  return { status = status, duration = duration, playback = playback, credit = _M.HOLD.PHONE }
end

function _M.outcome(run, n)
  local o = call_outcome(run, n)
  if o.sms then return o end
  o.sms = 0
  local failover = run.failover and run.failover[o.status]
  if run.services == "SMS & PHONE" or failover then
    if util.hash("sms", run.seed, n.id, n.attempts) % 100 < 90 then
      o.sms = 1
      o.credit = o.credit + 1
    end
    o.failover_sms = failover and true or nil
  end
  return o
end

local function step(run, now)
  local elapsed = now - run.start
  if elapsed < 0 then return -1 end
  if run.speed <= 0 then return 2 end
  return math.floor(elapsed / run.speed)
end

local function finish_time(run)
  return run.start + 2 * math.max(run.speed, 0)
end

-- What a number looks like now: {status, duration, playback, credit_consumed}.
function _M.number_state(n, now)
  local r = n.run
  local base = { status = n.status, duration = n.duration, playback = n.playback,
    credit_consumed = n.credit_consumed, credit_sms = n.credit_sms or 0,
    failover_sms = n.failover_sms or false }
  if not r or r.done then return base end
  local s = step(r, now or ngx.now())
  if s < 0 then
    base.status = "scheduled"
  elseif s == 1 then
    base.status = "in progress"
  elseif s >= 2 then
    local o = _M.outcome(r, n)
    base.status, base.duration, base.playback = o.status, o.duration, o.playback
    base.credit_consumed = n.credit_consumed + o.credit
    base.credit_sms = base.credit_sms + o.sms
    base.failover_sms = base.failover_sms or o.failover_sms or false
  end
  return base
end

local function release(run, used)
  local credits = state.credits
  credits.on_hold = credits.on_hold - run.hold
  credits.consumed = credits.consumed + used
  credits.available = credits.available + run.hold - used
  run.done = true
  run.used = used
end

local function finish(run)
  local used = 0
  for _, id in ipairs(run.targets) do
    local n = state.numbers[id]
    if n and n.run == run then
      local o = _M.outcome(run, n)
      n.status, n.duration, n.playback = o.status, o.duration, o.playback
      n.credit_consumed = n.credit_consumed + o.credit
      n.credit_sms = (n.credit_sms or 0) + o.sms
      if o.failover_sms then n.failover_sms = true end
      n.run = nil
      used = used + o.credit
    end
  end
  release(run, used)
end

-- Books every run that has finished by now: held credits become consumed (the sum of
-- credit_consumed of its numbers), the rest is released.
function _M.settle(now)
  now = now or ngx.now()
  for _, r in ipairs(state.runs) do
    if not r.done and now >= finish_time(r) then finish(r) end
  end
end

function _M.active(c)
  for _, r in ipairs(state.runs) do
    if not r.done and r.campaign_id == c.id then return r end
  end
  return nil
end

-- A deleted campaign's pending run is dropped and its whole hold released.
function _M.cancel_campaign(c)
  for _, r in ipairs(state.runs) do
    if not r.done and r.campaign_id == c.id then
      release(r, 0)
      r.cancelled = true
    end
  end
end

-- The statuses that send a PHONE campaign's fallback SMS (v1 failover_target), or nil.
function _M.failover(c)
  if c.services ~= "PHONE" or not c.failover_target or #c.failover_target == 0 then return nil end
  local set = {}
  for _, s in ipairs(c.failover_target) do set[s] = true end
  return set
end

-- Credits a run of `count` numbers of campaign c holds.
function _M.hold_for(c, count)
  local per = _M.HOLD[c.services] or _M.HOLD.PHONE
  if _M.failover(c) then per = per + 1 end
  return per * count
end

-- The campaign's state as v1 words it: status and progress_percent.
function _M.campaign_status(c, now)
  local r = c.run
  if not r then return "Not Started", 0 end
  if r.cancelled then return "Terminated", 100 end
  if r.done then return "Completed", 100 end
  now = now or ngx.now()
  if now < r.start then return "Scheduled", 0 end
  local total = 2 * math.max(r.speed, 0)
  if total <= 0 or now >= r.start + total then return "Completed", 100 end
  return "Running", math.min(99, math.floor(100 * (now - r.start) / total))
end

-- Starts a run over `numbers` (a list of number objects); the caller has validated.
-- Returns the run, or nil and the credits needed when there are not enough.
function _M.start(c, numbers, opts)
  local hold = _M.hold_for(c, #numbers)
  if state.credits.available < hold then return nil, hold end
  local r = {
    id = state.next_run, campaign_id = c.id, services = c.services,
    start = opts.start or ngx.now(), speed = state.config.run_speed,
    seed = state.config.seed, hold = hold, targets = {},
    message = opts.message, audio = opts.audio, voice_input = opts.voice_input,
    length_factor = opts.length_factor, scheduled = opts.scheduled, failover = _M.failover(c),
  }
  c.run = r
  state.next_run = state.next_run + 1
  for i, n in ipairs(numbers) do
    n.attempts = n.attempts + 1
    n.run = r
    r.targets[i] = n.id
  end
  state.credits.available = state.credits.available - hold
  state.credits.on_hold = state.credits.on_hold + hold
  state.runs[#state.runs + 1] = r
  return r
end

return _M
