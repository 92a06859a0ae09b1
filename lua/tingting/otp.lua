--- One-time codes: send a code by SMS or voice through the TingTing API and
-- verify what the user types back. For OpenResty (with
-- `tingting.store.shared_dict`, shared by all workers) or plain Lua (with
-- `tingting.store.memory()`).
--
--    local otp = require "tingting.otp"
--    local flow = assert(otp.new { session = s, store = store,
--      message = "Your code is {otp}" })
--    local info, why, detail = flow:send("9851023212")
--    local ok, why, detail = flow:verify("9851023212", "482913")
--
-- The code is made here from the kernel's CSPRNG and sent as the API's
-- `personnel` OTP, so it is known before anything is sent: an answer lost
-- on the way back still leaves a code the user can type. Only an HMAC of it
-- is stored (never the code), with its expiry and an attempt counter;
-- verification compares in constant time, counts attempts, locks the code
-- after `max_attempts` and deletes it on success (one use).
--
-- Numbers go by their canonical form (`tingting.numbers.canonical`: no
-- +977, 00977, 977 or leading 0), so every way of writing one handset's
-- number shares one budget, one attempt count and one code.
--
-- A store that offers `otp_begin_send`, `otp_cancel_send` and `otp_verify`
-- (`tingting.store.redis`) runs each send and each verify as one atomic step
-- on the store, for every host sharing it; when it cannot be reached, send
-- and verify fail closed with the reason "unavailable" (nothing is sent,
-- nothing verifies). `memory()` and `shared_dict()` keep their state with
-- their own get/add/incr steps.
-- @module tingting.otp
local core = require "tingting.core"
local numbers = require "tingting.numbers"
local clock = require "tingting.clock"
local errors = require "tingting.errors"

local M = {}

local now = clock.now

local DEFAULTS = {
  ttl = 300, length = 6, max_attempts = 5, resend_after = 60, max_sends = 5,
  send_window = 3600, via = "text", message = "Your verification code is {otp}",
  prefix = "otp:",
}

-- option -> {lo, hi} for the integer options
local RANGES = {
  ttl = { 1, 86400 }, length = { 4, 10 }, max_attempts = { 1, 100 }, resend_after = { 0, 86400 },
  max_sends = { 1, 1000 }, send_window = { 1, 7 * 86400 },
}
local VIA = { text = true, voice = true }

local function verror(field, message) return errors.invalid("otp", field, message) end

local Flow = {}
Flow.__index = Flow

local function kv_store(store)
  for _, m in ipairs { "get", "set", "add", "incr", "ttl", "delete" } do
    if type(store[m]) ~= "function" then return false end
  end
  return true
end

