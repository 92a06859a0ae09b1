/* luaopen_tingting_core: the only exported symbol. Idempotent: every concern
 * reuses its metatable when the module is loaded a second time. */
#include "tingting.h"
#include <errno.h>
#include <time.h>

#if defined(TT_NEED_COMPAT_FUNCS)
void luaL_setfuncs(lua_State *L, const luaL_Reg *l, int nup) {
  luaL_checkstack(L, nup + 1, "too many upvalues");
  for (; l->name != NULL; l++) {
    int i;
    for (i = 0; i < nup; i++) lua_pushvalue(L, -nup);
    lua_pushcclosure(L, l->func, nup);
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}

void *luaL_testudata(lua_State *L, int ud, const char *tname) {
  void *p = lua_touserdata(L, ud);
  if (p != NULL && lua_getmetatable(L, ud)) {
    luaL_getmetatable(L, tname);
    if (!lua_rawequal(L, -1, -2)) p = NULL;
    lua_pop(L, 2);
    return p;
  }
  return NULL;
}
#endif

#if LUA_VERSION_NUM < 503
int tt_isinteger(lua_State *L, int i) {
  if (lua_type(L, i) != LUA_TNUMBER) return 0;
  {
    lua_Number n = lua_tonumber(L, i);
    /* in range first: casting NaN or a huge double is undefined behaviour */
    return n >= -9223372036854775808.0 && n < 9223372036854775808.0 && n == (lua_Number)(long long)n;
  }
}
#endif

/* Create or reuse (a second require) the metatable `name` with metamethods
 * `mm`, and push its `methods` table, which __index consults and Lua fills. */
void tt_class(lua_State *L, const char *name, const luaL_Reg *mm) {
  luaL_newmetatable(L, name);
  luaL_setfuncs(L, mm, 0);
  lua_pushstring(L, name);
  lua_setfield(L, -2, "__name");
  lua_getfield(L, -1, "methods");
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "methods");
  }
  lua_remove(L, -2);
}

/* Blocking sleep, restarted after signals; at most a day. */
void tt_sleep(lua_Number secs) {
  struct timespec ts, rem;
  if (!(secs > 0)) return;
  if (secs > 86400) secs = 86400;
  ts.tv_sec = (time_t)secs;
  ts.tv_nsec = (long)((secs - (lua_Number)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &rem) != 0 && errno == EINTR) ts = rem;
}

/* core.sleep(seconds): blocking; transports bring their own (ngx.sleep). */
static int core_sleep(lua_State *L) {
  tt_sleep(luaL_checknumber(L, 1));
  return 0;
}

TT_EXPORT int luaopen_tingting_core(lua_State *L) {
  lua_newtable(L);
  tt_errors_open(L);
  tt_objects_open(L);
  tt_session_open(L);
  tt_build_open(L);
  tt_parse_open(L);
  tt_fsutil_open(L);
  tt_crypto_open(L);
  tt_redis_open(L);
  if (tt_curl_open(L) != 0) return luaL_error(L, "tingting.core: libcurl failed to initialise");
  lua_pushcfunction(L, core_sleep);
  lua_setfield(L, -2, "sleep");
  lua_pushliteral(L, "0.1.0");
  lua_setfield(L, -2, "VERSION");
  return 1;
}
