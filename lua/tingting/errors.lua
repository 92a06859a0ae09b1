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