--- A new OTP flow.
-- opts: `session` (required), `store` (a key-value store; default
-- `tingting.store.memory()`), `ttl` (300 s), `length` (6 digits, 4..10),
-- `max_attempts` (5), `resend_after` (60 s), `max_sends` (5 codes per number
-- per `send_window`, 3600 s), `via` ("text"|"voice"), `message` (must hold
-- `{otp}`), `secret` (the HMAC key; default: a random key kept in the store,
-- so every worker sharing the store shares it), `prefix` ("otp:"); on a v1
-- session `company_name` (required) and `voice_input` (for voice; np_rija).
-- @treturn table|nil the flow
-- @treturn tingting.error a validation error naming the option
function M.new(opts)
  if type(opts) ~= "table" then return verror("options", "expected a table") end
  local accepted = { session = true, store = true, secret = true, company_name = true, voice_input = true }
  for k in pairs(DEFAULTS) do accepted[k] = true end
  local known, kerr = errors.check_keys("otp", opts, accepted)
  if not known then return nil, kerr end
  local s = opts.session
  if type(s) ~= "userdata" or getmetatable(s) ~= debug.getregistry()["tingting.session"] then
    return verror("session", "expected a tingting.session")
  end
  local self = setmetatable({ session = s }, Flow)
  for k, v in pairs(DEFAULTS) do self[k] = opts[k] == nil and v or opts[k] end
  for k, r in pairs(RANGES) do
    local v = self[k]
    if type(v) ~= "number" or v ~= math.floor(v) or v < r[1] or v > r[2] then
      return verror(k, ("expected an integer from %d to %d"):format(r[1], r[2]))
    end
  end
  if not VIA[self.via] then return verror("via", "expected one of text|voice (got " .. tostring(self.via) .. ")") end
  -- v1 (auths/send/otp/) names the sender's company in every OTP, and a
  -- voice OTP its voice; the legacy API takes neither
  if s.api == "v1" then
    if type(opts.company_name) ~= "string" or not opts.company_name:find("%S") then
      return verror("company_name", "is required on a v1 session (the company named in the OTP)")
    end
    if opts.voice_input ~= nil and type(opts.voice_input) ~= "string" and type(opts.voice_input) ~= "number" then
      return verror("voice_input", "expected a voice name such as np_rija, or a voice id")
    end
    self.company_name = opts.company_name
    if self.via == "voice" then self.voice_input = opts.voice_input or "np_rija" end
  else
    for _, k in ipairs { "company_name", "voice_input" } do
      if opts[k] ~= nil then return verror(k, "is a v1 option: the legacy API's send OTP has no " .. k) end
    end
  end
  if type(self.message) ~= "string" or not self.message:find("{otp}", 1, true) then
    return verror("message", "expected a string that contains {otp}")
  end
  if type(self.prefix) ~= "string" then return verror("prefix", "expected a string") end
  local store = opts.store
  if store == nil then
    store = require("tingting.store").memory()
  elseif type(store) ~= "table" or not kv_store(store) then
    return verror("store",
      "expected a key-value store such as tingting.store.shared_dict(dict) or tingting.store.memory()")
  end
  self.store = store
  local secret = opts.secret
  if secret ~= nil then
    if type(secret) ~= "string" or #secret < 16 then
      return verror("secret", "expected a string of at least 16 bytes")
    end
  else
    -- one key for everyone sharing the store: the first to get here makes it
    local bytes, err = core.random_bytes(32)
    if not bytes then return verror("secret", "cannot make a random key: " .. tostring(err)) end
    self.secret_key = self.prefix .. "secret"
    store:add(self.secret_key, core.hex(bytes))
    secret = store:get(self.secret_key) or core.hex(bytes)
  end
  self.secret = secret
  return self
end

-- The HMAC key. One kept in the store is read on every use: that keeps it
-- recently used (a full shared dict evicts the least recently used entries),
-- and should it be gone all the same, ours goes back, so that the flows
-- sharing the store keep one key.
-- A store that can fail (Redis) says so with nil, err: then no key, and the
-- flow fails closed rather than hash with a key no other host knows.
local function secret(self)
  if not self.secret_key then return self.secret end
  local v, err = self.store:get(self.secret_key)
  if v then
    self.secret = v
    return v
  end
  if err ~= nil then return nil, err end
  local _, aerr = self.store:add(self.secret_key, self.secret)
  if aerr ~= nil and aerr ~= "exists" then return nil, aerr end
  v, err = self.store:get(self.secret_key)
  if err ~= nil then return nil, err end
  self.secret = v or self.secret
  return self.secret
end

local function random_code(length)
  local digits = {}
  while #digits < length do
    local bytes, err = core.random_bytes(length * 2)
    if not bytes then return nil, err end
    for i = 1, #bytes do
      local b = bytes:byte(i)
      -- 250 = 25 * 10: below it every digit is equally likely
      if b < 250 and #digits < length then digits[#digits + 1] = string.char(48 + b % 10) end
    end
  end
  return table.concat(digits)
end

local function mac_with(key, number, nonce, code)
  return core.hex(core.hmac_sha256(key, "tingting-otp/1\0" .. number .. "\0" .. nonce .. "\0" .. code))
end

local function mac(self, number, nonce, code)
  return mac_with(secret(self), number, nonce, code)
end

-- The store keys of a number (its canonical form, numbers.canonical).
local function keys(self, number)
  local k = self.prefix .. number
  return { code = k, cool = k .. ":cool", sends = k .. ":sends" }
end

-- Attempts are counted per code (its nonce): a new code starts afresh, and a
-- verify racing a send counts against the code it read.
local function tries_key(k, rec) return k.code .. ":tries:" .. rec.nonce end

local function seconds(v)
  return math.max(1, math.ceil(v or 1))
end

-- The stored code of `number`: issued, expires, nonce, mac (nil when none).
local function load_code(self, k)
  local rec = self.store:get(k.code)
  if type(rec) ~= "string" then return nil end
  local issued, expires, nonce, digest = rec:match("^1:([%d.]+):([%d.]+):(%x+):(%x+)$")
  if not issued then return nil end
  expires = tonumber(expires)
  if expires <= now() then return nil end
  return { issued = tonumber(issued), expires = expires, nonce = nonce, mac = digest, raw = rec }
end

