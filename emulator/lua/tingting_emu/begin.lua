-- POST /api/system/campaigns/<id>/begin/: validates a run request and starts the run.
local util = require "tingting_emu.util"
local state = require "tingting_emu.state"
local request = require "tingting_emu.request"
local campaigns = require "tingting_emu.campaigns"
local run = require "tingting_emu.run"

local _M = {}

local VOICES = { "np_rija", "np_prasanna", "np_binod" }
local PRIORITIES = { "audio", "message" }
local AUDIO_TYPES = { mp3 = true, wav = true, ogg = true, m4a = true, aac = true, flac = true }
local NEPAL_OFFSET = 5 * 3600 + 45 * 60

_M.VOICES = VOICES

local function days_from_civil(y, m, d)
  y = (m <= 2) and y - 1 or y
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

-- "YYYY-MM-DDTHH:MM" in Nepal time (UTC+05:45) -> epoch seconds.
function _M.parse_schedule(s)
  if type(s) ~= "string" then return nil end
  local y, mo, d, h, mi, sec = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d)(:?%d*)$")
  if not y then return nil end
  if sec ~= "" and not sec:match("^:%d%d$") then return nil end
  y, mo, d, h, mi = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi)
  sec = tonumber(sec:sub(2)) or 0
  local mdays = { 31, (y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)) and 29 or 28,
    31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
  if mo < 1 or mo > 12 or d < 1 or d > mdays[mo] or h > 23 or mi > 59 or sec > 59 then
    return nil
  end
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - NEPAL_OFFSET
end

-- A list field that multipart sends as repeated parts, a JSON list or "a, b".
local function form_list(v)
  if type(v) ~= "string" then return v end
  local decoded = util.decode(v)
  if type(decoded) == "table" then return decoded end
  return { v }
end

local function statuses(body, multipart)
  local v = body.status
  if multipart then v = form_list(v) end
  local list = request.list({ status = v }, "status", { non_empty = true })
  if not list then return nil end
  local set, valid = {}, {}
  for _, s in ipairs(run.TERMINAL) do valid[s] = true end
  for _, item in ipairs(list) do
    if type(item) ~= "string" then util.bad("status", "Each status must be a string.") end
    -- The docs send ["failed, hungup"]: one string holding several statuses.
    for part in item:gmatch("[^,]+") do
      local s = util.trim(part)
      if not valid[s] then
        util.bad("status", string.format('"%s" is not a valid choice. Valid choices: %s.',
          s, table.concat(run.TERMINAL, ", ")))
      end
      set[s] = true
    end
  end
  return set
end

local function individual(body, c, multipart)
  local v = body.individual
  if multipart then v = form_list(v) end
  local list = request.list({ individual = v }, "individual", { non_empty = true })
  if not list then return nil end
  local set = {}
  for _, item in ipairs(list) do
    local id = request.to_integer(item)
    if not id or (type(item) ~= "number" and not multipart) then
      util.bad("individual", "Each item must be a number id (integer).")
    end
    local n = state.numbers[id]
    if not n or n.campaign_id ~= c.id then
      util.bad("individual", string.format("Number id %d does not belong to campaign %d.", id, c.id))
    end
    set[id] = true
  end
  return set
end

local function length_factor(body)
  local v = body.length_factor
  if not request.present(v) then return nil end
  local n = (type(v) == "number" and v) or (type(v) == "string" and v:match("^%s*%d*%.?%d+%s*$")
    and tonumber(v))
  if not n then util.bad("length_factor", "A valid number is required, e.g. \"1.4\".") end
  if n <= 0 or n > 3 then util.bad("length_factor", "Ensure this value is between 0 and 3.") end
  return type(v) == "string" and util.trim(v) or tostring(v)
end

