-- Campaign numbers: list and add per campaign; info, edit and delete per number.
local util = require "tingting_emu.util"
local state = require "tingting_emu.state"
local request = require "tingting_emu.request"
local campaigns = require "tingting_emu.campaigns"
local run = require "tingting_emu.run"

local _M = {}

function _M.view(n, now)
  local c = state.campaigns[n.campaign_id]
  local s = run.number_state(n, now)
  local tags = {}
  for k, v in pairs(n.tags) do tags[k] = v end
  return {
    id = n.id, number = util.raw_number(n.digits), campaing = c and c.name or util.null,
    available_tags = tags, status = s.status, duration = s.duration, playback = s.playback,
    credit_consumed = s.credit_consumed,
  }
end

local function find(id)
  local n = state.numbers[tonumber(id)]
  if not n then util.not_found("Number not found.") end
  return n
end

local function number_field(body, required)
  local v = required and request.required(body, "number") or body.number
  if not request.present(v) then return nil end
  if type(v) ~= "number" and not (type(v) == "string" and v:match("^%d+$")) then
    util.bad("number", "A valid integer is required.")
  end
  local digits = request.phone_digits(v)
  if not digits then util.bad("number", "Enter a valid phone number of 7 to 14 digits.") end
  return digits
end

-- available_tags must use only the campaign's usable_tags, with string or number values.
local function tags_field(body, c)
  local tags = request.object(body, "available_tags")
  if not tags then return nil end
  local usable = {}
  for _, t in ipairs(c.usable_tags) do usable[t] = true end
  local names = {}
  for k in pairs(tags) do names[#names + 1] = k end
  table.sort(names)
  local out = {}
  for _, k in ipairs(names) do
    if not usable[k] then
      local allowed = #c.usable_tags > 0 and table.concat(c.usable_tags, ", ") or "none"
      util.bad("available_tags", string.format(
        '"%s" is not in the usable_tags of campaign %s (usable: %s).', k, c.name, allowed))
    end
    local v = tags[k]
    if type(v) ~= "string" and type(v) ~= "number" then
      util.bad("available_tags", string.format('"%s": a tag value must be a string or a number.', k))
    end
    out[k] = v
  end
  return out
end

function _M.list(req)
  local c = campaigns.find(req.params[1])
  local now = ngx.now()
  local items = util.array()
  for i = #c.numbers, 1, -1 do
    items[#items + 1] = _M.view(state.numbers[c.numbers[i]], now)
  end
  return util.ok(200, nil, {
    messages = "Number related to " .. c.name .. " campaign Retrived successfully",
    ["number-lists"] = items,
  })
end

function _M.add(req)
  local c = campaigns.find(req.params[1])
  local body = request.body()
  request.no_unknown(body, { "number", "available_tags" })
  local digits = number_field(body, true)
  local tags = tags_field(body, c) or {}
  local n = campaigns.new_number(c, digits, tags)
  return util.ok(201, "Number added successfully.", { details = _M.view(n) })
end

function _M.info(req)
  local n = find(req.params[1])
  return util.ok(200, nil, {
    messages = n.digits .. " details retrieved successfully!!",
    ["number-detail"] = _M.view(n),
  })
end

function _M.edit(req)
  local n = find(req.params[1])
  local c = state.campaigns[n.campaign_id]
  local body = request.body()
  request.no_unknown(body, { "number", "available_tags" })
  local digits = number_field(body, false)
  local tags = tags_field(body, c)
  if digits then
    campaigns.index_remove(c, n.digits)
    local index = campaigns.index(c)
    index[digits] = (index[digits] or 0) + 1
    n.digits = digits
  end
  if tags then n.tags = tags end
  n.updated = state.stamp()
  return util.ok(200, "Action details successfully updated.", { details = _M.view(n) })
end

function _M.delete(req)
  local n = find(req.params[1])
  local c = state.campaigns[n.campaign_id]
  campaigns.remove_number(c, n)
  return util.ok(200, nil, {
    ["campaign-details"] = n.digits .. " of campaign " .. c.name .. " deleted Successfully!!",
  })
end

return _M
