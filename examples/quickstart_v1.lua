-- A tour of the v1 API (/api/v1/) with a static API token: read the profile,
-- create a campaign, set its voice and message, add contacts in groups, look
-- at one, preview the voice, run it, read the dashboard, download the report,
-- send an OTP.
--
-- An API token is made once, in a login session (s:generate_api_token()) or
-- in TingTing's web app. Under `make demo` there is none: this script asks
-- the local emulator's admin API (POST /__emulator__/api-token) for one, which
-- only the emulator has. Against the real service, set TINGTING_API_KEY.
--
--   TINGTING_BASE_URL=http://127.0.0.1:8787 lua5.4 examples/quickstart_v1.lua
local tingting = require "tingting"
local core = require "tingting.core"

local function check(v, err)
  if v == nil then
    io.stderr:write(tostring(err), "\n")
    os.exit(1)
  end
  return v
end

local base = os.getenv("TINGTING_BASE_URL") or "https://app.tingting.io"
local key = os.getenv("TINGTING_API_KEY")
if not key or key == "" then
  -- the emulator's admin API, not TingTing's: a token for its seeded user
  print("No TINGTING_API_KEY: asking the emulator's admin API for one (POST /__emulator__/api-token)")
  local t = core.curl {}
  local status, body = t:request { op = "admin", method = "POST", url = base .. "/__emulator__/api-token",
    path = "/__emulator__/api-token", headers = {}, body = "" }
  t:close()
  if status ~= 201 then
    io.stderr:write("no API token: set TINGTING_API_KEY (the emulator's admin API answered ",
      tostring(status), ")\n")
    os.exit(1)
  end
  key = body:match('"token"%s*:%s*"(%x+)"')
end

local s = check(tingting.session { api_key = key, on_log = os.getenv("TINGTING_DEBUG") and print or nil })
local me = check(s:user())
print(("%s: %s, as %s %s <%s>"):format(s.base_url, tostring(s), me.user.first_name, me.user.last_name, me.user.email))

local voices = check(s:voice_models())
local names = {}
for _, v in ipairs(voices) do names[#names + 1] = ("%d %s"):format(v.id, v.voice_display_name) end
print("Voices: " .. table.concat(names, ", "))
local senders = check(s:sender_numbers())

local c = check(s:create_campaign {
  name = "Quickstart v1 " .. os.date("%Y-%m-%d %H:%M:%S"),
  services = "PHONE", user_phone = { senders[1].id },
  description = "A demo campaign with personalised messages",
})
check(c:set_message { voice = voices[3].id, category = "Text", message = "नमस्ते {name}, तपाईंको उमेर {age} हो।" })
print(("Campaign %d %q: %s, voice %d"):format(c.id, c.name, c.status, c.voice))

-- contacts: a list of numbers and records, sent 50 to a request, each once
local list = { { number = "9843818700", available_tags = { name = "राम", age = 34 } },
  { number = "9851022343", available_tags = { name = "सीता", age = 29 } } }
for i = 1, 118 do list[#list + 1] = tostring(9801000000 + i) end
local report = check(c:add_numbers(list))
print(("Added %d contacts (%d skipped, %d invalid, %d failed)"):format(report.added, report.skipped,
  #report.invalid, #report.failed))

local first = check(c:numbers { limit = 1 })[1]
print(("First contact: %s %s (%s), variables name=%s"):format(tostring(first), first.number,
  first.carrier, tostring(check(first:attributes()).name)))
print("Preview: " .. c:render("नमस्ते {name}", first.available_tags))
print("Voice preview: " .. check(c:test_voice { message = "नमस्ते", voice_input = "np_binod" }))

print("Run: " .. check(c:begin()).message)
for _ = 1, 10 do
  tingting.sleep(1)
  c = check(c:reload())
  io.write(("  %s, %d%%\n"):format(c.status, c.progress_percent or 0))
  if c.status == "Completed" then break end
end

local d = check(s:dashboard { days = 1 })
print(("Dashboard: %d credits used, %d remaining, %d calls"):format(d.credits_used, d.remaining_credits,
  d.outbound_calls))
local path = os.tmpname() -- an empty file that the report overwrites
local saved, serr = c:report(path)
if not saved then os.remove(path) end
check(saved, serr)
local f = assert(io.open(path))
local lines = 0
for _ in f:lines() do lines = lines + 1 end
f:close()
os.remove(path)
print(("Report: %d rows written to a CSV"):format(lines - 1))

local sent = check(s:send_otp { number = "9851023212", message = "Your code is {otp}",
  sms_send_options = "text", otp = "4821", company_name = "Quickstart" })
print(("OTP sent to %s (%d credit)"):format(sent.number, sent.credits_used))

-- what the v1 API does not have answers "unsupported", naming the equivalent
local _, err = s:report_summary()
print("report_summary on v1: " .. err.message)
