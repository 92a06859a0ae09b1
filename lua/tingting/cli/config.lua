--- Where the tingting command keeps its login: `$XDG_CONFIG_HOME/tingting/`
-- (default `~/.config/tingting/`), a directory of mode 0700 holding
-- `session.json` (the tokens with the base URL and API dialect they belong
-- to, written by `tingting.store.file`, mode 0600; only that record decides
-- where they may be sent) and `config.json` (the base URL, email and API
-- dialect of the login, mode 0600).
-- @module tingting.cli.config
local M = {}

--- A word for /bin/sh, single-quoted.
function M.shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function run(cmd)
  local a, _, c = os.execute(cmd)
  if type(a) == "number" then return a == 0 end -- Lua 5.1
  return a == true and c == 0
end

--- The configuration directory, or nil and why.
function M.dir()
  local xdg = os.getenv("XDG_CONFIG_HOME")
  if xdg and xdg:sub(1, 1) == "/" then return xdg .. "/tingting" end
  local home = os.getenv("HOME")
  if not home or home == "" then
    return nil, "neither XDG_CONFIG_HOME nor HOME is set: nowhere to keep the session"
  end
  return home .. "/.config/tingting"
end

function M.paths()
  local dir, err = M.dir()
  if not dir then return nil, err end
  return { dir = dir, session = dir .. "/session.json", config = dir .. "/config.json" }
end

--- Create the directory (mode 0700; an existing one is narrowed to 0700).
function M.make_dir(dir)
  local q = M.shell_quote(dir)
  if not run("mkdir -p -m 700 -- " .. q .. " && chmod 700 -- " .. q) then
    return nil, "could not create " .. dir
  end
  return true
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("*a")
  f:close()
  return text
end

--- The stored config table ({base_url =, email =, api =}), or an empty
-- table. `api` is the dialect the tokens were issued by ("v1" | "legacy";
-- absent in files written before v1: legacy).
function M.load(paths)
  local cjson = require "cjson.safe"
  local text = read_file(paths.config)
  local doc = text and cjson.decode(text)
  if type(doc) ~= "table" then return {} end
  local out = {}
  if type(doc.base_url) == "string" then out.base_url = doc.base_url end
  if type(doc.email) == "string" then out.email = doc.email end
  if doc.api == "v1" or doc.api == "legacy" then out.api = doc.api end
  return out
end

function M.save(paths, t)
  local core = require "tingting.core"
  local output = require "tingting.cli.output"
  return core.write_private(paths.config, output.json(t) .. "\n")
end

--- Remove the stored session and config; true when there was one.
function M.remove(paths)
  local had = false
  for _, p in ipairs { paths.session, paths.config } do
    if os.remove(p) then had = true end
  end
  return had
end

--- Read a line from the terminal, without echo when `secret`. The prompt
-- goes to stderr so that stdout stays clean for scripts. The shell that turns
-- echo off also turns it back on, even when the user presses Ctrl-C; it reads
-- the line with its `read` builtin, so the secret is on no command line.
function M.prompt(label, secret)
  io.stderr:write(label)
  io.stderr:flush()
  local line
  if secret then
    local p = io.popen("trap 'stty echo 2>/dev/null' EXIT INT TERM HUP; stty -echo 2>/dev/null; "
      .. "IFS= read -r line && printf '%s' \"$line\"", "r")
    if not p then return nil end
    line = p:read("*a")
    local ok = p:close()
    io.stderr:write("\n")
    if ok == nil or (ok == false and line == "") then return nil end
  else
    line = io.read("*l")
  end
  return line
end

return M
