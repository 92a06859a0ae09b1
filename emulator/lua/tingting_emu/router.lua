-- Routing tables of both faces: a path to its route and the route's captures.
local _M = {}

--- A finder over `routes` ({pattern, {METHOD = handler}, ...} in order): the
-- route of each path seen is remembered (false: none), as the first matching
-- pattern, so that a path late in the table is not matched against every
-- pattern before it on every request. At most 1,000 paths are kept.
function _M.new(routes)
  local route_of, nroutes = {}, 0
  return function(path)
    local route = route_of[path]
    if route == nil then
      route = false
      for _, r in ipairs(routes) do
        if path:match(r[1]) ~= nil then
          route = r
          break
        end
      end
      if nroutes >= 1000 then route_of, nroutes = {}, 0 end
      route_of[path], nroutes = route, nroutes + 1
    end
    if not route then return nil end
    local caps = { path:match(route[1]) }
    -- A pattern without captures yields the whole match.
    if caps[1] == path and not route[1]:find("%(") then caps = {} end
    return route, caps
  end
end

--- The methods a route answers, for an Allow header: "GET, POST".
function _M.allowed(methods)
  local list = {}
  for m in pairs(methods) do list[#list + 1] = m end
  table.sort(list)
  return table.concat(list, ", ")
end

return _M
