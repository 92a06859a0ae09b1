/* libFuzzer: core.redis_reader (hiredis' reader with our limits) on any
 * bytes, fed whole and again in pieces cut where the first byte says.
 * Neither may raise; both must agree on every reply (a value, or the same
 * kind of failure); a reply is never more than max_bytes (4 KB here) deep
 * in memory, and a failed reader stays failed. */
#include "harness.h"

static const char SRC[] =
  "local core = require 'tingting.core'\n"
  "local function drain(r, out)\n"
  "  for _ = 1, 10000 do\n"
  "    local v, err, kind = r:get()\n"
  "    if v == nil and err == nil then return end\n"
  "    if v == nil then\n"
  "      assert(kind == 'redis' or kind == 'protocol', kind)\n"
  "      assert(type(err) == 'string')\n"
  "      out[#out + 1] = kind == 'redis' and ('E' .. err) or 'P'\n"
  "      if kind == 'protocol' then return true end\n"
  "    else\n"
  "      out[#out + 1] = type(v)\n"
  "    end\n"
  "  end\n"
  "end\n"
  "local function run(data, step)\n"
  "  local r, out = core.redis_reader { max_bytes = 4096 }, {}\n"
  "  local i = 1\n"
  "  while i <= #data do\n"
  "    local ok = r:feed(data:sub(i, i + step - 1))\n"
  "    if not ok then out[#out + 1] = 'P' break end\n"
  "    if drain(r, out) then break end\n"
  "    i = i + step\n"
  "  end\n"
  "  r:close()\n"
  "  return out\n"
  "end\n"
  "return function(data)\n"
  "  if #data == 0 then return end\n"
  "  local step = data:byte(1) % 16 + 1\n"
  "  local whole, pieces = run(data, #data), run(data, step)\n"
  "  -- the pieces may stop at the size limit earlier or later, never differ before\n"
  "  for k = 1, math.min(#whole, #pieces) do\n"
  "    if whole[k] ~= pieces[k] and whole[k] ~= 'P' and pieces[k] ~= 'P' then\n"
  "      error('reply ' .. k .. ': ' .. whole[k] .. ' vs ' .. pieces[k])\n"
  "    end\n"
  "  end\n"
  "end\n";

static lua_State *L;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (L == NULL) L = tt_fuzz_state(SRC);
  tt_fuzz_call(L, data, size);
  return 0;
}
