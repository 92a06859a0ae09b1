-- Campaigns: list (paginated), create (JSON or a numbers file), details, update, delete.
local util = require "tingting_emu.util"
local state = require "tingting_emu.state"
local request = require "tingting_emu.request"
local sheet = require "tingting_emu.sheet"
local run = require "tingting_emu.run"

local _M = {}

local SERVICES = { "PHONE", "SMS" }

function _M.view(c)
  local tags, phones = util.array(), util.array()
  for i, t in ipairs(c.usable_tags) do tags[i] = t end
  -- A v1 campaign's sender ids (#7); legacy campaigns have none.
  for i, p in ipairs(c.user_phone or {}) do phones[i] = p end
  return {
    id = c.id, name = c.name, user_phone = phones, services = c.services,
    description = c.description == nil and util.null or c.description,
    usable_tags = tags,
  }
end

-- The campaign named by the URL, or a 404 envelope.
function _M.find(id)
  local c = state.campaigns[tonumber(id)]
  if not c then util.not_found("Campaign not found.") end
  return c
end

-- How many of the campaign's numbers have each digit string (v1 skips duplicates).
function _M.index(c)
  local index = c.index
  if not index then
    index = {}
    for _, id in ipairs(c.numbers) do
      local d = state.numbers[id].digits
      index[d] = (index[d] or 0) + 1
    end
    c.index = index
  end
  return index
end

function _M.index_remove(c, digits)
  local index = _M.index(c)
  local k = (index[digits] or 1) - 1
  index[digits] = (k > 0) and k or nil
end

function _M.new_number(c, digits, tags)
  local now = state.stamp()
  local n = {
    id = state.next_number, campaign_id = c.id, digits = digits, tags = tags or {},
    status = "not started", duration = util.null, playback = util.null,
    credit_consumed = 0, attempts = 0, created = now,
  }
  state.next_number = state.next_number + 1
  state.numbers[n.id] = n
  c.numbers[#c.numbers + 1] = n.id
  local index = _M.index(c)
  index[digits] = (index[digits] or 0) + 1
  return n
end

-- Removes a number from its campaign and the state.
function _M.remove_number(c, n)
  state.numbers[n.id] = nil
  for i, id in ipairs(c.numbers) do
    if id == n.id then table.remove(c.numbers, i) break end
  end
  _M.index_remove(c, n.digits)
end

-- Deletes a campaign, its numbers and its pending run (whose hold is released).
function _M.remove(c)
  run.cancel_campaign(c)
  for _, id in ipairs(c.numbers) do state.numbers[id] = nil end
  state.campaigns[c.id] = nil
end

function _M.list(req)
  local size = state.config.page_size
  local ids = {}
  for id in pairs(state.campaigns) do ids[#ids + 1] = id end
  table.sort(ids, function(a, b) return a > b end)
  local total_pages = math.max(1, math.ceil(#ids / size))
  local page = 1
  if req.args.page ~= nil then
    page = request.to_integer(type(req.args.page) == "string" and req.args.page or "")
    if not page or page < 1 or page > total_pages then
      util.raise(util.json(404, { detail = "Invalid page." }))
    end
  end
  local items = util.array()
  for i = (page - 1) * size + 1, math.min(page * size, #ids) do
    items[#items + 1] = _M.view(state.campaigns[ids[i]])
  end
  return util.json(200, {
    pagination = {
      total_items = #ids, total_pages = total_pages, page_number = page,
      has_next = page < total_pages, has_previous = page > 1, links = util.array(),
    },
    result = { messages = "Campaign Successfully Retrieved", ["campaign-lists"] = items },
  })
end

-- individual_number as JSON integers, or (multipart) digit strings, one per part or
-- a single part holding a JSON list or comma-separated numbers.
local function individual_numbers(v, multipart)
  if multipart and type(v) == "string" then
    local list = util.decode(v)
    if type(list) ~= "table" then
      list = {}
      for item in v:gmatch("[^,]+") do list[#list + 1] = util.trim(item) end
    end
    v = list
  end
  local list = request.list({ individual_number = v }, "individual_number", { non_empty = true })
  local out = {}
  for i, item in ipairs(list) do
    if type(item) ~= "number" and not (multipart and type(item) == "string") then
      util.bad("individual_number", string.format("Item %d: A valid integer is required.", i))
    end
    local digits = request.phone_digits(item)
    if not digits then
      util.bad("individual_number", string.format(
        "Item %d: Enter a valid phone number of 7 to 14 digits.", i))
    end
    out[i] = digits
  end
  return out
end

function _M.create()
  local body, files, kind = request.body({ multipart = true })
  request.no_unknown(body, { "name", "services", "description", "individual_number",
    "send_to_number_file" })
  for name in pairs(files) do
    if name ~= "send_to_number_file" then util.bad(name, "Unknown field.") end
  end
  local name = request.string(body, "name", { required = true, max = 255 })
  local services = request.choice(body, "services", SERVICES, { required = true })
  local description = request.string(body, "description", { allow_blank = true })
  if body.send_to_number_file ~= nil then
    util.bad("send_to_number_file",
      "The submitted data was not a file. Check the encoding type on the form.")
  end
  local file = files.send_to_number_file
  local has_list = request.present(body.individual_number)
  if file and has_list then
    util.bad("individual_number", "Send either individual_number or send_to_number_file, not both.")
  elseif not file and not has_list then
    util.bad("individual_number", "This field is required (or send_to_number_file).")
  end
  local rows, usable_tags
  if file then
    rows, usable_tags = sheet.numbers_from_file(file, "send_to_number_file")
  else
    rows, usable_tags = {}, {}
    for i, digits in ipairs(individual_numbers(body.individual_number, kind == "multipart")) do
      rows[i] = { digits = digits, tags = {} }
    end
  end
  local c = {
    id = state.next_campaign, name = name, services = services, description = description,
    usable_tags = usable_tags, numbers = {}, created = state.stamp(),
  }
  c.updated = c.created
  state.next_campaign = state.next_campaign + 1
  state.campaigns[c.id] = c
  for _, row in ipairs(rows) do _M.new_number(c, row.digits, row.tags) end
  return util.ok(201, "Campaign Created Successfully", { details = util.array({ _M.view(c) }) })
end

function _M.details(req)
  local c = _M.find(req.params[1])
  return util.ok(200, nil, {
    messages = "Details Retrived successfully", details = util.array({ _M.view(c) }),
  })
end

function _M.update(req)
  local c = _M.find(req.params[1])
  local body = request.body()
  request.no_unknown(body, { "name", "services", "description" })
  local name = request.string(body, "name", { max = 255 })
  local services = request.choice(body, "services", SERVICES)
  local description = request.string(body, "description", { allow_blank = true })
  if name then c.name = name end
  if services then c.services = services end
  c.updated = state.stamp()
  if body.description == util.null then
    c.description = nil
  elseif description then
    c.description = description
  end
  return util.ok(200, "Campaign details successfully updated.", {
    details = util.array({ _M.view(c) }),
  })
end

function _M.delete(req)
  local c = _M.find(req.params[1])
  _M.remove(c)
  return util.ok(200, nil, { camaign = "Campaign Deleted Succesfully" })
end

return _M
