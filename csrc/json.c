/* JSON both ways: reading the API's answers for core.parse, and writing
 * (further down) request bodies for build.c and core.json_encode's
 * documents.
 *
 * Reading is core.parse's fast path: plain JSON (the answers the API sends)
 * straight into the Lua tables that lua-cjson's decode followed by parse.c's
 * clean() would make, in one pass, without cjson's copy of every string and
 * without a second walk over the result.
 *
 * It takes only what it reads exactly as cjson does: standard numbers,
 * strings without \u escapes or NUL bytes, nesting up to clean()'s depth.
 * On anything else (invalid JSON, cjson's extensions such as hex or NaN,
 * \u escapes, a NUL, deeper nesting, no room on the stack) it leaves the
 * stack as it found it and returns 0, and the caller decodes with cjson as
 * before: the fast path never decides what a document means on its own.
 *
 * The tables hold the same keys and values. Not the same layout: they are
 * made at their final size rather than grown, so pairs() may visit an
 * object's members in another order, an order that Lua 5.4 already varies
 * from run to run (its string hashes are seeded per state). */
#include "json.h"
#include "tingting.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reading ----------------------------------------------------------------- */

typedef struct jp {
  lua_State *L;
  const char *p; /* the body is a Lua string: a NUL always follows its end */
} jp;

static int value(jp *j, int depth, int phone);

