/* What a request table may hold (method, url, headers, body or form, sink,
 * timeout, connect_timeout, idempotent), checked before a transfer is set
 * up (xfer.c) and before a batch starts (multi.c). A malformed table is a
 * programmer error: it raises, naming the field, never a header's value
 * (values carry tokens). */
#include "internal.h"
#include <string.h>

static const char *const METHODS[] = {"GET", "POST", "PUT", "DELETE", "PATCH", NULL};

/* Raw access: a request is a plain table, and what we read must be what
 * the table holds (and keeps alive), not what a metamethod makes up. */
int tt_req_field(lua_State *L, int idx, const char *k) {
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
    if (tt_req_field(L, part, "name") != LUA_TSTRING) req_error(L, n, "form", "a part needs a string name");
    isfile = tt_req_field(L, part, "file") == LUA_TSTRING;
    if (!isfile && !lua_isnil(L, -1)) req_error(L, n, "form", "file must be a path string");
    if (!isfile && tt_req_field(L, part, "value") != LUA_TSTRING)
      req_error(L, n, "form", "a part needs a string value or a file");
    if (isfile) {
      if (!(tt_req_field(L, part, "filename") == LUA_TSTRING || lua_isnil(L, -1)))
        req_error(L, n, "form", "filename must be a string");
      if (!(tt_req_field(L, part, "type") == LUA_TSTRING || lua_isnil(L, -1)))
        req_error(L, n, "form", "type must be a string");
    }
    lua_settop(L, part - 1);
  }
}

/* *out: the seconds given, or 0 when none are */
static void check_seconds(lua_State *L, int idx, const char *k, int n, double *out) {
  int t = tt_req_field(L, idx, k);
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
  if (tt_req_field(L, idx, "method") != LUA_TSTRING) req_error(L, n, "method", "expected a string");
  m = lua_tostring(L, -1);
  for (i = 0; METHODS[i] != NULL && strcmp(METHODS[i], m) != 0; i++) {}
  if (METHODS[i] == NULL) req_error(L, n, "method", "expected GET, POST, PUT, DELETE or PATCH");
  if (tt_req_field(L, idx, "url") != LUA_TSTRING) req_error(L, n, "url", "expected a string");
  if (v != NULL) {
    v->method = m;
    v->url = lua_tostring(L, -1);
  }
  if (tt_req_field(L, idx, "headers") == LUA_TTABLE) check_headers(L, lua_gettop(L), n, v);
  else if (!lua_isnil(L, -1)) req_error(L, n, "headers", "expected a table");
  body = tt_req_field(L, idx, "body");
  if (body != LUA_TNIL && body != LUA_TSTRING) req_error(L, n, "body", "expected a string");
  if (v != NULL && body == LUA_TSTRING) v->body = lua_tolstring(L, -1, &v->body_len);
  form = tt_req_field(L, idx, "form");
  if (form == LUA_TTABLE) check_form(L, lua_gettop(L), n);
  else if (form != LUA_TNIL) req_error(L, n, "form", "expected a list of parts");
  if (form != LUA_TNIL && body != LUA_TNIL) req_error(L, n, "form", "form and body are exclusive");
  if ((t = tt_req_field(L, idx, "sink")) != LUA_TSTRING && t != LUA_TNIL) req_error(L, n, "sink", "expected a path string");
  if (v != NULL && t == LUA_TSTRING) v->sink = lua_tolstring(L, -1, &v->sink_len);
  if ((t = tt_req_field(L, idx, "idempotent")) != LUA_TBOOLEAN && t != LUA_TNIL)
    req_error(L, n, "idempotent", "expected a boolean");
  if (v != NULL) {
    v->idem = t == LUA_TBOOLEAN ? lua_toboolean(L, -1) : -1;
    v->form = form == LUA_TTABLE;
  }
  check_seconds(L, idx, "timeout", n, v ? &v->timeout : NULL);
  check_seconds(L, idx, "connect_timeout", n, v ? &v->connect_timeout : NULL);
  if ((t = tt_req_field(L, idx, "max_body")) != LUA_TNIL) {
    lua_Number m = t == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
    if (!(m >= 1 && m <= 9007199254740992.0) || m != (lua_Number)(long long)m)
      req_error(L, n, "max_body", "expected a positive integer (bytes)");
    if (v != NULL) v->max_body = (size_t)m;
  }
  lua_settop(L, top);
}

