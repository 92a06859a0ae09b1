-- v1 contacts: add one or several, bulk upload (.xlsx / .csv), the paginated list with
-- carriers, attributes, number edit, delete and the demo call. Contacts are the legacy
-- face's campaign numbers; their variables are its available_tags.
local util = require "tingting_emu.util"
local state = require "tingting_emu.state"
local request = require "tingting_emu.request"
local legacy = require "tingting_emu.campaigns"
local run = require "tingting_emu.run"
local sheet = require "tingting_emu.sheet"
local xlsx = require "tingting_emu.xlsx"
local common = require "tingting_emu.v1.common"
local v1campaigns = require "tingting_emu.v1.campaigns"

local _M = {}

local present = common.present

-- Run states the v1 contact statuses name otherwise.
local STATUS = { ["in progress"] = "ringing", scheduled = "not started" }

local function find(id)
  local n = state.numbers[tonumber(id)]
  if not n then common.not_found() end
  return n
end

local function uuid(n)
  local a, b, c = util.hash("uuid", n.id, 1), util.hash("uuid", n.id, 2), util.hash("uuid", n.id, 3)
  return string.format("%08x-%04x-4%03x-%04x-%04x%08x", a, b % 65536, math.floor(b / 65536) % 4096,
    0x8000 + c % 0x4000, math.floor(c / 65536), util.hash("uuid", n.id, 4))
end

local function copy(t)
  local out = {}
  for k, v in pairs(t or {}) do out[k] = v end
  return out
end

local function state_of(n, now)
  local s = run.number_state(n, now)
  local sms = s.credit_sms or 0
  local duration = type(s.duration) == "number" and s.duration or nil
  local playback = ""
  if duration and duration > 0 and type(s.playback) == "number" then
    playback = string.format("%d", math.floor(100 * s.playback / duration + 0.5))
  end
  return { status = STATUS[s.status] or s.status, duration = duration, playback = playback,
    phone = s.credit_consumed - sms, sms = sms, failover_sms = s.failover_sms or false,
    total = s.credit_consumed }
end

