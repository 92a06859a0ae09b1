-- core.json_encode: the one deterministic JSON writer of the library (the
-- CLI's --json output and its config file). Plain Lua values in, one line of
-- JSON out, or nil and a message for what JSON cannot hold. Runs on Lua 5.4,
-- 5.3, 5.1 and LuaJIT (make test-compat).
local core = require "tingting.core"
local cjson = require "cjson"

local encode = core.json_encode

local function array(t) return setmetatable(t or {}, core.json_array) end

local function refuses(v, pattern)
  local text, err = encode(v)
  assert.is_nil(text)
  assert.is_string(err)
  assert.matches(pattern, err)
end

describe("core.json_encode", function()
  describe("strings", function()
    it("escapes quotes and backslashes, and leaves / alone", function()
      assert.equal([["say \"hi\" \\ a/b"]], encode([[say "hi" \ a/b]]))
    end)

    it("escapes every control byte: short forms where JSON has them, \\u00XX for the rest and DEL", function()
      assert.equal([["\u0000\u0001\b\t\n\u000b\f\r\u001f\u007f"]], encode("\0\1\8\9\10\11\12\13\31\127"))
    end)

    it("passes UTF-8 through byte for byte (Devanagari, accents)", function()
      local s = "नमस्ते, é ✓"
      assert.equal('"' .. s .. '"', encode(s))
      assert.equal(s, cjson.decode(encode(s)))
    end)

    it("passes bytes that are not UTF-8 through as they are", function()
      assert.equal('"\255\128"', encode("\255\128"))
    end)
  end)

  describe("numbers", function()
    it("writes whole numbers within +-2^53 as integers, floats that are whole included", function()
      assert.equal("42", encode(42))
      assert.equal("-7", encode(-7))
      assert.equal("3", encode(3.0))
      assert.equal("0", encode(-0.0))
      assert.equal("9007199254740991", encode(2 ^ 53 - 1))
    end)

    it("writes other numbers with 17 significant digits", function()
      assert.equal("0.10000000000000001", encode(0.1))
      assert.equal("1.5", encode(1.5))
      assert.equal("1e+20", encode(1e20))
      assert.equal("9007199254740992", encode(2 ^ 53))
    end)

    if math.maxinteger then
      it("writes integers beyond 2^53 as floats, as JSON readers take them", function()
        assert.equal("9.2233720368547758e+18", encode(math.maxinteger))
      end)
    end

    it("refuses NaN and infinities", function()
      refuses(0 / 0, "finite")
      refuses(math.huge, "finite")
      refuses({ x = -math.huge }, "finite")
    end)
  end)

  describe("other scalars", function()
    it("writes booleans", function()
      assert.equal("[true,false]", encode({ true, false }))
    end)

    it("writes nil, cjson.null and userdata (such as a campaign object) as null", function()
      assert.equal("null", encode(nil))
      assert.equal("null", encode(cjson.null))
      assert.equal('{"f":null}', encode({ f = io.stdout }))
    end)

    it("writes a function as the text tostring() gives it", function()
      local f = function() end
      assert.equal('"' .. tostring(f) .. '"', encode(f))
    end)

    it("raises when called without a value (a programmer error)", function()
      assert.has_error(function() encode() end)
    end)
  end)

  describe("tables", function()
    it("writes a table whose keys are exactly 1..n as an array", function()
      assert.equal('[1,"two",[3]]', encode({ 1, "two", { 3 } }))
    end)

    it("writes any other table as an object, keys sorted by their text", function()
      assert.equal('{"1":"a","3":"c"}', encode({ [1] = "a", [3] = "c" }))
      assert.equal('{"1":1,"2":2,"x":3}', encode({ 1, 2, x = 3 }))
      assert.equal('{"10":1,"9":2,"B":3,"a":4,"b":5}', encode({ [10] = 1, [9] = 2, B = 3, a = 4, b = 5 }))
    end)

    it("writes number keys as tostring() gives them", function()
      assert.equal('{"' .. tostring(1.5) .. '":true,"x":false}', encode({ [1.5] = true, x = false }))
    end)

    it("writes the same output for the same value, whatever order the table was filled in", function()
      local a, b = {}, {}
      for i = 1, 50 do a["k" .. i] = i end
      for i = 50, 1, -1 do b["k" .. i] = i end
      assert.equal(encode(a), encode(b))
    end)

    it("writes an empty table as {} and an empty one marked with core.json_array as []", function()
      assert.equal("{}", encode({}))
      assert.equal("[]", encode(array()))
      assert.equal('{"list":[],"map":{}}', encode({ list = array(), map = {} }))
    end)

    it("writes a marked table as the array of its items 1..#t, other keys left out", function()
      assert.equal("[1,2]", encode(array({ 1, 2, x = 3 })))
    end)

    it("writes a table met twice (not inside itself) both times", function()
      local shared = { 1 }
      assert.equal('[[1],{"x":[1]}]', encode({ shared, { x = shared } }))
    end)

    it("refuses a table that contains itself", function()
      local t = {}
      t.self = t
      refuses(t, "contains itself")
      local a = {}
      a[1] = { a }
      refuses(a, "contains itself")
    end)

    it("takes 32 tables nested below the top one and refuses one more", function()
      local top = {}
      local inner = top
      for _ = 1, 32 do
        inner[1] = {}
        inner = inner[1]
      end
      assert.equal(string.rep("[", 32) .. "{}" .. string.rep("]", 32), encode(top))
      inner[1] = {}
      refuses(top, "deeper than 32")
    end)

    it("refuses keys that are neither strings nor numbers", function()
      refuses({ [true] = 1 }, "key")
      refuses({ [{}] = 1 }, "key")
    end)
  end)

  it("keeps its array marker when the module is loaded again", function()
    local marked = array()
    package.loaded["tingting.core"] = nil
    local again = require "tingting.core"
    package.loaded["tingting.core"] = core
    assert.equal(core.json_array, again.json_array)
    assert.equal("[]", again.json_encode(marked))
  end)

  it("is what the CLI prints: output.array marks, output.json raises what encode refuses", function()
    local output = require "tingting.cli.output"
    assert.equal('{"items":[],"n":0}', output.json({ items = output.array(), n = 0 }))
    assert.has_error(function() output.json({ 0 / 0 }) end)
  end)
end)
