/* Field validation: each checker reads the argument at `idx` and pushes its
 * normalised value, or pushes nil + a validation error naming the field and
 * what was expected, and returns 0. Nothing here does I/O except stat(2) for
 * files. */
#include "validate.h"
#include "errors.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

int tt_fail(lua_State *L, const char *op, const char *field, const char *fmt, ...) {
  va_list ap;
  const char *msg;
  va_start(ap, fmt);
  msg = lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  tt_validation_fail(L, op, field, "%s", msg);
  /* drop the formatted message below nil, err */
  lua_remove(L, -3);
  return 0;
}

int tt_utf8_valid(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i], cp;
    size_t k, j;
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) { k = 1; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { k = 2; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { k = 3; cp = c & 0x07; }
    else return 0;
    if (n - i <= k) return 0;
    for (j = 1; j <= k; j++) {
      if ((s[i + j] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (s[i + j] & 0x3Fu);
    }
    if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return 0;
    i += k + 1;
  }
  return 1;
}

int tt_check_text(lua_State *L, const char *op, const char *f, int idx, int nonempty) {
  size_t n, i;
  const char *s;
  if (lua_type(L, idx) != LUA_TSTRING)
    return tt_fail(L, op, f, "expected a string (got %s)", luaL_typename(L, idx));
  s = lua_tolstring(L, idx, &n);
  if (n > TT_MAX_STRING)
    return tt_fail(L, op, f, "too long (%d bytes; at most %d)", (int)(n > 0x7fffffff ? 0x7fffffff : n), TT_MAX_STRING);
  if (memchr(s, '\0', n) != NULL) return tt_fail(L, op, f, "must not contain a NUL byte");
  if (!tt_utf8_valid((const unsigned char *)s, n)) return tt_fail(L, op, f, "is not valid UTF-8");
  if (nonempty) {
    for (i = 0; i < n && isspace((unsigned char)s[i]); i++) {}
    if (i == n) return tt_fail(L, op, f, "must not be empty");
  }
  lua_pushvalue(L, idx);
  return 1;
}

static void push_choices(lua_State *L, const char *const *e) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (; *e != NULL; e++) {
    luaL_addstring(&b, *e);
    if (e[1] != NULL) luaL_addchar(&b, '|');
  }
  luaL_pushresult(&b);
}

static const char *match_enum(const char *s, size_t n, const char *const *e) {
  for (; *e != NULL; e++) {
    size_t i, m = strlen(*e);
    if (m != n) continue;
    for (i = 0; i < n && tolower((unsigned char)s[i]) == tolower((unsigned char)(*e)[i]); i++) {}
    if (i == n) return *e;
  }
  return NULL;
}

int tt_check_enum(lua_State *L, const char *op, const char *f, int idx, const char *const *e) {
  const char *hit = NULL;
  if (lua_type(L, idx) == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    hit = match_enum(s, n, e);
  }
  if (hit == NULL) {
    const char *got = tt_repr(L, idx);
    push_choices(L, e);
    return tt_fail(L, op, f, "expected one of %s (got %s)", lua_tostring(L, -1), got);
  }
  lua_pushstring(L, hit);
  return 1;
}

static int trim_piece(const char **s, size_t *n) {
  while (*n > 0 && isspace((unsigned char)**s)) { (*s)++; (*n)--; }
  while (*n > 0 && isspace((unsigned char)(*s)[*n - 1])) (*n)--;
  return *n > 0;
}

/* A list of enum values; a documented single string "failed, hungup" (alone
 * or inside the list) is split on commas. Duplicates are dropped. */
int tt_check_enum_list(lua_State *L, const char *op, const char *f, int idx, const char *const *e) {
  int out, k = 0, i, n;
  idx = lua_absindex(L, idx);
  if (lua_type(L, idx) != LUA_TSTRING && lua_type(L, idx) != LUA_TTABLE) {
    push_choices(L, e);
    return tt_fail(L, op, f, "expected a list of %s (got %s)", lua_tostring(L, -1), luaL_typename(L, idx));
  }
  lua_newtable(L);
  out = lua_gettop(L);
  n = lua_type(L, idx) == LUA_TSTRING ? 1 : (int)lua_rawlen(L, idx);
  for (i = 1; i <= n; i++) {
    const char *s, *p;
    size_t len;
    if (lua_type(L, idx) == LUA_TSTRING) lua_pushvalue(L, idx);
    else lua_rawgeti(L, idx, i);
    if (lua_type(L, -1) != LUA_TSTRING) {
      push_choices(L, e);
      return tt_fail(L, op, f, "expected a list of %s (item %d is %s)", lua_tostring(L, -1), i,
                     luaL_typename(L, -2));
    }
    s = lua_tolstring(L, -1, &len);
    while (len > 0) {
      const char *piece = s, *hit;
      size_t plen;
      p = memchr(s, ',', len);
      plen = p ? (size_t)(p - s) : len;
      len -= p ? plen + 1 : plen;
      s = p ? p + 1 : s + plen;
      if (!trim_piece(&piece, &plen)) continue;
      hit = match_enum(piece, plen, e);
      if (hit == NULL) {
        lua_pushlstring(L, piece, plen > 32 ? 32 : plen);
        push_choices(L, e);
        return tt_fail(L, op, f, "expected each of %s (got \"%s\")", lua_tostring(L, -1), lua_tostring(L, -2));
      }
      {
        int j, dup = 0;
        for (j = 1; j <= k && !dup; j++) {
          lua_rawgeti(L, out, j);
          dup = strcmp(lua_tostring(L, -1), hit) == 0;
          lua_pop(L, 1);
        }
        if (!dup) {
          lua_pushstring(L, hit);
          lua_rawseti(L, out, ++k);
        }
      }
    }
    lua_pop(L, 1);
  }
  if (k == 0) {
    push_choices(L, e);
    return tt_fail(L, op, f, "expected at least one of %s", lua_tostring(L, -1));
  }
  return 1;
}

/* Positive integers up to 2^53, from a Lua integer or an integral float. */
static int get_id(lua_State *L, int idx, long long *out) {
  lua_Number v;
  if (lua_type(L, idx) != LUA_TNUMBER) return 0;
  if (tt_isinteger(L, idx)) {
#if LUA_VERSION_NUM >= 503
    lua_Integer i = lua_tointeger(L, idx);
    if (i <= 0 || i > ((lua_Integer)1 << 53)) return 0;
    *out = (long long)i;
    return 1;
#endif
  }
  v = lua_tonumber(L, idx);
  if (!(v > 0 && v <= 9007199254740992.0) || floor(v) != v) return 0;
  *out = (long long)v;
  return 1;
}

int tt_check_id(lua_State *L, const char *op, const char *f, int idx) {
  long long id;
  if (!get_id(L, idx, &id))
    return tt_fail(L, op, f, "expected a positive integer (got %s)", tt_repr(L, idx));
  lua_pushinteger(L, (lua_Integer)id);
  return 1;
}

static int check_list(lua_State *L, const char *op, const char *f, int idx, const char *what) {
  int n;
  if (lua_type(L, idx) != LUA_TTABLE)
    return tt_fail(L, op, f, "expected a list of %s (got %s)", what, luaL_typename(L, idx));
  n = (int)lua_rawlen(L, idx);
  if (n == 0) return tt_fail(L, op, f, "expected a non-empty list of %s", what);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (!tt_isinteger(L, -1) || lua_tonumber(L, -1) < 1 || lua_tonumber(L, -1) > n) {
      lua_pop(L, 1);
      return tt_fail(L, op, f, "expected a list (a sequence 1..n) of %s", what);
    }
  }
  return n;
}

