/* core.build(session, op, args) -> request table, or nil + validation error.
 * No I/O: once the arguments pass (arguments.c), it lays out the URL, the
 * headers and the body (JSON, or multipart parts when a file goes). */
#include "arguments.h"
#include "endpoints.h"
#include "json.h"
#include "session.h"
#include "tingting.h"
#include "util.h"
#include <stdio.h>
#include <string.h>

/* One item of a JSON body; digits: a phone number's digit string, which
 * goes as a JSON integer. */
static void json_item(lua_State *L, tt_buf *b, int idx, int digits) {
  if (digits && lua_type(L, idx) == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    tt_buf_add(b, s, n);
  } else {
    tt_json_scalar(L, b, idx);
  }
}

static void json_tags(lua_State *L, tt_buf *b, int vidx);

/* v1 contacts: [{"number": "98…", "other_variables": {…}}, …] (a contact's
 * variables are available_tags on the Lua side, other_variables on the v1
 * wire). */
static void json_contacts(lua_State *L, tt_buf *b, int vidx) {
  int i, n = (int)lua_rawlen(L, vidx);
  tt_buf_add(b, "[", 1);
  for (i = 1; i <= n; i++) {
    size_t len;
    const char *num;
    if (i > 1) tt_buf_add(b, ",", 1);
    lua_rawgeti(L, vidx, i);
    lua_getfield(L, -1, "number");
    num = lua_tolstring(L, -1, &len);
    tt_buf_add(b, "{\"number\":", 10);
    tt_json_string(b, num, len);
    lua_getfield(L, -2, "available_tags");
    if (lua_istable(L, -1)) {
      tt_buf_add(b, ",\"other_variables\":", 19);
      json_tags(L, b, lua_gettop(L));
    }
    tt_buf_add(b, "}", 1);
    lua_pop(L, 3);
  }
  tt_buf_add(b, "]", 1);
}

/* A field's validated value: a scalar, a list (ids, phones, statuses) as
 * an array, tags as an object. */
static void json_field(lua_State *L, tt_buf *b, const tt_field *f, int vidx) {
  /* a phone's digits, or an id beyond 2^53 carried as a digit string */
  int digits = f->type == TT_F_PHONE || f->type == TT_F_PHONE_LIST || f->type == TT_F_ID || f->type == TT_F_ID_LIST;
  if (lua_type(L, vidx) != LUA_TTABLE) {
    json_item(L, b, vidx, digits);
  } else if (f->type == TT_F_CONTACTS) {
    json_contacts(L, b, vidx);
  } else if (f->type == TT_F_TAGS) {
    json_tags(L, b, vidx);
  } else {
    int i, n = (int)lua_rawlen(L, vidx);
    tt_buf_add(b, "[", 1);
    for (i = 1; i <= n; i++) {
      if (i > 1) tt_buf_add(b, ",", 1);
      lua_rawgeti(L, vidx, i);
      json_item(L, b, lua_gettop(L), digits);
      lua_pop(L, 1);
    }
    tt_buf_add(b, "]", 1);
  }
}

/* Tags (variables) as a JSON object of strings and numbers. */
static void json_tags(lua_State *L, tt_buf *b, int vidx) {
  int first = 1;
  tt_buf_add(b, "{", 1);
  lua_pushnil(L);
  while (lua_next(L, vidx)) {
    size_t n;
    const char *k = lua_tolstring(L, -2, &n);
    if (!first) tt_buf_add(b, ",", 1);
    first = 0;
    tt_json_string(b, k, n);
    tt_buf_add(b, ":", 1);
    tt_json_scalar(L, b, lua_gettop(L));
    lua_pop(L, 1);
  }
  tt_buf_add(b, "}", 1);
}

/* Pushes the text of b and frees it. */
static void push_json(lua_State *L, tt_buf *b) {
  if (b->oom) {
    tt_buf_free(b);
    luaL_error(L, "tingting: out of memory encoding a request");
    return;
  }
  lua_pushlstring(L, b->p ? b->p : "", b->len);
  tt_buf_free(b);
}

/* Whether a body field has a value: one of type file (files), or of any
 * other type (!files). */
static int has_value(lua_State *L, const tt_endpoint *ep, int vals, int files) {
  const tt_field *f;
  int yes = 0;
  for (f = ep->fields; f->name != NULL && !yes; f++) {
    if ((f->flags & (TT_PATH | TT_QUERY)) || (f->type == TT_F_FILE) != files) continue;
    lua_getfield(L, vals, f->name);
    yes = !lua_isnil(L, -1);
    lua_pop(L, 1);
  }
  return yes;
}

