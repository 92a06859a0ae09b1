-- Test helper for the specs of c:add_numbers against the emulator
-- (spec/batch_spec.lua, spec/batch_stream_spec.lua, spec/v1_batch_spec.lua).
--
--   local B = require "spec.helpers.batch"
--   s, c = B.start_legacy(name)     a reset emulator, a legacy session (5 s timeout),
--                                   an SMS campaign holding 9843818700, and retries
--                                   backing off 0.01 s
--   s, c = B.start_v1(name)         the same on v1 (an API token, a PHONE campaign),
--                                   the request log cleared after the set-up
--   B.finish(s)                     the end of either: the retry policy as it was,
--                                   faults cleared, s closed
--   B.every_fault(path, { cut =, after =, status = })  POSTs to path dropped,
--                                   truncated, answered in HTML, dropped after
--                                   being acted on, 429 and 503, at those rates
--   B.make_numbers(n[, start]) -> n distinct valid numbers
--   B.failed_numbers(report) -> { [number] = err } of report.failed
local tingting = require "tingting"
local call = require "tingting.call"
local emu = require "spec.helpers.emulator"
local V = require "spec.helpers.emulator_v1"

local M = {}

local saved

-- Retries back off 0.01 s instead of the policy's default so that the
-- fault runs take seconds, not minutes.
local function fast_retries()
  saved = call.policy.backoff_base
  call.policy.backoff_base = 0.01
end

function M.start_legacy(name)
  emu.reset()
  local s = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test", timeout = 5 })
  local c = assert(s:create_campaign { name = name, services = "SMS", individual_number = { "9843818700" } })
  fast_retries()
  return s, c
end

function M.start_v1(name)
  V.fresh()
  local s = assert(tingting.session { base_url = emu.url(), api_key = V.token, timeout = 5 })
  local c = assert(s:create_campaign { name = name, services = "PHONE" })
  assert(c:add_number("9843818700"))
  emu.clear_requests()
  fast_retries()
  return s, c
end

function M.finish(s)
  call.policy.backoff_base = saved
  emu.clear_faults()
  s:close()
end

function M.every_fault(path, rates)
  for _, kind in ipairs { "drop", "truncate", "html" } do
    emu.fault { method = "POST", path = path, kind = kind, rate = rates.cut }
  end
  emu.fault { method = "POST", path = path, kind = "drop", after = true, rate = rates.after }
  emu.fault { method = "POST", path = path, kind = "status", status = 429, retry_after = 0, rate = rates.status }
  emu.fault { method = "POST", path = path, kind = "status", status = 503, rate = rates.status }
end

function M.make_numbers(n, start)
  local out = {}
  for i = 1, n do out[i] = tostring(9800000000 + (start or 0) + i) end
  return out
end

function M.failed_numbers(report)
  local failed = {}
  for _, f in ipairs(report.failed) do failed[f.number] = f.err end
  return failed
end

return M
