/* core.curl(opts): the default transport, a libcurl easy handle reused
 * across requests for keep-alive. t:request(req) -> status, body, headers
 * | nil, err; t:many (a batch, multi.c); t:sleep(s); t:close().
 * Misuse (wrong types, a closed transport) raises; network failures return
 * nil, err with err = {kind, message, code, sent}. */
#include "internal.h"
#include "../tingting.h"
#include "../util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const OPTIONS[] = {"timeout", "connect_timeout", "ca_file", "insecure",
                                      "user_agent", "max_body", "http2", NULL};

static char *dupstr(const char *s) {
  size_t len = strlen(s) + 1;
  char *d = malloc(len);
  if (d != NULL) memcpy(d, s, len);
  return d;
}

static tt_transport *check_open(lua_State *L, int idx) {
  tt_transport *t = luaL_checkudata(L, idx, TT_CURL_MT);
  if (t->closed) luaL_error(L, "tingting.curl: transport is closed");
  return t;
}

/* Frees everything; safe on a half-built transport and when called twice. */
static void release(tt_transport *t) {
  tt_multi_free(t);
  tt_xfer_free(&t->one);
  free(t->o.ca_file);
  free(t->o.user_agent);
  t->o.ca_file = t->o.user_agent = NULL;
}

/* t:close(), __gc, __close: idempotent. Inside t:many() (from on_done) the
 * handles are in use: many() releases them on its way out. */
static int transport_close(lua_State *L) {
  tt_transport *t = luaL_checkudata(L, 1, TT_CURL_MT);
  t->closed = 1;
  if (!t->busy) release(t);
  return 0;
}

static double opt_seconds(lua_State *L, const char *k, double dflt) {
  double v;
  lua_getfield(L, 1, k);
  if (lua_isnil(L, -1)) v = dflt;
  else if (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) > 0) v = lua_tonumber(L, -1);
  else return luaL_error(L, "tingting.curl: %s: expected a positive number of seconds", k), 0;
  lua_pop(L, 1);
  return v;
}

static const char *opt_string(lua_State *L, const char *k) {
  const char *s = NULL;
  lua_getfield(L, 1, k);
  if (lua_type(L, -1) == LUA_TSTRING) s = lua_tostring(L, -1);
  else if (!lua_isnil(L, -1)) luaL_error(L, "tingting.curl: %s: expected a string", k);
  lua_pop(L, 1); /* still referenced by opts */
  return s;
}

static void check_options(lua_State *L) {
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {
    int i = 0;
    if (lua_type(L, -2) == LUA_TSTRING)
      for (; OPTIONS[i] != NULL && strcmp(OPTIONS[i], lua_tostring(L, -2)) != 0; i++) {}
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "tingting.curl: option names are strings");
    if (OPTIONS[i] == NULL) luaL_error(L, "tingting.curl: unknown option '%s'", lua_tostring(L, -2));
    lua_pop(L, 1);
  }
}

/* core.curl([opts]) -> transport */
static int transport_new(lua_State *L) {
  tt_transport *t;
  double timeout = 30, connect_timeout = 10;
  lua_Number max_body = (lua_Number)TT_MAX_BODY;
  const char *ca_file = NULL, *user_agent = NULL;
  int insecure = 0, http2 = 1;
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    check_options(L);
    timeout = opt_seconds(L, "timeout", timeout);
    connect_timeout = opt_seconds(L, "connect_timeout", connect_timeout);
    ca_file = opt_string(L, "ca_file");
    user_agent = opt_string(L, "user_agent");
    lua_getfield(L, 1, "insecure");
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
      luaL_error(L, "tingting.curl: insecure: expected a boolean");
    insecure = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, 1, "http2");
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1)) luaL_error(L, "tingting.curl: http2: expected a boolean");
    if (lua_isboolean(L, -1)) http2 = lua_toboolean(L, -1);
    lua_getfield(L, 1, "max_body");
    if (!lua_isnil(L, -1)) {
      if (!tt_isinteger(L, -1) || lua_tonumber(L, -1) < 0)
        luaL_error(L, "tingting.curl: max_body: expected a non-negative integer");
      max_body = lua_tonumber(L, -1);
    }
    lua_pop(L, 2);
  }
  lua_settop(L, 1);
  /* Not curl_version(): its list of every linked library (some 190 bytes)
   * goes through libcurl's byte-at-a-time printf twice per request, which
   * cost more than a third of curl_easy_perform (bench/README.md). */
  if (user_agent == NULL)
    user_agent = lua_pushfstring(L, "tingting-lua/" TT_VERSION " libcurl/%s", curl_version_info(CURLVERSION_NOW)->version);
  /* Zeroed and given its metatable before owning anything: if a step below
   * fails, __gc frees what was made. */
  t = tt_newuserdata(L, sizeof *t);
  memset(t, 0, sizeof *t);
  luaL_setmetatable(L, TT_CURL_MT);
  t->o.timeout = timeout;
  t->o.connect_timeout = connect_timeout;
  t->o.max_body = (size_t)max_body;
  t->o.insecure = insecure;
  t->o.http2 = http2;
  if ((ca_file != NULL && (t->o.ca_file = dupstr(ca_file)) == NULL) ||
      (t->o.user_agent = dupstr(user_agent)) == NULL)
    return luaL_error(L, "tingting.curl: out of memory");
  if (tt_xfer_init(&t->one, &t->o) != CURLE_OK)
    return luaL_error(L, "tingting.curl: cannot create a curl handle");
  return 1;
}

