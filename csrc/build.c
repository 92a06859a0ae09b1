/* core.build(session, op, args) -> request table, or nil + validation error.
 * No I/O: it validates every argument against the endpoint table, then lays
 * out the URL, headers and body (JSON, or multipart parts when a file goes). */
#include "validate.h"
#include "endpoints.h"
#include "session.h"
#include "tingting.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sb_adds(tt_buf *b, const char *s) { tt_buf_add(b, s, strlen(s)); }

static void sb_json_string(tt_buf *b, const char *s, size_t n) {
  size_t i, run = 0;
  tt_buf_add(b, "\"", 1);
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    tt_buf_add(b, s + run, i - run);
    run = i + 1;
    switch (c) {
    case '"': sb_adds(b, "\\\""); break;
    case '\\': sb_adds(b, "\\\\"); break;
    case '\n': sb_adds(b, "\\n"); break;
    case '\r': sb_adds(b, "\\r"); break;
    case '\t': sb_adds(b, "\\t"); break;
    default: {
      char u[8];
      snprintf(u, sizeof u, "\\u%04x", c);
      sb_adds(b, u);
    }
    }
  }
  tt_buf_add(b, s + run, n - run);
  tt_buf_add(b, "\"", 1);
}

static void sb_json_value(lua_State *L, tt_buf *b, int idx, int raw_strings) {
  char num[64];
  switch (lua_type(L, idx)) {
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    if (raw_strings) tt_buf_add(b, s, n); /* digit strings sent as JSON integers */
    else sb_json_string(b, s, n);
    break;
  }
  case LUA_TNUMBER:
    if (tt_isinteger(L, idx)) {
      snprintf(num, sizeof num, "%lld", tt_tolonglong(L, idx));
    } else {
      double v = (double)lua_tonumber(L, idx);
      snprintf(num, sizeof num, "%.14g", v);
      if (strtod(num, NULL) != v) snprintf(num, sizeof num, "%.17g", v);
    }
    sb_adds(b, num);
    break;
  case LUA_TBOOLEAN:
    sb_adds(b, lua_toboolean(L, idx) ? "true" : "false");
    break;
  default:
    sb_adds(b, "null");
  }
}

/* Lists (ids, phones, statuses) and tag objects: already validated shapes. */
static void sb_json_field(lua_State *L, tt_buf *b, const tt_field *f, int vidx) {
  int raw = f->type == TT_F_PHONE || f->type == TT_F_PHONE_LIST;
  if (lua_type(L, vidx) != LUA_TTABLE) {
    sb_json_value(L, b, vidx, raw);
  } else if (f->type == TT_F_TAGS) {
    int first = 1;
    tt_buf_add(b, "{", 1);
    lua_pushnil(L);
    while (lua_next(L, vidx)) {
      size_t n;
      const char *k = lua_tolstring(L, -2, &n);
      if (!first) tt_buf_add(b, ",", 1);
      first = 0;
      sb_json_string(b, k, n);
      tt_buf_add(b, ":", 1);
      sb_json_value(L, b, lua_gettop(L), 0);
      lua_pop(L, 1);
    }
    tt_buf_add(b, "}", 1);
  } else {
    int i, n = (int)lua_rawlen(L, vidx);
    tt_buf_add(b, "[", 1);
    for (i = 1; i <= n; i++) {
      if (i > 1) tt_buf_add(b, ",", 1);
      lua_rawgeti(L, vidx, i);
      sb_json_value(L, b, lua_gettop(L), raw);
      lua_pop(L, 1);
    }
    tt_buf_add(b, "]", 1);
  }
}

static int check_field(lua_State *L, const char *op, const tt_field *f, int idx) {
  switch (f->type) {
  case TT_F_STRING: return tt_check_text(L, op, f->name, idx, 1);
  case TT_F_TEXT: return tt_check_text(L, op, f->name, idx, 0);
  case TT_F_ENUM: return tt_check_enum(L, op, f->name, idx, f->enumv);
  case TT_F_ENUM_LIST: return tt_check_enum_list(L, op, f->name, idx, f->enumv);
  case TT_F_ID: case TT_F_PAGE: return tt_check_id(L, op, f->name, idx);
  case TT_F_ID_LIST: return tt_check_id_list(L, op, f->name, idx);
  case TT_F_PHONE: return tt_check_phone(L, op, f->name, idx, 1);
  case TT_F_PHONE_STR: return tt_check_phone(L, op, f->name, idx, 0);
  case TT_F_PHONE_LIST: return tt_check_phone_list(L, op, f->name, idx);
  case TT_F_TAGS: return tt_check_tags(L, op, f->name, idx);
  case TT_F_FILE: return tt_check_file(L, op, f->name, idx);
  case TT_F_DATETIME: return tt_check_datetime(L, op, f->name, idx);
  case TT_F_DECIMAL: return tt_check_decimal(L, op, f->name, idx);
  case TT_F_DIGITS: return tt_check_digits(L, op, f->name, idx);
  }
  return tt_fail(L, op, f->name, "unsupported field type");
}

