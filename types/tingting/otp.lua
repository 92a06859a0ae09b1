---@meta tingting.otp
-- LuaLS definitions of `tingting.otp`: a complete OTP flow (send a code by SMS
-- or voice through the API, verify what the user types back) for OpenResty or
-- plain Lua. Only an HMAC of each code is stored.

---`tingting.otp.new{...}`; unknown options are refused.
---@class tingting.OtpOptions
---@field session tingting.Session required: the session that sends
---@field store? tingting.KeyValueStore where codes live (default `tingting.store.memory()`; `shared_dict` or `redis` to share)
---@field ttl? integer seconds a code lives (default 300; 1 to 86400)
---@field length? integer digits (default 6; 4 to 10)
---@field max_attempts? integer wrong codes before the code is locked (default 5)
---@field resend_after? integer seconds before another code may go to a number (default 60)
---@field max_sends? integer codes per number per `send_window` (default 5)
---@field send_window? integer seconds (default 3600)
---@field via? "text"|"voice" (default "text")
---@field message? string must contain `{otp}` (default "Your verification code is {otp}")
---@field secret? string the HMAC key, at least 16 bytes (default: a random key kept in the store, shared by all who share it)
---@field prefix? string of every key (default "otp:")
---@field company_name? string v1 sessions: required, named in the OTP
---@field voice_input? string|integer v1 voice OTPs: the voice (default "np_rija")

---`flow:send` on success.
---@class tingting.OtpSent
---@field number string the canonical number
---@field expires_in integer seconds
---@field resend_after integer seconds
---@field sends_left integer
---@field via "text"|"voice"

---Why `flow:send` or `flow:verify` said no.
---@alias tingting.OtpReason
---| "invalid"       # not a number / not a code (detail.message)
---| "rate_limited"  # send: too soon or too many (detail.retry_after)
---| "send_failed"   # send: the API call failed (detail.err; detail.delivered_maybe)
---| "expired"       # verify: no live code
---| "mismatch"      # verify: wrong code (detail.attempts_left)
---| "locked"        # verify: too many wrong codes (detail.retry_after)
---| "unavailable"   # the store cannot be reached (detail.err, kind "network"): nothing sent, nothing verifies

---@class tingting.OtpDetail
---@field message? string
---@field err? tingting.Error
---@field retry_after? number
---@field attempts_left? integer
---@field delivered_maybe? boolean the API may have sent it anyway: the code stays valid

---@class tingting.OtpFlow
---@field session tingting.Session
---@field store tingting.KeyValueStore
local Flow = {}

---Send a new code to `number`.
---@param number tingting.Phone
---@return tingting.OtpSent|nil sent
---@return tingting.OtpReason|nil reason
---@return tingting.OtpDetail|nil detail
function Flow:send(number) end

---Check the code the user gave for `number`; a right code is used up.
---@param number tingting.Phone
---@param code string the digits as typed (a string keeps a leading 0)
---@return boolean ok
---@return tingting.OtpReason|nil reason
---@return tingting.OtpDetail|nil detail
function Flow:verify(number, code) end

---@class tingting.otp
local otp = {}

---A new OTP flow.
---@param opts tingting.OtpOptions
---@return tingting.OtpFlow|nil flow
---@return tingting.Error|nil err a validation error naming the option
function otp.new(opts) end

return otp
