/* See harness.h. A Lua error escaping the harness's function is reported as
 * a crash: the library must never raise on data (only on programmer errors,
 * which the harness chunks do not make). */
#include "harness.h"
#include <stdio.h>
#include <stdlib.h>

int luaopen_tingting_core(lua_State *L);

#ifndef TT_REPO
#define TT_REPO "."
#endif
#ifndef TT_CJSON_CPATH
#define TT_CJSON_CPATH "/usr/lib/x86_64-linux-gnu/lua/5.4/?.so"
#endif

static int traceback(lua_State *L) {
  luaL_traceback(L, L, lua_tostring(L, 1), 1);
  return 1;
}

lua_State *tt_fuzz_state(const char *src) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_pushstring(L, TT_REPO "/lua/?.lua;" TT_REPO "/lua/?/init.lua");
  lua_setfield(L, -2, "path");
  lua_pushstring(L, TT_CJSON_CPATH);
  lua_setfield(L, -2, "cpath");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_tingting_core);
  lua_setfield(L, -2, "tingting.core");
  lua_pop(L, 2);
  lua_pushcfunction(L, traceback);
  if (luaL_loadstring(L, src) != LUA_OK || lua_pcall(L, 0, 1, 1) != LUA_OK || !lua_isfunction(L, -1)) {
    fprintf(stderr, "fuzz harness setup failed: %s\n", lua_tostring(L, -1));
    abort();
  }
  /* stack: traceback, function */
  return L;
}

void tt_fuzz_call(lua_State *L, const uint8_t *data, size_t size) {
  lua_pushvalue(L, 2);
  lua_pushlstring(L, (const char *)data, size);
  if (lua_pcall(L, 1, 0, 1) != LUA_OK) {
    fprintf(stderr, "Lua error escaped the library: %s\n", lua_tostring(L, -1));
    abort();
  }
  /* a full collection now and then runs every __gc on fuzzed objects */
  lua_gc(L, LUA_GCSTEP, 0);
}
