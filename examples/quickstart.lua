-- A tour of tingting against the API (the local emulator under `make demo`):
-- log in, create a campaign whose uploaded number file defines its tags, add
-- a number with tags, preview and begin a personalised run, watch it, read the
-- summary, download the report, send an OTP.
--
--   TINGTING_BASE_URL=http://127.0.0.1:8787 lua5.4 examples/quickstart.lua
local tingting = require "tingting"

local function check(v, err)
  if v == nil then
    io.stderr:write(tostring(err), "\n")
    os.exit(1)
  end
  return v
end

local s = check(tingting.session {
  email = os.getenv("TINGTING_EMAIL") or "test@gmail.com",
  password = os.getenv("TINGTING_PASSWORD") or "test",
  on_log = os.getenv("TINGTING_DEBUG") and print or nil,
})

local me = check(s:user())
print(("Logged in to %s as %s %s <%s>"):format(s.base_url, me.first_name, me.last_name, me.email))

-- A bulk campaign from a number file: its tags_* columns become usable tags.
local file = os.tmpname() .. ".csv"
local f = assert(io.open(file, "w"))
f:write("number,tags_name,tags_age\n",
        "9843818700,राम,34\n",
        "9851022343,सीता,29\n",
        "9801234567,Hari,41\n")
f:close()
local c = check(s:create_campaign {
  name = "Quickstart " .. os.date("%Y-%m-%d %H:%M:%S"),
  services = "PHONE",
  description = "A demo campaign with personalised messages",
  send_to_number_file = file,
})
os.remove(file)
c = check(c:reload())
print(("Created %s with usable tags: %s"):format(tostring(c), table.concat(c.usable_tags, ", ")))

local n = check(c:add_number("9860001122", { tags_name = "Gita", tags_age = 52 }))
print("Added " .. tostring(n))

local message = "नमस्कार {tags_name}, हजुर {tags_age} वर्षको हुनुहुन्छ।"
local numbers = check(c:numbers())
for _, num in ipairs(numbers) do
  print(("  %-12s %s"):format(num.number, (c:render(message, num.available_tags))))
end

local started = check(c:begin { message = message, voice_input = "np_prasanna" })
print("Begin: " .. tostring(started["hold amount"]))

local TERMINAL = { completed = true, failed = true, hungup = true, unanswered = true, terminated = true }
local deadline = os.time() + 120
repeat
  numbers = check(c:numbers())
  local counts, done = {}, 0
  for _, num in ipairs(numbers) do
    counts[num.status] = (counts[num.status] or 0) + 1
    if TERMINAL[num.status] then done = done + 1 end
  end
  local parts = {}
  for status, k in pairs(counts) do parts[#parts + 1] = status .. "=" .. k end
  table.sort(parts)
  print(("  %d/%d done: %s"):format(done, #numbers, table.concat(parts, " ")))
  if done == #numbers then break end
  tingting.sleep(1)
until os.time() > deadline

for _, num in ipairs(numbers) do
  print(("  %-12s %-12s duration=%s credit=%s"):format(num.number, num.status,
    tostring(num.duration), tostring(num.credit_consumed)))
end

local summary = check(s:report_summary())
for _, row in ipairs(summary.summary or {}) do
  if row.campaign_id == c.id then
    print(("Summary: %d numbers, %d completed, %d credits consumed"):format(row.total_numbers,
      row.completed, row.credit_consumed))
  end
end

local report = os.tmpname() .. ".csv"
check(c:report(report))
local rf = assert(io.open(report))
local text = rf:read("a")
rf:close()
os.remove(report)
print(("Report: %d bytes, first line: %s"):format(#text, text:match("^[^\r\n]*")))

local otp = check(s:send_otp {
  number = "9851023212", message = "Your TingTing code is {otp}", sms_send_options = "text",
  otp_options = "generated", otp_length = 6,
})
print(("OTP sent to %s: %q"):format(otp.number, otp.message))
s:close()