static int has(lua_State *L, int vals, const char *k) {
  int yes;
  lua_getfield(L, vals, k);
  yes = !lua_isnil(L, -1);
  lua_pop(L, 1);
  return yes;
}

static const char *str(lua_State *L, int vals, const char *k) {
  const char *s;
  lua_getfield(L, vals, k);
  s = lua_tostring(L, -1);
  lua_pop(L, 1); /* still referenced by vals */
  return s;
}

/* Rules that involve more than one field. */
static int check_cross(lua_State *L, const char *op, int vals) {
  if (strcmp(op, "create_campaign") == 0) {
    int list = has(L, vals, "individual_number"), file = has(L, vals, "send_to_number_file");
    if (!list && !file)
      return tt_fail(L, op, "individual_number", "individual_number (a list) or send_to_number_file (a path) is required");
    if (list && file)
      return tt_fail(L, op, "individual_number", "give individual_number or send_to_number_file, not both");
  } else if (strcmp(op, "update_campaign") == 0) {
    if (!has(L, vals, "name") && !has(L, vals, "services") && !has(L, vals, "description"))
      return tt_fail(L, op, "name", "nothing to update: give name, services or description");
  } else if (strcmp(op, "update_number") == 0) {
    if (!has(L, vals, "number") && !has(L, vals, "available_tags"))
      return tt_fail(L, op, "number", "nothing to update: give number or available_tags");
  } else if (strcmp(op, "begin") == 0) {
    if (!has(L, vals, "message") && !has(L, vals, "aud_file") && !has(L, vals, "status") &&
        !has(L, vals, "priority"))
      return tt_fail(L, op, "message", "begin needs message or aud_file (or status/priority to re-run)");
  } else if (strcmp(op, "send_otp") == 0) {
    const char *opt = str(L, vals, "otp_options"), *msg = str(L, vals, "message");
    int otp = has(L, vals, "otp");
    if (opt == NULL && otp) {
      /* an OTP of one's own means "personnel", whatever the default is */
      lua_pushliteral(L, "personnel");
      lua_setfield(L, vals, "otp_options");
      opt = "personnel";
    }
    if (opt != NULL && strcmp(opt, "personnel") == 0) {
      if (!otp) return tt_fail(L, op, "otp", "is required when otp_options is personnel");
      if (has(L, vals, "otp_length"))
        return tt_fail(L, op, "otp_length", "only with otp_options generated");
    } else if (otp) {
      return tt_fail(L, op, "otp", "only with otp_options personnel");
    }
    if (has(L, vals, "otp_length")) {
      /* strtoll, not atoi: "4294967297" wrapped to 1 in an int and passed.
       * The value is at most 16 digits (tt_check_digits), so it fits. */
      const char *v = str(L, vals, "otp_length");
      long long n = strtoll(v, NULL, 10);
      if (n < 1 || n > 10) return tt_fail(L, op, "otp_length", "expected 1 to 10 digits (got %s)", v);
    }
    if (msg != NULL && strstr(msg, "{otp}") == NULL)
      return tt_fail(L, op, "message", "must contain the {otp} placeholder");
  }
  return 1;
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
      sb_json_field(L, &b, f, lua_gettop(L));
      lua_pushlstring(L, b.p ? b.p : "", b.len);
      tt_buf_free(&b);
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

static int build_json(lua_State *L, const tt_endpoint *ep, int vals) {
  const tt_field *f;
  tt_buf b = TT_BUF_INIT;
  int first = 1;
  tt_buf_add(&b, "{", 1);
  for (f = ep->fields; f->name != NULL; f++) {
    if (f->flags & (TT_PATH | TT_QUERY)) continue;
    lua_getfield(L, vals, f->name);
    if (!lua_isnil(L, -1)) {
      if (!first) tt_buf_add(&b, ",", 1);
      first = 0;
      sb_json_string(&b, f->name, strlen(f->name));
      tt_buf_add(&b, ":", 1);
      sb_json_field(L, &b, f, lua_gettop(L));
    }
    lua_pop(L, 1);
  }
  tt_buf_add(&b, "}", 1);
  if (b.oom) {
    tt_buf_free(&b);
    return luaL_error(L, "tingting: out of memory encoding a request");
  }
  lua_pushlstring(L, b.p, b.len);
  tt_buf_free(&b);
  return 1;
}

static void set_str(lua_State *L, const char *k, const char *v) {
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
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
    lua_pushfstring(L, "%c%s=%s", q++ ? '&' : '?', f->name, lua_tostring(L, -1));
    lua_remove(L, -2);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
}

static int core_build(lua_State *L) {
  const char *op = luaL_checkstring(L, 2);
  const tt_endpoint *ep = tt_endpoint_find(op);
  const tt_field *f;
  int vals, state, has_file = 0, has_body = 0;
  tt_session_check(L, 1);
  if (ep == NULL) return luaL_argerror(L, 2, lua_pushfstring(L, "unknown operation '%s'", op));
  lua_settop(L, 3);
  if (!lua_isnil(L, 3) && !lua_istable(L, 3))
    return tt_fail(L, op, "arguments", "expected a table (got %s)", luaL_typename(L, 3)) + 2;
  if (lua_istable(L, 3)) {
    lua_pushnil(L);
    while (lua_next(L, 3)) {
      int known = 0;
      lua_pop(L, 1);
      if (lua_type(L, -1) == LUA_TSTRING)
        for (f = ep->fields; f->name != NULL && !known; f++) known = strcmp(f->name, lua_tostring(L, -1)) == 0;
      if (!known) {
        luaL_Buffer b;
        const char *k = tt_repr(L, -1);
        luaL_buffinit(L, &b);
        for (f = ep->fields; f->name != NULL; f++) {
          luaL_addstring(&b, f->name);
          if (f[1].name != NULL) luaL_addstring(&b, ", ");
        }
        luaL_pushresult(&b);
        return tt_fail(L, op, lua_type(L, -3) == LUA_TSTRING ? lua_tostring(L, -3) : "arguments",
                       "unknown field %s (expected %s)", k,
                       lua_rawlen(L, -1) ? lua_tostring(L, -1) : "no arguments") + 2;
      }
    }
  }
  for (f = ep->fields; f->name != NULL; f++) {}
  lua_createtable(L, 0, (int)(f - ep->fields)); /* at its final size */
  vals = lua_gettop(L);
  for (f = ep->fields; f->name != NULL; f++) {
    if (lua_istable(L, 3)) lua_getfield(L, 3, f->name);
    else lua_pushnil(L);
    if (lua_isnil(L, -1)) {
      if (f->flags & TT_REQUIRED) return tt_fail(L, op, f->name, "is required") + 2;
      lua_pop(L, 1);
      continue;
    }
    if (!check_field(L, op, f, lua_gettop(L))) return 2;
    lua_setfield(L, vals, f->name);
    lua_pop(L, 1);
    if (f->type == TT_F_FILE) has_file = 1;
    else if (!(f->flags & (TT_PATH | TT_QUERY))) has_body = 1;
  }
  if (!check_cross(L, op, vals)) return 2;

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

  lua_createtable(L, 0, 3);
  set_str(L, "Accept", ep->result == TT_R_BYTES ? "*/*" : "application/json");
  if (ep->auth) {
    lua_getfield(L, state, "access_token");
    if (lua_isstring(L, -1)) {
      lua_pushliteral(L, "Bearer ");
      lua_insert(L, -2);
      lua_concat(L, 2);
      lua_setfield(L, -2, "Authorization");
    } else {
      lua_pop(L, 1);
    }
  }
  if (has_file) {
    lua_setfield(L, -2, "headers");
    build_form(L, ep, vals);
    lua_setfield(L, -2, "form");
  } else {
    if (has_body || strcmp(ep->method, "POST") == 0 || strcmp(ep->method, "PUT") == 0) {
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

/* core.endpoint(op) -> {op, method, path, auth, idempotent, fields = {...}} | nil */
static void push_endpoint(lua_State *L, const tt_endpoint *ep) {
  const tt_field *f;
  int i = 0;
  lua_createtable(L, 0, 6);
  set_str(L, "op", ep->op);
  set_str(L, "method", ep->method);
  set_str(L, "path", ep->path);
  lua_pushboolean(L, ep->auth);
  lua_setfield(L, -2, "auth");
  lua_pushboolean(L, ep->idempotent);
  lua_setfield(L, -2, "idempotent");
  lua_newtable(L);
  for (f = ep->fields; f->name != NULL; f++) {
    lua_createtable(L, 0, 3);
    set_str(L, "name", f->name);
    lua_pushboolean(L, (f->flags & TT_REQUIRED) != 0);
    lua_setfield(L, -2, "required");
    if (f->enumv != NULL) {
      const char *const *e;
      int j = 0;
      lua_newtable(L);
      for (e = f->enumv; *e != NULL; e++) {
        lua_pushstring(L, *e);
        lua_rawseti(L, -2, ++j);
      }
      lua_setfield(L, -2, "enum");
    }
    lua_rawseti(L, -2, ++i);
  }
  lua_setfield(L, -2, "fields");
}

static int core_endpoint(lua_State *L) {
  const tt_endpoint *ep = tt_endpoint_find(luaL_checkstring(L, 1));
  if (ep == NULL) return 0;
  push_endpoint(L, ep);
  return 1;
}

static int core_endpoints(lua_State *L) {
  size_t i;
  const tt_endpoint *ep;
  lua_newtable(L);
  for (i = 0; (ep = tt_endpoint_at(i)) != NULL; i++) {
    push_endpoint(L, ep);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

/* core.normalize_phone(v) -> digits | nil, reason */
static int core_normalize_phone(lua_State *L) {
  lua_settop(L, 1);
  if (!tt_check_phone(L, NULL, "number", 1, 0)) {
    lua_getfield(L, -1, "message");
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  return 1;
}

void tt_build_open(lua_State *L) {
  static const luaL_Reg fns[] = {
    {"build", core_build}, {"endpoint", core_endpoint}, {"endpoints", core_endpoints},
    {"normalize_phone", core_normalize_phone}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
