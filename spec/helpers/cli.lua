-- Test helper for the `tingting` command: runs bin/tingting as a subprocess
-- with a clean environment and its own HOME/XDG_CONFIG_HOME (M.setup() per
-- test), returning stdout, stderr and the exit code.
--
--   local cli = require "spec.helpers.cli"
--   cli.setup(); cli.run(argv, env) -> out, err, code; cli.tt(argv, env) (base URL = emulator)
--   cli.login(), cli.session_file(), cli.requested(pattern), cli.decode(json), cli.teardown()
local cjson = require "cjson"
local emu = require "spec.helpers.emulator"

local M = {}

M.EMAIL, M.PASSWORD = "test@gmail.com", "test"
M.CREDS = { TINGTING_EMAIL = M.EMAIL, TINGTING_PASSWORD = M.PASSWORD }

M.BIN = emu.root .. "/bin/tingting"

--- JSON with integral numbers as Lua integers (ids print as "8", not "8.0").
function M.decode(text)
  local function ints(v)
    if type(v) == "number" then return math.tointeger(v) or v end
    if type(v) == "table" then
      for k, x in pairs(v) do v[k] = ints(x) end
    end
    return v
  end
  return ints(cjson.decode(text))
end

function M.q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
local q = M.q

function M.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

function M.write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

--- Octal permission bits of a file ("600").
function M.mode(path)
  local p = io.popen("stat -c %a " .. q(path) .. " 2>/dev/null")
  local m = p:read("l")
  p:close()
  return m
end

--- A fresh HOME and XDG_CONFIG_HOME, and an empty transcript.
function M.setup()
  local t = os.tmpname()
  os.remove(t)
  M.home = t .. ".home"
  M.xdg = M.home .. "/config"
  assert(os.execute("mkdir -p " .. q(M.xdg)))
  M.transcript = {}
end

function M.teardown()
  if M.home then os.execute("rm -rf " .. q(M.home)) end
end

--- Run bin/tingting with a clean environment (plus `env`); stdin is
-- /dev/null. Every output is kept in M.transcript for the secrets check.
function M.run(argv, env)
  local out, err = os.tmpname(), os.tmpname()
  local parts = { "env", "-i", "PATH=" .. q(os.getenv("PATH")), "HOME=" .. q(M.home), "XDG_CONFIG_HOME=" .. q(M.xdg) }
  for k, v in pairs(env or {}) do parts[#parts + 1] = k .. "=" .. q(v) end
  parts[#parts + 1] = q(M.BIN)
  for _, a in ipairs(argv) do parts[#parts + 1] = q(a) end
  local p = io.popen(table.concat(parts, " ") .. " >" .. q(out) .. " 2>" .. q(err) .. " </dev/null; echo $?")
  local code = tonumber(p:read("a"):match("(%d+)"))
  p:close()
  local o, e = M.read(out), M.read(err)
  os.remove(out)
  os.remove(err)
  M.transcript[#M.transcript + 1] = o .. e
  return o, e, code
end

--- Whether util-linux `script` can give the command a terminal.
function M.have_script()
  return os.execute("command -v script >/dev/null 2>&1") == true
end

--- Run bin/tingting on a pseudo-terminal (stdout and stderr both go to it);
-- returns everything it wrote and the exit code.
function M.run_tty(argv, env)
  local parts = { "env", "-i", "PATH=" .. q(os.getenv("PATH")), "HOME=" .. q(M.home), "XDG_CONFIG_HOME=" .. q(M.xdg) }
  for k, v in pairs(env or {}) do parts[#parts + 1] = k .. "=" .. q(v) end
  parts[#parts + 1] = q(M.BIN)
  for _, a in ipairs(argv) do parts[#parts + 1] = q(a) end
  local out = os.tmpname()
  local p = io.popen("script -qec " .. q(table.concat(parts, " ")) .. " /dev/null </dev/null >" .. q(out)
    .. " 2>&1; echo $?")
  local code = tonumber(p:read("a"):match("(%d+)"))
  p:close()
  local o = M.read(out)
  os.remove(out)
  M.transcript[#M.transcript + 1] = o
  return o, code
end

--- Run with the emulator as base URL (through TINGTING_BASE_URL).
function M.tt(argv, env)
  local e = {}
  for k, v in pairs(env or {}) do e[k] = v end
  if e.TINGTING_BASE_URL == nil then e.TINGTING_BASE_URL = emu.url() end
  return M.run(argv, e)
end

function M.login()
  local out, err, code = M.run({ "login", "--base-url", emu.url() }, M.CREDS)
  assert(code == 0, "login failed: " .. out .. err)
end

function M.session_file() return M.xdg .. "/tingting/session.json" end

--- "METHOD /path" of every API request the emulator logged.
function M.paths_requested()
  local list = {}
  for _, r in ipairs(emu.requests()) do list[#list + 1] = r.method .. " " .. r.path end
  return list
end

function M.requested(pattern)
  for _, line in ipairs(M.paths_requested()) do
    if line:find(pattern) then return true end
  end
  return false
end

function M.make_campaign(name, services, numbers)
  local out, err, code = M.tt { "campaigns", "create", "--name", name, "--services", services or "SMS",
    "--number", table.concat(numbers or { "9843818700", "9851022343" }, ","), "--json" }
  assert(code == 0, "create failed: " .. out .. err)
  return M.decode(out)
end

return M
