--- The `tingting` command: parsing, help, the context commands run with
-- (session, output) and main. The commands themselves are in
-- `tingting.cli.commands` and `tingting.cli.campaigns`; exit codes in
-- `tingting.cli.exit`.
-- @module tingting.cli
local args = require "tingting.cli.args"
local output = require "tingting.cli.output"
local config = require "tingting.cli.config"
local exit = require "tingting.cli.exit"
local commands = require "tingting.cli.commands"
local campaigns = require "tingting.cli.campaigns"
local v1 = require "tingting.cli.v1"

local M = {}

local EXIT = exit.codes
local fail = exit.fail

local DEFAULT_BASE_URL = "https://app.tingting.io"
local NOT_LOGGED_IN = "not logged in: run `tingting login` or set TINGTING_EMAIL and TINGTING_PASSWORD"
local NOT_LOGGED_IN_V1 = "not logged in: run `tingting --api v1 login`, set TINGTING_EMAIL and TINGTING_PASSWORD, "
  .. "or set TINGTING_API_KEY"

-- `field`: the library's name for what the option sets, so that an error
-- naming that field names the option (a command's options default to their
-- name with `_` for `-`); `env`: the variable that stands in for the option
-- when it is not given; `input_file`: the value is a file the user gives, so
-- the server refusing it (400) is bad input, exit 2.
M.GLOBAL_OPTIONS = {
  { name = "base-url", value = "URL", field = "base_url", env = "TINGTING_BASE_URL",
    help = "API base URL (env TINGTING_BASE_URL; default: the one logged in to, "
    .. "else " .. DEFAULT_BASE_URL .. ")" },
  { name = "api", value = "legacy|v1", field = "api", env = "TINGTING_API",
    help = "API dialect (env TINGTING_API; default: v1 with an API token, "
    .. "else the one logged in with, else legacy)" },
  { name = "api-key-file", value = "PATH", field = "api_key", env = "TINGTING_API_KEY",
    help = "read the v1 API token from PATH (env TINGTING_API_KEY); "
    .. "there is no --api-key: `ps` shows command lines" },
  { name = "json", help = "print one JSON document on stdout instead of tables" },
  { name = "timeout", value = "SECONDS", field = "timeout", help = "timeout of each request (default 30)" },
  { name = "allow-insecure-http", field = "allow_insecure_http",
    help = "allow a plain http:// base URL that is not loopback (tokens and passwords travel in clear)" },
  { name = "verbose", short = "v", help = "log each request to stderr (never a token)" },
  { name = "help", short = "h", help = "show help for the command" },
  { name = "version", help = "print the version" },
}

--- The message of a library error, without its "tingting: " prefix.
local function err_text(err)
  return (tostring(err):gsub("^tingting: ", ""))
end

--- The command line's name for each library field a command sets: its
-- options' `field` (by default the option's name with `_` for `-`), its
-- positional arguments' `arg_fields`, and the global options'. Built from
-- the option definitions themselves, so that the two cannot drift apart.
function M.field_options(node)
  local map, files = {}, {}
  local function add(o, field)
    for _, f in ipairs(type(field) == "table" and field or { field }) do
      map[f] = "--" .. o.name
      if o.input_file then files[f] = true end
    end
  end
  for _, o in ipairs(M.GLOBAL_OPTIONS) do add(o, o.field) end
  for _, o in ipairs(node.options or {}) do
    if o.field == nil then add(o, (o.name:gsub("-", "_"))) else add(o, o.field) end
  end
  for field, name in pairs(node.arg_fields or {}) do map[field] = name end
  return map, files
end

-- The command tree -------------------------------------------------------------

local function tree()
  local root = {
    summary = "TingTing voice and SMS campaigns from the command line",
    usage = "tingting [--base-url URL] [--json] COMMAND ...",
    sub = {},
  }
  commands.register(root.sub)
  campaigns.register(root.sub)
  v1.register(root.sub)
  return root
end

