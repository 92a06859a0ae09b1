/* The session userdata: a closed flag in C, everything else (base_url,
 * tokens, options, transport) in its state table, kept as the uservalue and
 * driven by the Lua call path. Public fields are read-only views. */
#include "session.h"
#include "tingting.h"
#include "util.h"
#include <string.h>

tt_session *tt_session_check(lua_State *L, int idx) {
  tt_session *s = (tt_session *)luaL_checkudata(L, idx, TT_SESSION_MT);
  if (s->closed) luaL_error(L, "tingting: session is closed");
  return s;
}

void tt_session_state(lua_State *L, int idx) {
  tt_getuservalue(L, idx);
}

/* core.session_new(state) -> session */
static int core_session_new(lua_State *L) {
  tt_session *s;
  luaL_checktype(L, 1, LUA_TTABLE);
  s = (tt_session *)tt_newuserdata(L, sizeof *s);
  s->closed = 0;
  lua_pushvalue(L, 1);
  tt_setuservalue(L, -2);
  luaL_setmetatable(L, TT_SESSION_MT);
  return 1;
}

/* core.state(session) -> state table; works on closed sessions too. */
static int core_state(lua_State *L) {
  luaL_checkudata(L, 1, TT_SESSION_MT);
  tt_getuservalue(L, 1);
  return 1;
}

/* core.check_open(session): raises for a closed session (programmer error). */
static int core_check_open(lua_State *L) {
  tt_session_check(L, 1);
  return 0;
}

/* One idempotent close for close(), __gc and __close: forget secrets and close
 * a transport the session created itself. */
