/* Small readers of decoded answers that both dialects' parsers use
 * (parse.c, parse_v1.c): tables inside tables, lists of objects, and the
 * decode error of an answer that arrived but cannot be read. */
#include "answer.h"
#include "errors.h"

/* Push t[k] if it is a table, else nothing; returns whether it pushed. */
int tt_parse_get_table(lua_State *L, int idx, const char *k) {
  if (!lua_istable(L, idx)) return 0;
  lua_getfield(L, idx, k);
  if (lua_istable(L, -1)) return 1;
  lua_pop(L, 1);
  return 0;
}

void tt_parse_ensure_table(lua_State *L, int idx, const char *k) {
  lua_getfield(L, idx, k);
  if (!lua_istable(L, -1)) {
    lua_newtable(L);
    lua_setfield(L, idx, k);
  }
  lua_pop(L, 1);
}

void tt_parse_map_list(lua_State *L, int sidx, int list, void (*wrap)(lua_State *, int, int)) {
  int i, n = (int)lua_rawlen(L, list), out;
  lua_createtable(L, n, 0);
  out = lua_gettop(L);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, list, i);
    if (lua_istable(L, -1)) {
      wrap(L, sidx, lua_gettop(L));
      lua_rawseti(L, out, (int)lua_rawlen(L, out) + 1);
    }
    lua_pop(L, 1);
  }
}

int tt_parse_decode_error(lua_State *L, const tt_endpoint *ep, int status, const char *why) {
  lua_pushnil(L);
  tt_error_push(L, "decode", why);
  lua_pushinteger(L, status);
  lua_setfield(L, -2, "status");
  lua_pushstring(L, ep->op);
  lua_setfield(L, -2, "op");
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, "sent");
  return 2;
}