static const char *mime_type(const char *path) {
  const char *dot = strrchr(path, '.');
  if (dot == NULL) return "application/octet-stream";
  if (strcmp(dot, ".xlsx") == 0) return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  if (strcmp(dot, ".csv") == 0) return "text/csv";
  if (strcmp(dot, ".mp3") == 0) return "audio/mpeg";
  if (strcmp(dot, ".wav") == 0) return "audio/wav";
  if (strcmp(dot, ".ogg") == 0) return "audio/ogg";
  return "application/octet-stream";
}

static void add_part(lua_State *L, int form, const char *name, int vidx, int as_file) {
  lua_createtable(L, 0, 4);
  lua_pushstring(L, name);
  lua_setfield(L, -2, "name");
  if (as_file) {
    const char *path = lua_tostring(L, vidx), *base = strrchr(path, '/');
    lua_pushvalue(L, vidx);
    lua_setfield(L, -2, "file");
    lua_pushstring(L, base ? base + 1 : path);
    lua_setfield(L, -2, "filename");
    lua_pushstring(L, mime_type(path));
    lua_setfield(L, -2, "type");
  } else if (lua_type(L, vidx) == LUA_TNUMBER) {
    char num[32];
    /* only validated ids get here: integers up to 2^53 */
    snprintf(num, sizeof num, "%lld", tt_tolonglong(L, vidx));
    lua_pushstring(L, num);
    lua_setfield(L, -2, "value");
  } else {
    lua_pushvalue(L, vidx);
    lua_setfield(L, -2, "value");
  }
  lua_rawseti(L, form, (int)lua_rawlen(L, form) + 1);
}

/* Multipart: one part per scalar; lists repeat the name (DRF's ListField). */
static void build_form(lua_State *L, const tt_endpoint *ep, int vals) {
  const tt_field *f;
  int form;
  lua_newtable(L);
  form = lua_gettop(L);
  for (f = ep->fields; f->name != NULL; f++) {
    if (f->flags & (TT_PATH | TT_QUERY)) continue;
    lua_getfield(L, vals, f->name);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      continue;
    }
    if (f->type == TT_F_TAGS) {
      tt_buf b = TT_BUF_INIT;
      json_field(L, &b, f, lua_gettop(L));
      push_json(L, &b);
      add_part(L, form, f->name, lua_gettop(L), 0);
      lua_pop(L, 1);
    } else if (lua_istable(L, -1)) {
      int i, n = (int)lua_rawlen(L, -1);
      for (i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        add_part(L, form, f->name, lua_gettop(L), 0);
        lua_pop(L, 1);
      }
    } else {
      add_part(L, form, f->name, lua_gettop(L), f->type == TT_F_FILE);
    }
    lua_pop(L, 1);
  }
}

static void build_json(lua_State *L, const tt_endpoint *ep, int vals) {
  const tt_field *f;
  tt_buf b = TT_BUF_INIT;
  int first = 1;
  for (f = ep->fields; f->name != NULL; f++) {
    if (!(f->flags & TT_BODY)) continue;
    lua_getfield(L, vals, f->name); /* the whole body (v1 attributes) */
    json_tags(L, &b, lua_gettop(L));
    lua_pop(L, 1);
    push_json(L, &b);
    return;
  }
  tt_buf_add(&b, "{", 1);
  for (f = ep->fields; f->name != NULL; f++) {
    if (f->flags & (TT_PATH | TT_QUERY)) continue;
    lua_getfield(L, vals, f->name);
    if (!lua_isnil(L, -1)) {
      if (!first) tt_buf_add(&b, ",", 1);
      first = 0;
      tt_json_string(&b, f->name, strlen(f->name));
      tt_buf_add(&b, ":", 1);
      json_field(L, &b, f, lua_gettop(L));
    }
    lua_pop(L, 1);
  }
  tt_buf_add(&b, "}", 1);
  push_json(L, &b);
}

/* A query value, percent-encoded but for RFC 3986's unreserved characters
 * (v1 statuses have spaces, searches anything). */
static void add_query_value(luaL_Buffer *b, const char *v, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)v[i];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      luaL_addchar(b, (char)c);
    } else {
      luaL_addchar(b, '%');
      luaL_addchar(b, hex[c >> 4]);
      luaL_addchar(b, hex[c & 15]);
    }
  }
}

