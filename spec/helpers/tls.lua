-- Test helper: self-signed certificates made with the openssl command, and
-- nginx configuration templates filled in with them.
--
--   local tls = require "spec.helpers.tls"
--   local certs = tls.certs()   -- {dir =, ca =}: cert.pem/key.pem for 127.0.0.1,
--                               -- other.pem/other-key.pem for other.example,
--                               -- ca.pem trusting both; removed by tls.remove(certs)
--   tls.fill(template, {NAME = value}, out_path)  -- @NAME@ -> value
--   tls.free_port(from) -> a port nothing listens on
-- Files are world-readable: nginx's workers run as nobody when its master is root.
local emu = require "spec.helpers.emulator"

local M = {}

local function sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function run(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  if not ok then error("command failed: " .. cmd .. "\n" .. out, 2) end
  return out
end

local function self_signed(dir, name, san, cert, key)
  run(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=%s "
    .. "-addext %s -keyout %s -out %s"):format(name, sh_quote("subjectAltName=" .. san),
    sh_quote(dir .. "/" .. key), sh_quote(dir .. "/" .. cert)))
end

function M.certs()
  local dir = (os.getenv("TMPDIR") or "/tmp") .. "/tingting-certs-" .. tostring(os.time()) .. "-"
    .. tostring(math.random(1e6))
  run("mkdir -p " .. sh_quote(dir) .. " && chmod 755 " .. sh_quote(dir))
  self_signed(dir, "127.0.0.1", "DNS:127.0.0.1,IP:127.0.0.1", "cert.pem", "key.pem")
  self_signed(dir, "other.example", "DNS:other.example", "other.pem", "other-key.pem")
  run(("cat %s/cert.pem %s/other.pem > %s/ca.pem && chmod 644 %s/*.pem"):format(sh_quote(dir), sh_quote(dir),
    sh_quote(dir), sh_quote(dir)))
  return { dir = dir, ca = dir .. "/ca.pem" }
end

function M.remove(certs)
  if certs and certs.dir then os.execute("rm -rf " .. sh_quote(certs.dir)) end
end

--- Fill @NAME@ placeholders of the file `template` and write `out`.
function M.fill(template, values, out)
  local f = assert(io.open(template, "rb"))
  local text = f:read("a")
  f:close()
  text = text:gsub("@([%u%d_]+)@", function(name)
    local v = values[name]
    return v ~= nil and tostring(v) or nil
  end)
  f = assert(io.open(out, "wb"))
  f:write(text)
  f:close()
  os.execute("chmod 644 " .. sh_quote(out))
  return out
end

function M.free_port(from)
  for port = from, from + 99 do
    if emu.port_free(port) then return port end
  end
  error("no free port from " .. from, 2)
end

return M
