-- A tour of tingting against the API (the local emulator under `make demo`):
-- log in, create a campaign whose uploaded number file defines its tags, load
-- a few hundred more numbers with tags from a CSV through the batch helper,
-- check and preview a personalised message, begin the run, watch it, read the
-- summary, download the report, send an OTP.
--
--   TINGTING_BASE_URL=http://127.0.0.1:8787 lua5.4 examples/quickstart.lua
local tingting = require "tingting"

-- os.tmpname() creates an empty file to reserve the name, and ours add ".csv"
-- (an upload's content type comes from its name): both are removed once used,
-- or when a step fails.
local temps = {} -- path -> the reserved name it extends
local function tempfile(suffix)
  local base = os.tmpname()
  temps[base .. suffix] = base
  return base .. suffix
end
local function remove_temp(path)
  os.remove(path)
  os.remove(temps[path])
  temps[path] = nil
end
local function remove_temps()
  for path in pairs(temps) do remove_temp(path) end
end

local function check(v, err)
  if v == nil then
    io.stderr:write(tostring(err), "\n")
    remove_temps()
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
local file = tempfile(".csv")
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
remove_temp(file)
c = check(c:reload())
print(("Created %s with usable tags: %s"):format(tostring(c), table.concat(c.usable_tags, ", ")))

local n = check(c:add_number("9860001122", { tags_name = "Gita", tags_age = 52 }))
print("Added " .. tostring(n))

-- A few hundred more, with tags, from a CSV: validated, deduplicated and sent
-- concurrently; a progress bar while it runs.
local names = { "राम", "सीता", "Hari", "Gita", "कमल", "Bishnu", "सरिता", "Anil" }
local more = tempfile(".csv")
f = assert(io.open(more, "w"))
f:write("number,tags_name,tags_age\n")
for i = 1, 300 do
  f:write(("98%08d,%s,%d\n"):format(41000000 + i * 7, names[i % #names + 1], 18 + i % 60))
end
f:write("12345,Too Short,30\n", "9843818700,राम,34\n") -- one invalid, one already there
f:close()
local records = check(tingting.numbers.read_csv(more))
remove_temp(more)
local started_at = os.time()
local tty = require("tingting.core").isatty(io.stdout)
local report = check(c:add_numbers(records, {
  concurrency = 16,
  on_progress = function(done, total)
    local width = 30
    local filled = math.floor(width * done / total)
    local bar = ("  [%s%s] %d/%d"):format(("#"):rep(filled), ("."):rep(width - filled), done, total)
    if tty then
      io.write("\r", bar, done == total and "\n" or "")
      io.flush()
    elseif done == total or done % math.max(1, total // 4) == 0 then
      print(bar) -- not a terminal: a few plain lines instead of redraws
    end
  end,
}))
print(("Batch: %d added, %d skipped, %d invalid (%s), %d failed in %d s"):format(report.added, report.skipped,
  #report.invalid, report.invalid[1] and report.invalid[1].reason or "-", #report.failed, os.time() - started_at))

-- Every placeholder must be a usable tag before credits are spent.
local message = "नमस्कार {tags_name}, हजुर {tags_age} वर्षको हुनुहुन्छ।"
check(tingting.template.check(message, c.usable_tags))
local numbers = check(c:numbers())
print(("Preview (%d numbers; first 5):"):format(#numbers))
for i = 1, math.min(5, #numbers) do
  local num = numbers[i]
  local text, missing = tingting.template.render(message, num.available_tags)
  local note = #missing > 0 and ("  (missing: " .. table.concat(missing, ", ") .. ")") or ""
  print(("  %-12s %s%s"):format(num.number, text, note))
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

for i = 1, math.min(5, #numbers) do
  local num = numbers[i]
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

local report_path = tempfile(".csv")
check(c:report(report_path))
local rf = assert(io.open(report_path))
local text = rf:read("a")
rf:close()
remove_temp(report_path)
print(("Report: %d bytes, first line: %s"):format(#text, text:match("^[^\r\n]*")))

local otp = check(s:send_otp {
  number = "9851023212", message = "Your TingTing code is {otp}", sms_send_options = "text",
  otp_options = "generated", otp_length = 6,
})
print(("OTP sent to %s: %q"):format(otp.number, otp.message))
s:close()
