-- v1 campaigns: list (filters, limit/offset), create, details, update, delete, message
-- and voice, run (now or at the schedule, worded in Bikram Sambat) and test speak. The
-- campaigns are the legacy face's: one state, two views.
local util = require "tingting_emu.util"
local state = require "tingting_emu.state"
local request = require "tingting_emu.request"
local legacy = require "tingting_emu.campaigns"
local run = require "tingting_emu.run"
local bsdate = require "tingting_emu.bsdate"
local common = require "tingting_emu.v1.common"

local _M = {}

local present = common.present

-- "PHONE & SMS" (the docs' prose) is stored as "SMS & PHONE"; SURVEY is the Py client's.
local SERVICES = { PHONE = "PHONE", SMS = "SMS", ["SMS & PHONE"] = "SMS & PHONE",
  ["PHONE & SMS"] = "SMS & PHONE", SURVEY = "SURVEY" }
local SERVICE_NAMES = "PHONE, SMS, SMS & PHONE, SURVEY"
local STATUSES = { "Not Started", "Scheduled", "Running", "Completed", "Terminated" }
local CATEGORIES = { text = "Text", audio = "Audio" }
local FAILOVER = { "not started", "hungup", "unanswered", "failed", "completed", "terminated" }

local function has_sms(services) return services == "SMS" or services == "SMS & PHONE" end
local function has_call(services) return services ~= "SMS" end

function _M.find(id)
  local c = state.campaigns[tonumber(id)]
  if not c then common.not_found() end
  return c
end

local function base_url()
  local host = ngx.var.http_host or ("127.0.0.1:" .. ngx.var.server_port)
  return ngx.var.scheme .. "://" .. host
end

local function file_url(c, kind, file)
  if not file then return util.null end
  return string.format("%s/media/campaign/%d/%s/%s", base_url(), c.id, kind,
    ngx.escape_uri(file.filename or "file"))
end

local function voice_id(c)
  return c.voice or common.voice_of_name(c.voice_input)
end

local function category(c)
  return c.category or (c.audio and not c.message and "Audio") or (c.message and "Text") or ""
end

-- The campaign as v1 shows it. kind: "list" (voice as an object), "details",
-- "create" (main_audit, no campaign_action_count), "update" (no bulk_file).
function _M.view(c, kind, now)
  local status, progress = run.campaign_status(c, now)
  local user_phone, failover = util.array(), util.array()
  for i, p in ipairs(c.user_phone or {}) do user_phone[i] = p end
  for i, s in ipairs(c.failover_target or {}) do failover[i] = s end
  local vid = voice_id(c)
  local v = {
    id = c.id, name = c.name, services = c.services, status = status,
    sms_message = c.sms_message or "", message = c.message or "",
    description = c.description or "",
    schedule = c.schedule and common.iso_seconds(c.schedule) or util.null,
    audio_file = file_url(c, "audio", c.audio), bulk_file = file_url(c, "bulk", c.bulk_file),
    category = category(c), user_phone = user_phone, campaign_action_count = #c.numbers,
    progress_percent = progress, updated_at = common.iso(c.updated or c.created),
    credit_limit = c.credit_limit or util.null, voice = vid or util.null,
    draft = c.draft or false, failover_target = failover,
    length_factor = string.format("%.2f", c.length_factor or 1),
  }
  if kind == "list" then
    v.voice = vid and common.voice_view(vid) or util.null
  elseif kind == "create" then
    v.campaign_action_count = nil
    v.main_audit = tostring(c.main_audit or c.id)
  elseif kind == "update" then
    v.bulk_file = nil
  end
  return v
end

-- List ----------------------------------------------------------------------------------

local function arg(args, name)
  local v = args[name]
  if type(v) == "table" then v = v[1] end
  if v == true then v = "" end
  return v
end

function _M.list(req)
  local args = req.args
  local limit, offset = common.page(args)
  local status = arg(args, "status")
  if status == "" then status = nil end
  if status then
    local known = false
    for _, s in ipairs(STATUSES) do known = known or s == status end
    if not known then
      util.bad("status", string.format("Select a valid choice. %s is not one of the available "
        .. "choices (%s).", status, table.concat(STATUSES, ", ")))
    end
  end
  local search = arg(args, "search")
  search = (search and search ~= "") and search:lower() or nil
  local draft = common.bool(arg(args, "draft"), "draft") or false
  local sort_by = arg(args, "sort_by")
  if sort_by == "" then sort_by = nil end
  if sort_by and sort_by ~= "asc" and sort_by ~= "des" and sort_by ~= "desc" then
    util.bad("sort_by", string.format('"%s" is not a valid choice. Valid choices: asc, des (or desc).',
      sort_by))
  end
  local from = common.int(arg(args, "from_date") ~= "" and arg(args, "from_date") or nil, "from_date")
  local to = common.int(arg(args, "to_date") ~= "" and arg(args, "to_date") or nil, "to_date")
  local to_end = to and common.next_nepal_day(to)
  local now = ngx.now()
  local rows = {}
  for _, c in pairs(state.campaigns) do
    local updated = c.updated or c.created
    if (c.draft or false) == draft
      and (not status or run.campaign_status(c, now) == status)
      and (not search or c.name:lower():find(search, 1, true))
      and (not from or updated >= from) and (not to_end or updated < to_end) then
      rows[#rows + 1] = { c = c, t = updated }
    end
  end
  local asc = sort_by == "asc"
  table.sort(rows, function(a, b)
    if a.t ~= b.t then
      if asc then return a.t < b.t end
      return a.t > b.t
    end
    if asc then return a.c.id < b.c.id end
    return a.c.id > b.c.id
  end)
  local results = util.array()
  for i = offset + 1, math.min(offset + limit, #rows) do
    results[#results + 1] = _M.view(rows[i].c, "list", now)
  end
  return util.json(200, common.envelope(args, #rows, limit, offset, results))
end

-- Fields --------------------------------------------------------------------------------

local function services_field(body, required)
  local v = required and request.required(body, "services") or body.services
  if not present(v) then return nil end
  local s = type(v) == "string" and SERVICES[util.trim(v):upper()]
  if not s then
    util.bad("services", string.format('"%s" is not a valid choice. Valid choices: %s.',
      type(v) == "string" and v or util.encode(v), SERVICE_NAMES))
  end
  return s
end

local function text(body, field)
  local v = body[field]
  if v == util.null then return "" end
  return request.string(body, field, { allow_blank = true })
end

local function user_phone_field(body)
  local list = common.list(body.user_phone, "user_phone")
  if not list then return nil end
  local owned = {}
  for _, p in ipairs(common.senders()) do owned[p.id] = true end
  local out = {}
  for i, item in ipairs(list) do
    local id = request.to_integer(item)
    if not id then util.bad("user_phone", string.format("Item %d: Incorrect type. Expected pk value.", i)) end
    if not owned[id] then
      util.bad("user_phone", string.format('Invalid pk "%d" - object does not exist.', id))
    end
    out[#out + 1] = id
  end
  return out
end

local function failover_field(body)
  local list = common.list(body.failover_target, "failover_target")
  if not list then return nil end
  local valid, out = {}, {}
  for _, s in ipairs(FAILOVER) do valid[s] = true end
  for _, item in ipairs(list) do
    local s = type(item) == "string" and util.trim(item):lower()
    if not (s and valid[s]) then
      util.bad("failover_target", string.format('"%s" is not a valid choice. Valid choices: %s.',
        tostring(item), table.concat(FAILOVER, ", ")))
    end
    out[#out + 1] = s
  end
  return out
end

local function category_field(body)
  local v = body.category
  if not present(v) or v == "" then return nil end
  local c = type(v) == "string" and CATEGORIES[util.trim(v):lower()]
  if not c then util.bad("category", string.format('"%s" is not a valid choice. Valid choices: Text, Audio.',
    tostring(v))) end
  return c
end

local function audio_part(files)
  local f = files.audio_file
  if not f then return nil end
  if #f.content == 0 then util.bad("audio_file", "The submitted file is empty.") end
  return { filename = f.filename, size = #f.content, type = f.type, content = f.content }
end

-- Applies the optional fields every write shares; `fields` lists the ones this
-- endpoint takes.
local function apply(c, body, files, fields)
  if fields.name then
    local name = request.string(body, "name", { max = 255 })
    if name then c.name = name end
  end
  if fields.services then c.services = services_field(body) or c.services end
  for _, f in ipairs({ "message", "sms_message", "description" }) do
    if fields[f] then
      local v = text(body, f)
      if v then c[f] = v end
    end
  end
  if fields.schedule then
    local t = common.schedule(body)
    if t == false then c.schedule = nil elseif t then c.schedule = math.floor(t) end
  end
  if fields.user_phone then c.user_phone = user_phone_field(body) or c.user_phone end
  if fields.voice then c.voice = common.voice(body.voice, "voice") or c.voice end
  if fields.credit_limit then
    if body.credit_limit == util.null or body.credit_limit == "" then c.credit_limit = nil
    else c.credit_limit = common.int(body.credit_limit, "credit_limit", { min = 0 }) or c.credit_limit end
  end
  if fields.draft then
    local d = common.bool(body.draft, "draft")
    if d ~= nil then c.draft = d end
  end
  if fields.failover_target then c.failover_target = failover_field(body) or c.failover_target end
  if fields.category then c.category = category_field(body) or c.category end
  if fields.length_factor then c.length_factor = common.length_factor(body.length_factor) or c.length_factor end
  if fields.audio_file then c.audio = audio_part(files or {}) or c.audio end
  c.updated = state.stamp()
end

local ALL = { name = true, services = true, message = true, sms_message = true, description = true,
  schedule = true, user_phone = true, voice = true, credit_limit = true, draft = true,
  failover_target = true, category = true, length_factor = true }

-- Create, details, update, delete ----------------------------------------------------------

function _M.create()
  local body = common.body()
  local name = request.string(body, "name", { required = true, max = 255 })
  local services = services_field(body, true)
  if has_sms(services) and not (type(body.sms_message) == "string" and util.trim(body.sms_message) ~= "") then
    util.bad("sms_message", "This field is required when services include SMS.")
  end
  local c = { name = name, services = services, usable_tags = {}, numbers = {},
    created = state.stamp(), main_audit = state.next_audit }
  apply(c, body, nil, ALL)
  c.category = c.category or ""
  c.id = state.next_campaign
  state.next_campaign = state.next_campaign + 1
  state.next_audit = state.next_audit + 1
  state.campaigns[c.id] = c
  return util.json(201, _M.view(c, "create"))
end

function _M.details(req)
  return util.json(200, _M.view(_M.find(req.params[1]), "details"))
end

function _M.update(req)
  local c = _M.find(req.params[1])
  local body = common.body()
  apply(c, body, nil, ALL)
  return util.json(200, _M.view(c, "update"))
end

function _M.delete(req)
  legacy.remove(_M.find(req.params[1]))
  return util.response(204, "")
end

function _M.set_message(req)
  local c = _M.find(req.params[1])
  local body, files = common.body()
  apply(c, body, files, { voice = true, category = true, length_factor = true, message = true,
    sms_message = true, draft = true, audio_file = true })
  return util.json(200, {
    voice = voice_id(c) or util.null, sms_message = c.sms_message or "", message = c.message or "",
    category = category(c), draft = c.draft or false,
    length_factor = string.format("%.2f", c.length_factor or 1),
  })
end

-- Run ------------------------------------------------------------------------------------

local function check_content(c)
  if has_call(c.services) then
    if category(c) == "Audio" then
      if not c.audio then util.bad("audio_file", "The campaign's category is Audio but it has no audio.") end
    elseif (c.message or "") == "" and not c.audio then
      util.bad("message", "Set the campaign's message (or its audio) before running it.")
    end
  end
  if has_sms(c.services) and (c.sms_message or "") == "" then
    util.bad("sms_message", "Set the campaign's sms_message before running it.")
  end
end

function _M.run(req)
  local c = _M.find(req.params[1])
  if run.active(c) then common.refuse("The campaign is already running; wait until its run has finished.") end
  if #c.numbers == 0 then common.refuse("The campaign has no contacts; add some before running it.") end
  check_content(c)
  local now = ngx.now()
  local targets = {}
  for i, id in ipairs(c.numbers) do targets[i] = state.numbers[id] end
  local need = run.hold_for(c, #targets)
  if c.credit_limit and need > c.credit_limit then
    common.refuse(string.format("The run needs %d credits, more than the campaign's credit_limit of %d.",
      need, c.credit_limit))
  end
  local scheduled = c.schedule ~= nil and c.schedule > now
  local vid = voice_id(c) or 1
  local r = run.start(c, targets, {
    start = scheduled and c.schedule or now, scheduled = scheduled, message = c.message,
    audio = c.audio, voice_input = common.VOICES[vid].voice_internal_name,
    length_factor = string.format("%.2f", c.length_factor or 1),
  })
  if not r then
    common.refuse(string.format("Insufficient credits: the run needs %d credits, %d are available.",
      need, state.credits.available))
  end
  c.updated = state.stamp()
  if not scheduled then return util.json(200, { message = "Campaign Began Successfully!!" }) end
  local date, time = bsdate.format_epoch(c.schedule)
  if not date then
    -- Outside the BS table (2000-2099 BS): the AD date, marked as such.
    local y, m, d, hh, mm, ss = bsdate.nepal_fields(c.schedule)
    date = string.format("%04d-%02d-%02d AD", y, m, d)
    time = string.format("%02d:%02d:%02d", hh, mm, ss)
  end
  return util.json(200, { message = string.format("Campaign Scheduled successfully for %s at %s",
    date, time) })
end

-- Test speak: the clip is kept with the legacy test voices and served under /media/.
function _M.test_speak(req)
  _M.find(req.params[1])
  local body = common.body()
  local message = request.string(body, "message", { required = true })
  local vid = common.voice(body.voice_input, "voice_input") or 1
  local id = #state.voices + 1
  state.voices[id] = { message = message, voice_input = common.VOICES[vid].voice_internal_name }
  return util.json(200, string.format("%s/media/test_voice/%d.mp3", base_url(), id))
end

-- Uploaded files (GET /media/campaign/<id>/audio|bulk/<name>), no auth, as the legacy
-- test voice clips.
function _M.media(req)
  local c = state.campaigns[tonumber(req.params[1])]
  local file = c and ((req.params[2] == "audio" and c.audio) or (req.params[2] == "bulk" and c.bulk_file))
  if not file or not file.content then util.not_found("Not found.") end
  return util.response(200, file.content, { ["Content-Type"] = file.type or "application/octet-stream" })
end

return _M
