--- Tag templates: `{tags_x}` placeholders in campaign messages, `{otp}` in OTP
-- messages. Byte-oriented, so UTF-8 (Devanagari) text passes through untouched.
-- @module tingting.template
local errors = require "tingting.errors"

local M = {}

-- Hostile input is a validation error, not a raise (docs/design.md): the
-- error of the arguments, if any. `msg` must be a string; `v`, the optional
-- argument `field`, a table (`what` says of what).
local function bad_input(msg, field, v, what, opts)
  local name, why
  if type(msg) ~= "string" then
    name, why = "message", "expected a string (got " .. type(msg) .. ")"
  elseif v ~= nil and type(v) ~= "table" then
    name, why = field, ("expected %s (got %s)"):format(what, type(v))
  elseif opts ~= nil and type(opts) ~= "table" then
    name, why = "opts", "expected a table such as {api = \"v1\"} (got " .. type(opts) .. ")"
  elseif opts ~= nil then
    local _, err = errors.check_keys(nil, opts, { "api" })
    return err
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

-- v1 variables have plain keys (`name`) where messages may write
-- `{tags_name}` (docs/api/v1.md, open question 6): both forms are one name.
local function plain(name) return name:match("^tags_(.+)$") or name end

local function v1_opts(opts)
  return type(opts) == "table" and opts.api == "v1"
end

-- The first brace without its partner: a `{` with no `}` before the next
-- `{` or the end, or a `}` with no `{` before it. A placeholder cut short
-- would otherwise go out as literal text.
local function unbalanced(msg)
  local open
  for i = 1, #msg do
    local b = msg:byte(i)
    if b == 123 then -- {
      if open then break end
      open = i
    elseif b == 125 then -- }
      if not open then
        return ("unbalanced '}' at byte %d (no '{' before it): %q"):format(i, msg:sub(math.max(1, i - 20), i))
      end
      open = nil
    end
  end
  if open then
    local stop = msg:find("[{%s]", open + 1) or (#msg + 1)
    return ("unbalanced '{' at byte %d (no '}' closes it): %q"):format(open,
      msg:sub(open, math.min(stop - 1, open + 30)))
  end
end

--- Check that every placeholder of `msg` is a usable tag (or `{otp}`), and
-- that its braces pair up. `opts.api = "v1"`: `{name}` and `{tags_name}`
-- are the same variable.
-- @treturn true|nil
-- @treturn tingting.error a validation error (field "message") naming each
-- unknown tag and the usable ones, or the brace without its partner
function M.check(msg, usable_tags, opts)
  local err = bad_input(msg, "usable_tags", usable_tags, "a list of tag names", opts)
  if err then return nil, err end
  local brace = unbalanced(msg)
  if brace then return errors.invalid(nil, "message", brace) end
  local v1 = v1_opts(opts)
  local usable = {}
  for _, t in ipairs(usable_tags or {}) do
    usable[t] = true
    if v1 then usable[plain(t)] = true end
  end
  local unknown = {}
  for _, name in ipairs(M.tags(msg)) do
    local ok = usable[name] or (v1 and usable[plain(name)])
    if name ~= "otp" and not ok then unknown[#unknown + 1] = "{" .. name .. "}" end
  end
  if #unknown == 0 then return true end
  local list = #(usable_tags or {}) > 0 and table.concat(usable_tags, ", ") or "none"
  return errors.invalid(nil, "message", ("unknown tag%s %s (usable tags: %s)"):format(#unknown > 1 and "s" or "",
    table.concat(unknown, ", "), list))
end

--- Fill placeholders from `values`; a missing value leaves its placeholder.
-- `opts.api = "v1"`: `{name}` and `{tags_name}` both take `name` (or `tags_name`).
-- @treturn string the rendered message
-- @treturn {string,...} the names that had no value
function M.render(msg, values, opts)
  local err = bad_input(msg, "values", values, "a table of tag values", opts)
  if err then return nil, err end
  values = values or {}
  local v1 = v1_opts(opts)
  local missing, seen = {}, {}
  local out = msg:gsub(PLACEHOLDER, function(name)
    local v = values[name]
    if v == nil and v1 then
      local p = plain(name)
      v = values[p]
      if v == nil then v = values["tags_" .. p] end
    end
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
