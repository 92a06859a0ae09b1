-- OTP sending and the test-voice endpoint (with its audio clips under /media/).
local util = require "tingting_emu.util"
local state = require "tingting_emu.state"
local request = require "tingting_emu.request"

local _M = {}

local VOICES = { "np_rija", "np_prasanna", "np_binod" }

-- Credits consumed per OTP, by delivery; see emulator/README.md.
_M.COST = { text = 1, voice = 2 }

local function otp_digits(v, field)
  if type(v) == "number" and v == math.floor(v) and v >= 0 then v = string.format("%d", v) end
  if type(v) ~= "string" or not v:match("^%d+$") then
    util.bad(field, "The OTP must be digits only.")
  end
  if #v > 10 then util.bad(field, "Ensure the OTP has no more than 10 digits.") end
  return v
end

function _M.send()
  local body = request.body()
  request.no_unknown(body, { "number", "message", "sms_send_options", "otp_options", "otp",
    "otp_length" })
  local number_v = request.required(body, "number")
  local number = request.phone_digits((type(number_v) == "string" and number_v:gsub("^%+", ""))
    or number_v)
  if type(number_v) ~= "string" and type(number_v) ~= "number" then
    util.bad("number", "Not a valid string.")
  end
  if not number then util.bad("number", "Enter a valid phone number of 7 to 14 digits.") end
  local message = request.string(body, "message", { required = true })
  if not message:find("{otp}", 1, true) then
    util.bad("message", "The message must contain {otp}.")
  end
  local via = request.choice(body, "sms_send_options", { "text", "voice" }, { required = true })
  local mode = request.choice(body, "otp_options", { "personnel", "generated" }) or "generated"
  local length = 4
  if request.present(body.otp_length) then
    length = request.integer(body, "otp_length", { min = 1, max = 10 })
  end
  local code
  if mode == "personnel" then
    if not request.present(body.otp) then
      util.bad("otp", "This field is required when otp_options is personnel.")
    end
    code = otp_digits(body.otp, "otp")
  elseif request.present(body.otp) then
    util.bad("otp", "Only allowed when otp_options is personnel.")
  end
  local sent = _M.deliver({ number = number, message = message, via = via, mode = mode,
    length = length, code = code })
  local details = { number = number, otp_options = mode, message = sent.message, otp = sent.otp,
    sms_send_options = via }
  return util.ok(200, "OTP Sent Successfully.", { details = details })
end

_M.otp_digits = otp_digits

-- Sends a validated OTP (both faces): makes the code when generated, charges the
-- credits (a 400 when too few) and logs it. o: {number, message, via, mode, length,
-- code (personnel), company_name, voice_input}. Returns the logged OTP.
function _M.deliver(o)
  local code = o.code
  if not code then
    local seq = #state.otps + 1
    local digits = {}
    for i = 1, o.length do
      digits[i] = tostring(util.hash(state.config.seed, "otp", seq, i) % 10)
    end
    code = table.concat(digits)
  end
  local cost = _M.COST[o.via]
  if state.credits.available < cost then
    util.raise(util.fail(400, string.format(
      "Insufficient credits: an OTP by %s needs %d credits, %d are available.", o.via, cost,
      state.credits.available)))
  end
  state.credits.available = state.credits.available - cost
  state.credits.consumed = state.credits.consumed + cost
  -- The API reads the code out digit by digit: "1 2 3 4 5".
  local spaced = code:gsub("%d", " %0"):sub(2)
  local text = o.message:gsub("{otp}", function() return spaced end)
  local rec = { id = #state.otps + 1, number = o.number, otp = code, otp_options = o.mode,
    sms_send_options = o.via, message = text, time = ngx.now(),
    company_name = o.company_name, voice_input = o.voice_input }
  state.otps[#state.otps + 1] = rec
  return rec
end

function _M.test_voice()
  local body = request.body()
  request.no_unknown(body, { "message", "voice_input" })
  local message = request.string(body, "message", { required = true })
  local voice = request.choice(body, "voice_input", VOICES) or "np_rija"
  local id = #state.voices + 1
  state.voices[id] = { message = message, voice_input = voice }
  local host = ngx.var.http_host or ("127.0.0.1:" .. ngx.var.server_port)
  return util.ok(200, "Test voice generated.", {
    audio_url = string.format("%s://%s/media/test_voice/%d.mp3", ngx.var.scheme, host, id),
    voice_input = voice, message = message,
  })
end

-- A short MPEG-1 Layer III stream: an ID3v2 tag and silent 128 kbit/s frames.
local function silent_mp3(frames)
  local id3 = "ID3\3\0\0\0\0\0\0"
  local header = "\255\251\144\100"
  local frame = header .. string.rep("\0", 417 - #header)
  return id3 .. string.rep(frame, frames)
end

function _M.media(req)
  local clip = state.voices[tonumber(req.params[1])]
  if not clip then util.not_found("Not found.") end
  return util.response(200, silent_mp3(8), { ["Content-Type"] = "audio/mpeg" })
end

return _M
