-- Every operation of tingting.endpoints() with valid arguments, called through
-- the public API (session and object methods), for the specs that run each op
-- under faults, hostile input or with logging on.
--
--   local ops = require "spec.helpers.ops"
--   local ctx = ops.setup(s)        -- a fresh campaign, number and phone sids
--   ops.bind(s, ctx) -> ctx       -- the same objects bound to session s, with no request
--   ops.call(s, op, ctx) -> result | nil, err
--   ops.args(op, ctx) -> the argument table core.build sees for op
--   ops.path(s, op, ctx) -> method, path (no query) of op's request
local tingting = require "tingting"
local core = require "tingting.core"
local cjson = require "cjson"
local emu = require "spec.helpers.emulator"

local M = {}

M.OTP = { number = "9851023212", message = "Your code is {otp}", sms_send_options = "text", otp_length = 6 }

-- A campaign with one number, an owned phone sid (to release) and one for
-- sale (to buy). Made through `s`, so its connection is kept alive after.
function M.setup(s)
  local st = emu.state()
  if #st.owned_numbers == 0 then assert(s:buy_number(st.available_numbers[1].phone_number_sid)) end
  if #st.available_numbers == 0 then assert(s:release_number(st.owned_numbers[1].phone_number_sid)) end
  st = emu.state()
  local c = assert(s:create_campaign { name = "ops", services = "SMS", individual_number = { "9843818700" } })
  local n = assert(c:add_number("9851022343"))
  return { c = c, n = n, sale = st.available_numbers[1].phone_number_sid,
    owned = st.owned_numbers[1].phone_number_sid, refresh = s.refresh_token }
end

-- Objects call through the session they came from; these copies (made from
-- their fields, as if s had read them) call through `s`.
function M.bind(s, ctx)
  local out = {}
  for k, v in pairs(ctx) do out[k] = v end
  local function wrap(op, key, obj)
    local fields = type(obj) == "table" and obj or core.fields(obj) -- plain fields make an object too
    local body = cjson.encode { status = 200, success = true, data = { [key] = { fields } } }
    return assert(core.parse(s, op, 200, body, {}))
  end
  out.c = wrap("campaign", "details", ctx.c)
  out.n = wrap("number", "number-detail", ctx.n)
  return out
end

local ARGS = {
  login = function() return { email = "test@gmail.com", password = "test" } end,
  refresh = function(ctx) return { refresh = ctx.refresh } end,
  buy_number = function(ctx) return { phone_sid = ctx.sale } end,
  release_number = function(ctx) return { phone_sid = ctx.owned } end,
  campaigns = function() return { page = 1 } end,
  campaign = function(ctx) return { id = ctx.c.id } end,
  create_campaign = function() return { name = "made", services = "PHONE", individual_number = { "9843818701" } } end,
  update_campaign = function(ctx) return { id = ctx.c.id, description = "changed" } end,
  delete_campaign = function(ctx) return { id = ctx.c.id } end,
  begin = function(ctx) return { id = ctx.c.id, message = "hello" } end,
  campaign_numbers = function(ctx) return { id = ctx.c.id } end,
  add_number = function(ctx) return { id = ctx.c.id, number = "9851022399" } end,
  report = function(ctx) return { campaign_id = ctx.c.id } end,
  number = function(ctx) return { id = ctx.n.id } end,
  update_number = function(ctx) return { id = ctx.n.id, number = "9851022344" } end,
  delete_number = function(ctx) return { id = ctx.n.id } end,
  test_voice = function() return { message = "नमस्कार", voice_input = "np_rija" } end,
  send_otp = function() return M.OTP end,
}

-- v1 (docs/api/v1.md): valid arguments of each op of tingting.endpoints("v1")
-- that takes any; `ctx.file` is a readable file for bulk_file.
M.OTP_V1 = { number = "9851023212", message = "Your code is {otp}", sms_send_options = "text", otp_length = 6,
  company_name = "prixa" }
local ARGS_V1 = {
  login = ARGS.login,
  dashboard = function() return { days = 7 } end,
  campaigns = function() return { limit = 10, offset = 0 } end,
  campaign = ARGS.campaign,
  create_campaign = function() return { name = "made", services = "PHONE" } end,
  update_campaign = function(ctx) return { id = ctx.c.id, name = "changed" } end,
  set_message = function(ctx) return { id = ctx.c.id, voice = 3 } end,
  delete_campaign = ARGS.delete_campaign,
  add_number = function(ctx) return { id = ctx.c.id, contacts = { { number = "9851022399" } } } end,
  upload_numbers = function(ctx) return { id = ctx.c.id, bulk_file = ctx.file } end,
  campaign_numbers = function(ctx) return { id = ctx.c.id, limit = 10 } end,
  number_attributes = ARGS.number,
  update_number_attributes = function(ctx) return { id = ctx.n.id, available_tags = { name = "Ram" } } end,
  update_number = ARGS.update_number,
  delete_number = ARGS.delete_number,
  test_voice = function(ctx) return { id = ctx.c.id, message = "नमस्कार", voice_input = 5 } end,
  demo_call = ARGS.number,
  begin = ARGS.campaign,
  report = ARGS.campaign,
  survey_report = function(ctx) return { id = ctx.c.id, format = "json" } end,
  send_otp = function() return M.OTP_V1 end,
  otps = function() return { limit = 10 } end,
}

