--- Exit codes of the `tingting` command, and how a command stops with one.
--
-- 0 ok; 1 API, server, network, timeout or decode failure; 2 usage or
-- validation error; 3 authentication (or not logged in); 4 not found;
-- 5 partial success (`campaigns add` with failed or invalid numbers, v1
-- `campaigns create` with recipients the server refused).
-- A library error of kind `unsupported` (a command the session's API
-- dialect lacks, e.g. `voices` on legacy) exits 2: the command line asked
-- for it, and `--api v1` (or TINGTING_API_KEY) is the fix.
-- @module tingting.cli.exit
local M = {}

M.codes = { ok = 0, failure = 1, usage = 2, auth = 3, not_found = 4, partial = 5 }
local codes = M.codes

-- Exit codes by error kind (tingting.error); any other kind is a failure.
local KIND_EXIT = {
  validation = codes.usage, unsupported = codes.usage, auth = codes.auth, not_found = codes.not_found,
}

-- The metatable of what `fail` raises, to tell it from a bug.
local Stop = {}
Stop.__index = Stop

-- The `kind` of a stop made without one (what --json prints), by exit code.
local CODE_KIND = { [codes.usage] = "usage", [codes.auth] = "auth", [codes.not_found] = "not_found" }

--- Stop the command with exit `code` and one line on stderr (with --json,
-- `{"error": {...}}` on stdout). `info` adds what --json shows: `kind`
-- (default from the code: usage, auth, not_found, failure), `field` (the
-- library's name), `option` (the command line's), `status`.
function M.fail(code, message, info)
  info = info or {}
  error(setmetatable({ code = code, message = message, kind = info.kind or CODE_KIND[code] or "failure",
    field = info.field, option = info.option, status = info.status }, Stop), 0)
end

--- Whether `e`, raised while a command ran, is a stop made by `fail`.
function M.is_stop(e)
  return getmetatable(e) == Stop
end

--- Stop on a bad input file, the command line's mistake (exit 2): the
-- option, the path once (the library's text may hold it already), then why.
function M.file_error(path, message, option)
  message = message:gsub("^path: ", "")
  if not message:find(path, 1, true) then message = path .. ": " .. message end
  if option:sub(1, 2) == "--" then message = option .. ": " .. message end
  M.fail(codes.usage, message, { option = option })
end

--- The exit code for a library error.
function M.exit_code(err)
  if type(err) == "table" and err.kind then return KIND_EXIT[err.kind] or codes.failure end
  return codes.failure
end

return M
