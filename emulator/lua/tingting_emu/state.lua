-- All emulator state lives in this module's tables. nginx runs one worker, so these
-- tables are the single source of truth and every request sees the same state.
local util = require "tingting_emu.util"

local _M = {}

local DEFAULTS = {
  access_ttl = 86400,  -- the docs: the access token expires in 1 day
  refresh_ttl = 86400, -- the docs' sample refresh token lives 1 day too
  latency_ms = 0,
  run_speed = 1,       -- seconds per step of a campaign run; 0 = instant
  seed = 1,
  page_size = 10,
  credits = 10000,
}
_M.DEFAULTS = DEFAULTS

_M.USER = {
  id = 1,
  email = "test@gmail.com",
  password = "test",
  first_name = "Adwait",
  last_name = "Upadhyaya",
  username = "adw8",
  is_verified_email = true,
  contact_number = "9843818700",
  is_verified_phone = true,
  address = "Rose village, balkot, 41",
}

local resets = 0

local function phone(i, number)
  return {
    phone_number = number,
    rate = 40.0 + ((i - 1) % 3) * 5,
    available_capabilities = (i % 4 == 0) and "Voice" or "Voice, SMS",
    phone_number_sid = string.format("%08x%08x%08x%08x",
      util.hash("sid", i, 1), util.hash("sid", i, 2), util.hash("sid", i, 3), util.hash("sid", i, 4)),
    friendly_name = "",
    accept_incoming = util.null,
    configure_with = "",
    call_comes_in = util.null,
    call_url = util.null,
    http_request = util.null,
  }
end

function _M.reset()
  resets = resets + 1
  local config = {}
  for k, v in pairs(DEFAULTS) do config[k] = v end
  _M.config = config
  -- A fresh signing secret per reset, so tokens issued before it stop working.
  _M.secret = string.format("tingting-emulator-%d-%.6f-%d", resets, ngx.now(), math.random(1, 2 ^ 30))
  _M.token_gen = { access = 0, refresh = 0 }
  _M.keys = {}
  _M.rekey("access")
  _M.rekey("refresh")
  _M.api_token = nil     -- the v1 API token in force: {token, created, last_used}
  _M.api_tokens = {}     -- every API token issued: token -> record (deleted ones too)
  _M.credits = { available = config.credits, on_hold = 0, consumed = 0 }
  _M.campaigns = {}      -- id -> campaign
  _M.numbers = {}        -- id -> number
  _M.runs = {}           -- list of runs, oldest first
  _M.next_campaign = 1
  _M.next_number = 1
  _M.next_run = 1
  _M.otps = {}
  _M.voices = {}         -- test voice clips: id -> {message, voice_input}
  _M.demo_calls = {}     -- v1 demo calls, oldest first
  _M.next_audit = 4770   -- v1 create's main_audit
  _M.faults = {}
  _M.next_fault = 1
  _M.requests = {}
  _M.requests_dropped = 0
  -- The first number is owned already, as in the docs' sample; the rest can be bought.
  _M.phones = {}
  for i = 1, 10 do
    local p = phone(i, string.format("98765654%02d", 34 + i))
    p.owned = (i == 1)
    if i == 1 then p.phone_number_sid = "b7142c5ae3b673d944d81c83bda4f5de" end
    _M.phones[#_M.phones + 1] = p
  end
end

-- Tokens of each type are signed with a key of their own, derived from the reset's
-- secret and a generation: the admin API expires every token of a type issued so far
-- by moving to the next generation.
function _M.rekey(token_type)
  _M.keys[token_type] = string.format("%s:%s:%d", _M.secret, token_type, _M.token_gen[token_type])
end

function _M.expire_tokens(token_type)
  _M.token_gen[token_type] = _M.token_gen[token_type] + 1
  _M.rekey(token_type)
end

-- The time of a write: ngx.now() (milliseconds), made strictly increasing so that
-- updated_at orders writes that fall in the same millisecond.
local last_stamp = 0

function _M.stamp()
  local t = ngx.now()
  if t <= last_stamp then t = last_stamp + 0.000001 end
  last_stamp = t
  return t
end

function _M.phone_view(p)
  local v = {}
  for k, val in pairs(p) do
    if k ~= "owned" then v[k] = val end
  end
  return v
end

return _M
