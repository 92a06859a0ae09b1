--- Constructors of `tingting.error` values for the Lua layer, so that every
-- error of a kind carries the same fields (`sent`, `retryable`) as the C
-- core's own. Each takes a fresh table, completes it and gives it the
-- error metatable.
-- @module tingting.errors
local core = require "tingting.core"

local M = {}

local function make(kind, t, sent)
  t.kind = kind
  if t.sent == nil then t.sent = sent end
  if t.retryable == nil then t.retryable = false end
  return core.error(t)
end

--- Bad input, refused before anything was sent: `{op=, field=, message=, ...}`
-- where `message` is the whole text (by custom "field: why").
function M.validation(t)
  return make("validation", t, false)
end

--- `nil, err` for bad input to `op`: a validation error naming `field`, the
-- message being "field: why".
function M.invalid(op, field, why)
  return nil, M.validation { op = op, field = field, message = field .. ": " .. why }
end

--- Not logged in, or no way to log in: nothing was sent.
function M.auth(message, op)
  return make("auth", { message = message, op = op }, false)
end

--- A method the session's API dialect does not have: nothing was sent.
-- `message` names the dialect and, where one exists, the equivalent.
function M.unsupported(op, message)
  return make("unsupported", { op = op, message = message }, false)
end

--- An answer that arrived and says no in its own terms (a v1 contacts
-- answer that skipped or refused the number): `{op=, field=, message=,
-- status=, errors=}`.
function M.api(t)
  return make("api", t, true)
end

--- An answer that arrived but cannot be used.
function M.decode(message, op)
  return make("decode", { message = message, op = op }, true)
end

-- Edits (insert, delete, change, swap two neighbours) from `a` to `b`,
-- giving up past `limit`.
local function distance(a, b, limit)
  if math.abs(#a - #b) > limit then return limit + 1 end
  local prev2, prev = {}, {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    local ca = a:byte(i)
    for j = 1, #b do
      local cb = b:byte(j)
      local d = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca == cb and 0 or 1))
      if i > 1 and j > 1 and ca == b:byte(j - 1) and a:byte(i - 1) == cb then
        d = math.min(d, prev2[j - 2] + 1)
      end
      cur[j] = d
    end
    prev2, prev = prev, cur
  end
  return prev[#b]
end

--- The name of `names` that `key` is most likely a typo of, or nil.
function M.suggest(key, names)
  if type(key) ~= "string" then return nil end
  local lower = key:lower()
  local best, best_d
  local limit = math.max(1, math.min(3, math.floor(#key / 3)))
  for _, name in ipairs(names) do
    local d = name:lower() == lower and 0 or distance(lower, name:lower(), limit)
    if d <= limit and (not best_d or d < best_d) then best, best_d = name, d end
  end
  return best
end

--- `nil, err` for the key `key` of an options table that takes only
-- `names` (a list): a validation error of `op` naming the key, the likely
-- one meant, and the accepted ones. `what` is "option" by default.
function M.unknown(op, key, names, what)
  local sorted = {}
  for i, name in ipairs(names) do sorted[i] = name end
  table.sort(sorted)
  local shown = type(key) == "string" and key or ("[" .. tostring(key) .. "]")
  local hint = M.suggest(key, sorted)
  local msg = ("%s: unknown %s%s (accepted: %s)"):format(shown, what or "option",
    hint and ("; did you mean '" .. hint .. "'?") or "", #sorted > 0 and table.concat(sorted, ", ") or "none")
  return nil, M.validation { op = op, field = shown, message = msg }
end

--- `true`, or the `unknown` error of the first key of table `t` that is
-- not in `names` (a list, or a set `{name = true}`).
function M.check_keys(op, t, names, what)
  local set, list = names, names
  if names[1] ~= nil or next(names) == nil then
    set = {}
    for _, name in ipairs(names) do set[name] = true end
  else
    list = {}
    for name in pairs(names) do list[#list + 1] = name end
  end
  for k in pairs(t) do
    if not set[k] then return M.unknown(op, k, list, what) end
  end
  return true
end

local TRANSPORT_KINDS = { timeout = "timeout", network = "network", decode = "decode" }

--- The error of a transport's `nil, err` (a table `{kind=, message=, code=,
-- sent=}` or anything else): a timeout, a network error, or (decode) an
-- answer it would not take, such as one past `max_body`. Unless the
-- transport says it never sent the request, it may have been processed.
function M.transport(e)
  if type(e) ~= "table" then e = { message = tostring(e or "transport failed") } end
  return core.error {
    kind = TRANSPORT_KINDS[e.kind] or "network",
    message = e.message or "transport failed",
    code = e.code,
    sent = e.sent ~= false,
    -- the transport's word that trying again cannot help (for the retry policy)
    no_retry = e.retryable == false or nil,
  }
end

return M