-- A fresh table each time: callers may change it. `api`: "v1" for the v1 table.
function M.args(op, ctx, api)
  local f = (api == "v1" and ARGS_V1 or ARGS)[op]
  if not f then return nil end
  local out = {}
  for k, v in pairs(f(ctx)) do out[k] = v end
  return out
end

-- The public method that performs each op.
local CALL = {
  login = function(s) return s:login("test@gmail.com", "test") end,
  refresh = function(s) return s:refresh() end,
  buy_number = function(s, ctx) return s:buy_number(ctx.sale) end,
  release_number = function(s, ctx) return s:release_number(ctx.owned) end,
  campaigns = function(s) return s:campaigns { page = 1 } end,
  campaign = function(s, ctx) return s:campaign(ctx.c.id) end,
  create_campaign = function(s, ctx) return s:create_campaign(M.args("create_campaign", ctx)) end,
  update_campaign = function(_, ctx) return ctx.c:update { description = "changed" } end,
  delete_campaign = function(_, ctx) return ctx.c:delete() end,
  begin = function(_, ctx) return ctx.c:begin { message = "hello" } end,
  campaign_numbers = function(_, ctx) return ctx.c:numbers() end,
  add_number = function(_, ctx) return ctx.c:add_number("9851022399") end,
  report = function(_, ctx) return ctx.c:report() end,
  number = function(s, ctx) return s:number(ctx.n.id) end,
  update_number = function(_, ctx) return ctx.n:update { number = "9851022344" } end,
  delete_number = function(_, ctx) return ctx.n:delete() end,
  test_voice = function(s) return s:test_voice(M.args("test_voice")) end,
  send_otp = function(s) return s:send_otp(M.OTP) end,
}

function M.call(s, op, ctx)
  local f = CALL[op]
  if f then return f(s, ctx) end
  return s[op](s) -- user, owned_numbers, available_numbers, report_summary
end

function M.path(s, op, ctx)
  local req = assert(core.build(s, op, M.args(op, ctx, s.api)))
  return req.method, (req.path:gsub("%?.*$", ""))
end

--- Every op of the endpoint table of `api` ("legacy" by default), in table order.
function M.list(api)
  local out = {}
  for _, ep in ipairs(tingting.endpoints(api)) do out[#out + 1] = ep end
  return out
end

-- v1 -------------------------------------------------------------------------

--- A new API token from the emulator's admin API.
function M.api_key()
  local status, body = emu.http("POST", "/__emulator__/api-token")
  assert(status == 201, body)
  return cjson.decode(body).token
end

--- A campaign with one contact, and a contacts file, made through v1 session `s`.
function M.setup_v1(s)
  local c = assert(s:create_campaign { name = "ops", services = "PHONE", message = "नमस्कार" })
  local n = assert(c:add_number("9851022343"))
  return { c = c, n = n, file = emu.tmpfile("numbers\n9851022390\n", ".csv") }
end

--- The same objects bound to v1 session `s`, with no request.
function M.bind_v1(s, ctx)
  local out = {}
  for k, v in pairs(ctx) do out[k] = v end
  out.c = assert(core.parse(s, "campaign", 200, cjson.encode(core.fields(ctx.c)), {}))
  local n = core.fields(ctx.n)
  n.available_tags = nil -- #21's answer has no variables
  out.n = assert(core.parse(s, "update_number", 200, cjson.encode(n), {}))
  return out
end

-- The public method that performs each v1 op.
local CALL_V1 = {
  login = CALL.login,
  refresh = CALL.refresh,
  generate_api_token = function(s) return s:generate_api_token() end,
  dashboard = function(s) return s:dashboard { days = 7 } end,
  campaigns = function(s) return s:campaigns { limit = 10, offset = 0 } end,
  campaign = CALL.campaign,
  create_campaign = function(s) return s:create_campaign { name = "made", services = "PHONE" } end,
  update_campaign = function(_, ctx) return ctx.c:update { name = "changed" } end,
  set_message = function(_, ctx) return ctx.c:set_message { voice = 3 } end,
  delete_campaign = CALL.delete_campaign,
  add_number = CALL.add_number,
  upload_numbers = function(_, ctx) return ctx.c:upload_numbers(ctx.file) end,
  campaign_numbers = function(_, ctx) return ctx.c:numbers { limit = 10 } end,
  number_attributes = function(_, ctx) return ctx.n:attributes() end,
  update_number_attributes = function(_, ctx) return ctx.n:update { available_tags = { name = "Ram" } } end,
  update_number = CALL.update_number,
  delete_number = CALL.delete_number,
  test_voice = function(_, ctx) return ctx.c:test_voice { message = "नमस्कार", voice_input = 5 } end,
  demo_call = function(_, ctx) return ctx.n:demo_call() end,
  begin = function(_, ctx) return ctx.c:begin() end,
  report = CALL.report,
  survey_report = function(s, ctx) return s:survey_report(ctx.c.id, { format = "json" }) end,
  send_otp = function(s) return s:send_otp(M.OTP_V1) end,
  otps = function(s) return s:otps { limit = 10 } end,
}

function M.call_v1(s, op, ctx)
  local f = CALL_V1[op]
  if f then return f(s, ctx) end
  return s[op](s) -- user, api_token, voice_models, sender_numbers, owned_numbers
end

return M