int tt_check_id_list(lua_State *L, const char *op, const char *f, int idx) {
  int i, n, out;
  idx = lua_absindex(L, idx);
  if ((n = check_list(L, op, f, idx, "positive integers")) == 0) return 0;
  lua_createtable(L, n, 0);
  out = lua_gettop(L);
  for (i = 1; i <= n; i++) {
    long long id;
    lua_rawgeti(L, idx, i);
    if (!get_id(L, -1, &id))
      return tt_fail(L, op, f, "item %d: expected a positive integer (got %s)", i, tt_repr(L, -1));
    lua_pop(L, 1);
    lua_pushinteger(L, (lua_Integer)id);
    lua_rawseti(L, out, i);
  }
  return 1;
}

/* Phone numbers become digit strings: separators (space - . ( )) are dropped,
 * a leading +977 / 00977 / 977 country prefix is dropped when it leaves a
 * 10-digit national number, and 7 to 14 digits must remain. Returns NULL and
 * sets *why on failure. */
const char *tt_phone_normalize(const char *s, size_t n, char *out, const char **why) {
  size_t i, k = 0;
  int plus = 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= '0' && c <= '9') {
      if (k >= 24) { *why = "too many digits (at most 14)"; return NULL; }
      out[k++] = (char)c;
    } else if (c == '+' && k == 0 && !plus) {
      plus = 1;
    } else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '\t') {
      continue;
    } else {
      *why = "only digits, spaces, dashes, dots, parentheses and a leading + are allowed";
      return NULL;
    }
  }
  out[k] = '\0';
  if (k == 15 && strncmp(out, "00977", 5) == 0) { memmove(out, out + 5, 11); k -= 5; }
  else if (k == 13 && strncmp(out, "977", 3) == 0) { memmove(out, out + 3, 11); k -= 3; }
  if (k < 7) { *why = "too few digits (at least 7)"; return NULL; }
  if (k > 14) { *why = "too many digits (at most 14)"; return NULL; }
  return out;
}

/* as_integer: the number goes on the wire as a JSON integer, where a leading
 * 0 is not valid JSON (and would be lost by any parser that took it). */
int tt_check_phone(lua_State *L, const char *op, const char *f, int idx, int as_integer) {
  char buf[32];
  const char *why = "expected a phone number as a digit string", *d = NULL;
  if (lua_type(L, idx) == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    d = n <= 64 ? tt_phone_normalize(s, n, buf, &why) : NULL;
    if (n > 64) why = "too long";
  } else if (lua_type(L, idx) == LUA_TNUMBER) {
    long long v;
    char num[32];
    if (get_id(L, idx, &v)) {
      snprintf(num, sizeof num, "%lld", v);
      d = tt_phone_normalize(num, strlen(num), buf, &why);
    } else {
      why = "expected a positive whole number";
    }
  }
  if (d == NULL) return tt_fail(L, op, f, "%s (got %s)", why, tt_repr(L, idx));
  if (as_integer && d[0] == '0')
    return tt_fail(L, op, f, "the API takes this number as an integer, which cannot start with 0: "
                   "give it without the leading 0 (got %s)", tt_repr(L, idx));
  lua_pushstring(L, d);
  return 1;
}

int tt_check_phone_list(lua_State *L, const char *op, const char *f, int idx) {
  int i, n, out;
  idx = lua_absindex(L, idx);
  if ((n = check_list(L, op, f, idx, "phone numbers")) == 0) return 0;
  lua_createtable(L, n, 0);
  out = lua_gettop(L);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, i);
    lua_pushfstring(L, "%s[%d]", f, i);
    if (!tt_check_phone(L, op, lua_tostring(L, -1), lua_gettop(L) - 1, 1)) return 0;
    lua_rawseti(L, out, i);
    lua_pop(L, 2);
  }
  return 1;
}
