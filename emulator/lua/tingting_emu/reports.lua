-- Campaign reports: the CSV download and the summary of every campaign.
local util = require "tingting_emu.util"
local state = require "tingting_emu.state"
local request = require "tingting_emu.request"
local run = require "tingting_emu.run"

local _M = {}

local function csv_field(v)
  if v == nil or v == util.null then return "" end
  if type(v) == "number" then
    if v == math.floor(v) then return string.format("%d", v) end
    return string.format("%.14g", v)
  end
  v = tostring(v)
  if v:find('[,"\r\n]') then return '"' .. v:gsub('"', '""') .. '"' end
  return v
end

_M.csv_field = csv_field

function _M.download(req)
  local raw = req.args.campaign_id
  if raw == nil then util.bad("campaign_id", "This query parameter is required.") end
  local id = type(raw) == "string" and request.to_integer(raw)
  if not id then util.bad("campaign_id", "A valid integer is required.") end
  local c = state.campaigns[id]
  if not c then util.not_found("Campaign not found.") end
  local now = ngx.now()
  local header = { "id", "number", "status", "duration", "playback", "credit_consumed" }
  for _, t in ipairs(c.usable_tags) do header[#header + 1] = t end
  local lines = { table.concat(header, ",") }
  for _, nid in ipairs(c.numbers) do
    local n = state.numbers[nid]
    local s = run.number_state(n, now)
    local row = { n.id, n.digits, s.status, s.duration, s.playback, s.credit_consumed }
    for _, t in ipairs(c.usable_tags) do row[#row + 1] = n.tags[t] end
    local out = {}
    for i = 1, #header do out[i] = csv_field(row[i]) end
    lines[#lines + 1] = table.concat(out, ",")
  end
  return util.response(200, table.concat(lines, "\r\n") .. "\r\n", {
    ["Content-Type"] = "text/csv; charset=utf-8",
    ["Content-Disposition"] = string.format('attachment; filename="campaign_%d_report.csv"', c.id),
  })
end

local COUNTED = { "not_started", "in_progress", "completed", "failed", "hungup", "unanswered",
  "terminated" }

function _M.summary()
  local now = ngx.now()
  local ids = {}
  for id in pairs(state.campaigns) do ids[#ids + 1] = id end
  table.sort(ids, function(a, b) return a > b end)
  local list = util.array()
  for _, id in ipairs(ids) do
    local c = state.campaigns[id]
    local row = { campaign_id = c.id, campaign_name = c.name, services = c.services,
      total_numbers = #c.numbers, credit_consumed = 0 }
    for _, k in ipairs(COUNTED) do row[k] = 0 end
    for _, nid in ipairs(c.numbers) do
      local s = run.number_state(state.numbers[nid], now)
      -- "scheduled" numbers have not started yet.
      local key = (s.status == "scheduled") and "not_started" or s.status:gsub(" ", "_")
      row[key] = (row[key] or 0) + 1
      row.credit_consumed = row.credit_consumed + s.credit_consumed
    end
    list[#list + 1] = row
  end
  local credits = state.credits
  return util.ok(200, nil, {
    summary = list,
    credits = { available = credits.available, on_hold = credits.on_hold, consumed = credits.consumed },
  })
end

return _M
