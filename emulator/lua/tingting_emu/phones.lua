-- Phone numbers: the owned list, the inventory for sale, buy and release.
local util = require "tingting_emu.util"
local state = require "tingting_emu.state"
local request = require "tingting_emu.request"

local _M = {}

local function list(owned)
  local out = util.array()
  for _, p in ipairs(state.phones) do
    if p.owned == owned then out[#out + 1] = state.phone_view(p) end
  end
  return out
end

local function sid_field()
  local body = request.body()
  request.no_unknown(body, { "phone_sid" })
  local sid = request.string(body, "phone_sid", { required = true })
  for _, p in ipairs(state.phones) do
    if p.phone_number_sid == sid then return p, sid end
  end
  return nil, sid
end

function _M.owned()
  return util.ok(200, nil, { owned_numbers = list(true) })
end

function _M.available()
  return util.ok(200, "Number Lists Retrived Successfully!!", { number_lists = list(false) })
end

function _M.buy()
  local p = sid_field()
  if not p then
    util.field_error(404, "phone_sid", "No number with this SID is available.")
  end
  if p.owned then util.bad("phone_sid", "You already own this number.") end
  p.owned = true
  return util.ok(200, p.phone_number .. " number bought successfully!!", {
    number_details = util.array({ state.phone_view(p) }),
  })
end

-- 204 cannot carry a body, so the docs' sample body is not sent (docs/wire.md).
function _M.release()
  local p = sid_field()
  if not p or not p.owned then
    util.field_error(404, "phone_sid", "You do not own a number with this SID.")
  end
  p.owned = false
  return util.response(204, "")
end

return _M