static void skip_ws(jp *j) {
  while (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t') j->p++;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

void tt_json_push_number(lua_State *L, double v, int phone) {
  if (phone && v >= 0 && floor(v) == v && v < 1e16) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.0f", v);
    lua_pushstring(L, buf);
  }
#if LUA_VERSION_NUM >= 503
  else if (floor(v) == v && fabs(v) < 9007199254740992.0) {
    lua_pushinteger(L, (lua_Integer)v);
  }
#endif
  else {
    lua_pushnumber(L, (lua_Number)v);
  }
}

/* JSON's number grammar only: no leading zeros, hex, '+', NaN or Infinity. */
static int number(jp *j, int phone) {
  const char *s = j->p, *q = s;
  int neg = *q == '-', real = 0;
  double v;
  if (neg) q++;
  if (*q == '0') q++;
  else if (*q >= '1' && *q <= '9') while (is_digit(*q)) q++;
  else return 0;
  if (*q == '.') {
    if (!is_digit(*++q)) return 0;
    while (is_digit(*q)) q++;
    real = 1;
  }
  if (*q == 'e' || *q == 'E') {
    q++;
    if (*q == '+' || *q == '-') q++;
    if (!is_digit(*q)) return 0;
    while (is_digit(*q)) q++;
    real = 1;
  }
  if (!real && q - s - neg <= 15) {
    /* exact in a double, as strtod reads it */
    long long n = 0;
    const char *c;
    for (c = s + neg; c < q; c++) n = n * 10 + (*c - '0');
    v = neg ? -(double)n : (double)n;
  } else {
    /* cjson reads with strtod too; a locale whose decimal point is not '.'
     * stops it short, and cjson has its own way around that */
    char *end;
    v = strtod(s, &end);
    if (end != q) return 0;
  }
  j->p = q;
  tt_json_push_number(j->L, v, phone);
  return 1;
}

static char unescape(char c) {
  switch (c) {
  case '"': return '"';
  case '\\': return '\\';
  case '/': return '/';
  case 'b': return '\b';
  case 'f': return '\f';
  case 'n': return '\n';
  case 'r': return '\r';
  case 't': return '\t';
  default: return 0; /* \u (cjson's UTF-8 conversion) and invalid escapes */
  }
}

static int string(jp *j) {
  const char *s = ++j->p, *q = s;
  luaL_Buffer b;
  while (*q != '"' && *q != '\\' && *q != '\0') q++;
  if (*q == '"') {
    lua_pushlstring(j->L, s, (size_t)(q - s));
    j->p = q + 1;
    return 1;
  }
  /* escapes: all checked before the buffer starts, which is then always
   * finished (an abandoned luaL_Buffer is a to-be-closed slot in 5.4) */
  for (; *q != '"'; q++) {
    if (*q == '\0' || (*q == '\\' && unescape(*++q) == 0)) return 0;
  }
  luaL_buffinit(j->L, &b);
  for (q = s; *q != '"'; q++) {
    if (*q == '\\') luaL_addchar(&b, unescape(*++q));
    else luaL_addchar(&b, *q);
  }
  luaL_pushresult(&b);
  j->p = q + 1;
  return 1;
}

int tt_json_phone_key(const char *k) {
  return (k[0] == 'n' && strcmp(k, "number") == 0) || (k[0] == 'p' && strcmp(k, "phone_number") == 0) ||
         (k[0] == 'c' && strcmp(k, "contact_number") == 0);
}

/* Members are gathered on the stack first, so that each table is made at
 * its final size: growing it one key at a time rehashes it at every power
 * of two, which was half of cjson's cost on the API's small objects. */
static int object(jp *j, int depth) {
  lua_State *L = j->L;
  int base = lua_gettop(L), n = 0, i, t;
  if (depth > TT_JSON_DEPTH) return 0;
  j->p++;
  skip_ws(j);
  if (*j->p != '}') {
    for (;;) {
      if (!lua_checkstack(L, 4) || *j->p != '"' || !string(j)) return 0;
      skip_ws(j);
      if (*j->p != ':') return 0;
      j->p++;
      skip_ws(j);
      if (!value(j, depth, tt_json_phone_key(lua_tostring(L, -1)))) return 0;
      n++;
      skip_ws(j);
      if (*j->p == '}') break;
      if (*j->p != ',') return 0;
      j->p++;
      skip_ws(j);
    }
  }
  j->p++;
  if (!lua_checkstack(L, 3)) return 0;
  lua_createtable(L, 0, n);
  t = lua_gettop(L);
  /* in document order, so that the last of repeated keys wins, and a null
   * removes the key (cjson.null, which clean() removes) */
  for (i = 0; i < n; i++) {
    lua_pushvalue(L, base + 2 * i + 1);
    if (tt_is_null(L, base + 2 * i + 2)) lua_pushnil(L);
    else lua_pushvalue(L, base + 2 * i + 2);
    lua_rawset(L, t);
  }
  if (n > 0) {
    lua_replace(L, base + 1);
    lua_settop(L, base + 1);
  }
  return 1;
}

static int array(jp *j, int depth) {
  lua_State *L = j->L;
  int base = lua_gettop(L), n = 0, i;
  if (depth > TT_JSON_DEPTH) return 0;
  j->p++;
  skip_ws(j);
  if (*j->p != ']') {
    for (;;) {
      if (!lua_checkstack(L, 4) || !value(j, depth, 0)) return 0;
      n++;
      skip_ws(j);
      if (*j->p == ']') break;
      if (*j->p != ',') return 0;
      j->p++;
      skip_ws(j);
    }
  }
  j->p++;
  if (!lua_checkstack(L, 2)) return 0;
  lua_createtable(L, n, 0);
  /* a null element stays cjson.null, as with clean() */
  for (i = 1; i <= n; i++) {
    lua_pushvalue(L, base + i);
    lua_rawseti(L, -2, i);
  }
  if (n > 0) {
    lua_replace(L, base + 1);
    lua_settop(L, base + 1);
  }
  return 1;
}

/* One value at j->p (no whitespace before it), pushed; depth is that of
 * the table holding it. */
static int value(jp *j, int depth, int phone) {
  switch (*j->p) {
  case '{': return object(j, depth + 1);
  case '[': return array(j, depth + 1);
  case '"': return string(j);
  case 't':
    if (strncmp(j->p, "true", 4) != 0) return 0;
    j->p += 4;
    lua_pushboolean(j->L, 1);
    return 1;
  case 'f':
    if (strncmp(j->p, "false", 5) != 0) return 0;
    j->p += 5;
    lua_pushboolean(j->L, 0);
    return 1;
  case 'n':
    if (strncmp(j->p, "null", 4) != 0) return 0;
    j->p += 4;
    lua_pushlightuserdata(j->L, NULL); /* cjson.null */
    return 1;
  default:
    if (*j->p == '-' || is_digit(*j->p)) return number(j, phone);
    return 0;
  }
}

int tt_json_decode(lua_State *L, const char *body, size_t len) {
  jp j;
  int top = lua_gettop(L);
  j.L = L;
  j.p = body;
  skip_ws(&j);
  /* a scalar document is no answer of the API's: cjson says what it is */
  if ((*j.p == '{' || *j.p == '[') && value(&j, -1, 0)) {
    skip_ws(&j);
    if (j.p == body + len) return 1;
  }
  lua_settop(L, top);
  return 0;
}

/* Writing ----------------------------------------------------------------- */

static void add(tt_buf *b, const char *s) { tt_buf_add(b, s, strlen(s)); }

/* Short escapes where JSON has them, \u00XX for the other control bytes
 * (DEL too, as a terminal would act on it). */
void tt_json_string(tt_buf *b, const char *s, size_t n) {
  size_t i, run = 0;
  tt_buf_add(b, "\"", 1);
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) continue;
    tt_buf_add(b, s + run, i - run);
    run = i + 1;
    switch (c) {
    case '"': add(b, "\\\""); break;
    case '\\': add(b, "\\\\"); break;
    case '\b': add(b, "\\b"); break;
    case '\f': add(b, "\\f"); break;
    case '\n': add(b, "\\n"); break;
    case '\r': add(b, "\\r"); break;
    case '\t': add(b, "\\t"); break;
    default: {
      char u[8];
      snprintf(u, sizeof u, "\\u%04x", c);
      add(b, u);
    }
    }
  }
  tt_buf_add(b, s + run, n - run);
  tt_buf_add(b, "\"", 1);
}

