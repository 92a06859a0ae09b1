-- Caps that bound memory whatever the server sends: the session's max_body
-- (an answer past it is a decode error, never retried), a batch's answers
-- (concurrency x 1 MiB at most), c:report's max_bytes, reports written 0600.
local tingting = require "tingting"
local emu = require "spec.helpers.emulator"

local USER = "^/api/accounts/user_details/?$"
local ADD = "^/api/system/campaigns/number/%d+/?$"

local function rss_kb()
  local f = io.open("/proc/self/status")
  local text = f:read("*a")
  f:close()
  return tonumber(text:match("VmHWM:%s*(%d+)"))
end

describe("max_body", function()
  local s
  before_each(function()
    emu.reset()
    s = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test",
      max_body = 64 * 1024 })
    assert(s:login())
  end)
  after_each(function()
    emu.clear_faults()
    s:close()
  end)

  it("is a session option with a documented default, checked before anything is sent", function()
    assert.equal(64 * 1024 * 1024, tingting.MAX_BODY)
    for _, bad in ipairs { 0, -1, 1.5, "big", 2 ^ 41 } do
      local ok, err = tingting.session { base_url = emu.url(), max_body = bad }
      assert.is_nil(ok)
      assert.equal("max_body", err.field)
    end
  end)

  it("refuses an answer past it once, as a decode error that is not retried", function()
    emu.fault { method = "GET", path = USER, kind = "huge", size = 10 * 1024 * 1024, count = 3 }
    emu.clear_requests()
    local res, err = s:user()
    assert.is_nil(res)
    assert.equal("decode", err.kind)
    assert.is_false(err.retryable)
    assert.is_true(err.sent)
    assert.matches("larger than max_body %(65536 bytes%)", err.message)
    assert.equal(1, emu.count("/api/accounts/user_details/", "GET"))
  end)

  it("ends an endless answer at the cap instead of reading it forever", function()
    emu.fault { method = "GET", path = USER, kind = "endless", count = 1 }
    local t0 = os.time()
    local _, err = s:user()
    assert.equal("decode", err.kind)
    assert.is_true(os.time() - t0 <= 5)
  end)

  it("bounds a batch at concurrency 32 against huge answers: each add fails once, memory stays flat", function()
    local c = assert(s:create_campaign { name = "hostile", services = "SMS", individual_number = { "9843818700" } })
    local big = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test" })
    local bc = assert(big:campaign(c.id))
    emu.fault { method = "POST", path = ADD, kind = "huge", size = 200 * 1024 * 1024 }
    local list = {}
    for i = 1, 64 do list[i] = tostring(9810000000 + i) end
    local before = rss_kb()
    local report = assert(bc:add_numbers(list, { concurrency = 32 }))
    local grown = rss_kb() - before
    emu.clear_faults()
    assert.equal(0, report.added)
    assert.equal(64, #report.failed)
    for _, f in ipairs(report.failed) do
      assert.equal("decode", f.err.kind)
      assert.is_false(f.err.retryable)
    end
    assert.equal(64, emu.count(("/api/system/campaigns/number/%d/"):format(c.id), "POST"))
    -- 32 answers of at most 1 MiB each, and what libcurl buffers besides
    assert.is_true(grown < 96 * 1024, ("peak RSS grew by %d KiB"):format(grown))
    big:close()
  end)

  it("caps c:report by max_bytes, and writes the file for its owner only", function()
    local c = assert(s:create_campaign { name = "report", services = "SMS",
      individual_number = { "9843818700", "9851023212" } })
    local path = os.tmpname()
    os.remove(path)
    local _, err = c:report(path, { max_bytes = 10 })
    assert.equal("decode", err.kind)
    assert.is_nil(io.open(path, "rb"))
    assert(c:report(path))
    local p = io.popen("stat -c %a " .. path)
    assert.equal("600", p:read("*l"))
    p:close()
    os.remove(path)
    _, err = c:report(path, { max_byte = 10 })
    assert.equal("validation", err.kind)
    assert.matches("max_byte", err.message)
  end)
end)