-- The stored record of a code: issued, expires, nonce, mac.
local function record(issued, expires, nonce, digest)
  return ("1:%.3f:%.3f:%s:%s"):format(issued, expires, nonce, digest)
end

local function parse_record(raw)
  if type(raw) ~= "string" then return nil end
  local issued, expires, nonce, digest = raw:match("^1:([%d.]+):([%d.]+):(%x+):(%x+)$")
  if not issued then return nil end
  return { issued = tonumber(issued), expires = tonumber(expires), nonce = nonce, mac = digest, raw = raw }
end

local function unavailable(err)
  return { err = err, message = "the OTP store cannot be reached: " .. tostring(err) }
end

-- A failure after which the API surely sent nothing: refused before sending,
-- or answered with an error (4xx) rather than lost on the way.
local function surely_unsent(err)
  if err.sent == false then return true end
  local k = err.kind
  return not (k == "network" or k == "timeout" or k == "server" or k == "decode")
end

--- Send a new code to `number`.
-- @return `{number=, expires_in=, resend_after=, sends_left=, via=}` on success;
-- otherwise `nil, reason, detail` with reason `"invalid"` (detail.message),
-- `"rate_limited"` (detail.retry_after seconds) or `"send_failed"`
-- (detail.err, the tingting.error; detail.delivered_maybe when the API may
-- have sent it anyway, in which case the code stays valid), or
-- `"unavailable"` (the store cannot be reached: detail.err, a tingting.error
-- of kind "network"; nothing was sent).
function Flow:send(number)
  local num, why = numbers.canonical(number)
  if not num then return nil, "invalid", { message = why.message } end
  local store, k = self.store, keys(self, num)
  if store.otp_begin_send then return self:_send_atomic(num, k) end
  local t = now()
  if self.resend_after > 0 then
    local ok = store:add(k.cool, t, self.resend_after)
    if not ok then
      return nil, "rate_limited", { retry_after = seconds(store:ttl(k.cool)),
        message = "a code was sent recently; wait before asking for another" }
    end
  end
  local sends = store:incr(k.sends, 1, self.send_window)
  if sends > self.max_sends then
    store:incr(k.sends, -1, self.send_window)
    if self.resend_after > 0 then store:delete(k.cool) end
    return nil, "rate_limited", { retry_after = seconds(store:ttl(k.sends)),
      message = ("at most %d codes per %d s to one number"):format(self.max_sends, self.send_window) }
  end
  local code, rerr = random_code(self.length)
  local nonce = code and core.random_bytes(8)
  if not code or not nonce then
    store:incr(k.sends, -1, self.send_window)
    if self.resend_after > 0 then store:delete(k.cool) end
    return nil, "send_failed", { message = "no randomness for a code: " .. tostring(rerr) }
  end
  nonce = core.hex(nonce)
  local expires = t + self.ttl
  -- stored before sending: a lost answer still leaves a code the user can type
  store:set(k.code, ("1:%.3f:%.3f:%s:%s"):format(t, expires, nonce, mac(self, num, nonce, code)), self.ttl)
  local res, err = self.session:send_otp {
    number = num, message = self.message, sms_send_options = self.via,
    otp_options = "personnel", otp = code, company_name = self.company_name, voice_input = self.voice_input,
  }
  if not res then
    if surely_unsent(err) then
      store:delete(k.code)
      store:incr(k.sends, -1, self.send_window)
      if self.resend_after > 0 then store:delete(k.cool) end
      return nil, "send_failed", { err = err, message = tostring(err) }
    end
    return nil, "send_failed", { err = err, message = tostring(err), delivered_maybe = true }
  end
  return { number = num, expires_in = self.ttl, resend_after = self.resend_after,
    sends_left = self.max_sends - sends, via = self.via }
end

