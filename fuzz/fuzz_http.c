/* libFuzzer: core.http_response (csrc/http.c over http-parser) on arbitrary
 * answers. Input: one byte choosing max_body, sink mode and where to cut the
 * rest, then the bytes a server sent. The answer is fed whole, then in the
 * pieces the first byte picks (all of them, also after the answer is done,
 * which then only spoils keep-alive), then the peer closes: feed must never raise,
 * both ways must agree (status, body, headers, keep-alive, error), a body
 * kept in memory never exceeds max_body, and a refusal names its reason. */
#include "harness.h"

static const char SRC[] =
  "local core = require 'tingting.core'\n"
  "local function run(data, max_body, sink, cut)\n"
  "  local p = core.http_response(max_body, sink)\n"
  "  local parts, streamed = {}, {}\n"
  "  if cut > 0 then\n"
  "    for i = 1, #data, cut do parts[#parts + 1] = data:sub(i, i + cut - 1) end\n"
  "  else parts[1] = data end\n"
  "  local done, err, code = false\n"
  "  for _, part in ipairs(parts) do\n"
  "    done, err, code = p:feed(part)\n"
  "    if sink and done ~= nil and p:streaming() then streamed[#streamed + 1] = p:take() end\n"
  "    if done == nil then break end\n"
  "  end\n"
  "  if done == false then done, err, code = p:feed(nil) end\n"
  "  if sink and done ~= nil and p:streaming() then streamed[#streamed + 1] = p:take() end\n"
  "  local r = { done = done, err = err, code = code }\n"
  "  if done == nil then\n"
  "    assert(type(err) == 'string' and #err > 0 and type(code) == 'string')\n"
  "    assert(not p:keepalive())\n"
  "    local again, err2 = p:feed('x')\n"
  "    assert(again == nil and err2 == err)\n"
  "  else\n"
  "    assert(done == true)\n"
  "    local status = p:status()\n"
  "    assert(math.type(status) == 'integer' and status >= 200 and status <= 999)\n"
  "    r.status = status\n"
  "    r.body = sink and p:streaming() and table.concat(streamed) or p:body()\n"
  "    if not (sink and p:streaming()) then assert(#r.body <= max_body) end\n"
  "    r.keepalive = p:keepalive()\n"
  "    local keys = {}\n"
  "    for k, v in pairs(p:headers()) do\n"
  "      assert(type(k) == 'string' and type(v) == 'string' and not k:find('%u'))\n"
  "      keys[#keys + 1] = k .. '\\0' .. v\n"
  "    end\n"
  "    table.sort(keys)\n"
  "    r.headers = table.concat(keys, '\\1')\n"
  "    for k, v in pairs(p:trailers()) do assert(type(k) == 'string' and type(v) == 'string') end\n"
  "  end\n"
  "  p:close()\n"
  "  return r\n"
  "end\n"
  "return function(data)\n"
  "  if #data < 1 then return end\n"
  "  local b = data:byte(1)\n"
  "  data = data:sub(2)\n"
  "  local max_body = ({ 0, 16, 4096, 64 * 1024 * 1024 })[b % 4 + 1]\n"
  "  local sink = (b // 4) % 2 == 1\n"
  "  local cut = (b // 8) + 1\n"
  "  local whole = run(data, max_body, sink, 0)\n"
  "  local pieces = run(data, max_body, sink, cut)\n"
  "  for _, k in ipairs { 'done', 'err', 'code', 'status', 'body', 'keepalive', 'headers' } do\n"
  "    if whole[k] ~= pieces[k] then\n"
  "      error(('%s differs: whole %s, in pieces of %d %s'):format(k, tostring(whole[k]), cut, tostring(pieces[k])))\n"
  "    end\n"
  "  end\n"
  "end\n";

static lua_State *L;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (L == NULL) L = tt_fuzz_state(SRC);
  tt_fuzz_call(L, data, size);
  return 0;
}
