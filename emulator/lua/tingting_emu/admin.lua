-- The admin API under /__emulator__/: reset, config, faults, request log, state.
local util = require "tingting_emu.util"
local state = require "tingting_emu.state"
local request = require "tingting_emu.request"
local faults = require "tingting_emu.faults"
local run = require "tingting_emu.run"
local v1auth = require "tingting_emu.v1.auth"

local _M = {}

local function config_view()
  local c = {}
  for k in pairs(state.DEFAULTS) do c[k] = state.config[k] end
  return c
end

local function set_config()
  local body = request.body()
  local names = {}
  for k in pairs(state.DEFAULTS) do names[#names + 1] = k end
  request.no_unknown(body, names)
  local new = {}
  for _, k in ipairs({ "access_ttl", "refresh_ttl", "latency_ms", "page_size", "credits" }) do
    new[k] = request.integer(body, k, { min = (k == "page_size") and 1 or 0 })
  end
  if request.present(body.run_speed) then
    if type(body.run_speed) ~= "number" or body.run_speed < 0 then
      util.bad("run_speed", "Must be a number of seconds, 0 or more.")
    end
    new.run_speed = body.run_speed
  end
  new.seed = request.integer(body, "seed")
  for k, v in pairs(new) do state.config[k] = v end
  -- `credits` sets the account's available credits now; holds are left alone.
  if new.credits then state.credits.available = new.credits end
  return util.json(200, config_view())
end

-- Expires every credential of the kinds named true: access and refresh JWTs (cookies
-- or Bearer, either face) issued so far stop working; the v1 API token is soft-deleted.
local function expire()
  local body = request.body()
  request.no_unknown(body, { "access", "refresh", "api_token" })
  local expired = util.array()
  for _, k in ipairs({ "access", "refresh", "api_token" }) do
    local v = body[k]
    if v ~= nil and type(v) ~= "boolean" then util.bad(k, "Must be a boolean.") end
    if v then
      if k == "api_token" then v1auth.revoke_api_token() else state.expire_tokens(k) end
      expired[#expired + 1] = k
    end
  end
  if #expired == 0 then
    util.bad("access", "Name what to expire: access, refresh and/or api_token set to true.")
  end
  return util.json(200, { expired = expired })
end

local function api_token_state()
  return state.api_token and v1auth.token_view(state.api_token) or util.null
end

local function number_state(n, now)
  local s = run.number_state(n, now)
  return {
    id = n.id, number = util.raw_number(n.digits), available_tags = n.tags,
    status = s.status, duration = s.duration, playback = s.playback,
    credit_consumed = s.credit_consumed, attempts = n.attempts,
  }
end

local function full_state()
  local now = ngx.now()
  local ids = {}
  for id in pairs(state.campaigns) do ids[#ids + 1] = id end
  table.sort(ids)
  local cs = util.array()
  for _, id in ipairs(ids) do
    local c = state.campaigns[id]
    local nums = util.array()
    for _, nid in ipairs(c.numbers) do nums[#nums + 1] = number_state(state.numbers[nid], now) end
    local tags = util.array()
    for i, t in ipairs(c.usable_tags) do tags[i] = t end
    cs[#cs + 1] = {
      id = c.id, name = c.name, services = c.services,
      description = c.description == nil and util.null or c.description,
      usable_tags = tags, numbers = nums,
      message = c.message or util.null,
      audio = c.audio and { filename = c.audio.filename, size = c.audio.size } or util.null,
      voice_input = c.voice_input or util.null,
      voice = c.voice or util.null, sms_message = c.sms_message or util.null,
      schedule = c.schedule or util.null, draft = c.draft or false,
      category = c.category or util.null, user_phone = util.array(c.user_phone and { unpack(c.user_phone) }),
      failover_target = util.array(c.failover_target and { unpack(c.failover_target) }),
    }
  end
  local runs = util.array()
  for _, r in ipairs(state.runs) do
    local targets = util.array()
    for i, id in ipairs(r.targets) do targets[i] = id end
    runs[#runs + 1] = {
      id = r.id, campaign_id = r.campaign_id, start = r.start, hold = r.hold,
      done = r.done or false, used = r.used or util.null, cancelled = r.cancelled or false,
      targets = targets, message = r.message or util.null, voice_input = r.voice_input,
      priority = r.priority or util.null, scheduled = r.scheduled or false,
    }
  end
  local owned, available = util.array(), util.array()
  for _, p in ipairs(state.phones) do
    local list = p.owned and owned or available
    list[#list + 1] = state.phone_view(p)
  end
  local otps = util.array()
  for i, o in ipairs(state.otps) do otps[i] = o end
  local demo = util.array()
  for i, d in ipairs(state.demo_calls) do demo[i] = d end
  return {
    campaigns = cs, runs = runs, owned_numbers = owned, available_numbers = available,
    credits = state.credits, otps = otps, config = config_view(), api_token = api_token_state(),
    demo_calls = demo,
  }
end

local function rules()
  local list = util.array()
  for i, r in ipairs(state.faults) do list[i] = faults.view(r) end
  return list
end

local ROUTES = {
  ["/__emulator__/reset"] = {
    POST = function()
      state.reset()
      return util.json(200, { reset = true, config = config_view() })
    end,
  },
  ["/__emulator__/config"] = {
    GET = function() return util.json(200, config_view()) end,
    POST = set_config,
  },
  ["/__emulator__/faults"] = {
    GET = function() return util.json(200, rules()) end,
    POST = function() return util.json(201, faults.view(faults.add(request.body()))) end,
    DELETE = function()
      state.faults = {}
      return util.json(200, rules())
    end,
  },
  ["/__emulator__/requests"] = {
    GET = function()
      local list = util.array()
      for i, r in ipairs(state.requests) do list[i] = r end
      return util.json(200, list)
    end,
    DELETE = function()
      state.requests = {}
      return util.json(200, util.array())
    end,
  },
  ["/__emulator__/api-token"] = {
    GET = function() return util.json(200, { api_token = api_token_state() }) end,
    POST = function() return util.json(201, v1auth.token_view(v1auth.new_api_token())) end,
    DELETE = function() return util.json(200, { revoked = v1auth.revoke_api_token() }) end,
  },
  ["/__emulator__/expire"] = { POST = expire },
  -- Per campaign: how many numbers, how many distinct (exactly-once checks
  -- of a million-number campaign without the whole state as JSON).
  ["/__emulator__/summary"] = {
    GET = function()
      local list = util.array()
      for id, c in pairs(state.campaigns) do
        local seen, distinct = {}, 0
        for _, nid in ipairs(c.numbers) do
          local n = state.numbers[nid]
          local key = n and (n.digits or tostring(n.number))
          if key and not seen[key] then
            seen[key] = true
            distinct = distinct + 1
          end
        end
        list[#list + 1] = { id = id, numbers = #c.numbers, distinct = distinct }
      end
      table.sort(list, function(a, b) return a.id < b.id end)
      return util.json(200, { campaigns = list, requests_dropped = state.requests_dropped or 0 })
    end,
  },
  ["/__emulator__/state"] = {
    GET = function()
      run.settle()
      return util.json(200, full_state())
    end,
  },
}

function _M.handle(method, path)
  local remote = ngx.var.remote_addr or ""
  if remote ~= "127.0.0.1" and remote ~= "::1" and not remote:match("^unix:") then
    return util.json(403, { detail = "The admin API answers loopback clients only." })
  end
  local route = ROUTES[path]
  if not route then return util.fail(404, "Not found.") end
  local handler = route[method]
  if not handler then
    return util.json(405, { detail = string.format('Method "%s" not allowed.', method) })
  end
  return handler()
end

return _M