-- A contact list item (#18, and #21's answer).
function _M.item(n, now)
  local s = state_of(n, now)
  return {
    id = n.id, number = n.digits, status = s.status,
    updated_at = common.iso(n.updated or n.created or 0),
    call_duration = string.format("%ds", s.duration or 0), playback = s.playback,
    credit_consumed = s.phone, credit_consumed_SMS = s.sms, carrier = common.carrier(n.digits),
  }
end

-- A contact as add-contact answers it (#13).
function _M.full(n, now)
  local s = state_of(n, now)
  return {
    id = n.id, updated_at = common.display(n.updated or n.created or 0),
    created_at = common.iso(n.created or 0), deleted_at = util.null, number = n.digits,
    status = s.status, other_variables = copy(n.tags), credit_consumed = s.phone,
    credit_consumed_SMS = s.sms, duration = s.duration and string.format("%ds", s.duration) or "",
    playback = s.playback, uuid = uuid(n), failover_sms_sent = s.failover_sms,
    campaing = n.campaign_id,
  }
end

-- Variables: an object of scalars (a JSON string of one in a form).
local function variables(v, field)
  if not present(v) then return {} end
  if type(v) == "string" then
    local decoded = util.decode(v)
    if type(decoded) == "table" then v = decoded end
  end
  if type(v) ~= "table" or (next(v) ~= nil and not util.is_object(v)) then
    return nil, { [field] = util.array({ string.format('Expected a dictionary of items but got type "%s".',
      util.json_type(v)) }) }
  end
  local out = {}
  for k, x in pairs(v) do
    local t = type(x)
    if t ~= "string" and t ~= "number" and t ~= "boolean" then
      return nil, { [field] = util.array({ string.format('"%s": a value must be a string, a number or a boolean.',
        tostring(k)) }) }
    end
    out[tostring(k)] = x
  end
  return out
end

local INVALID = "Enter a valid phone number of 7 to 14 digits."

-- One contact of an add-contact body: digits, variables or nil, errors.
local function contact_fields(item)
  if not util.is_object(item) then
    return nil, nil, { non_field_errors = util.array({ "Each contact must be an object." }) }
  end
  if not present(item.number) then return nil, nil, { number = util.array({ "This field is required." }) } end
  local v = item.number
  local digits = (type(v) == "number" or type(v) == "string") and common.digits(v)
  if not digits then return nil, nil, { number = util.array({ INVALID }) } end
  local vars, err = variables(item.other_variables, "other_variables")
  if not vars then return nil, nil, err end
  return digits, vars
end

function _M.add(req)
  local c = v1campaigns.find(req.params[1])
  local body = common.body()
  local index = legacy.index(c)
  local now = state.stamp()
  if body.contacts == nil then
    local digits, vars, err = contact_fields(body)
    if not digits then util.raise(util.json(400, err)) end
    if index[digits] then util.bad("number", "This number is already a contact of the campaign.") end
    local n = legacy.new_number(c, digits, vars)
    n.updated = now
    c.updated = now
    return util.json(201, { message = "New Contact added" })
  end
  local list = common.list(body.contacts, "contacts")
  if #list == 0 then util.bad("contacts", "This list may not be empty.") end
  local created, skipped, errors = util.array(), 0, util.array()
  for i, item in ipairs(list) do
    local digits, vars, err = contact_fields(item)
    if not digits then
      errors[#errors + 1] = { index = i - 1,
        number = util.is_object(item) and item.number or util.null, errors = err }
    elseif index[digits] then
      skipped = skipped + 1
    else
      local n = legacy.new_number(c, digits, vars)
      n.updated = now
      created[#created + 1] = _M.full(n, now)
    end
  end
  if #created > 0 then c.updated = now end
  return util.json(#created > 0 and 201 or 200, { created = #created, skipped = skipped,
    contacts = created, errors = #errors > 0 and errors or util.null })
end

-- Bulk upload ----------------------------------------------------------------------------

local function read_rows(file)
  local name = (file.filename or ""):lower()
  local rows, err
  if name:match("%.xlsx$") or file.content:sub(1, 4) == "PK\3\4" then
    rows, err = xlsx.read(file.content)
    if not rows then util.bad("bulk_file", "Could not read the .xlsx file: " .. err .. ".") end
  elseif name:match("%.csv$") or (file.type or ""):match("csv") or (file.type or ""):match("^text/") then
    rows, err = sheet.read_csv(file.content)
    if not rows then util.bad("bulk_file", "Could not read the .csv file: " .. err .. ".") end
  else
    util.bad("bulk_file", "Unsupported file type; upload an .xlsx or .csv file.")
  end
  return rows
end

local function blank(cells)
  for _, v in ipairs(cells) do
    if v ~= "" then return false end
  end
  return true
end

local function cell_text(v)
  if type(v) == "number" and v == math.floor(v) and math.abs(v) < 1e15 then
    return string.format("%d", v)
  end
  return tostring(v == nil and "" or v)
end

function _M.bulk(req)
  local c = v1campaigns.find(req.params[1])
  local body, files = common.body()
  local file = files.bulk_file
  if not file then
    if present(body.bulk_file) then
      util.bad("bulk_file", "The submitted data was not a file. Check the encoding type on the form.")
    end
    util.bad("bulk_file", "No file was submitted.")
  end
  if #file.content == 0 then util.bad("bulk_file", "The submitted file is empty.") end
  local rows = read_rows(file)
  local first = 1
  while rows[first] and blank(rows[first].cells) do first = first + 1 end
  local header = rows[first]
  if not header then util.bad("bulk_file", "The file has no header row.") end
  local columns, number_col = {}, nil
  for col, v in ipairs(header.cells) do
    local title = util.trim(cell_text(v))
    if title ~= "" then
      columns[#columns + 1] = { col = col, name = title }
      local low = title:lower()
      if not number_col and (low == "numbers" or low == "number") then number_col = col end
    end
  end
  number_col = number_col or (columns[1] and columns[1].col) or 1
  local index = legacy.index(c)
  local now = state.stamp()
  local errors, samples, valid = util.array(), {}, 0
  for _, col in ipairs(columns) do samples[col.col] = util.array() end
  for i = first + 1, #rows do
    local row = rows[i]
    if not blank(row.cells) then
      local raw = cell_text(row.cells[number_col])
      local digits = common.digits(raw)
      if not digits then
        errors[#errors + 1] = { row = row.row, number = raw, error = INVALID }
      elseif index[digits] then
        errors[#errors + 1] = { row = row.row, number = raw,
          error = "Duplicate: the number is already a contact of the campaign." }
      else
        local vars = {}
        for _, col in ipairs(columns) do
          if col.col ~= number_col then
            local v = row.cells[col.col]
            vars[col.name] = (v == nil) and "" or v
          end
        end
        local n = legacy.new_number(c, digits, vars)
        n.updated = now
        valid = valid + 1
        for _, col in ipairs(columns) do
          local list = samples[col.col]
          if #list < 3 then
            list[#list + 1] = (col.col == number_col) and digits or vars[col.name]
          end
        end
      end
    end
  end
  local sample_list = util.array()
  for _, col in ipairs(columns) do
    sample_list[#sample_list + 1] = { column = col.name, sample = samples[col.col] }
  end
  c.bulk_file = { filename = file.filename, type = file.type, content = file.content }
  c.updated = now
  return util.json(200, { error_list = errors, samples = sample_list, total_validated_rows = valid })
end

-- Contact list --------------------------------------------------------------------------

local function arg(args, name)
  local v = args[name]
  if type(v) == "table" then v = v[1] end
  if v == true or v == "" then return nil end
  return v
end

function _M.list(req)
  local c = v1campaigns.find(req.params[1])
  local args = req.args
  local limit, offset = common.page(args)
  local status, search, carrier = arg(args, "status"), arg(args, "search"), arg(args, "carrier")
  status = status and status:lower()
  local now = ngx.now()
  local rows, summary, credits = {}, {}, 0
  for _, id in ipairs(c.numbers) do
    local n = state.numbers[id]
    local item = _M.item(n, now)
    credits = credits + item.credit_consumed + item.credit_consumed_SMS
    summary[item.carrier] = (summary[item.carrier] or 0) + 1
    if (not status or item.status == status) and (not search or n.digits:find(search, 1, true))
      and (not carrier or item.carrier:lower() == carrier:lower()) then
      rows[#rows + 1] = item
    end
  end
  local results = util.array()
  for i = offset + 1, math.min(offset + limit, #rows) do results[#results + 1] = rows[i] end
  local answer = common.envelope(args, #rows, limit, offset, results)
  answer.total_credits_consumed = credits
  answer.carrier_summary = summary
  return util.json(200, answer)
end

-- One contact ------------------------------------------------------------------------------

-- GET: the variables; PATCH (PUT, POST): merged with the body's, a null removing a key.
function _M.attributes(req)
  local n = find(req.params[1])
  if req.method == "GET" or req.method == "HEAD" then return util.json(200, copy(n.tags)) end
  local body = common.body()
  local merged = copy(n.tags)
  for k, v in pairs(body) do
    local t = type(v)
    if v == util.null then
      merged[k] = nil
    elseif t == "string" or t == "number" or t == "boolean" then
      merged[k] = v
    else
      util.bad(k, "A value must be a string, a number, a boolean or null.")
    end
  end
  n.tags = merged
  n.updated = state.stamp()
  return util.json(200, copy(merged))
end

function _M.edit_number(req)
  local n = find(req.params[1])
  local c = state.campaigns[n.campaign_id]
  local body = common.body()
  local v = request.required(body, "number")
  local digits = (type(v) == "number" or type(v) == "string") and common.digits(v)
  if not digits then util.bad("number", INVALID) end
  if digits ~= n.digits then
    local index = legacy.index(c)
    if index[digits] then util.bad("number", "This number is already a contact of the campaign.") end
    legacy.index_remove(c, n.digits)
    index[digits] = (index[digits] or 0) + 1
    n.digits = digits
  end
  n.updated = state.stamp()
  return util.json(200, _M.item(n))
end

function _M.delete(req)
  local n = find(req.params[1])
  legacy.remove_number(state.campaigns[n.campaign_id], n)
  return util.json(200, { message = "Successfully Deleted." })
end

-- {name} and {tags_name} both take the variable name (or tags_name).
function _M.render(message, vars)
  return (message:gsub("{([^{}]+)}", function(key)
    local v = vars[key]
    if v == nil and key:sub(1, 5) == "tags_" then v = vars[key:sub(6)] end
    if v == nil then v = vars["tags_" .. key] end
    if v == nil then return nil end
    if type(v) == "number" and v == math.floor(v) then return string.format("%d", v) end
    return tostring(v)
  end))
end

-- A demo call: one call of the campaign's message to one contact, charged as a call.
function _M.demo_call(req)
  local n = find(req.params[1])
  local c = state.campaigns[n.campaign_id]
  if (c.message or "") == "" and not c.audio then
    common.refuse("Set the campaign's message (or its audio) before a demo call.")
  end
  local cost = run.HOLD.PHONE
  if state.credits.available < cost then
    common.refuse(string.format("Insufficient credits: a demo call needs %d credits, %d are available.",
      cost, state.credits.available))
  end
  state.credits.available = state.credits.available - cost
  state.credits.consumed = state.credits.consumed + cost
  local text = (c.message or "") ~= "" and _M.render(c.message, n.tags) or util.null
  state.demo_calls[#state.demo_calls + 1] = { contact = n.id, campaign = c.id, number = n.digits,
    message = text, time = ngx.now() }
  return util.json(200, { message = "Demo Call Initiated Successfully", number = n.digits,
    rendered_message = text, credits_used = cost })
end

return _M
