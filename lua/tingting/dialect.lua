--- What each API dialect lacks: a method the session's dialect does not
-- have answers `nil, err` with `err.kind == "unsupported"`, `sent = false`,
-- and a message naming the dialect and, where one exists, the equivalent.
-- @module tingting.dialect
local errors = require "tingting.errors"

local M = {}

local LEGACY_VOICES = "the legacy API has no voice list; its voices are np_rija, np_prasanna and np_binod (voice_input)"

-- dialect -> operation or method -> the equivalent, or what to do instead
local HINTS = {
  v1 = {
    report_summary = "use s:dashboard() (v1 dashboard/)",
    available_numbers = "v1 numbers are read-only: use s:sender_numbers() or s:owned_numbers()",
    buy_number = "v1 numbers are read-only: use s:sender_numbers() or s:owned_numbers()",
    release_number = "v1 numbers are read-only: use s:sender_numbers() or s:owned_numbers()",
    number = "v1 has no single-contact read: use c:numbers() (or c:each_number()) and n:attributes()",
    reload_number = "v1 has no single-contact read: use c:numbers() (or c:each_number()) and n:attributes()",
    test_voice_session = "v1 previews a campaign's voice: use c:test_voice{message=, voice_input=}",
  },
  legacy = {
    dashboard = "use s:report_summary() (legacy report/summary/)",
    voice_models = LEGACY_VOICES,
    sender_numbers = "use s:owned_numbers()",
    api_token = "API tokens are v1: open the session with api_key = ... or api = \"v1\"",
    generate_api_token = "API tokens are v1: open the session with api = \"v1\"",
    set_message = "give the message and voice_input to c:begin{...}",
    upload_numbers = "send a numbers file with s:create_campaign{send_to_number_file = path}",
    each_campaign = "use s:campaigns() (every page) or s:campaigns{page = n}",
    each_number = "use c:numbers()",
    number_attributes = "a number's tags are n.available_tags",
    demo_call = "the legacy API has no demo call; c:begin{individual = {n.id}, ...} runs one number",
    test_voice_campaign = "use s:test_voice{message=, voice_input=}",
    survey_report = "the legacy API has no survey report",
    otps = "the legacy API has no list of sent OTPs",
  },
}

-- keys that tell apart methods of one name on different objects
local DISPLAY = { test_voice_session = "s:test_voice", test_voice_campaign = "c:test_voice",
  reload_number = "n:reload", number = "s:number" }

local NAMES = { v1 = "v1 (/api/v1/)", legacy = "legacy (/api/accounts, /api/system)" }

--- `nil, err` for `what` (an operation or method name) that dialect `api`
-- ("v1" | "legacy") does not have.
function M.unsupported(api, what, op)
  api = api or "legacy"
  local hint = HINTS[api][what]
  local name = DISPLAY[what] or what
  local msg = ("%s is not in the %s API"):format(name, NAMES[api])
  if hint then msg = msg .. ": " .. hint end
  return errors.unsupported(op or name, msg)
end

return M
