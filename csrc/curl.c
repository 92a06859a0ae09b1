/* core.curl(opts): the default transport, a libcurl easy handle reused
 * across requests for keep-alive. t:request(req) -> status, body, headers
 * | nil, err; t:many (curl_multi.c); t:sleep(s); t:close().
 * Misuse (wrong types, a closed transport) raises; network failures return
 * nil, err with err = {kind, message, code, sent}. */
#include "curl_req.h"
#include "tingting.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const OPTIONS[] = {"timeout", "connect_timeout", "ca_file", "insecure",
                                      "user_agent", "max_body", NULL};

static const char *const METHODS[] = {"GET", "POST", "PUT", "DELETE", "PATCH", NULL};

/* Checking a request table ----------------------------------------------- */

/* Raw access: a request is a plain table, and what we read must be what
 * the table holds (and keeps alive), not what a metamethod makes up. */
static int field(lua_State *L, int idx, const char *k) {
  lua_pushstring(L, k);
  lua_rawget(L, idx);
  return lua_type(L, -1);
}

static int req_error(lua_State *L, int n, const char *what, const char *msg) {
  if (n > 0) return luaL_error(L, "tingting.curl: reqs[%d].%s: %s", n, what, msg);
  return luaL_error(L, "tingting.curl: req.%s: %s", what, msg);
}

static int has_crlf(const char *s, size_t len) {
  return memchr(s, '\r', len) || memchr(s, '\n', len) || memchr(s, '\0', len);
}

static int ieq(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char ca = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
    char cb = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
    if (ca != cb) return 0;
  }
  return *a == *b;
}

/* Header names are named in errors, values never (they carry tokens). With
 * v, the same pass lays out libcurl's header lines: "Name: value", or
 * "Name;" for an empty value ("Name:" would drop the header). */
static void check_headers(lua_State *L, int idx, int n, tt_reqv *v) {
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    size_t klen, vlen;
    const char *k, *val;
    if (lua_type(L, -2) != LUA_TSTRING) req_error(L, n, "headers", "names must be strings");
    k = lua_tolstring(L, -2, &klen);
    if (lua_type(L, -1) != LUA_TSTRING)
      req_error(L, n, "headers", lua_pushfstring(L, "value of '%s' must be a string", k));
    val = lua_tolstring(L, -1, &vlen);
    if (klen == 0 || has_crlf(k, klen) || memchr(k, ':', klen) || memchr(k, ' ', klen))
      req_error(L, n, "headers", lua_pushfstring(L, "invalid header name '%s'", k));
    if (has_crlf(val, vlen))
      req_error(L, n, "headers", lua_pushfstring(L, "value of '%s' contains a line break", k));
    if (v != NULL) { /* a failed addition shows as v->lines->oom */
      if (ieq(k, "Content-Type")) v->ctype = 1;
      tt_buf_add(v->lines, k, klen);
      if (vlen > 0) {
        tt_buf_add(v->lines, ": ", 2);
        tt_buf_add(v->lines, val, vlen + 1);
      } else {
        tt_buf_add(v->lines, ";", 2);
      }
    }
    lua_pop(L, 1);
  }
}

static void check_form(lua_State *L, int idx, int n) {
  size_t i, len = lua_rawlen(L, idx);
  if (len == 0) req_error(L, n, "form", "expected a non-empty list of parts");
  for (i = 1; i <= len; i++) {
    int part, isfile;
    lua_rawgeti(L, idx, (int)i);
    part = lua_gettop(L);
    if (!lua_istable(L, part)) req_error(L, n, "form", "parts must be tables");
    if (field(L, part, "name") != LUA_TSTRING) req_error(L, n, "form", "a part needs a string name");
    isfile = field(L, part, "file") == LUA_TSTRING;
    if (!isfile && !lua_isnil(L, -1)) req_error(L, n, "form", "file must be a path string");
    if (!isfile && field(L, part, "value") != LUA_TSTRING)
      req_error(L, n, "form", "a part needs a string value or a file");
    if (isfile) {
      if (!(field(L, part, "filename") == LUA_TSTRING || lua_isnil(L, -1)))
        req_error(L, n, "form", "filename must be a string");
      if (!(field(L, part, "type") == LUA_TSTRING || lua_isnil(L, -1)))
        req_error(L, n, "form", "type must be a string");
    }
    lua_settop(L, part - 1);
  }
}

/* *out: the seconds given, or 0 when none are */
static void check_seconds(lua_State *L, int idx, const char *k, int n, double *out) {
  int t = field(L, idx, k);
  if (t != LUA_TNIL && !(t == LUA_TNUMBER && lua_tonumber(L, -1) > 0))
    req_error(L, n, k, "expected a positive number of seconds");
  if (out != NULL) *out = t == LUA_TNUMBER ? (double)lua_tonumber(L, -1) : 0;
  lua_pop(L, 1);
}

/* Raises on a malformed request table (a programmer error). n > 0 names
 * the request as reqs[n] in messages. With v, also returns what it read
 * (strings held by the table) and the header lines, in one pass. */
