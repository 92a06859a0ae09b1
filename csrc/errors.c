/* The tingting.error metatable: errors are plain tables so that they can be
 * built and inspected from Lua (transports, the retry loop) and in C alike. */
#include "errors.h"
#include "tingting.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void tt_error_push(lua_State *L, const char *kind, const char *message) {
  lua_createtable(L, 0, 8);
  lua_pushstring(L, kind);
  lua_setfield(L, -2, "kind");
  lua_pushstring(L, message);
  lua_setfield(L, -2, "message");
  /* Whether to try again is the retry policy's call (tingting.call), made
   * for each attempt from the kind, the status and the operation: until it
   * says so, an error is not retryable. */
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "retryable");
  luaL_getmetatable(L, TT_ERROR_MT);
  lua_setmetatable(L, -2);
}

int tt_validation_fail(lua_State *L, const char *op, const char *field, const char *fmt, ...) {
  va_list ap;
  lua_pushnil(L);
  lua_pushstring(L, field);
  lua_pushliteral(L, ": ");
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  lua_concat(L, 3);
  tt_error_push(L, "validation", lua_tostring(L, -1));
  lua_remove(L, -2);
  lua_pushstring(L, field);
  lua_setfield(L, -2, "field");
  if (op != NULL) {
    lua_pushstring(L, op);
    lua_setfield(L, -2, "op");
  }
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "sent");
  return 0;
}

static const char *field_str(lua_State *L, int idx, const char *k) {
  const char *s;
  lua_getfield(L, idx, k);
  s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  lua_pop(L, 1); /* the table still holds the string */
  return s;
}

/* "tingting: api error 400 in create_campaign (POST /api/system/campaigns/): msg" */
static int error_tostring(lua_State *L) {
  luaL_Buffer b;
  const char *kind, *op, *method, *path, *msg;
  luaL_checktype(L, 1, LUA_TTABLE);
  kind = field_str(L, 1, "kind");
  op = field_str(L, 1, "op");
  method = field_str(L, 1, "method");
  path = field_str(L, 1, "path");
  msg = field_str(L, 1, "message");
  luaL_buffinit(L, &b);
  luaL_addstring(&b, "tingting: ");
  luaL_addstring(&b, kind ? kind : "unknown");
  luaL_addstring(&b, " error");
  lua_getfield(L, 1, "status");
  if (lua_type(L, -1) == LUA_TNUMBER) {
    lua_Number st = lua_tonumber(L, -1);
    lua_pop(L, 1);
    /* err.status may be set by anyone (core.error): never cast NaN or 1e300 */
    if (st >= 0 && st < 1000) {
      lua_pushfstring(L, " %d", (int)st);
      luaL_addvalue(&b);
    }
  } else {
    lua_pop(L, 1);
  }
  if (op) {
    luaL_addstring(&b, " in ");
    luaL_addstring(&b, op);
  }
  if (method && path) {
    luaL_addstring(&b, " (");
    luaL_addstring(&b, method);
    luaL_addchar(&b, ' ');
    luaL_addstring(&b, path);
    luaL_addchar(&b, ')');
  }
  if (msg) {
    luaL_addstring(&b, ": ");
    luaL_addstring(&b, msg);
  }
  luaL_pushresult(&b);
  return 1;
}

static int is_error(lua_State *L, int idx) {
  int yes = 0;
  if (lua_type(L, idx) == LUA_TTABLE && lua_getmetatable(L, idx)) {
    luaL_getmetatable(L, TT_ERROR_MT);
    yes = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
  }
  return yes;
}

/* "failed: " .. err and err .. "\n", as with LuaSocket's string errors: the
 * error's side becomes its tostring; the other side must be a string or a
 * number (concatenating two errors joins both renderings). */
