-- The answer parser's fast JSON path (csrc/json.c) against the path it
-- shortcuts (lua-cjson's decode, then parse.c's clean()): on every document
-- the fast path takes, both give the same keys and values, number subtypes
-- and phone digit strings included. Generated and mutated documents, seeded.
local core = require "tingting.core"

local mtype = math.type or function(x) return type(x) == "number" and "number" or nil end
local seed = 20261123
local function R(a, b) -- a small LCG: the same documents on every Lua
  seed = (seed * 1103515245 + 12345) % 2147483648
  if not b then a, b = 1, a end
  return a + seed % (b - a + 1)
end

local KEYS = { "number", "phone_number", "contact_number", "id", "name", "a", "data", "status",
  "success", "message", "errors", "x\\ny", "k\\\"q", "नाम", "" }
local NUMS = { "0", "-0", "1", "-1", "42", "9843818700", "123456789012345", "1234567890123456",
  "12345678901234567", "9007199254740993", "-9843818700", "1.5", "-2.25", "1e5", "1E-3", "2.0", "1e999",
  "0.1", "1e16", "9999999999999999", "4.9e-324", "18446744073709551616", "100.000" }

local function ws() return ({ "", "", "", " ", "\n", "\t", "\r\n  " })[R(7)] end

local function str()
  local parts = { '"' }
  for _ = 1, R(0, 6) do
    local c = R(1, 40)
    parts[#parts + 1] = ({ "\\n", '\\"', "\\/", "\\\\", "\\t\\b\\f\\r", "\\u00e9", "देवनागरी" })[c]
      or ("abcdefghij"):sub(1, R(0, 10))
  end
  parts[#parts + 1] = '"'
  return table.concat(parts)
end

local gen
local function obj(d)
  local p = {}
  for _ = 1, R(0, 6) do
    p[#p + 1] = ws() .. '"' .. KEYS[R(#KEYS)] .. '"' .. ws() .. ":" .. ws() .. gen(d + 1) .. ws()
  end
  return "{" .. ws() .. table.concat(p, ",") .. "}"
end
local function arr(d)
  local p = {}
  for _ = 1, R(0, 6) do p[#p + 1] = ws() .. gen(d + 1) .. ws() end
  return "[" .. table.concat(p, ",") .. "]"
end
gen = function(d)
  local c = R(1, d > 3 and 6 or 9)
  if c == 1 or c == 6 then return NUMS[R(#NUMS)] end
  if c == 2 then return str() end
  if c <= 5 then return ({ "null", "true", "false" })[c - 2] end
  return c <= 8 and obj(d) or arr(d)
end

local function deep(levels)
  local s = gen(5)
  for _ = 1, levels do s = (R(2) == 1) and ("[" .. s .. "]") or ('{"number":' .. s .. "}") end
  return s
end

local function mutate(s)
  local i, c = R(1, #s + 1), R(1, 4)
  if c == 1 then return s:sub(1, i - 1) .. s:sub(i + 1) end
  if c == 2 then return s:sub(1, i - 1) .. string.char(R(0, 255)) .. s:sub(i) end
  if c == 3 then
    local k = R(1, 17)
    return s:sub(1, i - 1) .. ('{}[]",:0-.eE\\ntfu'):sub(k, k) .. s:sub(i)
  end
  return s:sub(1, i - 1)
end

local function same(a, b, path)
  if type(a) ~= type(b) then return false, path .. ": " .. type(a) .. " vs " .. type(b) end
  if type(a) == "number" then
    if mtype(a) ~= mtype(b) or not (a == b or (a ~= a and b ~= b)) then
      return false, path .. ": " .. tostring(a) .. " vs " .. tostring(b)
    end
    if a == 0 and 1 / a ~= 1 / b then return false, path .. ": signed zero" end
    return true
  end
  if type(a) ~= "table" then return a == b, path .. ": " .. tostring(a) .. " vs " .. tostring(b) end
  for k, v in pairs(a) do
    local ok, why = same(v, b[k], path .. "." .. tostring(k))
    if not ok then return false, why end
  end
  for k in pairs(b) do
    if a[k] == nil then return false, path .. "." .. tostring(k) .. " missing" end
  end
  return true
end

describe("the fast JSON path", function()
  it("reads every document it takes exactly as cjson + clean() do", function()
    local taken, declined = 0, 0
    local function check(body)
      local fast, ref = core._json_pair(body)
      if fast == false then
        declined = declined + 1
        return
      end
      assert.is_table(ref, "the fast path took what cjson refuses: " .. body)
      local ok, why = same(fast, ref, "doc")
      assert(ok, tostring(why) .. "\n" .. body)
      taken = taken + 1
    end
    for i = 1, 3000 do
      local x = (i % 50 == 0) and deep(R(28, 36)) or (R(2) == 1 and obj(0) or arr(0))
      local body = ws() .. '{"success":true,' .. ws() .. '"message":' .. (R(2) == 1 and "null" or str())
        .. ',"data":' .. x .. "}" .. ws()
      check(body)
      check(mutate(body))
      check(mutate(mutate(body)))
      check(x)
    end
    -- both kinds were seen: the generator reaches the fast path and the fallback
    assert.is_true(taken > 3000, "taken " .. taken)
    assert.is_true(declined > 1000, "declined " .. declined)
  end)

  it("keeps phone numbers as digit strings and ids as integers", function()
    local fast = core._json_pair('{"number": 98675432123, "id": 34, "contact_number": 9843818700, "rate": 40.0}')
    assert.equal("98675432123", fast.number)
    assert.equal("9843818700", fast.contact_number)
    assert.equal(34, fast.id)
    if math.type then assert.equal("integer", math.type(fast.id)) end
  end)
end)
