/* One place for the differences between Lua 5.1 (and LuaJIT 2.1), 5.2, 5.3
 * and 5.4: macros where a name moved, compat.c where PUC 5.1 lacks a
 * function. */
#ifndef TINGTING_COMPAT_H
#define TINGTING_COMPAT_H

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#pragma GCC visibility push(hidden)

#if LUA_VERSION_NUM < 502
/* Lua 5.1 / LuaJIT: userdata "uservalue" is the environment table. */
#define lua_rawlen(L, i) lua_objlen((L), (i))
#define tt_setuservalue(L, i) lua_setfenv((L), (i))
#define tt_getuservalue(L, i) lua_getfenv((L), (i))
#if !defined(LUAJIT_VERSION)
/* LuaJIT 2.1 has these two already; PUC 5.1 gets them from compat.c. */
#define luaL_newlib(L, l) (lua_newtable(L), luaL_register((L), NULL, (l)))
void luaL_setfuncs(lua_State *L, const luaL_Reg *l, int nup);
void *luaL_testudata(lua_State *L, int ud, const char *tname);
#define TT_NEED_COMPAT_FUNCS 1
#else
#define luaL_newlib(L, l) (lua_newtable(L), luaL_setfuncs((L), (l), 0))
#endif
#define luaL_setmetatable(L, tname) (luaL_getmetatable((L), (tname)), lua_setmetatable((L), -2))
#define lua_absindex(L, i) ((i) > 0 || (i) <= LUA_REGISTRYINDEX ? (i) : lua_gettop(L) + (i) + 1)
#else
#define tt_setuservalue(L, i) lua_setuservalue((L), (i))
#define tt_getuservalue(L, i) lua_getuservalue((L), (i))
#endif

#if LUA_VERSION_NUM >= 504
#define tt_newuserdata(L, sz) lua_newuserdatauv((L), (sz), 1)
#else
#define tt_newuserdata(L, sz) lua_newuserdata((L), (sz))
#endif

/* Integers: Lua 5.3+ has a real integer subtype; before that, a whole double
 * is one (compat.c). */
#if LUA_VERSION_NUM >= 503
#define tt_isinteger(L, i) lua_isinteger((L), (i))
/* The value of a number for which tt_isinteger holds. Not through
 * lua_tonumber: math.maxinteger rounds up to 2^63 as a double, and casting
 * that back to long long is undefined behaviour (found by UBSan). */
#define tt_tolonglong(L, i) ((long long)lua_tointeger((L), (i)))
#else
int tt_isinteger(lua_State *L, int i);
#define tt_tolonglong(L, i) ((long long)lua_tonumber((L), (i)))
#endif

#pragma GCC visibility pop

#endif