static void set_str(lua_State *L, const char *k, const char *v) {
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

/* The value on top as text for a URL: whole numbers in full, as Lua 5.1
 * and LuaJIT would write an id of 15 digits or more with an exponent
 * ("1.2345678901235e+14"). */
static void url_text(lua_State *L) {
  if (lua_type(L, -1) == LUA_TNUMBER && tt_isinteger(L, -1)) {
    char num[32];
    snprintf(num, sizeof num, "%lld", tt_tolonglong(L, -1));
    lua_pop(L, 1);
    lua_pushstring(L, num);
  }
}

/* The path with {id} filled in and the query appended. */
static void push_path(lua_State *L, const tt_endpoint *ep, int vals) {
  const tt_field *f;
  const char *brace = strchr(ep->path, '{');
  luaL_Buffer b;
  int q = 0;
  if (brace == NULL) { /* a fixed path, unless a query goes with it */
    for (f = ep->fields; f->name != NULL && !q; f++) {
      if (!(f->flags & TT_QUERY)) continue;
      lua_getfield(L, vals, f->name);
      q = !lua_isnil(L, -1);
      lua_pop(L, 1);
    }
    if (!q) {
      lua_pushstring(L, ep->path);
      return;
    }
    q = 0;
  }
  luaL_buffinit(L, &b);
  if (brace != NULL) {
    const char *close = strchr(brace, '}');
    luaL_addlstring(&b, ep->path, (size_t)(brace - ep->path));
    lua_pushlstring(L, brace + 1, (size_t)(close - brace - 1));
    lua_gettable(L, vals);
    url_text(L);
    luaL_addvalue(&b);
    luaL_addstring(&b, close + 1);
  } else {
    luaL_addstring(&b, ep->path);
  }
  for (f = ep->fields; f->name != NULL; f++) {
    if (!(f->flags & TT_QUERY)) continue;
    lua_getfield(L, vals, f->name);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      continue;
    }
    {
      size_t n;
      const char *v;
      luaL_Buffer e;
      url_text(L);
      v = lua_tolstring(L, -1, &n);
      luaL_buffinit(L, &e);
      luaL_addchar(&e, q++ ? '&' : '?');
      luaL_addstring(&e, f->name);
      luaL_addchar(&e, '=');
      add_query_value(&e, v, n);
      luaL_pushresult(&e);
    }
    lua_remove(L, -2);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
}

static int core_build(lua_State *L) {
  const char *op = luaL_checkstring(L, 2);
  const tt_endpoint *ep;
  int vals, state;
  tt_session_check(L, 1);
  ep = tt_endpoint_find(op, tt_session_dialect(L, 1));
  if (ep == NULL) return luaL_argerror(L, 2, lua_pushfstring(L, "unknown operation '%s'", op));
  lua_settop(L, 3);
  if (!tt_check_args(L, ep, 3)) return 2;
  vals = lua_gettop(L);

  tt_session_state(L, 1);
  state = lua_gettop(L);
  lua_createtable(L, 0, 12);
  set_str(L, "op", op);
  set_str(L, "method", ep->method);
  push_path(L, ep, vals);
  lua_getfield(L, state, "base_url");
  lua_pushvalue(L, -2);
  lua_concat(L, 2);
  lua_setfield(L, -3, "url");
  lua_setfield(L, -2, "path");
  lua_pushboolean(L, ep->idempotent);
  lua_setfield(L, -2, "idempotent");
  lua_getfield(L, state, "timeout");
  lua_setfield(L, -2, "timeout");
  lua_getfield(L, state, "connect_timeout");
  lua_setfield(L, -2, "connect_timeout");
  lua_getfield(L, state, "max_body");
  lua_setfield(L, -2, "max_body");

  lua_createtable(L, 0, 3);
  set_str(L, "Accept", ep->result == TT_R_BYTES ? "*/*" : "application/json");
  /* Authorization is tingting.auth's: it holds the tokens and renews them */
  if (has_value(L, ep, vals, 1)) {
    lua_setfield(L, -2, "headers");
    build_form(L, ep, vals);
    lua_setfield(L, -2, "form");
  } else {
    if (strcmp(ep->method, "POST") == 0 || strcmp(ep->method, "PUT") == 0 || strcmp(ep->method, "PATCH") == 0 ||
        has_value(L, ep, vals, 0)) {
      set_str(L, "Content-Type", "application/json");
      lua_setfield(L, -2, "headers");
      build_json(L, ep, vals);
      lua_setfield(L, -2, "body");
    } else {
      lua_setfield(L, -2, "headers");
    }
  }
  return 1;
}

void tt_build_open(lua_State *L) {
  lua_pushcfunction(L, core_build);
  lua_setfield(L, -2, "build");
}
