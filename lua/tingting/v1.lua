--- The methods of the v1 dialect (docs/api/v1.md) whose work is more than
-- one call: pages (every page, one page, or an iterator fetching page by
-- page), the campaign set up in steps (message, run), contacts (one with its
-- id, attributes, number edits), the API token. tingting (init.lua) calls
-- these for sessions whose `api` is "v1"; the rest go straight to
-- `call.call`, which picks the v1 endpoint row.
-- @module tingting.v1
local core = require "tingting.core"
local call = require "tingting.call"
local errors = require "tingting.errors"
local objects = require "tingting.objects"
local upload = require "tingting.upload"

local M = {}

--- The page size of v1 lists: the server's maximum (reference: limit <= 10).
M.PAGE_SIZE = 10

local function copy(t)
  local out = {}
  for k, v in pairs(t or {}) do out[k] = v end
  return out
end

local function filters_of(op, filters)
  if filters ~= nil and type(filters) ~= "table" then
    return errors.invalid(op, "filters", "expected a table (got " .. type(filters) .. ")")
  end
  return copy(filters)
end

--- An iterator over every item of the list `op` (arguments `args`, which
-- may hold `limit` as the page size and `offset` as the start), fetching a
-- page when the one before is used up. It returns nil at the end, and
-- `nil, err` when a page cannot be read (which ends a for loop: call it
-- directly to see the error). The second value is a table whose `meta` is
-- the last page's pagination.
function M.pages(s, op, args)
  local limit = args.limit or M.PAGE_SIZE
  local offset = args.offset or 0
  local state = {}
  local list, n, i, done = nil, 0, 0, false
  local function next_item()
    while true do
      if i < n then
        i = i + 1
        local v = list[i]
        list[i] = nil
        return v
      end
      if done then return nil end
      local a = copy(args)
      a.limit, a.offset = limit, offset
      local page, meta = call.call(s, op, a)
      if not page then
        done = true
        return nil, meta
      end
      state.meta = meta
      list, n, i = page, #page, 0
      offset = offset + n
      local count = type(meta) == "table" and meta.count
      -- `next` is null in every sample of the reference, even with more to
      -- come: the count decides, else a short page
      if n == 0 or (count and offset >= count) or (not count and n < limit) then done = true end
    end
  end
  return next_item, state
end

