-- v1 reports and OTP: the campaign CSV report, the survey report (CSV or JSON), send
-- OTP (the legacy envelope, as the docs show) and the paginated list of sent OTPs.
local util = require "tingting_emu.util"
local state = require "tingting_emu.state"
local request = require "tingting_emu.request"
local otp = require "tingting_emu.otp"
local reports = require "tingting_emu.reports"
local common = require "tingting_emu.v1.common"
local v1campaigns = require "tingting_emu.v1.campaigns"
local contacts = require "tingting_emu.v1.contacts"

local _M = {}

local present = common.present

local function csv(header, rows, filename)
  local lines = { table.concat(header, ",") }
  for _, row in ipairs(rows) do
    local out = {}
    for i = 1, #header do out[i] = reports.csv_field(row[i]) end
    lines[#lines + 1] = table.concat(out, ",")
  end
  return util.response(200, table.concat(lines, "\r\n") .. "\r\n", {
    ["Content-Type"] = "text/csv; charset=utf-8",
    ["Content-Disposition"] = string.format('attachment; filename="%s"', filename),
  })
end

local ITEM_COLUMNS = { "id", "number", "status", "updated_at", "call_duration", "playback",
  "credit_consumed", "credit_consumed_SMS", "carrier" }

-- The #18 item fields of every contact, then one column per variable (first seen first).
function _M.report(req)
  local c = v1campaigns.find(req.params[1])
  local now = ngx.now()
  local header, vars, seen = {}, {}, {}
  for i, k in ipairs(ITEM_COLUMNS) do header[i] = k end
  for _, id in ipairs(c.numbers) do
    local keys = {}
    for k in pairs(state.numbers[id].tags) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do
      if not seen[k] then
        seen[k] = true
        vars[#vars + 1] = k
        header[#header + 1] = k
      end
    end
  end
  local rows = {}
  for _, id in ipairs(c.numbers) do
    local n = state.numbers[id]
    local item = contacts.item(n, now)
    local row = {}
    for i, k in ipairs(ITEM_COLUMNS) do row[i] = item[k] end
    for _, k in ipairs(vars) do
      local v = n.tags[k]
      if type(v) == "boolean" then v = tostring(v) end
      row[#row + 1] = v
    end
    rows[#rows + 1] = row
  end
  return csv(header, rows, string.format("campaign_%d_report.csv", c.id))
end

-- A survey's answers per contact. The emulator runs no survey steps, so each contact's
-- responses are empty; the shape is the emulator's own (the docs show none).
function _M.survey(req)
  local c = v1campaigns.find(req.params[1])
  local now = ngx.now()
  local format = req.args.format
  if type(format) == "table" then format = format[1] end
  local items = util.array()
  for _, id in ipairs(c.numbers) do
    local item = contacts.item(state.numbers[id], now)
    items[#items + 1] = { contact_id = item.id, number = item.number, status = item.status,
      call_duration = item.call_duration, responses = util.array() }
  end
  if format == "json" then
    return util.json(200, { survey_id = c.id, campaign = c.name, count = #items, results = items })
  end
  local rows = {}
  for i, it in ipairs(items) do rows[i] = { it.contact_id, it.number, it.status, it.call_duration, "" } end
  return csv({ "contact_id", "number", "status", "call_duration", "responses" }, rows,
    string.format("survey_%d_report.csv", c.id))
end

-- OTP -------------------------------------------------------------------------------------

-- Validation and errors as the legacy send_otp (the legacy envelope), plus company_name
-- (required), voice_input (required for voice; an id or a name) and the credit counters.
-- Fields the legacy face does not know are ignored, as DRF does.
function _M.send_otp()
  local body = common.body()
  if body.sms_send_options == nil and body.sms_send_option ~= nil then
    body.sms_send_options = body.sms_send_option
  end
  local number_v = request.required(body, "number")
  if type(number_v) ~= "string" and type(number_v) ~= "number" then
    util.bad("number", "Not a valid string.")
  end
  local number = common.digits(number_v)
  if not number then util.bad("number", "Enter a valid phone number of 7 to 14 digits.") end
  local message = request.string(body, "message", { required = true })
  if not message:find("{otp}", 1, true) then util.bad("message", "The message must contain {otp}.") end
  local via = request.choice(body, "sms_send_options", { "text", "voice" }, { required = true })
  local company = request.string(body, "company_name", { required = true, coerce = true })
  local mode = request.choice(body, "otp_options", { "personnel", "generated" }) or "generated"
  local length = 4
  if present(body.otp_length) then length = request.integer(body, "otp_length", { min = 1, max = 10 }) end
  local code
  if mode == "personnel" then
    if not present(body.otp) then util.bad("otp", "This field is required when otp_options is personnel.") end
    code = otp.otp_digits(body.otp, "otp")
  elseif present(body.otp) then
    util.bad("otp", "Only allowed when otp_options is personnel.")
  end
  local voice
  if via == "voice" then
    if not present(body.voice_input) then
      util.bad("voice_input", "This field is required when sms_send_options is voice.")
    end
    voice = common.VOICES[common.voice(body.voice_input, "voice_input")].voice_internal_name
  end
  local sent = otp.deliver({ number = number, message = message, via = via, mode = mode,
    length = length, code = code, company_name = company, voice_input = voice })
  local remaining = state.credits.available
  local details = { number = number, otp_options = mode, message = sent.message, otp = sent.otp,
    sms_send_options = via, credits_used = otp.COST[via], remaining_sms_credits = remaining,
    remaining_phone_credits = remaining, company_name = company }
  if voice then
    details.voice_input = voice
    details.length_factor = util.raw_number("1.0")
  end
  return util.ok(200, via == "voice" and "OTP Call Initiated Successfully." or "OTP Sent Successfully.",
    { details = details })
end

-- Every OTP sent (either face), newest first; `results` is the docs' odd object.
function _M.list_otps(req)
  local limit, offset = common.page(req.args)
  local all = state.otps
  local data = util.array()
  for i = #all - offset, math.max(1, #all - offset - limit + 1), -1 do
    local o = all[i]
    data[#data + 1] = { id = o.id, phone_number = o.number, message = o.message, otp = o.otp,
      otp_options = o.otp_options, sms_send_options = o.sms_send_options,
      created_at = common.iso(o.time) }
  end
  return util.json(200, common.envelope(req.args, #all, limit, offset, {
    status = 200, success = true, errors = util.array(), data = data,
  }))
end

return _M