void tt_json_scalar(lua_State *L, tt_buf *b, int idx) {
  char num[64];
  switch (lua_type(L, idx)) {
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    tt_json_string(b, s, n);
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
    add(b, num);
    break;
  case LUA_TBOOLEAN:
    add(b, lua_toboolean(L, idx) ? "true" : "false");
    break;
  default:
    add(b, "null");
  }
}

/* core.json_encode(v) -> text | nil, err: one deterministic document, the
 * CLI's --json output and config file. Object keys sorted (byte order of
 * their tostring()); a table is an array when its metatable is
 * core.json_array (so an empty one is []) or when its keys are exactly
 * 1..#t, else an object ({} when empty); integral numbers within +-2^53 as
 * integers, other numbers as %.17g; nil and userdata (cjson.null, objects)
 * as null; functions and threads as their tostring(). It refuses, with
 * nil, err, cycles, nesting deeper than TT_JSON_DEPTH, NaN and infinities,
 * and keys that are neither strings nor numbers. Apart from those refusals
 * these are the rules of the Lua encoder the CLI had, kept byte for byte;
 * request bodies keep theirs (tt_json_scalar). */

/* Stack slots of the protected encoder (encode_run). */
enum { E_VALUE = 1, E_STATE, E_MARKER };

typedef struct enc {
  tt_buf b;
  const void *open[TT_JSON_DEPTH + 1]; /* the tables being written, outermost first */
  char err[80];
} enc;

typedef struct key {
  const char *s; /* tostring(key), held by the keys table */
  size_t len;
  int i;         /* where the key itself is in the keys table */
} key;

static int write_value(lua_State *L, enc *e, int idx, int depth);

static int fail(enc *e, const char *what, const char *detail) {
  snprintf(e->err, sizeof e->err, "json: %s%s", what, detail);
  return 0;
}

/* As Lua compares strings (strcoll in the C locale: bytes, unsigned). */
static int key_cmp(const void *a, const void *b) {
  const key *x = a, *y = b;
  int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
  if (c != 0) return c;
  return x->len < y->len ? -1 : x->len > y->len;
}

static void add_number(lua_State *L, tt_buf *b, int idx) {
  char num[64];
  double v;
#if LUA_VERSION_NUM >= 503
  if (lua_isinteger(L, idx)) {
    lua_Integer i = lua_tointeger(L, idx);
    if (i > -((lua_Integer)1 << 53) && i < ((lua_Integer)1 << 53)) snprintf(num, sizeof num, "%lld", (long long)i);
    else snprintf(num, sizeof num, "%.17g", (double)i);
    add(b, num);
    return;
  }
#endif
  v = (double)lua_tonumber(L, idx);
  if (floor(v) == v && v > -9007199254740992.0 && v < 9007199254740992.0)
    snprintf(num, sizeof num, "%lld", (long long)v);
  else
    snprintf(num, sizeof num, "%.17g", v);
  add(b, num);
}

static int write_array(lua_State *L, enc *e, int t, int depth) {
  int i, n = (int)lua_rawlen(L, t);
  tt_buf_add(&e->b, "[", 1);
  for (i = 1; i <= n; i++) {
    if (i > 1) tt_buf_add(&e->b, ",", 1);
    lua_rawgeti(L, t, i);
    if (!write_value(L, e, lua_gettop(L), depth + 1)) return 0;
    lua_pop(L, 1);
  }
  tt_buf_add(&e->b, "]", 1);
  return 1;
}

/* n: the number of keys. The keys table holds, at 2i-1 and 2i, the text of
 * key i and the key itself; the sort goes by the text. */