--- Every item of list `op`, or with `limit` or `offset` in `filters` that
-- page only: `list, pagination` | `nil, err`.
function M.list(s, op, args, filters)
  if filters.limit ~= nil or filters.offset ~= nil then return call.call(s, op, args) end
  local it, state = M.pages(s, op, args)
  local out = {}
  while true do
    local v, err = it()
    if v == nil then
      if err then return nil, err end
      return out, state.meta
    end
    out[#out + 1] = v
  end
end

--- s:campaigns([filters]) on v1.
function M.campaigns(s, filters)
  local f, err = filters_of("campaigns", filters)
  if not f then return nil, err end
  return M.list(s, "campaigns", f, f)
end

--- s:each_campaign([filters]): an iterator of Campaign.
function M.each_campaign(s, filters)
  local f, err = filters_of("campaigns", filters)
  if not f then return function() return nil, err end end
  return (M.pages(s, "campaigns", f))
end

--- c:numbers([filters]) on v1.
function M.numbers(c, filters)
  local f, err = objects.with_id(filters, c.id, "campaign_numbers")
  if not f then return nil, err end
  return M.list(core.session_of(c), "campaign_numbers", f, f)
end

--- c:each_number([filters]): an iterator of Number.
function M.each_number(c, filters)
  local f, err = objects.with_id(filters, c.id, "campaign_numbers")
  if not f then return function() return nil, err end end
  return (M.pages(core.session_of(c), "campaign_numbers", f))
end

--- s:otps([filters]): every sent OTP (or one page with limit/offset).
function M.otps(s, filters)
  local f, err = filters_of("otps", filters)
  if not f then return nil, err end
  return M.list(s, "otps", f, f)
end

--- c:set_message{voice=, category=, length_factor=, message=, sms_message=} -> c
function M.set_message(c, args)
  local a, err = objects.with_id(args, c.id, "set_message")
  if not a then return nil, err end
  local res, cerr = call.call(core.session_of(c), "set_message", a)
  if not res then return nil, cerr end
  return core.merge_fields(c, res)
end

--- c:begin([{message=, sms_message=, voice=, length_factor=, category=}]):
-- the given fields are set first (set_message), then the campaign runs.
function M.begin(c, args)
  if args ~= nil and type(args) ~= "table" then
    return errors.invalid("begin", "arguments", "expected a table (got " .. type(args) .. ")")
  end
  if args ~= nil and next(args) ~= nil then
    local ok, err = M.set_message(c, args)
    if not ok then return nil, err end
  end
  return call.call(core.session_of(c), "begin", { id = c.id })
end

--- c:test_voice{message=, voice_input=} -> the preview's audio URL.
function M.test_voice(c, args)
  local a, err = objects.with_id(args, c.id, "test_voice")
  if not a then return nil, err end
  return call.call(core.session_of(c), "test_voice", a)
end

-- A contact's field errors name the Lua argument, not the one-element list
-- add_number sends.
local function unwrap_field(err)
  if err.kind == "validation" and type(err.field) == "string" then
    local inner = err.field:match("^contacts%[1%]%.(.+)$")
    if inner then
      err.message = err.message:gsub("^contacts%[1%]%.", "")
      err.field = inner
    end
  end
  return err
end

--- c:add_number(number[, available_tags]) -> Number, with the server's id:
-- sent in the one-element contacts form, whose answer lists the contact.
function M.add_number(c, number, available_tags)
  local s = core.session_of(c)
  local list, meta = call.call(s, "add_number", { id = c.id,
    contacts = { { number = number, available_tags = available_tags } } })
  if not list then return nil, unwrap_field(meta) end
  if list[1] then return list[1] end
  local problems = type(meta.errors) == "table" and meta.errors[1]
  if problems then
    local why = type(problems.errors) == "table" and problems.errors.number
    why = type(why) == "table" and why[1] or "refused"
    return nil, errors.api { op = "add_number", field = "number", message = "number: " .. tostring(why),
      errors = meta.errors }
  end
  if (tonumber(meta.skipped) or 0) > 0 then
    return nil, errors.api { op = "add_number", field = "number",
      message = "number: already in this campaign (skipped)" }
  end
  -- a single-form answer, {message} only (open question 5): read the list
  local digits = core.normalize_phone(number)
  local it = M.each_number(c)
  while true do
    local n, err = it()
    if n == nil then
      if err then return nil, err end
      return nil, errors.decode("the contact was not in the answer nor in the campaign's contact list", "add_number")
    end
    if n.number == digits then return n end
  end
end

local NUMBER_FIELDS = { number = true, available_tags = true }

--- n:update{number=, available_tags=} on v1: the number (#21) and the
-- variables (#20) are two endpoints; each given one is sent.
function M.update_number(n, args)
  if type(args) ~= "table" then
    return errors.invalid("update_number", "arguments", "expected a table (got " .. type(args) .. ")")
  end
  for k in pairs(args) do
    if not NUMBER_FIELDS[k] then
      return errors.invalid("update_number", tostring(k), "unknown field (expected number, available_tags)")
    end
  end
  if args.number == nil and args.available_tags == nil then
    return errors.invalid("update_number", "number", "nothing to update: give number or available_tags")
  end
  local s = core.session_of(n)
  if args.number ~= nil then
    local newer, err = call.call(s, "update_number", { id = n.id, number = args.number })
    if not newer then return nil, err end
    local fields = core.fields(newer)
    fields.available_tags = n.available_tags -- #21's answer has no variables
    core.merge_fields(n, fields)
  end
  if args.available_tags ~= nil then
    local attrs, err = call.call(s, "update_number_attributes", { id = n.id, available_tags = args.available_tags })
    if not attrs then return nil, err end
    core.merge_fields(n, { available_tags = attrs })
  end
  return n
end

--- n:attributes() -> the contact's variables (also kept as n.available_tags).
function M.attributes(n)
  local attrs, err = call.call(core.session_of(n), "number_attributes", { id = n.id })
  if not attrs then return nil, err end
  core.merge_fields(n, { available_tags = attrs })
  return attrs
end

--- c:upload_numbers(source) -> {error_list=, samples=, total_validated_rows=}:
-- PATCH campaign/create/<id>/detail/ with the file as `bulk_file`. `source`
-- is the path of an .xlsx or .csv (columns `numbers` and one per variable),
-- or a list or an iterator of numbers or `{number=, available_tags=}`
-- records, written to a private temporary .xlsx (tingting.upload) that is
-- removed whatever happens.
function M.upload_numbers(c, source)
  local s = core.session_of(c)
  core.check_open(s)
  return upload.with_file(source, { op = "upload_numbers", field = "bulk_file", number_column = "numbers" },
    function(path) return call.call(s, "upload_numbers", { id = c.id, bulk_file = path }) end)
end

--- s:generate_api_token() -> token (the public method; here also the whole
-- answer, second). Needs a login session (#3).
function M.generate_api_token(s)
  local st = core.state(s)
  if st.api_key and not (st.email or st.access_token or st.refresh_token) then
    return nil, errors.auth("generate_api_token needs a login session (v1 auths/generate-api-keys/); "
      .. "this session holds an API token only: open one with api = \"v1\", email = ..., password = ...",
      "generate_api_token")
  end
  local res, err = call.call(s, "generate_api_token")
  if not res then return nil, err end
  if type(res.token) ~= "string" then
    return nil, errors.decode("the answer has no token", "generate_api_token")
  end
  return res.token, res
end

--- s:survey_report(id[, {format = "json"}]) -> table (JSON) | bytes (CSV).
function M.survey_report(s, id, opts)
  if opts ~= nil and type(opts) ~= "table" then
    return errors.invalid("survey_report", "opts", "expected a table (got " .. type(opts) .. ")")
  end
  local a = copy(opts)
  if a.id ~= nil then return errors.invalid("survey_report", "id", "give the id as the first argument") end
  a.id = id
  return call.call(s, "survey_report", a)
end

return M