local function audio_file(files, c)
  local f = files.aud_file
  if not f then return nil end
  if c.services == "SMS" then util.bad("aud_file", "SMS campaigns cannot send audio.") end
  local ext = (f.filename or ""):lower():match("%.(%w+)$")
  if not (ext and AUDIO_TYPES[ext]) and not (f.type or ""):match("^audio/") then
    util.bad("aud_file", "Upload an audio file (.mp3, .wav, .ogg, .m4a).")
  end
  if #f.content == 0 then util.bad("aud_file", "The submitted file is empty.") end
  return { filename = f.filename, size = #f.content, type = f.type, content = f.content }
end

-- Message or audio for this run: a new one, else (re-run) the campaign's last one.
local function content(c, message, audio, priority, rerun)
  if message and audio and not priority then
    util.bad("priority", "Send priority (audio or message) when sending both a message and aud_file.")
  end
  if not message and not audio then
    if not (rerun or priority) then
      util.bad("message", "Send message or aud_file.")
    end
    if not c.message and not c.audio then
      util.bad("message", "The campaign has no previous message or audio; send message or aud_file.")
    end
    if c.message and c.audio and not priority then
      util.bad("priority", "The campaign has both a message and audio set; send priority (audio or message).")
    end
  end
  local use = priority or (audio and "audio") or (message and "message")
    or (c.audio and "audio") or "message"
  if use == "audio" and not (audio or c.audio) then
    util.bad("priority", "The campaign has no audio file; send aud_file or use priority message.")
  end
  if use == "message" and not (message or c.message) then
    util.bad("priority", "The campaign has no message; send message or use priority audio.")
  end
  return use
end

local function check_tags(c, message)
  local usable = {}
  for _, t in ipairs(c.usable_tags) do usable[t] = true end
  for tag in message:gmatch("{(tags_[^{}]*)}") do
    if not usable[tag] then
      util.bad("message", string.format("{%s} is not in the campaign's usable_tags (%s).", tag,
        #c.usable_tags > 0 and table.concat(c.usable_tags, ", ") or "none"))
    end
  end
end

function _M.begin(req)
  local c = campaigns.find(req.params[1])
  local body, files, kind = request.body({ multipart = true })
  local multipart = kind == "multipart"
  request.no_unknown(body, { "message", "aud_file", "voice_input", "schedule_date",
    "length_factor", "individual", "status", "priority" })
  for name in pairs(files) do
    if name ~= "aud_file" then util.bad(name, "Unknown field.") end
  end
  if body.aud_file ~= nil then
    util.bad("aud_file", "The submitted data was not a file. Check the encoding type on the form.")
  end
  local message = request.string(body, "message")
  local audio = audio_file(files, c)
  local voice = request.choice(body, "voice_input", VOICES)
  local schedule
  if request.present(body.schedule_date) then
    schedule = _M.parse_schedule(body.schedule_date)
    if not schedule then
      util.bad("schedule_date", "Use the format YYYY-MM-DDTHH:MM (Nepal time), e.g. 2023-05-09T17:07.")
    end
  end
  local factor = length_factor(body)
  local ids = individual(body, c, multipart)
  local status_set = statuses(body, multipart)
  local priority = request.choice(body, "priority", PRIORITIES)
  if message then check_tags(c, message) end
  local use = content(c, message, audio, priority, status_set ~= nil)
  if run.active(c) then
    util.bad("campaign", "The campaign is already running; wait until its run has finished.")
  end
  local now = ngx.now()
  local targets = {}
  for _, id in ipairs(c.numbers) do
    local n = state.numbers[id]
    if (not ids or ids[id]) and (not status_set or status_set[run.number_state(n, now).status]) then
      targets[#targets + 1] = n
    end
  end
  if #targets == 0 then
    util.bad(status_set and "status" or "individual", "No numbers of the campaign match; nothing to run.")
  end
  local scheduled = schedule and schedule > now
  local r, need = run.start(c, targets, {
    start = scheduled and schedule or now, scheduled = scheduled, message = message or c.message,
    audio = audio or c.audio, voice_input = voice or c.voice_input or "np_rija",
    length_factor = factor,
  })
  if not r then
    util.raise(util.fail(400, string.format(
      "Insufficient credits: the run needs %d credits, %d are available.", need,
      state.credits.available)))
  end
  r.priority = use
  if message then c.message = message end
  if audio then c.audio = audio end
  if voice then c.voice_input = voice end
  return util.ok(200, scheduled and "Campaign is scheduled!!" or "Campaign is running!!", {
    ["hold amount"] = string.format("%d credits on hold for %s campaign.", r.hold, c.name),
  })
end

return _M
