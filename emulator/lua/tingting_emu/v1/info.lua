-- v1 account information: the dashboard, the sender numbers and the voice models.
local util = require "tingting_emu.util"
local state = require "tingting_emu.state"
local run = require "tingting_emu.run"
local common = require "tingting_emu.v1.common"
local contacts = require "tingting_emu.v1.contacts"

local _M = {}

function _M.voices()
  local list = util.array()
  for i, v in ipairs(common.VOICES) do list[i] = common.voice_view(v.id) end
  return util.json(200, list)
end

-- #7 and #8 answer the same set (the reference's open question 16).
function _M.senders()
  local list = util.array()
  for i, p in ipairs(common.senders()) do list[i] = p end
  return util.json(200, list)
end

local function hms(seconds)
  seconds = math.floor(seconds)
  return string.format("%02d:%02d:%02d", math.floor(seconds / 3600), math.floor(seconds % 3600 / 60),
    seconds % 60)
end

local OUTCOMES = { "completed", "hungup", "unanswered", "failed", "terminated" }

-- Figures over the campaigns updated in the last `days` days (default 30); the credit
-- figures are the account's. Nested shapes are the emulator's own (the docs show {}).
function _M.dashboard(req)
  local days = req.args.days
  if type(days) == "table" then days = days[1] end
  if days == true or days == "" then days = nil end
  days = common.int(days, "days", { min = 1 }) or 30
  local now = ngx.now()
  local since = now - days * 86400
  local counts = { total = 0 }
  local types, outcomes, playback = {}, {}, { ["0-25"] = 0, ["25-50"] = 0, ["50-75"] = 0, ["75-100"] = 0 }
  for _, s in ipairs(OUTCOMES) do outcomes[s] = 0 end
  local calls, sms, duration, played, played_n, spent, top = 0, 0, 0, 0, 0, 0, nil
  local usage = {}
  for _, c in pairs(state.campaigns) do
    local updated = c.updated or c.created
    if updated >= since then
      local status = run.campaign_status(c, now)
      counts.total = counts.total + 1
      counts[status] = (counts[status] or 0) + 1
      types[c.services] = (types[c.services] or 0) + 1
      local done, used = 0, 0
      for _, id in ipairs(c.numbers) do
        local item = contacts.item(state.numbers[id], now)
        used = used + item.credit_consumed + item.credit_consumed_SMS
        if outcomes[item.status] then
          outcomes[item.status] = outcomes[item.status] + 1
          if item.status == "completed" then done = done + 1 end
          if c.services ~= "SMS" then calls = calls + 1 end
          if item.credit_consumed_SMS > 0 then sms = sms + 1 end
          duration = duration + tonumber(item.call_duration:match("%d+"))
          local p = tonumber(item.playback)
          if p then
            played, played_n = played + p, played_n + 1
            local bucket = p < 25 and "0-25" or p < 50 and "25-50" or p < 75 and "50-75" or "75-100"
            playback[bucket] = playback[bucket] + 1
          end
        end
      end
      spent = spent + used
      if used > 0 then
        local day = common.iso_seconds(updated):sub(1, 10)
        usage[day] = (usage[day] or 0) + used
      end
      local pct = #c.numbers > 0 and math.floor(100 * done / #c.numbers) or 0
      if #c.numbers > 0 and (not top or pct > top.completion_percent) then
        top = { id = c.id, name = c.name, completion_percent = pct }
      end
    end
  end
  local overtime = util.array()
  local dates = {}
  for d in pairs(usage) do dates[#dates + 1] = d end
  table.sort(dates)
  for i, d in ipairs(dates) do overtime[i] = { date = d, credits = usage[d] } end
  local credits = state.credits
  return util.json(200, {
    total_credits_purchased = credits.available + credits.on_hold + credits.consumed,
    credits_used = credits.consumed, remaining_credits = credits.available,
    campaigns = counts, outbound_calls = calls, outbound_sms = sms,
    total_call_duration = hms(duration), total_owned_numbers = #common.senders(),
    total_playback = { contacts = played_n,
      average_percent = played_n > 0 and math.floor(played / played_n + 0.5) or 0 },
    credit_spent = counts.total > 0 and spent / counts.total or 0,
    top_performing_campaign = top or {}, playback_distribution = playback,
    campaign_type_ratio = types, call_outcomes = outcomes, credit_usage_overtime = overtime,
  })
end

return _M
