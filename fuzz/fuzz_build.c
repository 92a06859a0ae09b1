/* libFuzzer: arbitrary Lua argument tables, decoded from the input, through
 * core.build for every op of both dialects (legacy and v1). Values are drawn from a small grammar (strings,
 * integers incl. extremes, floats incl. NaN/inf, nested tables and lists,
 * booleans, the endpoint table's own field names and typical values), so the
 * fuzzer reaches every field checker. build must return a request table or
 * nil + a validation error naming a field, never raise. */
#include "harness.h"

static const char SRC[] =
  "local core = require 'tingting.core'\n"
  "local legacy, v1, names = core.endpoints('legacy'), core.endpoints('v1'), {}\n"
  "for _, eps in ipairs { legacy, v1 } do\n"
  "  for _, ep in ipairs(eps) do for _, f in ipairs(ep.fields) do names[#names + 1] = f.name end end\n"
  "end\n"
  "local WORDS = { 'PHONE', 'SMS', 'failed, hungup', 'np_rija', 'audio', 'text', 'personnel',\n"
  "  'generated', '2023-05-09T17:07', '9843818700', '+977 984-381-8700', 'Code {otp}', '/dev/null',\n"
  "  '/tmp', '1.4', '../1', 'a\\0b', '\\xff', 'नमस्कार {tags_name}', 'tags_name', '4' }\n"
  "local s = core.session_new { base_url = 'http://127.0.0.1:9', access_token = 'a.b.c',\n"
  "  timeout = 30, connect_timeout = 10 }\n"
  "local s1 = core.session_new { base_url = 'http://127.0.0.1:9', api = 'v1', api_key = 'k',\n"
  "  timeout = 30, connect_timeout = 10 }\n"
  "return function(data)\n"
  "  local pos = 1\n"
  "  local function byte() local b = data:byte(pos) or 0; pos = pos + 1; return b end\n"
  "  local function bytes(n) local v = data:sub(pos, pos + n - 1); pos = pos + n; return v end\n"
  "  local value\n"
  "  local function tbl(depth, list)\n"
  "    local t, n = {}, byte() % 6\n"
  "    for i = 1, n do\n"
  "      local k = list and i or (byte() % 4 == 0 and value(depth + 1) or names[byte() % #names + 1])\n"
  "      local v = value(depth + 1)\n"
  "      if k ~= nil and k == k then t[k] = v end\n"
  "    end\n"
  "    return t\n"
  "  end\n"
  "  function value(depth)\n"
  "    local tag = byte() % 11\n"
  "    if pos > #data + 1 then return nil end\n"
  "    if tag == 0 then return bytes(byte()) end\n"
  "    if tag == 1 then local b = bytes(8); return #b == 8 and string.unpack('<i8', b) or 0 end\n"
  "    if tag == 2 then local b = bytes(8); return #b == 8 and string.unpack('<d', b) or 0.5 end\n"
  "    if tag == 3 then return byte() - 128 end\n"
  "    if tag == 4 and depth < 4 then return tbl(depth, false) end\n"
  "    if tag == 5 and depth < 4 then return tbl(depth, true) end\n"
  "    if tag == 6 then return byte() % 2 == 0 end\n"
  "    if tag == 7 then return names[byte() % #names + 1] end\n"
  "    if tag == 8 then return WORDS[byte() % #WORDS + 1] end\n"
  "    if tag == 9 then return ({ 0 / 0, math.huge, -math.huge, math.maxinteger, math.mininteger,\n"
  "      2 ^ 53, 2 ^ 63, -0.0, 1e-300 })[byte() % 9 + 1] end\n"
  "    return nil\n"
  "  end\n"
  "  local args = byte() % 16 == 0 and value(0) or tbl(0, false)\n"
  "  for _, run in ipairs { { s, legacy }, { s1, v1 } } do for _, ep in ipairs(run[2]) do\n"
  "    local req, err = core.build(run[1], ep.op, args)\n"
  "    if req then\n"
  "      assert(type(req.url) == 'string' and req.method == ep.method)\n"
  "      for k, v in pairs(req.headers) do assert(not (k .. v):find('[\\r\\n%z]'), 'CR/LF in a header') end\n"
  "    else\n"
  "      assert(core.is_error(err) and err.kind == 'validation' and type(err.field) == 'string')\n"
  "      assert(err.sent == false); tostring(err)\n"
  "    end\n"
  "  end end\n"
  "end\n";

static lua_State *L;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (L == NULL) L = tt_fuzz_state(SRC);
  tt_fuzz_call(L, data, size);
  return 0;
}
