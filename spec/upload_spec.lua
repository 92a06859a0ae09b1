-- Recipient files made from lists: s:create_campaign{send_to_number_file = list
-- or iterator} writes a private temporary .xlsx, uploads it and removes it;
-- a bad record or a list past the limit is a validation error and nothing is sent.
local tingting = require "tingting"
local upload = require "tingting.upload"
local numbers = require "tingting.numbers"
local emu = require "spec.helpers.emulator"

local function leftovers()
  local dir = os.getenv("TMPDIR")
  if not dir or dir == "" then dir = "/tmp" end
  local p = io.popen("ls " .. dir .. " 2>/dev/null")
  local n = 0
  for name in p:lines() do if name:match("^tingting%-%x+%.xlsx$") then n = n + 1 end end
  p:close()
  return n
end

local function server_campaign(id)
  for _, c in ipairs(emu.state().campaigns or {}) do
    if math.tointeger(c.id) == id then return c end
  end
end

describe("campaigns from lists", function()
  local s
  before_each(function()
    emu.reset()
    s = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test" })
  end)
  after_each(function() s:close() end)

  it("uploads a list of records as an .xlsx with a column per tag, and removes the file", function()
    local before = leftovers()
    local list = {}
    for i = 1, 1000 do
      list[i] = { number = tostring(9810000000 + i),
        available_tags = { tags_name = "राम" .. i, tags_age = 20 + i % 50 } }
    end
    list[1001] = "9843818700"
    local c = assert(s:create_campaign { name = "from a list", services = "SMS", send_to_number_file = list })
    assert.same({ "tags_age", "tags_name" }, (function() local t = c.usable_tags; table.sort(t); return t end)())
    local sc = server_campaign(c.id)
    assert.equal(1001, #sc.numbers)
    local by = {}
    for _, n in ipairs(sc.numbers) do by[string.format("%.0f", n.number)] = n end
    assert.equal("राम7", by["9810000007"].available_tags.tags_name)
    assert.equal(leftovers(), before)
  end)

  it("takes an iterator, such as numbers.each_csv over a file", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "wb"))
    f:write("number,tags_name\n")
    for i = 1, 300 do f:write(9810000000 + i, ",N", i, "\n") end
    f:close()
    local c = assert(s:create_campaign { name = "from a csv", services = "PHONE",
      send_to_number_file = assert(numbers.each_csv(path)) })
    os.remove(path)
    assert.equal(300, #server_campaign(c.id).numbers)
  end)

  it("refuses a bad record, naming it, sends nothing and leaves no file", function()
    local before, requests = leftovers(), #emu.requests()
    local _, err = s:create_campaign { name = "x", services = "SMS",
      send_to_number_file = { "9810000001", "98x", "9810000003" } }
    assert.equal("validation", err.kind)
    assert.equal("send_to_number_file", err.field)
    assert.matches("item 2", err.message)
    local i = 0
    _, err = s:create_campaign { name = "x", services = "SMS", send_to_number_file = function()
      i = i + 1
      if i == 1 then return { number = "9810000001", available_tags = { tags_a = "1" } } end
      if i == 2 then return { number = "9810000002", available_tags = { tags_b = "2" } } end
    end }
    assert.matches("item 2: variable tags_b is not a column", err.message)
    assert.equal(before, leftovers())
    assert.equal(requests, #emu.requests())
  end)

  it("names the limit of one file when a list is longer", function()
    local saved = upload.MAX_ROWS
    upload.MAX_ROWS = 5
    local _, err = s:create_campaign { name = "x", services = "SMS",
      send_to_number_file = { "9810000001", "9810000002", "9810000003", "9810000004", "9810000005", "9810000006" } }
    local n = 0
    local _, ierr = s:create_campaign { name = "x", services = "SMS", send_to_number_file = function()
      n = n + 1
      return n <= 6 and tostring(9810000000 + n) or nil
    end }
    upload.MAX_ROWS = saved
    assert.equal("validation", err.kind)
    assert.matches("at most 5", err.message)
    assert.matches("at most 5", ierr.message)
  end)

  it("still validates the other arguments, removing the file it wrote", function()
    local before = leftovers()
    local _, err = s:create_campaign { name = "x", services = "FAX", send_to_number_file = { "9810000001" } }
    assert.equal("services", err.field)
    assert.equal(before, leftovers())
  end)
end)
