-- wrk script for bench/openresty.lua: POST /otp/send with a new number every
-- request (no resend cooldown in the way), numbers unique across threads.
-- luacheck: globals wrk setup init request id
local threads, counter = 0, 0

function setup(thread)
  thread:set("id", threads) -- a global of that thread's Lua state
  threads = threads + 1
end

function init()
  counter = 0
end

local headers = { ["Content-Type"] = "application/json" }

function request()
  counter = counter + 1
  return wrk.format("POST", "/otp/send", headers, string.format('{"number":"9%d%08d"}', 7 - id, counter))
end