static int session_close(lua_State *L) {
  tt_session *s = (tt_session *)luaL_checkudata(L, 1, TT_SESSION_MT);
  static const char *const secrets[] = {"access_token", "refresh_token", "password", "api_key", NULL};
  int i;
  if (s->closed) return 0;
  s->closed = 1;
  tt_getuservalue(L, 1);
  if (!lua_istable(L, -1)) return 0;
  for (i = 0; secrets[i] != NULL; i++) {
    lua_pushnil(L);
    lua_setfield(L, -2, secrets[i]);
  }
  lua_getfield(L, -1, "owns_transport");
  if (lua_toboolean(L, -1)) {
    lua_getfield(L, -2, "transport");
    if (!lua_isnil(L, -1)) {
      lua_getfield(L, -1, "close");
      if (lua_isfunction(L, -1)) {
        lua_pushvalue(L, -2);
        /* a finaliser must not raise; a failing close leaves nothing to do */
        if (lua_pcall(L, 1, 0, 0) != 0) lua_pop(L, 1);
      } else {
        lua_pop(L, 1);
      }
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  lua_pushnil(L);
  lua_setfield(L, -2, "transport");
  return 0;
}

static int session_index(lua_State *L) {
  tt_session *s = (tt_session *)luaL_checkudata(L, 1, TT_SESSION_MT);
  const char *k = lua_tostring(L, 2);
  if (k != NULL) {
    if (strcmp(k, "closed") == 0) {
      lua_pushboolean(L, s->closed);
      return 1;
    }
    if (strcmp(k, "logged_in") == 0) {
      tt_getuservalue(L, 1);
      lua_getfield(L, -1, "access_token");
      lua_pushboolean(L, !s->closed && lua_isstring(L, -1));
      return 1;
    }
    if (strcmp(k, "base_url") == 0 || strcmp(k, "token_expires") == 0 ||
        strcmp(k, "access_token") == 0 || strcmp(k, "refresh_token") == 0 ||
        strcmp(k, "email") == 0) {
      tt_getuservalue(L, 1);
      lua_getfield(L, -1, k);
      return 1;
    }
    if (strcmp(k, "api") == 0) { /* the dialect: "v1" or "legacy" */
      tt_getuservalue(L, 1);
      lua_getfield(L, -1, "api");
      if (lua_isnil(L, -1)) lua_pushliteral(L, "legacy");
      return 1;
    }
  }
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "methods");
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  return 1;
}

static int session_newindex(lua_State *L) {
  return luaL_error(L, "tingting.session: field '%s' is read-only", (lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?"));
}

/* Never a token, an API key or a password: base_url, the dialect, the
 * account's email and the state. */
static int session_tostring(lua_State *L) {
  tt_session *s = (tt_session *)luaL_checkudata(L, 1, TT_SESSION_MT);
  const char *base, *email;
  int logged, v1, key;
  tt_getuservalue(L, 1);
  lua_getfield(L, -1, "base_url");
  base = lua_tostring(L, -1);
  lua_getfield(L, -2, "email");
  email = lua_tostring(L, -1);
  lua_getfield(L, -3, "access_token");
  logged = lua_isstring(L, -1);
  lua_getfield(L, -4, "api_key");
  key = lua_isstring(L, -1);
  lua_getfield(L, -5, "api");
  v1 = lua_isstring(L, -1) && strcmp(lua_tostring(L, -1), "v1") == 0;
  lua_pop(L, 2);
  if (v1 && !s->closed) {
    if (key)
      lua_pushfstring(L, "tingting.session{base_url=\"%s\", api=\"v1\", api_key=(set)}", base ? base : "?");
    else if (email != NULL)
      lua_pushfstring(L, "tingting.session{base_url=\"%s\", api=\"v1\", email=\"%s\", logged_in=%s}",
                      base ? base : "?", email, logged ? "true" : "false");
    else
      lua_pushfstring(L, "tingting.session{base_url=\"%s\", api=\"v1\", logged_in=%s}", base ? base : "?",
                      logged ? "true" : "false");
  } else if (s->closed) {
    lua_pushfstring(L, "tingting.session{base_url=\"%s\", closed=true}", base ? base : "?");
  } else if (email != NULL) {
    lua_pushfstring(L, "tingting.session{base_url=\"%s\", email=\"%s\", logged_in=%s}",
                    base ? base : "?", email, logged ? "true" : "false");
  } else {
    lua_pushfstring(L, "tingting.session{base_url=\"%s\", logged_in=%s}", base ? base : "?",
                    logged ? "true" : "false");
  }
  return 1;
}

static int b64url_value(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-' || c == '+') return 62;
  if (c == '_' || c == '/') return 63;
  return -1;
}

/* core.jwt_payload(token) -> the decoded payload (JSON string) of a JWT, or nil.
 * The signature is not checked: the client only reads exp to refresh early. */
static int core_jwt_payload(lua_State *L) {
  size_t len, i;
  const char *t = luaL_checklstring(L, 1, &len);
  const char *p = memchr(t, '.', len), *e;
  luaL_Buffer b;
  unsigned acc = 0;
  int bits = 0;
  if (p == NULL) return 0;
  p++;
  e = memchr(p, '.', len - (size_t)(p - t));
  if (e == NULL || e - p > 8192) return 0;
  luaL_buffinit(L, &b);
  for (i = 0; p + i < e; i++) {
    int v = b64url_value((unsigned char)p[i]);
    if (v < 0) {
      if (p[i] == '=') break;
      return 0;
    }
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      luaL_addchar(&b, (char)((acc >> bits) & 0xFF));
    }
  }
  luaL_pushresult(&b);
  return 1;
}

/* Two sessions are the same session only if they are the same object (Lua
 * asks __eq only about two different ones). */
static int session_eq(lua_State *L) {
  lua_pushboolean(L, lua_rawequal(L, 1, 2));
  return 1;
}

void tt_session_open(lua_State *L) {
  static const luaL_Reg mm[] = {
    {"__index", session_index}, {"__newindex", session_newindex},
    {"__tostring", session_tostring}, {"__eq", session_eq}, {"__gc", session_close},
#if LUA_VERSION_NUM >= 504
    {"__close", session_close},
#endif
    {NULL, NULL}};
  static const luaL_Reg fns[] = {
    {"session_new", core_session_new}, {"state", core_state},
    {"check_open", core_check_open}, {"jwt_payload", core_jwt_payload}, {NULL, NULL}};
  tt_class(L, TT_SESSION_MT, mm);
  lua_pushcfunction(L, session_close);
  lua_setfield(L, -2, "close");
  lua_setfield(L, -2, "session_methods");
  luaL_setfuncs(L, fns, 0);
}
