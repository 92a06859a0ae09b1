-- Test helper: a transport that answers from a script, for the specs that
-- need no network (spec/call_path_spec.lua runs on Lua 5.1, 5.3 and LuaJIT
-- too, so this module needs nothing but tingting itself).
--
--   local scripted = require "spec.helpers.scripted"
--   local t = scripted.transport { {200, body, headers}, {nil, err}, function(req) ... end }
--     answers consumed in order ({500, ""} once they run out); t.requests and
--     t.sleeps record every request and every sleep asked for
--   scripted.session(opts, extra) -> tingting.session(opts overridden by extra), asserted
local tingting = require "tingting"

local M = {}

function M.transport(answers)
  local t = { requests = {}, sleeps = {} }
  function t:request(req)
    self.requests[#self.requests + 1] = req
    local a = table.remove(answers, 1) or { 500, "" }
    if type(a) == "function" then return a(req) end
    return a[1], a[2], a[3] or {}
  end
  function t:sleep(s) self.sleeps[#self.sleeps + 1] = s end
  return t
end

function M.session(opts, extra)
  for k, v in pairs(extra or {}) do opts[k] = v end
  return assert(tingting.session(opts))
end

return M