local ROOT_NOTES = [[
environment:
  TINGTING_EMAIL, TINGTING_PASSWORD  credentials: `login` reads them; other commands log in
                                     with them when there is no stored session (or it expired)
  TINGTING_API_KEY                   a v1 API token (`tingting token generate` makes one): the
                                     session is v1 with it, no login needed; or --api-key-file PATH.
                                     Never give a token as an option: `ps` shows command lines
  TINGTING_API                       legacy or v1 (--api wins); `--api v1 login` logs in to v1
  TINGTING_BASE_URL                  API base URL (--base-url wins)
  XDG_CONFIG_HOME                    the session lives in $XDG_CONFIG_HOME/tingting/
                                     (default ~/.config/tingting/), mode 0700/0600

exit codes:
  0  ok
  1  API, server, network, timeout or decode failure
  2  usage or validation error (bad option, bad input), or a command the API dialect
     lacks (`voices` on legacy: use --api v1), or an option of the other dialect
  3  authentication failure, or not logged in
  4  not found (campaign, number, page)
  5  partial success (`campaigns add` with invalid or failed numbers, `campaigns create`
     on v1 with recipients the server refused)
errors are one line on stderr; with --json, {"error": {"kind", "message", "field", "option"}}
on stdout (same exit code)
]]

local function option_lines(options)
  local rows, w = {}, 0
  for _, o in ipairs(options) do
    local left = (o.short and ("-" .. o.short .. ", ") or "    ") .. "--" .. o.name
    if o.value then left = left .. " " .. o.value end
    if o.list then left = left .. " ..." end
    local help = o.help or ""
    if o.dialect then help = help .. " (" .. o.dialect .. " only)" end
    rows[#rows + 1] = { left, help }
    if #left > w then w = #left end
  end
  local out = {}
  for _, r in ipairs(rows) do out[#out + 1] = "  " .. r[1] .. string.rep(" ", w - #r[1] + 2) .. r[2] end
  return table.concat(out, "\n")
end

function M.help(node, path)
  local out = {}
  local name = "tingting" .. (#path > 0 and (" " .. table.concat(path, " ")) or "")
  out[#out + 1] = "usage: " .. (node.usage or name)
  out[#out + 1] = ""
  out[#out + 1] = node.summary
  if node.help then
    out[#out + 1] = ""
    out[#out + 1] = node.help
  end
  if node.sub then
    local names, w = {}, 0
    for k in pairs(node.sub) do
      names[#names + 1] = k
      if #k > w then w = #k end
    end
    table.sort(names)
    out[#out + 1] = ""
    out[#out + 1] = "commands:"
    for _, k in ipairs(names) do
      out[#out + 1] = "  " .. k .. string.rep(" ", w - #k + 2) .. node.sub[k].summary
    end
    out[#out + 1] = ""
    out[#out + 1] = "Run `" .. name .. " COMMAND --help` for a command's options."
  end
  if node.options and #node.options > 0 then
    out[#out + 1] = ""
    out[#out + 1] = "options:"
    out[#out + 1] = option_lines(node.options)
  end
  out[#out + 1] = ""
  out[#out + 1] = "global options:"
  out[#out + 1] = option_lines(M.GLOBAL_OPTIONS)
  if #path == 0 then
    out[#out + 1] = ""
    out[#out + 1] = (ROOT_NOTES:gsub("\n$", ""))
  else
    out[#out + 1] = ""
    out[#out + 1] = "exit codes: 0 ok, 1 API/network failure, 2 usage or validation error, 3 authentication,\n"
      .. "  4 not found, 5 partial success (see `tingting --help`)"
  end
  return table.concat(out, "\n") .. "\n"
end

-- The context a command runs with --------------------------------------------

local Ctx = {}
Ctx.__index = Ctx

--- The command line's name for library field `field` ("individual_number[2]"
-- is --number's): an option, a positional argument, or the environment
-- variable that was used instead of a global option; nil when none.
function Ctx:option_for(field)
  local base = field:match("^([^%[]+)") or field
  local name = self.fields[base]
  if not name then return nil end
  for _, o in ipairs(M.GLOBAL_OPTIONS) do
    if "--" .. o.name == name and o.env and self.opts[o.name] == nil then
      local v = os.getenv(o.env)
      if v and v ~= "" then return o.env end
    end
  end
  return name
end

--- A library error as the command line says it: the field it names is the
-- option that sets it (`--audio`, not `aud_file`), and the Lua option it
-- suggests is the command's. Returns the message and what --json adds.
function Ctx:describe(err)
  local text = err_text(err)
  if type(err) ~= "table" then return text, {} end
  local info = { kind = err.kind, status = err.status, field = err.field }
  local field = type(err.field) == "string" and err.field or nil
  local option = field and self:option_for(field)
  if option then
    info.option = option
    local index = field:match("%[(%d+)%]$")
    local shown = index and (option .. " (value " .. index .. ")") or option
    local message = err.message
    if err.kind == "validation" and type(message) == "string" and message:sub(1, #field + 1) == field .. ":" then
      -- refused before anything was sent: the library's op is no news here
      text = shown .. message:sub(#field + 1)
    else
      local at = text:find(field .. ":", 1, true)
      if at then text = text:sub(1, at - 1) .. shown .. text:sub(at + #field) end
    end
  end
  text = text:gsub("allow_insecure_http = true", "--allow-insecure-http"):gsub("allow_insecure_http",
    "--allow-insecure-http")
  if err.kind == "validation" then
    -- other fields the library's text names; only names with an underscore,
    -- which cannot be plain words ("message" may be one)
    for f in pairs(self.fields) do
      if f:find("_", 1, true) and f ~= field then
        local name = self:option_for(f)
        text = text:gsub("%f[%w_]" .. f:gsub("%p", "%%%0") .. "%f[^%w_]", (name:gsub("%%", "%%%%")))
      end
    end
  end
  return text, info
end

--- `v` when given, else stop with the exit code of the library error `err`.
function Ctx:check(v, err)
  if v == nil or (v == false and err ~= nil) then
    local msg, info = self:describe(err)
    if type(err) == "table" and err.kind == "auth" and self.stored_login and not self.env_login then
      msg = msg .. " (run `tingting login`)"
    end
    local code = exit.exit_code(err)
    -- the server refusing a file the user gave (not an .xlsx after all) is
    -- bad input, as a missing one is
    if type(err) == "table" and err.kind == "api" and err.status == 400 and type(err.field) == "string"
      and self.file_fields[err.field] then
      code = EXIT.usage
    end
    fail(code, msg, info)
  end
  return v
end

--- Stop with a usage error (exit 2); `option` is the option at fault, for --json.
function Ctx:usage(message, option)
  fail(EXIT.usage, message .. " (see `tingting " .. table.concat(self.path, " ") .. " --help`)",
    { option = option })
end

--- A positional or option value as a positive integer id.
function Ctx:id(value, what)
  local id = args.id(value)
  if not id then
    self:usage(("%s: expected a positive integer (got %q)"):format(what, tostring(value)))
  end
  return id
end

function Ctx:json(v)
  self.out:write(output.json(v), "\n")
end

function Ctx:paths()
  local p, err = config.paths()
  if not p then fail(EXIT.failure, err) end
  return p
end

local function same_url(a, b)
  return a and b and a:gsub("/+$", "") == b:gsub("/+$", "")
end

--- Base URL: --base-url, else TINGTING_BASE_URL, else the stored one, else the default.
function Ctx:base_url(conf)
  local env = os.getenv("TINGTING_BASE_URL")
  if env == "" then env = nil end
  return self.opts["base-url"] or env or conf.base_url or DEFAULT_BASE_URL
end

function Ctx:timeout()
  local t = self.opts.timeout
  if t == nil then return nil end
  local v = tonumber(t)
  if not v or not (v > 0 and v <= 3600) then self:usage("--timeout: expected seconds between 0 and 3600") end
  return v
end

--- The v1 API token: the file of --api-key-file (first line, trimmed),
-- else TINGTING_API_KEY; nil when neither.
function Ctx:api_key()
  if self._api_key ~= nil then return self._api_key or nil end
  local key
  local path = self.opts["api-key-file"]
  if path then
    local f = io.open(path, "rb")
    local text = f and f:read(4096)
    if f then f:close() end
    key = text and text:match("^%s*([^\r\n]*)"):match("^(.-)%s*$") or nil
    if not key or key == "" then
      self:usage("--api-key-file: expected a readable file holding the API token (" .. path .. ")")
    end
  else
    key = os.getenv("TINGTING_API_KEY")
    if key == "" then key = nil end
  end
  self._api_key = key or false
  return key
end

--- The API dialect: --api, else TINGTING_API, else v1 with an API token,
-- else the stored session's, else legacy.
function Ctx:dialect(conf)
  local api, from = self.opts.api, "--api"
  if api == nil then
    api, from = os.getenv("TINGTING_API"), "TINGTING_API"
    if api == "" then api = nil end
  end
  if api ~= nil and api ~= "legacy" and api ~= "v1" then
    self:usage(("%s: expected legacy or v1 (got %q)"):format(from, api:sub(1, 32)))
  end
  local key = self:api_key()
  if api == "legacy" and key then
    self:usage("an API token (TINGTING_API_KEY or --api-key-file) is a v1 credential: "
      .. "leave out the legacy choice or the token")
  end
  return api or (key and "v1") or conf.api or "legacy"
end

--- The API dialect the command's session will speak, known without making
-- the session (so without failing for want of a login): checks that depend on
-- it can come before the session's own.
function Ctx:api()
  if self._session then return self._session.api end
  return self:dialect(self:stored_config(self:paths()))
end

--- Options of tingting.session common to every command.
function Ctx:session_options(base)
  local o = { base_url = base, timeout = self:timeout() }
  if self.opts["allow-insecure-http"] then o.allow_insecure_http = true end
  if self.opts.verbose then
    o.on_log = function(line) io.stderr:write(output.safe(line), "\n") end
  end
  return o
end

--- The session file's token store, bound to `base` and `api`: tokens stored
-- for another base URL or dialect are not loaded, whatever config.json says
-- (or whether it is there at all).
function Ctx:token_store(paths, base, api)
  local tingting = require "tingting"
  return self:check(tingting.store.file(paths.session, { base_url = base, api = api }))
end

--- The stored config, completed from the session file when config.json is
-- missing: the base URL and dialect the stored tokens belong to.
function Ctx:stored_config(paths)
  local conf = config.load(paths)
  if not conf.base_url then
    local tingting = require "tingting"
    local any = tingting.store.file(paths.session)
    local owner = any and any:owner()
    if owner then conf.base_url, conf.api = owner.base_url, conf.api or owner.api end
  end
  return conf
end

--- The session of a command: the stored login (its token store keeps
-- refreshed tokens), and env credentials for a lazy login when present.
-- Stored tokens are only sent to the base URL (and API dialect) they were
-- issued by: the token file itself says which.
function Ctx:session()
  if self._session then return self._session end
  local tingting = require "tingting"
  local paths = self:paths()
  local conf = self:stored_config(paths)
  local base = self:base_url(conf)
  local opts = self:session_options(base)
  local api = self:dialect(conf)
  opts.api = api
  local key = self:api_key()
  if key then
    -- a static v1 token: no login, no stored session
    opts.api_key = key
    self._session = self:check(tingting.session(opts))
    self:check_dialect_options(self._session.api)
    return self._session
  end
  local email, password = os.getenv("TINGTING_EMAIL"), os.getenv("TINGTING_PASSWORD")
  if email and email ~= "" and password and password ~= "" then
    opts.email, opts.password = email, password
    self.env_login = true
  end
  local store = self:token_store(paths, base, api)
  if store:load() then
    opts.token_store = store
    self.stored_login = true
  end
  if not opts.token_store and not opts.email then
    local owner = store:owner()
    local why = ""
    if owner and not same_url(owner.base_url, base) then
      why = " (the stored session is for " .. owner.base_url .. "; log in again for " .. base .. ")"
    elseif owner then
      why = " (the stored session is for the " .. owner.api .. " API)"
    end
    fail(EXIT.auth, (api == "v1" and NOT_LOGGED_IN_V1 or NOT_LOGGED_IN) .. why)
  end
  self._session = self:check(tingting.session(opts))
  self:check_dialect_options(self._session.api)
  return self._session
end

local DIALECT_NAME = { legacy = "legacy", v1 = "v1" }

--- Refuse (exit 2, before anything is sent) an option of the command that
-- only one API dialect has, given on a session of the other: it would
-- otherwise be dropped silently or reach the server as an unknown field.
function Ctx:check_dialect_options(api)
  for _, o in ipairs(self.node and self.node.options or {}) do
    if o.dialect and o.dialect ~= api and self.opts[o.name] ~= nil then
      local message = ("--%s is %s-only: this session uses the %s API"):format(o.name,
        DIALECT_NAME[o.dialect], DIALECT_NAME[api] or tostring(api))
      if o.dialect == "v1" then message = message .. " (use --api v1 or TINGTING_API_KEY)" end
      if o.instead then message = message .. "; " .. o.instead end
      self:usage(message, "--" .. o.name)
    end
  end
end

-- main -------------------------------------------------------------------------

local function has_flag(argv, long, short)
  for _, a in ipairs(argv) do
    if a == "--" then return false end
    if a == long or (short and a == short) then return true end
  end
  return false
end

local function run(argv)
  local root = tree()
  local parsed = args.parse(root, M.GLOBAL_OPTIONS, argv)
  if parsed.help or (parsed.err and has_flag(argv, "--help", "-h")) then
    io.stdout:write(M.help(parsed.node, parsed.path))
    return EXIT.ok
  end
  if parsed.options.version then
    local ok, core = pcall(require, "tingting.core")
    io.stdout:write("tingting ", ok and core.VERSION or "(core not loadable)", "\n")
    return ok and EXIT.ok or EXIT.failure
  end
  if parsed.err then
    local where = "tingting" .. (#parsed.path > 0 and (" " .. table.concat(parsed.path, " ")) or "")
    fail(EXIT.usage, parsed.err .. " (see `" .. where .. " --help`)")
  end
  local ctx = setmetatable({
    opts = parsed.options, args = parsed.args, path = parsed.path, node = parsed.node,
    as_json = parsed.options.json == true, out = io.stdout, err = io.stderr,
  }, Ctx)
  -- library field -> option, and the fields that are files the user gave
  ctx.fields, ctx.file_fields = M.field_options(parsed.node)
  M._ctx = ctx
  return parsed.node.run(ctx) or EXIT.ok
end

local function close_session()
  local ctx = M._ctx
  M._ctx = nil
  if ctx and ctx._session then pcall(ctx._session.close, ctx._session) end
end

--- Run the command line `argv` (a list of strings); returns the exit code.
function M.main(argv)
  local list = {}
  for i = 1, #(argv or {}) do list[i] = argv[i] end
  local ok, code = xpcall(function() return run(list) end, function(e)
    if exit.is_stop(e) then return e end
    return { internal = tostring(e), trace = debug.traceback() }
  end)
  close_session()
  if ok then
    io.stdout:flush()
    return code
  end
  local stop = exit.is_stop(code) and code
    or { code = EXIT.failure, kind = "internal", message = "internal error: " .. tostring(code.internal) }
  local message = stop.message:gsub("^tingting: ", ""):gsub("\n", " ")
  if has_flag(list, "--json") then
    -- with --json a script reads one document on stdout, a failure too
    local doc = { error = { kind = stop.kind, message = message, field = stop.field, option = stop.option,
      status = stop.status } }
    local okj, text = pcall(output.json, doc)
    io.stdout:write(okj and text or '{"error":{"kind":"internal","message":"unprintable error"}}', "\n")
  else
    io.stderr:write("tingting: ", output.safe(message), "\n")
  end
  io.stdout:flush()
  if not exit.is_stop(code) and os.getenv("TINGTING_DEBUG") then io.stderr:write(code.trace, "\n") end
  return stop.code
end

return M
