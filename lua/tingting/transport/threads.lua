--- What the transports that run inside nginx (subrequests and cosockets)
-- share: batches on light threads (`many` over any object with `request`),
-- and the file a download is written to.
-- @module tingting.transport.threads
local core = require "tingting.core"
local spawn, wait = ngx.thread.spawn, ngx.thread.wait

local M = {}

--- Run `reqs` on transport `t` with at most `concurrency` in flight on light
-- threads, calling `on_done(i, status, body, headers)` or `on_done(i, nil,
-- err)` as each ends. An error raised by on_done (or a bad request table)
-- stops new requests; those in flight finish unreported, then the error goes
-- on. `name` names the transport in the errors of misuse.
function M.many(t, reqs, concurrency, on_done, name)
  assert(type(reqs) == "table", name .. ": many() needs a list of requests")
  assert(type(concurrency) == "number" and concurrency >= 1, name .. ": concurrency must be >= 1")
  assert(type(on_done) == "function", name .. ": many() needs an on_done function")
  local n, nexti, failure = #reqs, 0, nil
  local function run()
    while failure == nil do
      nexti = nexti + 1
      local i = nexti
      if i > n then return end
      local rok, status, body, headers = pcall(t.request, t, reqs[i])
      if not rok then failure = status end -- a bad request table: the caller's error
      if failure ~= nil then return end
      local ok, err = pcall(on_done, i, status, body, headers)
      if not ok then failure = err end
    end
  end
  local threads = {}
  for k = 1, math.min(math.floor(concurrency), n) do
    local th, err = spawn(run)
    if not th then error(name .. ": cannot start a light thread: " .. tostring(err), 0) end
    threads[k] = th
  end
  for k = 1, #threads do
    local ok, err = wait(threads[k])
    if not ok and failure == nil then failure = err end
  end
  if failure ~= nil then error(failure, 0) end
  return true
end

--- A download's .part file, created anew (mode 0600: reports hold phone
-- numbers): a stale one goes first, and a link planted at the name then
-- makes the exclusive create fail instead of being written through.
function M.open_part(part)
  os.remove(part)
  local ok, err = core.create_private(part)
  if not ok then return nil, err end
  return io.open(part, "r+b")
end

return M