static int write_object(lua_State *L, enc *e, int t, int depth, int n) {
  int i = 0, keys;
  key *k;
  lua_createtable(L, 2 * n, 0);
  keys = lua_gettop(L);
  k = lua_newuserdata(L, (size_t)n * sizeof *k + 1);
  lua_pushnil(L);
  while (lua_next(L, t) && i < n) {
    int kt = lua_type(L, -2);
    lua_pop(L, 1);
    if (kt != LUA_TSTRING && kt != LUA_TNUMBER) return fail(e, "a key is not a string or number: ", lua_typename(L, kt));
    lua_pushvalue(L, -1);
    lua_rawseti(L, keys, 2 * i + 2);
    lua_pushvalue(L, -1);
    k[i].s = lua_tolstring(L, -1, &k[i].len); /* a number: tostring() of it */
    k[i].i = 2 * i + 2;
    lua_rawseti(L, keys, 2 * i + 1);
    i++;
  }
  if (i < n) n = i;
  qsort(k, (size_t)n, sizeof *k, key_cmp);
  tt_buf_add(&e->b, "{", 1);
  for (i = 0; i < n; i++) {
    if (i > 0) tt_buf_add(&e->b, ",", 1);
    tt_json_string(&e->b, k[i].s, k[i].len);
    tt_buf_add(&e->b, ":", 1);
    lua_rawgeti(L, keys, k[i].i);
    lua_rawget(L, t);
    if (!write_value(L, e, lua_gettop(L), depth + 1)) return 0;
    lua_pop(L, 1);
  }
  tt_buf_add(&e->b, "}", 1);
  lua_pop(L, 2);
  return 1;
}

static int write_table(lua_State *L, enc *e, int t, int depth) {
  const void *self = lua_topointer(L, t);
  int i, n = 0, marked = 0;
  for (i = 0; i < depth; i++)
    if (e->open[i] == self) return fail(e, "a table contains itself", "");
  if (depth > TT_JSON_DEPTH) {
    snprintf(e->err, sizeof e->err, "json: nesting deeper than %d", TT_JSON_DEPTH);
    return 0;
  }
  if (!lua_checkstack(L, 8)) return fail(e, "out of stack", "");
  e->open[depth] = self;
  if (lua_getmetatable(L, t)) {
    marked = lua_rawequal(L, -1, E_MARKER);
    lua_pop(L, 1);
  }
  if (marked) return write_array(L, e, t, depth);
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    n++;
  }
  if (n > 0 && (size_t)n == lua_rawlen(L, t)) return write_array(L, e, t, depth);
  return write_object(L, e, t, depth, n);
}

static int write_value(lua_State *L, enc *e, int idx, int depth) {
  switch (lua_type(L, idx)) {
  case LUA_TNIL:
  case LUA_TUSERDATA:
  case LUA_TLIGHTUSERDATA:
    add(&e->b, "null");
    return 1;
  case LUA_TBOOLEAN:
    add(&e->b, lua_toboolean(L, idx) ? "true" : "false");
    return 1;
  case LUA_TNUMBER: {
    lua_Number v = lua_tonumber(L, idx);
    if (v != v) return fail(e, "not a finite number: ", "nan");
    if (v == HUGE_VAL || v == -HUGE_VAL) return fail(e, "not a finite number: ", v > 0 ? "inf" : "-inf");
    add_number(L, &e->b, idx);
    return 1;
  }
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    tt_json_string(&e->b, s, n);
    return 1;
  }
  case LUA_TTABLE:
    return write_table(L, e, idx, depth);
  default: { /* functions, threads: what tostring() says */
    size_t n;
    const char *s;
#if LUA_VERSION_NUM >= 502
    s = luaL_tolstring(L, idx, &n);
#else
    s = lua_pushfstring(L, "%s: %p", luaL_typename(L, idx), lua_topointer(L, idx));
    n = lua_rawlen(L, -1);
#endif
    tt_json_string(&e->b, s, n);
    lua_pop(L, 1);
    return 1;
  }
  }
}

/* Under lua_pcall, so that a Lua error (out of memory) cannot leak e->b:
 * pushes the text, or false when the value cannot be written. */
static int encode_run(lua_State *L) {
  enc *e = lua_touserdata(L, E_STATE);
  if (!write_value(L, e, E_VALUE, 0)) {
    lua_pushboolean(L, 0);
    return 1;
  }
  if (e->b.oom) return luaL_error(L, "tingting: out of memory encoding JSON");
  lua_pushlstring(L, e->b.p, e->b.len);
  return 1;
}

static int core_json_encode(lua_State *L) {
  enc e;
  int status;
  luaL_checkany(L, 1);
  memset(&e, 0, sizeof e);
  lua_settop(L, 1);
  lua_pushcfunction(L, encode_run);
  lua_pushvalue(L, 1);
  lua_pushlightuserdata(L, &e);
  lua_pushvalue(L, lua_upvalueindex(1));
  status = lua_pcall(L, 3, 1, 0);
  tt_buf_free(&e.b);
  if (status != 0) return lua_error(L);
  if (lua_isstring(L, -1)) return 1;
  lua_pushnil(L);
  lua_pushstring(L, e.err);
  return 2;
}

void tt_json_open(lua_State *L) {
  /* the same marker when the module is loaded again */
  luaL_newmetatable(L, "tingting.json_array");
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "json_array");
  lua_pushcclosure(L, core_json_encode, 1);
  lua_setfield(L, -2, "json_encode");
}
