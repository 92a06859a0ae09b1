/* Campaign and Number: userdata with read-only fields. The decoded fields and
 * the owning session live in the userdata's uservalue (LPeg style), so an
 * object keeps its session alive without registry refs and cycles collect. */
#include "objects.h"
#include "tingting.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tt_object {
  lua_Integer id;
} tt_object;

/* uservalue layout: { f = fields, s = session } */
static void push_uv(lua_State *L, int idx, const char *key) {
  tt_getuservalue(L, idx);
  lua_getfield(L, -1, key);
  lua_remove(L, -2);
}

static void push_object(lua_State *L, int sidx, int idx, const char *mt) {
  tt_object *o;
  sidx = lua_absindex(L, sidx);
  idx = lua_absindex(L, idx);
  o = (tt_object *)tt_newuserdata(L, sizeof *o);
  lua_getfield(L, idx, "id");
  /* The id comes from the server: a float such as 1e300 or NaN must not be
   * cast (undefined behaviour); an id we cannot hold is 0. */
  if (tt_isinteger(L, -1)) {
    o->id = (lua_Integer)tt_tolonglong(L, -1);
  } else if (lua_type(L, -1) == LUA_TSTRING) { /* a 64-bit id kept whole as digits */
    o->id = (lua_Integer)strtoll(lua_tostring(L, -1), NULL, 10);
  } else {
    lua_Number v = lua_tonumber(L, -1);
    o->id = (v >= -9007199254740992.0 && v <= 9007199254740992.0) ? (lua_Integer)v : 0;
  }
  lua_pop(L, 1);
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, idx);
  lua_setfield(L, -2, "f");
  lua_pushvalue(L, sidx);
  lua_setfield(L, -2, "s");
  tt_setuservalue(L, -2);
  luaL_setmetatable(L, mt);
}

void tt_campaign_push(lua_State *L, int sidx, int idx) { push_object(L, sidx, idx, TT_CAMPAIGN_MT); }
void tt_number_push(lua_State *L, int sidx, int idx) { push_object(L, sidx, idx, TT_NUMBER_MT); }

static tt_object *check_object(lua_State *L, int idx) {
  void *p = luaL_testudata(L, idx, TT_CAMPAIGN_MT);
  if (p == NULL) p = luaL_testudata(L, idx, TT_NUMBER_MT);
  if (p == NULL) luaL_argerror(L, idx, "tingting.campaign or tingting.number expected");
  return (tt_object *)p;
}

/* A shallow copy, so that a caller cannot change an object through a table
 * it read from it. */
static void push_copy(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_settable(L, -4);
  }
}

static int object_index(lua_State *L) {
  const char *k = lua_tostring(L, 2);
  check_object(L, 1);
  if (k != NULL) {
    if (strcmp(k, "campaing") == 0) k = "campaign"; /* the API's own spelling */
    push_uv(L, 1, "f");
    lua_getfield(L, -1, k);
    if (!lua_isnil(L, -1)) {
      if (lua_istable(L, -1)) push_copy(L, -1);
      return 1;
    }
    lua_pop(L, 2);
  }
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "methods");
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  return 1;
}

