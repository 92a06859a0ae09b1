--- What the methods of Campaign and Number objects share in both dialects:
-- the object's id put into a method's arguments, and an object taking the
-- fields of a newer copy of itself.
-- @module tingting.objects
local core = require "tingting.core"
local errors = require "tingting.errors"

local M = {}

--- Arguments of an object's method `op`: the id comes from the object; user
-- arguments may not set it. `table` | `nil, err`.
function M.with_id(args, id, op)
  if args ~= nil and type(args) ~= "table" then
    return errors.invalid(op, "arguments", "expected a table (got " .. type(args) .. ")")
  end
  local out = {}
  for k, v in pairs(args or {}) do out[k] = v end
  if out.id ~= nil then
    return errors.invalid(op, "id", "set by the object itself")
  end
  out.id = id
  return out
end

--- `obj` with the fields of `newer` (reload, update), or `nil, err`.
function M.refreshed(obj, newer, err)
  if not newer then return nil, err end
  core.refresh_object(obj, newer)
  return obj
end

return M