void tt_req_check(lua_State *L, int idx, int n, tt_reqv *v) {
  int top = lua_gettop(L), i, body, form, t;
  const char *m;
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx)) {
    if (n > 0) luaL_error(L, "tingting.curl: reqs[%d]: expected a request table", n);
    luaL_argerror(L, idx, "expected a request table");
  }
  if (field(L, idx, "method") != LUA_TSTRING) req_error(L, n, "method", "expected a string");
  m = lua_tostring(L, -1);
  for (i = 0; METHODS[i] != NULL && strcmp(METHODS[i], m) != 0; i++) {}
  if (METHODS[i] == NULL) req_error(L, n, "method", "expected GET, POST, PUT, DELETE or PATCH");
  if (field(L, idx, "url") != LUA_TSTRING) req_error(L, n, "url", "expected a string");
  if (v != NULL) {
    v->method = m;
    v->url = lua_tostring(L, -1);
  }
  if (field(L, idx, "headers") == LUA_TTABLE) check_headers(L, lua_gettop(L), n, v);
  else if (!lua_isnil(L, -1)) req_error(L, n, "headers", "expected a table");
  body = field(L, idx, "body");
  if (body != LUA_TNIL && body != LUA_TSTRING) req_error(L, n, "body", "expected a string");
  if (v != NULL && body == LUA_TSTRING) v->body = lua_tolstring(L, -1, &v->body_len);
  form = field(L, idx, "form");
  if (form == LUA_TTABLE) check_form(L, lua_gettop(L), n);
  else if (form != LUA_TNIL) req_error(L, n, "form", "expected a list of parts");
  if (form != LUA_TNIL && body != LUA_TNIL) req_error(L, n, "form", "form and body are exclusive");
  if ((t = field(L, idx, "sink")) != LUA_TSTRING && t != LUA_TNIL) req_error(L, n, "sink", "expected a path string");
  if (v != NULL && t == LUA_TSTRING) v->sink = lua_tolstring(L, -1, &v->sink_len);
  if ((t = field(L, idx, "idempotent")) != LUA_TBOOLEAN && t != LUA_TNIL)
    req_error(L, n, "idempotent", "expected a boolean");
  if (v != NULL) {
    v->idem = t == LUA_TBOOLEAN ? lua_toboolean(L, -1) : -1;
    v->form = form == LUA_TTABLE;
  }
  check_seconds(L, idx, "timeout", n, v ? &v->timeout : NULL);
  check_seconds(L, idx, "connect_timeout", n, v ? &v->connect_timeout : NULL);
  lua_settop(L, top);
}

/* The transport ---------------------------------------------------------- */

static char *dupstr(const char *s) {
  size_t len = strlen(s) + 1;
  char *d = malloc(len);
  if (d != NULL) memcpy(d, s, len);
  return d;
}

tt_curl *tt_curl_check(lua_State *L, int idx) {
  tt_curl *t = luaL_checkudata(L, idx, TT_CURL_MT);
  if (t->closed) luaL_error(L, "tingting.curl: transport is closed");
  return t;
}

/* Frees everything; safe on a half-built transport and when called twice. */
void tt_curl_release(tt_curl *t) {
  tt_curl_multi_free(t);
  tt_xfer_free(&t->one);
  free(t->o.ca_file);
  free(t->o.user_agent);
  t->o.ca_file = t->o.user_agent = NULL;
}

/* t:close(), __gc, __close: idempotent. Inside t:many() (from on_done) the
 * handles are in use: many() releases them on its way out. */
static int curl_close(lua_State *L) {
  tt_curl *t = luaL_checkudata(L, 1, TT_CURL_MT);
  t->closed = 1;
  if (!t->busy) tt_curl_release(t);
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
static int curl_new(lua_State *L) {
  tt_curl *t;
  double timeout = 30, connect_timeout = 10;
  lua_Number max_body = (lua_Number)TT_MAX_BODY;
  const char *ca_file = NULL, *user_agent = NULL;
  int insecure = 0;
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
  if ((ca_file != NULL && (t->o.ca_file = dupstr(ca_file)) == NULL) ||
      (t->o.user_agent = dupstr(user_agent)) == NULL)
    return luaL_error(L, "tingting.curl: out of memory");
  if (tt_xfer_init(&t->one, &t->o) != CURLE_OK)
    return luaL_error(L, "tingting.curl: cannot create a curl handle");
  return 1;
}

/* t:request(req) -> status, body, headers | nil, err */
static int curl_request(lua_State *L) {
  tt_curl *t = tt_curl_check(L, 1);
  /* No Lua runs until the transfer is over: the body is sent from the
   * request's own string, which the table on our stack keeps alive. */
  CURLcode rc = tt_xfer_setup(L, &t->one, &t->o, 2, 0, 0);
  if (rc == CURLE_OK) rc = curl_easy_perform(t->one.easy);
  return tt_xfer_finish(L, &t->one, rc);
}

/* t:sleep(seconds): blocking, for retry backoff outside nginx. */
static int curl_sleep(lua_State *L) {
  tt_curl_check(L, 1);
  tt_sleep(luaL_checknumber(L, 2));
  return 0;
}

static int curl_tostring(lua_State *L) {
  tt_curl *t = luaL_checkudata(L, 1, TT_CURL_MT);
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

static const luaL_Reg methods[] = {
    {"request", curl_request},
    {"many", tt_curl_many},
    {"sleep", curl_sleep},
    {"close", curl_close},
    {NULL, NULL}};

static const luaL_Reg meta[] = {
    {"__gc", curl_close},
    {"__close", curl_close},
    {"__tostring", curl_tostring},
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
  lua_pushcfunction(L, curl_new);
  lua_setfield(L, -2, "curl");
  return 0;
}
