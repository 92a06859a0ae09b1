/* The functions of compat.h that an older Lua lacks: luaL_setfuncs and
 * luaL_testudata on PUC Lua 5.1, tt_isinteger before 5.3. On Lua 5.4 this
 * file compiles to nothing. */
#include "compat.h"

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

/* ISO C wants at least one declaration in a file, whatever the Lua. */
typedef int tt_compat_unit;
