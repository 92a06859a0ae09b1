-- tingting.numbers: normalising phone numbers and reading number files.
local numbers = require "tingting.numbers"

local function csv(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

describe("numbers.canonical", function()
  it("gives every way of writing one Nepal number the same digits", function()
    for _, v in ipairs { "+9779851023212", "009779851023212", "9779851023212", "09851023212", "9851023212",
      "+977 985-102-3212", "00977 (985) 1023212", 9851023212, 9779851023212 } do
      assert.equal("9851023212", numbers.canonical(v), tostring(v))
    end
    -- a landline, with and without the country code and the trunk 0
    for _, v in ipairs { "+977-1-4123456", "00977 1 4123456", "97714123456", "01-4123456" } do
      assert.equal("14123456", numbers.canonical(v), v)
    end
  end)

  it("leaves 977 alone when it begins a national number rather than a country code", function()
    assert.equal("9771234567", numbers.canonical("9771234567"))
  end)

  it("refuses what normalize refuses, and what is too short without its zeros", function()
    for _, bad in ipairs { "12", "98x", "0000000123", {} } do
      local ok, err = numbers.canonical(bad)
      assert.is_nil(ok)
      assert.equal("validation", err.kind)
      assert.equal("number", err.field)
    end
  end)
end)

describe("numbers.normalize", function()
  it("keeps digits and drops separators and the Nepal country prefix", function()
    assert.equal("9843818700", numbers.normalize("9843818700"))
    assert.equal("9843818700", numbers.normalize("984-381-8700"))
    assert.equal("9843818700", numbers.normalize("(984) 381.8700"))
    assert.equal("9843818700", numbers.normalize("+977 9843818700"))
    assert.equal("9843818700", numbers.normalize("00977-9843818700"))
    assert.equal("9843818700", numbers.normalize("9779843818700"))
    assert.equal("98675432123", numbers.normalize(98675432123))
    assert.equal("984381123", numbers.normalize("984381123"))
  end)

  it("says why a number is refused, with a validation error naming the number", function()
    for _, bad in ipairs { "", "123456", "984381870012345", "98438x8700", {}, -5, 1.5, "9843818700\n" } do
      local ok, why = numbers.normalize(bad)
      assert.is_nil(ok, tostring(bad))
      assert.is_true(require("tingting").is_error(why))
      assert.equal("validation", why.kind)
      assert.equal("number", why.field)
      assert.is_false(why.sent)
      assert.matches("^number: ", why.message)
    end
  end)
end)

describe("numbers.read_csv", function()
  it("reads a header row, the number column and tag columns", function()
    local path = csv("number,tags_name,tags_age\r\n9843818700,राम,34\r\n9851022343,\"Shrestha, Sita\",29\r\n")
    local recs = assert(numbers.read_csv(path))
    os.remove(path)
    assert.equal(2, #recs)
    assert.equal("9843818700", recs[1].number)
    assert.equal("राम", recs[1].available_tags.tags_name)
    assert.equal("Shrestha, Sita", recs[2].available_tags.tags_name)
    assert.equal(3, recs[2].line)
  end)

  it("tolerates a BOM, quotes with doubled quotes and newlines, blank lines", function()
    local path = csv('\239\187\191tags_note,number\n"say ""hi""\nthere",9843818700\n\n,9851022343\n')
    local recs = assert(numbers.read_csv(path))
    os.remove(path)
    assert.equal(2, #recs)
    assert.equal('say "hi"\nthere', recs[1].available_tags.tags_note)
    assert.equal("9851022343", recs[2].number)
    assert.equal(5, recs[2].line)
    assert.is_nil(recs[2].available_tags.tags_note)
  end)

  it("reports malformed files with line numbers", function()
    local cases = {
      { "number\n\"9843818700\n", "line 2", 2 },
      { "name,tags_x\nRam,1\n", "number", 1 },
      { "number,tags_x\n9843818700\n", "line 2", 2 },
      { "number\n98\"43\n", "line 2", 2 },
      { "", "empty", 1 },
    }
    for _, case in ipairs(cases) do
      local path = csv(case[1])
      local ok, err = numbers.read_csv(path)
      os.remove(path)
      assert.is_nil(ok)
      assert.equal("validation", err.kind)
      assert.equal(case[3], err.line)
      assert.matches(case[2], err.message, 1, true)
    end
    local ok, err = numbers.read_csv("/no/such/file.csv")
    assert.is_nil(ok)
    assert.equal("path", err.field)
    assert.matches("No such file", err.message)
  end)
end)