/* t:request(req) -> status, body, headers | nil, err */
static int transport_request(lua_State *L) {
  tt_transport *t = check_open(L, 1);
  /* No Lua runs until the transfer is over: the body is sent from the
   * request's own string, which the table on our stack keeps alive. */
  CURLcode rc = tt_xfer_setup(L, &t->one, &t->o, 2, 0, 0);
  if (rc == CURLE_OK) rc = curl_easy_perform(t->one.easy);
  return tt_xfer_finish(L, &t->one, rc);
}

/* t:sleep(seconds): blocking, for retry backoff outside nginx. */
static int transport_sleep(lua_State *L) {
  check_open(L, 1);
  tt_sleep(luaL_checknumber(L, 2));
  return 0;
}

/* t:many(reqs, concurrency, on_done) -> true */
static int transport_many(lua_State *L) {
  tt_transport *t = check_open(L, 1);
  int status = tt_multi_run(L, t);
  if (t->closed) release(t); /* closed from on_done */
  if (status != 0) return lua_error(L);
  lua_pushboolean(L, 1);
  return 1;
}

static int transport_tostring(lua_State *L) {
  tt_transport *t = luaL_checkudata(L, 1, TT_CURL_MT);
  char s[128];
  if (t->closed) {
    lua_pushliteral(L, "tingting.curl{closed}");
    return 1;
  }
  /* %g: "30", where lua_pushfstring's %f gives "30.0" on 5.4 */
  snprintf(s, sizeof s, "tingting.curl{timeout=%.14g, connect_timeout=%.14g%s}", t->o.timeout,
           t->o.connect_timeout, t->o.insecure ? ", insecure=true" : "");
  lua_pushstring(L, s);
  return 1;
}

/* t:stats() -> {connects = n}: connections the transport has opened (each
 * request or batch that found none to reuse, or no stream to multiplex on). */
static int transport_stats(lua_State *L) {
  tt_transport *t = check_open(L, 1);
  long n = t->one.connects;
  int k;
  for (k = 0; k < t->npool; k++) n += t->pool[k].connects;
  lua_createtable(L, 0, 1);
  lua_pushinteger(L, (lua_Integer)n);
  lua_setfield(L, -2, "connects");
  return 1;
}

static const luaL_Reg methods[] = {
    {"request", transport_request},
    {"stats", transport_stats},
    {"many", transport_many},
    {"sleep", transport_sleep},
    {"close", transport_close},
    {NULL, NULL}};

static const luaL_Reg meta[] = {
    {"__gc", transport_close},
    {"__close", transport_close},
    {"__tostring", transport_tostring},
    {NULL, NULL}};

int tt_curl_open(lua_State *L) {
  static int initialized = 0;
  if (!initialized) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return -1;
    initialized = 1;
  }
  /* Reused when the module is loaded again; the fields are set anew. */
  luaL_newmetatable(L, TT_CURL_MT);
  luaL_setfuncs(L, meta, 0);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "tingting.curl");
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);
  lua_pushcfunction(L, transport_new);
  lua_setfield(L, -2, "curl");
  return 0;
}
