/* libFuzzer: arbitrary status, headers and body -> core.parse for an op of
 * either dialect chosen by the input (its first byte: odd is v1, and the
 * op). Input: op byte, two status bytes, then header lines
 * "name: value" up to an empty line, then the body. Whatever the answer,
 * parse must return a result or nil + a tingting.error, never raise, and
 * what it returns must survive tostring, field reads and core.fields. */
#include "harness.h"

static const char SRC[] =
  "local core = require 'tingting.core'\n"
  "local ops, ops1 = {}, {}\n"
  "for _, ep in ipairs(core.endpoints('legacy')) do ops[#ops + 1] = ep.op end\n"
  "for _, ep in ipairs(core.endpoints('v1')) do ops1[#ops1 + 1] = ep.op end\n"
  "local s = core.session_new { base_url = 'http://127.0.0.1:9' }\n"
  "local s1 = core.session_new { base_url = 'http://127.0.0.1:9', api = 'v1', api_key = 'k' }\n"
  "local KINDS = { auth = 1, not_found = 1, rate_limited = 1, api = 1, server = 1, decode = 1 }\n"
  "local function touch(v, depth)\n"
  "  if depth > 3 then return end\n"
  "  local t = type(v)\n"
  "  if t == 'userdata' then\n"
  "    tostring(v); local _ = v.id, v.name, v.number, v.campaign, v.usable_tags\n"
  "    touch(core.fields(v), depth + 1)\n"
  "  elseif t == 'table' then\n"
  "    tostring(v)\n"
  "    for k, x in pairs(v) do touch(k, depth + 1); touch(x, depth + 1) end\n"
  "  end\n"
  "end\n"
  "return function(data)\n"
  "  if #data < 3 then return end\n"
  "  local b = data:byte(1)\n"
  "  local sess, list = s, ops\n"
  "  if b % 2 == 1 then sess, list = s1, ops1 end\n"
  "  local op = list[(b // 2) % #list + 1]\n"
  "  local status = 100 + (data:byte(2) * 256 + data:byte(3)) % 500\n"
  "  local rest = data:sub(4)\n"
  "  local head, body = rest:match('^(.-)\\n\\n(.*)$')\n"
  "  if not head then head, body = '', rest end\n"
  "  local headers = {}\n"
  "  for name, value in head:gmatch('([^:\\n]+):([^\\n]*)') do headers[name:lower()] = value end\n"
  "  local res, meta = core.parse(sess, op, status, body, headers)\n"
  "  if res == nil then\n"
  "    assert(core.is_error(meta), 'parse failed without an error object')\n"
  "    assert(type(tostring(meta)) == 'string')\n"
  "    assert(KINDS[meta.kind], 'unknown error kind')\n"
  "    assert(status < 200 or status > 299 or meta.kind == 'decode' or meta.status >= 400 and meta.status < 600)\n"
  "  end\n"
  "  touch(res, 0); touch(meta, 0)\n"
  "end\n";

static lua_State *L;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (L == NULL) L = tt_fuzz_state(SRC);
  tt_fuzz_call(L, data, size);
  return 0;
}
