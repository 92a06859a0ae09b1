/* libFuzzer: lua/tingting/template.lua on arbitrary messages and tag values.
 * Input: message, NUL, then "name=value;" pairs. tags/check/render must not
 * raise, and rendering with no values must give the message back unchanged. */
#include "harness.h"

static const char SRC[] =
  "local template = require 'tingting.template'\n"
  "return function(data)\n"
  "  local cut = data:find('\\0', 1, true) or #data + 1\n"
  "  local msg, rest = data:sub(1, cut - 1), data:sub(cut + 1)\n"
  "  local values, usable = {}, {}\n"
  "  for k, v in rest:gmatch('([%w_]+)=([^;]*)') do\n"
  "    values[k] = tonumber(v) or v; usable[#usable + 1] = k\n"
  "  end\n"
  "  local tags = assert(template.tags(msg))\n"
  "  for _, t in ipairs(tags) do assert(msg:find('{' .. t .. '}', 1, true)) end\n"
  "  local ok, why = template.check(msg, usable)\n"
  "  assert(ok == true or (type(why) == 'table' and type(why.message) == 'string' and why.field == 'message'))\n"
  "  local out, missing = template.render(msg, values)\n"
  "  assert(type(out) == 'string' and type(missing) == 'table')\n"
  "  local same, all = template.render(msg, {})\n"
  "  assert(same == msg and #all == #tags)\n"
  "end\n";

static lua_State *L;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (L == NULL) L = tt_fuzz_state(SRC);
  tt_fuzz_call(L, data, size);
  return 0;
}
