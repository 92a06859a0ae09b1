-- The fault matrix: every operation of tingting.endpoints() (legacy and v1) x every fault the
-- emulator injects, through the public API and the default curl transport,
-- asserting the outcome (error kind, status, sent, retryable) and the exact
-- number of requests the emulator received for that operation.
--
-- Each call runs on a fresh session (its own connection), so every request
-- counted is one the Lua retry loop made: libcurl's own replay of an
-- idempotent request on a reused connection that died is specified in
-- spec/retry_policy_spec.lua.
local tingting = require "tingting"
local call = require "tingting.call"
local emu = require "spec.helpers.emulator"
local ops = require "spec.helpers.ops"

local MAX_RETRIES = 1
local TIMEOUT = 0.25

-- status x body, drop before and after processing, truncate, delay past the timeout;
-- `count` = the fault hits that many requests, else all of them.
local FAULTS = {}
for _, status in ipairs { 429, 500, 502, 503, 504 } do
  FAULTS[#FAULTS + 1] = { kind = "status", status = status, body = "json" }
  FAULTS[#FAULTS + 1] = { kind = "status", status = status, body = "html" }
end
FAULTS[#FAULTS + 1] = { kind = "status", status = 503, count = 1 }
FAULTS[#FAULTS + 1] = { kind = "status", status = 429, retry_after = 0, count = 1 }
FAULTS[#FAULTS + 1] = { kind = "drop" }
FAULTS[#FAULTS + 1] = { kind = "drop", after = true }
FAULTS[#FAULTS + 1] = { kind = "truncate" }
FAULTS[#FAULTS + 1] = { kind = "delay", delay_ms = 600 }

local function describe_fault(f)
  local parts = { f.kind }
  if f.status then parts[#parts + 1] = tostring(f.status) end
  if f.body then parts[#parts + 1] = f.body end
  if f.after then parts[#parts + 1] = "after processing" end
  if f.count then parts[#parts + 1] = "once" end
  return table.concat(parts, " ")
end

-- Answers without a body (204) cannot be cut short: the call succeeds.
local NO_BODY = { legacy = { release_number = true }, v1 = { delete_campaign = true } }
-- Ops that change what the next call needs: a fresh campaign, number and sids per fault.
local CONSUMES = { delete_campaign = true, delete_number = true, buy_number = true, release_number = true }

-- What docs/design.md promises for `op` under fault `f`.
local function expected(ep, f, api)
  local kind, may_retry
  if f.kind == "status" then
    kind = f.status == 429 and "rate_limited" or "server"
    may_retry = f.status == 429 or ep.idempotent
  elseif f.kind == "delay" then
    kind, may_retry = "timeout", ep.idempotent
  else
    kind, may_retry = "network", ep.idempotent
  end
  if f.kind == "truncate" and NO_BODY[api][ep.op] then return { ok = true, requests = 1 } end
  if f.count then
    -- one failure, then the real answer if a retry was allowed
    if may_retry then return { ok = true, requests = 2 } end
    return { kind = kind, status = f.status, retryable = false, requests = 1 }
  end
  return { kind = kind, status = f.status, retryable = may_retry,
    requests = may_retry and (MAX_RETRIES + 1) or 1 }
end

-- One op under every fault: on a fresh session from `fresh()`, with the
-- objects of `ctx` bound to it by `bind`, called by `run`.
local function under_every_fault(ep, setup, fresh, bind, run)
  local ctx
  for _, f in ipairs(FAULTS) do
    if ctx == nil or CONSUMES[ep.op] then ctx = setup() end
    local s = fresh(ep.op)
    local sctx = bind(s, ctx)
    local method, path = ops.path(s, ep.op, sctx)
    local rule = { method = method, path = path }
    for k, v in pairs(f) do rule[k] = v end
    emu.clear_requests()
    local id = emu.fault(rule).id
    local res, err = run(s, ep.op, sctx)
    if res ~= nil then err = nil end -- the second value of a success is metadata
    -- A delayed request the client gave up on still runs on the server: one
    -- that changes state (a delete, a new API token that retires the one
    -- the next test uses) must land before the next fault or test.
    if f.kind == "delay" and (CONSUMES[ep.op] or ep.op == "generate_api_token") then
      require("socket").sleep(f.delay_ms / 1000 + 0.2)
    end
    -- A rule without count sees every request (the log would miss the
    -- ones still being delayed); one with count stops matching when spent.
    local received = 0
    if f.count then
      for _, r in ipairs(emu.requests()) do
        if r.method == method and r.path == path then received = received + 1 end
      end
    else
      for _, r in ipairs(emu.faults()) do
        if r.id == id then received = r.matched end
      end
    end
    emu.clear_faults()
    local api = s.api
    s:close()
    local want, what = expected(ep, f, api), ep.op .. " under " .. describe_fault(f)
    assert.equal(want.requests, received, what .. ": requests received")
    if want.ok then
      assert.is_nil(err, what .. ": " .. tostring(err))
      assert.is_not_nil(res, what)
    else
      assert.is_nil(res, what)
      assert.is_true(tingting.is_error(err), what)
      assert.equal(want.kind, err.kind, what .. ": " .. tostring(err))
      assert.equal(want.status, err.status, what)
      assert.is_true(err.sent, what .. ": sent")
      assert.equal(want.retryable, err.retryable, what .. ": retryable")
      assert.equal(ep.op, err.op, what)
    end
  end
end

describe("fault matrix", function()
  local owner, saved_base
  setup(function()
    emu.reset()
    saved_base = call.policy.backoff_base
    call.policy.backoff_base = 0.001
    owner = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test" })
    assert(owner:login())
  end)
  teardown(function()
    call.policy.backoff_base = saved_base
    emu.clear_faults()
    owner:close()
  end)

  local function fresh_session()
    return assert(tingting.session { base_url = emu.url(), access_token = owner.access_token,
      refresh_token = owner.refresh_token, timeout = TIMEOUT, connect_timeout = TIMEOUT,
      max_retries = MAX_RETRIES })
  end

  it("covers every op of the endpoint table with a method to call and valid arguments", function()
    local ctx = ops.setup(owner)
    for _, ep in ipairs(ops.list()) do
      local method, path = ops.path(owner, ep.op, ctx)
      assert.equal(ep.method, method, ep.op)
      assert.is_string(path)
    end
    assert.equal(22, #ops.list())
  end)

  for _, ep in ipairs(ops.list()) do
    it(("%s (%s) under every fault"):format(ep.op, ep.idempotent and "idempotent" or "not idempotent"), function()
      under_every_fault(ep, function() return ops.setup(owner) end, fresh_session, ops.bind, ops.call)
    end)
  end
end)

describe("fault matrix on v1", function()
  local owner, key, saved_base
  setup(function()
    emu.reset()
    saved_base = call.policy.backoff_base
    call.policy.backoff_base = 0.001
    key = ops.api_key()
    owner = assert(tingting.session { base_url = emu.url(), api_key = key })
  end)
  teardown(function()
    call.policy.backoff_base = saved_base
    emu.clear_faults()
    owner:close()
  end)

  -- refresh and generate_api_token need a login session (cookies, a JWT):
  -- it logs in before the fault goes in; the rest use the API token.
  local LOGIN = { refresh = true, generate_api_token = true }
  local function fresh_session(op)
    local opts = { base_url = emu.url(), timeout = TIMEOUT, connect_timeout = TIMEOUT, max_retries = MAX_RETRIES }
    if LOGIN[op] then
      opts.api, opts.email, opts.password = "v1", "test@gmail.com", "test"
    else
      opts.api_key = key
    end
    if LOGIN[op] then
      -- logged in on a session of its own, so that the one under test has a
      -- connection of its own too (libcurl replays an idempotent request on
      -- a reused connection that died: spec/retry_policy_spec.lua)
      local login = assert(tingting.session(opts))
      assert(login:login())
      opts.email, opts.password = nil, nil
      opts.access_token, opts.refresh_token = login.access_token, login.refresh_token
      login:close()
    end
    return assert(tingting.session(opts))
  end

  it("covers every op of the v1 table with a method to call and valid arguments", function()
    local ctx = ops.setup_v1(owner)
    for _, ep in ipairs(ops.list("v1")) do
      local method, path = ops.path(owner, ep.op, ctx)
      assert.equal(ep.method, method, ep.op)
      assert.is_string(path)
    end
    assert.equal(29, #ops.list("v1"))
  end)

  for _, ep in ipairs(ops.list("v1")) do
    it(("%s (%s) under every fault"):format(ep.op, ep.idempotent and "idempotent" or "not idempotent"), function()
      -- a token of its own: generate_api_token soft-deletes the one before
      key = ops.api_key()
      owner:close()
      owner = assert(tingting.session { base_url = emu.url(), api_key = key })
      under_every_fault(ep, function() return ops.setup_v1(owner) end, fresh_session, ops.bind_v1, ops.call_v1)
    end)
  end
end)