static int error_concat(lua_State *L) {
  int i;
  lua_settop(L, 2);
  for (i = 1; i <= 2; i++) {
    int t = lua_type(L, i);
    if (is_error(L, i)) {
      lua_pushcfunction(L, error_tostring);
      lua_pushvalue(L, i);
      lua_call(L, 1, 1);
      lua_replace(L, i);
    } else if (t != LUA_TSTRING && t != LUA_TNUMBER) {
      return luaL_error(L, "attempt to concatenate a %s value with a tingting.error", luaL_typename(L, i));
    }
  }
  lua_concat(L, 2);
  return 1;
}

/* core.error(tbl) -> tbl with the error metatable (kind and message required). */
static int core_error(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  luaL_getmetatable(L, TT_ERROR_MT);
  lua_setmetatable(L, 1);
  return 1;
}

static int core_is_error(lua_State *L) {
  lua_pushboolean(L, is_error(L, 1));
  return 1;
}

void tt_errors_open(lua_State *L) {
  luaL_newmetatable(L, TT_ERROR_MT);
  lua_pushcfunction(L, error_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushcfunction(L, error_concat);
  lua_setfield(L, -2, "__concat");
  lua_pushliteral(L, TT_ERROR_MT);
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);
  lua_pushcfunction(L, core_error);
  lua_setfield(L, -2, "error");
  lua_pushcfunction(L, core_is_error);
  lua_setfield(L, -2, "is_error");
}

/* Edits (insert, delete, change, swap two neighbours), case aside, from
 * key to name; names past 63 bytes are never suggested. */
int tt_typo_distance(const char *key, const char *name) {
  int rows[3][64], i, j, la = (int)strlen(key), lb = (int)strlen(name), limit;
  limit = la / 3 < 1 ? 1 : (la / 3 > 3 ? 3 : la / 3);
  if (la > 63 || lb > 63 || (la > lb ? la - lb : lb - la) > limit) return -1;
  for (j = 0; j <= lb; j++) rows[0][j] = j;
  for (i = 1; i <= la; i++) {
    int *prev2 = rows[(i + 1) % 3], *prev = rows[(i + 2) % 3], *cur = rows[i % 3];
    int ca = tolower((unsigned char)key[i - 1]);
    cur[0] = i;
    for (j = 1; j <= lb; j++) {
      int cb = tolower((unsigned char)name[j - 1]);
      int d = prev[j] + 1;
      if (cur[j - 1] + 1 < d) d = cur[j - 1] + 1;
      if (prev[j - 1] + (ca != cb) < d) d = prev[j - 1] + (ca != cb);
      if (i > 1 && j > 1 && ca == tolower((unsigned char)name[j - 2]) &&
          tolower((unsigned char)key[i - 2]) == cb && prev2[j - 2] + 1 < d)
        d = prev2[j - 2] + 1;
      cur[j] = d;
    }
  }
  return rows[la % 3][lb] <= limit ? rows[la % 3][lb] : -1;
}

/* A short, safe rendering of a bad value for an error message. */
const char *tt_repr(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  switch (lua_type(L, idx)) {
  case LUA_TSTRING: {
    size_t n, i;
    const char *s = lua_tolstring(L, idx, &n);
    char buf[48];
    size_t m = n < 32 ? n : 32;
    for (i = 0; i < m; i++) buf[i] = (s[i] >= 32 && s[i] < 127) ? s[i] : '?';
    buf[m] = '\0';
    return lua_pushfstring(L, "\"%s%s\"", buf, n > 32 ? "..." : "");
  }
  case LUA_TNUMBER: {
    lua_Number v = lua_tonumber(L, idx);
    char buf[64];
    if (v != v) {
      lua_pushliteral(L, "nan");
      return lua_tostring(L, -1);
    }
    if (tt_isinteger(L, idx)) snprintf(buf, sizeof buf, "%lld", tt_tolonglong(L, idx));
    else snprintf(buf, sizeof buf, "%.6g", (double)v);
    lua_pushstring(L, buf);
    return lua_tostring(L, -1);
  }
  default:
    lua_pushstring(L, luaL_typename(L, idx));
    return lua_tostring(L, -1);
  }
}