--- Check the code the user gave for `number`.
-- @return `true` (the code is used up); otherwise `false, reason, detail` with
-- reason `"invalid"` (not a number or not digits; not counted as an attempt),
-- `"expired"` (no live code: never sent, expired or already used),
-- `"mismatch"` (detail.attempts_left), `"locked"` (too many attempts;
-- detail.retry_after: seconds until a new code may be sent) or
-- `"unavailable"` (the store cannot be reached: detail.err; nothing verifies).
function Flow:verify(number, code)
  local num, why = numbers.canonical(number)
  if not num then return false, "invalid", { message = why.message } end
  -- a string: as a number, a code such as 012345 would lose its leading 0
  if type(code) ~= "string" or not code:match("^%d+$") or #code > 10 then
    return false, "invalid", { message = "code: expected a string of up to 10 digits" }
  end
  local store, k = self.store, keys(self, num)
  if store.otp_verify then return self:_verify_atomic(num, code, k) end
  local rec = load_code(self, k)
  if not rec then return false, "expired", { message = "no code is waiting for this number: ask for a new one" } end
  local left = rec.expires - now()
  local tries = store:incr(tries_key(k, rec), 1, left)
  if tries > self.max_attempts then
    return false, "locked", { retry_after = math.ceil(store:ttl(k.cool) or 0),
      message = "too many wrong codes: ask for a new one" }
  end
  if not core.equal(mac(self, num, rec.nonce, code), rec.mac) then
    return false, "mismatch", { attempts_left = self.max_attempts - tries, message = "wrong code" }
  end
  -- one use: of concurrent right answers, only the first takes it
  if not store:add(k.code .. ":used:" .. rec.nonce, 1, left) then
    return false, "expired", { message = "this code was already used" }
  end
  -- not a newer code sent meanwhile: only the one just used
  if store:get(k.code) == rec.raw then store:delete(k.code) end
  store:delete(tries_key(k, rec))
  return true
end

-- send on a store with atomic steps: the cooldown, the budget and the
-- record are checked and written in one step before anything is sent.
function Flow:_send_atomic(num, k)
  local key, kerr = secret(self)
  if not key then return nil, "unavailable", unavailable(kerr) end
  local code, rerr = random_code(self.length)
  local nonce = code and core.random_bytes(8)
  if not code or not nonce then
    return nil, "send_failed", { message = "no randomness for a code: " .. tostring(rerr) }
  end
  nonce = core.hex(nonce)
  local t = now()
  local raw = record(t, t + self.ttl, nonce, mac_with(key, num, nonce, code))
  local sends, why, x = self.store:otp_begin_send(k, { record = raw, nonce = nonce, ttl = self.ttl,
    resend_after = self.resend_after, max_sends = self.max_sends, send_window = self.send_window })
  if not sends then
    if why == "cooldown" then
      return nil, "rate_limited", { retry_after = x,
        message = "a code was sent recently; wait before asking for another" }
    elseif why == "max_sends" then
      return nil, "rate_limited", { retry_after = x,
        message = ("at most %d codes per %d s to one number"):format(self.max_sends, self.send_window) }
    end
    return nil, "unavailable", unavailable(x)
  end
  local res, err = self.session:send_otp {
    number = num, message = self.message, sms_send_options = self.via,
    otp_options = "personnel", otp = code,
  }
  if not res then
    if surely_unsent(err) then
      self.store:otp_cancel_send(k, { record = raw, nonce = nonce })
      return nil, "send_failed", { err = err, message = tostring(err) }
    end
    return nil, "send_failed", { err = err, message = tostring(err), delivered_maybe = true }
  end
  return { number = num, expires_in = self.ttl, resend_after = self.resend_after,
    sends_left = self.max_sends - sends, via = self.via }
end

-- verify on a store with atomic steps: the code's record is read, the HMAC
-- compared here (constant time), and the attempt counted and the code used
-- up in one step on the store, provided the record is still the one read.
function Flow:_verify_atomic(num, code, k)
  local key, kerr = secret(self)
  if not key then return false, "unavailable", unavailable(kerr) end
  for _ = 1, 3 do
    local raw, gerr = self.store:get(k.code)
    if gerr ~= nil then return false, "unavailable", unavailable(gerr) end
    local rec = parse_record(raw)
    if not rec then break end
    local status, x = self.store:otp_verify({ code = k.code, cool = k.cool, tries = tries_key(k, rec) }, {
      record = raw, matched = core.equal(mac_with(key, num, rec.nonce, code), rec.mac),
      max_attempts = self.max_attempts })
    if status == "ok" then return true end
    if status == "mismatch" then return false, "mismatch", { attempts_left = x, message = "wrong code" } end
    if status == "locked" then
      return false, "locked", { retry_after = x, message = "too many wrong codes: ask for a new one" }
    end
    if status == "unavailable" then return false, "unavailable", unavailable(x) end
    if status == "expired" then break end
    -- "changed": a new code replaced the one read; again with the new one
  end
  return false, "expired", { message = "no code is waiting for this number: ask for a new one" }
end

function Flow:__tostring()
  return ("tingting.otp{via=%s, ttl=%d, length=%d}"):format(self.via, self.ttl, self.length)
end

return M
