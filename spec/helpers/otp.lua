-- Test helper for the specs of tingting.otp against the emulator, whatever
-- the store or the dialect.
--
--   local otph = require "spec.helpers.otp"
--   otph.NUMBER             the phone the specs send codes to, as the flows normalize it
--   otph.delivered([number]) -> code, record: the code the emulator last "delivered"
--                           to number (default NUMBER)
--   otph.other(code) -> a code of the same length that is not `code`
--   otph.session() -> a legacy session logged in to the emulator as its test user
local tingting = require "tingting"
local emu = require "spec.helpers.emulator"

local M = {}

M.NUMBER = "9851023212"

function M.delivered(number)
  return emu.last_otp(number or M.NUMBER)
end

-- Changing the first digit alone keeps the length and any later digits, so a
-- refusal is about the code's value, not its shape.
function M.other(code)
  return (code:sub(1, 1) == "0" and "1" or "0") .. code:sub(2)
end

function M.session()
  return assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test" })
end

return M