static int object_newindex(lua_State *L) {
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "__name");
  return luaL_error(L, "%s: field '%s' is read-only", lua_tostring(L, -1), (lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?"));
}

static void add_field(lua_State *L, luaL_Buffer *b, int fidx, const char *k, int quote, int first) {
  lua_getfield(L, fidx, k);
  if (!lua_isnil(L, -1)) {
    const char *v = lua_tostring(L, -1);
    lua_pop(L, 1);
    if (v == NULL) return;
    if (!first) luaL_addstring(b, ", ");
    luaL_addstring(b, k);
    luaL_addchar(b, '=');
    if (quote) {
      lua_pushfstring(L, "\"%s\"", v);
      luaL_addvalue(b);
    } else {
      luaL_addstring(b, v);
    }
  } else {
    lua_pop(L, 1);
  }
}

/* tingting.campaign{id=8, name="...", services="PHONE"}: short and useful. */
static int object_tostring(lua_State *L) {
  luaL_Buffer b;
  int fidx, is_campaign;
  tt_object *o = check_object(L, 1);
  is_campaign = luaL_testudata(L, 1, TT_CAMPAIGN_MT) != NULL;
  push_uv(L, 1, "f");
  fidx = lua_gettop(L);
  luaL_buffinit(L, &b);
  luaL_addstring(&b, is_campaign ? "tingting.campaign{" : "tingting.number{");
  {
    /* in full: "%d" cut ids past 2^31, and Lua 5.1's "%.14g" writes 15
     * digits or more with an exponent */
    char num[32];
    snprintf(num, sizeof num, "id=%lld", (long long)o->id);
    luaL_addstring(&b, num);
  }
  if (is_campaign) {
    add_field(L, &b, fidx, "name", 1, 0);
    add_field(L, &b, fidx, "services", 1, 0);
  } else {
    add_field(L, &b, fidx, "number", 1, 0);
    add_field(L, &b, fidx, "status", 1, 0);
  }
  luaL_addchar(&b, '}');
  luaL_pushresult(&b);
  return 1;
}

static int object_eq(lua_State *L) {
  tt_object *a = (tt_object *)lua_touserdata(L, 1);
  tt_object *b = (tt_object *)lua_touserdata(L, 2);
  int same = 0;
  if (a != NULL && b != NULL && lua_getmetatable(L, 1) && lua_getmetatable(L, 2))
    same = lua_rawequal(L, -1, -2) && a->id == b->id;
  lua_pushboolean(L, same);
  return 1;
}

/* core.fields(obj) -> a deep copy of the fields (tables one level down too). */
static int core_fields(lua_State *L) {
  int src;
  check_object(L, 1);
  push_uv(L, 1, "f");
  src = lua_gettop(L);
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, src)) {
    if (lua_istable(L, -1)) {
      push_copy(L, -1);
      lua_remove(L, -2);
    }
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_settable(L, -4);
  }
  return 1;
}

/* core.session_of(obj) -> the session the object came from; raises once the
 * object is closed. */
static int core_session_of(lua_State *L) {
  check_object(L, 1);
  push_uv(L, 1, "s");
  if (lua_isnil(L, -1)) {
    luaL_getmetafield(L, 1, "__name");
    return luaL_error(L, "%s: the object is closed", lua_tostring(L, -1));
  }
  return 1;
}

/* close(), __close: let go of the session (its fields stay readable), so a
 * `local c <close>` no longer keeps the session alive. Objects own no C
 * resources, so there is no __gc: a finalizer per object would only slow the
 * collection of a 20,000-number batch. Idempotent. */
static int object_close(lua_State *L) {
  check_object(L, 1);
  tt_getuservalue(L, 1);
  lua_pushnil(L);
  lua_setfield(L, -2, "s");
  return 0;
}

/* core.refresh_object(obj, newer): take the fields of a newer copy of the
 * same object (reload, update), so the caller's reference sees them. */
static int core_refresh_object(lua_State *L) {
  tt_object *o = check_object(L, 1);
  tt_object *n = check_object(L, 2);
  o->id = n->id;
  tt_getuservalue(L, 1);
  push_uv(L, 2, "f");
  lua_setfield(L, -2, "f");
  lua_settop(L, 1);
  return 1;
}

/* core.merge_fields(obj, t): the object's fields become a copy of its
 * fields with t's keys set over them (answers that echo part of an object:
 * v1's message, attributes). Returns obj. */
static int core_merge_fields(lua_State *L) {
  int f;
  check_object(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  push_uv(L, 1, "f");
  push_copy(L, -1);
  f = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, 2)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_settable(L, f);
  }
  tt_getuservalue(L, 1);
  lua_pushvalue(L, f);
  lua_setfield(L, -2, "f");
  lua_settop(L, 1);
  return 1;
}

static const luaL_Reg OBJECT_MM[] = {
  {"__index", object_index}, {"__newindex", object_newindex},
  {"__tostring", object_tostring}, {"__eq", object_eq},
#if LUA_VERSION_NUM >= 504
  {"__close", object_close},
#endif
  {NULL, NULL}};

void tt_objects_open(lua_State *L) {
  static const luaL_Reg fns[] = {
    {"fields", core_fields}, {"session_of", core_session_of},
    {"refresh_object", core_refresh_object}, {"merge_fields", core_merge_fields}, {NULL, NULL}};
  tt_class(L, TT_CAMPAIGN_MT, OBJECT_MM);
  lua_pushcfunction(L, object_close);
  lua_setfield(L, -2, "close");
  lua_setfield(L, -2, "campaign_methods");
  tt_class(L, TT_NUMBER_MT, OBJECT_MM);
  lua_pushcfunction(L, object_close);
  lua_setfield(L, -2, "close");
  lua_setfield(L, -2, "number_methods");
  luaL_setfuncs(L, fns, 0);
}
