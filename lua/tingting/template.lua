--- Tag templates: `{tags_x}` placeholders in campaign messages, `{otp}` in OTP
-- messages. Byte-oriented, so UTF-8 (Devanagari) text passes through untouched.
-- @module tingting.template
local errors = require "tingting.errors"

local M = {}

-- Hostile input is a validation error, not a raise (docs/design.md): the
-- error of the arguments, if any. `msg` must be a string; `v`, the optional
-- argument `field`, a table (`what` says of what).
local function bad_input(msg, field, v, what)
  local name, why
  if type(msg) ~= "string" then
    name, why = "message", "expected a string (got " .. type(msg) .. ")"
  elseif v ~= nil and type(v) ~= "table" then
    name, why = field, ("expected %s (got %s)"):format(what, type(v))
  else
    return nil
  end
  local _, err = errors.invalid(nil, name, why)
  return err
end

local PLACEHOLDER = "{([%a_][%w_]*)}"

--- Placeholder names in order of first appearance.
-- @tparam string msg
-- @treturn {string,...}
function M.tags(msg)
  local err = bad_input(msg)
  if err then return nil, err end
  local out, seen = {}, {}
  for name in msg:gmatch(PLACEHOLDER) do
    if not seen[name] then
      seen[name] = true
      out[#out + 1] = name
    end
  end
  return out
end

--- Check that every placeholder of `msg` is a usable tag (or `{otp}`).
-- @treturn true|nil
-- @treturn string an error naming each unknown tag and the usable ones
function M.check(msg, usable_tags)
  local err = bad_input(msg, "usable_tags", usable_tags, "a list of tag names")
  if err then return nil, err end
  local usable = {}
  for _, t in ipairs(usable_tags or {}) do usable[t] = true end
  local unknown = {}
  for _, name in ipairs(M.tags(msg)) do
    if name ~= "otp" and not usable[name] then unknown[#unknown + 1] = "{" .. name .. "}" end
  end
  if #unknown == 0 then return true end
  local list = #(usable_tags or {}) > 0 and table.concat(usable_tags, ", ") or "none"
  return nil, ("unknown tag%s %s (usable tags: %s)"):format(#unknown > 1 and "s" or "",
    table.concat(unknown, ", "), list)
end

--- Fill placeholders from `values`; a missing value leaves its placeholder.
-- @treturn string the rendered message
-- @treturn {string,...} the names that had no value
function M.render(msg, values)
  local err = bad_input(msg, "values", values, "a table of tag values")
  if err then return nil, err end
  values = values or {}
  local missing, seen = {}, {}
  local out = msg:gsub(PLACEHOLDER, function(name)
    local v = values[name]
    if v == nil then
      if not seen[name] then
        seen[name] = true
        missing[#missing + 1] = name
      end
      return nil
    end
    if type(v) == "number" and v == math.floor(v) and v >= -2^53 and v <= 2^53 then
      return string.format("%d", v)
    end
    return tostring(v)
  end)
  return out, missing
end

return M
