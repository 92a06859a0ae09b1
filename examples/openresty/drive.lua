-- The HTTP side of demo.lua and demo_2hosts.lua: JSON requests to the OTP
-- service (as a web or mobile app would make them) and to the emulator's
-- admin API, and one printed line a step.
--   local drive = require "drive"
--   local d = drive.new(EMULATOR_URL, 44)   -- 44: the width of a step's name
--   d.show("POST /otp/send", d.call("POST", url, { number = "..." }))
--   d.otps() -> what the emulator "sent", oldest first; d.requests() -> its request log
--   d.close()
local tingting = require "tingting"
local cjson = require "cjson"

local M = {}

function M.new(emulator, width)
  local http = tingting.transport.curl { timeout = 10 }
  local d = {}

  -- idempotent = false: a demo step runs once, as the user would click once
  function d.call(method, url, doc)
    local status, body, headers = http:request { method = method, url = url, idempotent = false,
      headers = { ["Content-Type"] = "application/json", Accept = "application/json" },
      body = doc and cjson.encode(doc) or nil }
    assert(status, body and body.message)
    return status, cjson.decode(body), headers
  end

  function d.show(what, status, doc, headers)
    local extra = headers and headers["retry-after"] and ("  (Retry-After: " .. headers["retry-after"] .. ")") or ""
    print(("%-" .. width .. "s -> %d %s%s"):format(what, status, cjson.encode(doc), extra))
  end

  -- What reached the phone: the emulator keeps every OTP it "sent".
  function d.otps()
    local _, st = d.call("GET", emulator .. "/__emulator__/state")
    return st.otps
  end

  function d.requests()
    local _, log = d.call("GET", emulator .. "/__emulator__/requests")
    return log
  end

  function d.close() http:close() end

  return d
end

return M
