/* What a value of each field type of the endpoint table may be (its
 * checkers), and core.normalize_phone. A checker reads the argument at `idx`
 * and returns 1 with its normalised value pushed, or 0 with nil and a
 * validation error naming the field and what was expected pushed (through
 * tt_validation_fail): the two values a Lua function then returns as they
 * stand. Nothing here does I/O except stat(2) and access(2) for files. */
#include "validate.h"
#include "errors.h"
#include "tingting.h"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Longest string a text field takes, in bytes. */
#define TT_MAX_STRING 65536

static int utf8_valid(const unsigned char *s, size_t n) {
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

static int check_text(lua_State *L, const char *op, const char *f, int idx, int nonempty) {
  size_t n, i;
  const char *s;
  if (lua_type(L, idx) != LUA_TSTRING)
    return tt_validation_fail(L, op, f, "expected a string (got %s)", luaL_typename(L, idx));
  s = lua_tolstring(L, idx, &n);
  if (n > TT_MAX_STRING)
    return tt_validation_fail(L, op, f, "too long (%d bytes; at most %d)", (int)(n > 0x7fffffff ? 0x7fffffff : n), TT_MAX_STRING);
  if (memchr(s, '\0', n) != NULL) return tt_validation_fail(L, op, f, "must not contain a NUL byte");
  if (!utf8_valid((const unsigned char *)s, n)) return tt_validation_fail(L, op, f, "is not valid UTF-8");
  if (nonempty) {
    for (i = 0; i < n && isspace((unsigned char)s[i]); i++) {}
    if (i == n) return tt_validation_fail(L, op, f, "must not be empty");
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

/* alias: pairs of an accepted spelling and the value it sends. */
static int check_enum(lua_State *L, const char *op, const char *f, int idx, const char *const *e,
                      const char *const *alias) {
  const char *hit = NULL;
  if (lua_type(L, idx) == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    hit = match_enum(s, n, e);
    for (; hit == NULL && alias != NULL && alias[0] != NULL; alias += 2) {
      const char *one[2];
      one[0] = alias[0];
      one[1] = NULL;
      if (match_enum(s, n, one) != NULL) hit = alias[1];
    }
  }
  if (hit == NULL) {
    const char *got = tt_repr(L, idx);
    push_choices(L, e);
    return tt_validation_fail(L, op, f, "expected one of %s (got %s)", lua_tostring(L, -1), got);
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
static int check_enum_list(lua_State *L, const char *op, const char *f, int idx, const char *const *e) {
  int out, k = 0, i, n;
  idx = lua_absindex(L, idx);
  if (lua_type(L, idx) != LUA_TSTRING && lua_type(L, idx) != LUA_TTABLE) {
    push_choices(L, e);
    return tt_validation_fail(L, op, f, "expected a list of %s (got %s)", lua_tostring(L, -1), luaL_typename(L, idx));
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
      return tt_validation_fail(L, op, f, "expected a list of %s (item %d is %s)", lua_tostring(L, -1), i,
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
        return tt_validation_fail(L, op, f, "expected each of %s (got \"%s\")", lua_tostring(L, -1), lua_tostring(L, -2));
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
    return tt_validation_fail(L, op, f, "expected at least one of %s", lua_tostring(L, -1));
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

/* An id beyond 2^53 as a digit string (no sign, no leading 0, at most
 * 2^63 - 1): a 64-bit id that a double, and so any number on Lua 5.1 and
 * LuaJIT, cannot hold. Smaller ids are numbers, so "8" stays refused. */
static int big_id_string(lua_State *L, int idx) {
  size_t n, i;
  const char *s;
  if (lua_type(L, idx) != LUA_TSTRING) return 0;
  s = lua_tolstring(L, idx, &n);
  if (n < 16 || n > 19 || s[0] == '0') return 0;
  for (i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  if (n == 16 && strcmp(s, "9007199254740992") <= 0) return 0;
  if (n == 19 && strcmp(s, "9223372036854775807") > 0) return 0;
  return 1;
}

/* Pushes the id at idx as the request carries it: a number up to 2^53, a
 * digit string beyond. */
static int push_id(lua_State *L, int idx) {
  long long id;
  if (get_id(L, idx, &id)) {
    lua_pushinteger(L, (lua_Integer)id);
    return 1;
  }
  if (big_id_string(L, idx)) {
    lua_pushvalue(L, idx);
    return 1;
  }
  return 0;
}

static const char *id_hint(lua_State *L, int idx) {
  if (lua_type(L, idx) == LUA_TNUMBER && lua_tonumber(L, idx) > 9007199254740992.0)
    return "; ids beyond 2^53 go as digit strings";
  return "";
}

static int check_id(lua_State *L, const char *op, const char *f, int idx) {
  if (!push_id(L, idx)) {
    const char *hint = id_hint(L, idx);
    return tt_validation_fail(L, op, f, "expected a positive integer (got %s)%s", tt_repr(L, idx), hint);
  }
  return 1;
}

/* An integer in [lo, hi] (hi < 0: no upper bound). */
static int check_range(lua_State *L, const char *op, const char *f, int idx, long long lo, long long hi) {
  long long v = 0;
  int ok = lua_type(L, idx) == LUA_TNUMBER && (lua_tonumber(L, idx) == 0 || get_id(L, idx, &v));
  if (ok && (v < lo || (hi >= 0 && v > hi))) ok = 0;
  if (!ok) {
    if (hi >= 0) return tt_validation_fail(L, op, f, "expected an integer from %d to %d (got %s)", (int)lo, (int)hi, tt_repr(L, idx));
    return tt_validation_fail(L, op, f, "expected an integer >= %d (got %s)", (int)lo, tt_repr(L, idx));
  }
  lua_pushinteger(L, (lua_Integer)v);
  return 1;
}

/* Booleans go in a query string as the words DRF reads. */
static int check_bool(lua_State *L, const char *op, const char *f, int idx) {
  if (lua_type(L, idx) != LUA_TBOOLEAN)
    return tt_validation_fail(L, op, f, "expected true or false (got %s)", tt_repr(L, idx));
  lua_pushstring(L, lua_toboolean(L, idx) ? "true" : "false");
  return 1;
}

/* v1 voice_input: a voice model's id, or an internal name (open question 8). */
static int check_id_or_name(lua_State *L, const char *op, const char *f, int idx, const char *const *e) {
  long long id;
  if (lua_type(L, idx) == LUA_TNUMBER) {
    if (!get_id(L, idx, &id))
      return tt_validation_fail(L, op, f, "expected a voice id (a positive integer) or a name (got %s)", tt_repr(L, idx));
    lua_pushinteger(L, (lua_Integer)id);
    return 1;
  }
  if (lua_type(L, idx) == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n), *hit = match_enum(s, n, e);
    if (hit != NULL) {
      lua_pushstring(L, hit);
      return 1;
    }
  }
  {
    const char *got = tt_repr(L, idx);
    push_choices(L, e);
    return tt_validation_fail(L, op, f, "expected a voice id (a positive integer) or one of %s (got %s)",
                              lua_tostring(L, -1), got);
  }
}

static int check_list(lua_State *L, const char *op, const char *f, int idx, const char *what) {
  int n;
  if (lua_type(L, idx) != LUA_TTABLE)
    return tt_validation_fail(L, op, f, "expected a list of %s (got %s)", what, luaL_typename(L, idx));
  n = (int)lua_rawlen(L, idx);
  if (n == 0) return tt_validation_fail(L, op, f, "expected a non-empty list of %s", what);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (!tt_isinteger(L, -1) || lua_tonumber(L, -1) < 1 || lua_tonumber(L, -1) > n) {
      lua_pop(L, 1);
      return tt_validation_fail(L, op, f, "expected a list (a sequence 1..n) of %s", what);
    }
  }
  return n;
}

static int check_id_list(lua_State *L, const char *op, const char *f, int idx) {
  int i, n, out;
  idx = lua_absindex(L, idx);
  if ((n = check_list(L, op, f, idx, "positive integers")) == 0) return 0;
  lua_createtable(L, n, 0);
  out = lua_gettop(L);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, i);
    if (!push_id(L, -1)) {
      const char *hint = id_hint(L, -1);
      return tt_validation_fail(L, op, f, "item %d: expected a positive integer (got %s)%s", i, tt_repr(L, -1), hint);
    }
    lua_remove(L, -2);
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
static int check_phone(lua_State *L, const char *op, const char *f, int idx, int as_integer) {
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
  if (d == NULL) return tt_validation_fail(L, op, f, "%s (got %s)", why, tt_repr(L, idx));
  if (as_integer && d[0] == '0')
    return tt_validation_fail(L, op, f, "the API takes this number as an integer, which cannot start with 0: "
                   "give it without the leading 0 (got %s)", tt_repr(L, idx));
  lua_pushstring(L, d);
  return 1;
}

static int check_phone_list(lua_State *L, const char *op, const char *f, int idx) {
  int i, n, out;
  idx = lua_absindex(L, idx);
  if ((n = check_list(L, op, f, idx, "phone numbers")) == 0) return 0;
  lua_createtable(L, n, 0);
  out = lua_gettop(L);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, i);
    lua_pushfstring(L, "%s[%d]", f, i);
    if (!check_phone(L, op, lua_tostring(L, -1), lua_gettop(L) - 1, 1)) return 0;
    lua_rawseti(L, out, i);
    lua_pop(L, 2);
  }
  return 1;
}

/* length_factor: the docs send it as a string ("1.4"); numbers are accepted. */
static int check_decimal(lua_State *L, const char *op, const char *f, int idx) {
  char buf[64];
  double v = -1;
  if (lua_type(L, idx) == LUA_TNUMBER) {
    v = (double)lua_tonumber(L, idx);
  } else if (lua_type(L, idx) == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    char *end;
    size_t i, dots = 0;
    /* Plain decimals only: strtod alone also takes "0x10", "1e3" and
     * "infinity"-like forms, which the API would not read as we do. */
    for (i = 0; i < n && ((s[i] >= '0' && s[i] <= '9') || (s[i] == '.' && ++dots == 1)); i++) {}
    if (n > 0 && n < 32 && i == n && s[0] != '.') {
      v = strtod(s, &end);
      if (end != s + n) v = -1;
    }
  }
  if (!(v > 0 && v <= 100))
    return tt_validation_fail(L, op, f, "expected a positive number such as 1.4 (got %s)", tt_repr(L, idx));
  snprintf(buf, sizeof buf, "%.15g", v);
  lua_pushstring(L, buf);
  return 1;
}

/* otp and otp_length: digit strings on the wire, as the docs send them. */
static int check_digits(lua_State *L, const char *op, const char *f, int idx) {
  char buf[32];
  if (lua_type(L, idx) == LUA_TNUMBER) {
    lua_Number v = lua_tonumber(L, idx);
    if (v >= 0 && v < 1e15 && floor(v) == v) {
      snprintf(buf, sizeof buf, "%.0f", (double)v);
      lua_pushstring(L, buf);
      return 1;
    }
  } else if (lua_type(L, idx) == LUA_TSTRING) {
    size_t n, i;
    const char *s = lua_tolstring(L, idx, &n);
    for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {}
    if (n > 0 && n <= 16 && i == n) {
      lua_pushvalue(L, idx);
      return 1;
    }
  }
  return tt_validation_fail(L, op, f, "expected digits (got %s)", tt_repr(L, idx));
}

/* available_tags: {tags_name = "Ram", tags_age = 25}; names are identifiers. */
static int check_tags(lua_State *L, const char *op, const char *f, int idx) {
  int out;
  idx = lua_absindex(L, idx);
  if (lua_type(L, idx) != LUA_TTABLE)
    return tt_validation_fail(L, op, f, "expected a table of tag name -> string or number (got %s)",
                   luaL_typename(L, idx));
  lua_newtable(L);
  out = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    size_t n, i;
    const char *k;
    int ok;
    if (lua_type(L, -2) != LUA_TSTRING)
      return tt_validation_fail(L, op, f, "tag names must be strings (got %s)", luaL_typename(L, -2));
    k = lua_tolstring(L, -2, &n);
    ok = n > 0 && n <= 64;
    for (i = 0; ok && i < n; i++)
      ok = (k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
           (k[i] >= '0' && k[i] <= '9') || k[i] == '_';
    if (!ok) return tt_validation_fail(L, op, f, "tag name %s: expected letters, digits and _", tt_repr(L, -2));
    lua_pushfstring(L, "%s.%s", f, k);
    if (lua_type(L, -2) == LUA_TNUMBER) {
      lua_Number v = lua_tonumber(L, -2);
      if (v != v || v == HUGE_VAL || v == -HUGE_VAL)
        return tt_validation_fail(L, op, lua_tostring(L, -1), "expected a finite number");
      lua_pushvalue(L, -2);
    } else if (!check_text(L, op, lua_tostring(L, -1), lua_gettop(L) - 1, 0)) {
      return 0;
    }
    lua_remove(L, -2); /* the field name */
    lua_pushvalue(L, -3);
    lua_insert(L, -2);
    lua_rawset(L, out);
    lua_pop(L, 1);
  }
  return 1;
}

/* Files are checked before anything is sent: present, regular, readable. */
static int check_file(lua_State *L, const char *op, const char *f, int idx) {
  size_t n;
  const char *p;
  struct stat st;
  if (lua_type(L, idx) != LUA_TSTRING)
    return tt_validation_fail(L, op, f, "expected a file path (got %s)", luaL_typename(L, idx));
  p = lua_tolstring(L, idx, &n);
  if (n == 0 || memchr(p, '\0', n) != NULL || n > 4096)
    return tt_validation_fail(L, op, f, "not a usable file path (got %s)", tt_repr(L, idx));
  if (stat(p, &st) != 0) return tt_validation_fail(L, op, f, "no such file: %s", p);
  if (!S_ISREG(st.st_mode)) return tt_validation_fail(L, op, f, "not a regular file: %s", p);
  if (access(p, R_OK) != 0) return tt_validation_fail(L, op, f, "file is not readable: %s", p);
  lua_pushvalue(L, idx);
  return 1;
}

/* v1 contacts: a list of numbers or {number=, available_tags=} records,
 * each number a digit string and its variables checked as tags; at most
 * 1000 a request (a batch sends far fewer). */
static int check_contacts(lua_State *L, const char *op, const char *f, int idx) {
  int i, n, out;
  idx = lua_absindex(L, idx);
  if ((n = check_list(L, op, f, idx, "numbers or {number=, available_tags=} records")) == 0) return 0;
  if (n > 1000) return tt_validation_fail(L, op, f, "at most 1000 contacts a request (got %d)", n);
  lua_createtable(L, n, 0);
  out = lua_gettop(L);
  for (i = 1; i <= n; i++) {
    int item, rec;
    lua_rawgeti(L, idx, i);
    item = lua_gettop(L);
    lua_createtable(L, 0, 2);
    rec = lua_gettop(L);
    if (lua_istable(L, item)) {
      lua_pushnil(L);
      while (lua_next(L, item)) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        lua_pop(L, 1);
        if (k == NULL || (strcmp(k, "number") != 0 && strcmp(k, "available_tags") != 0)) {
          const char *key = tt_repr(L, -1);
          return tt_validation_fail(L, op, lua_pushfstring(L, "%s[%d]", f, i),
                                    "unknown field %s (expected number, available_tags)", key);
        }
      }
      lua_getfield(L, item, "number");
    } else {
      lua_pushvalue(L, item);
    }
    {
      const char *name = lua_pushfstring(L, "%s[%d].number", f, i); /* before the index below */
      if (!check_phone(L, op, name, lua_gettop(L) - 1, 0)) return 0;
    }
    lua_setfield(L, rec, "number");
    lua_pop(L, 2);
    if (lua_istable(L, item)) {
      lua_getfield(L, item, "available_tags");
      if (!lua_isnil(L, -1)) {
        const char *name = lua_pushfstring(L, "%s[%d].available_tags", f, i);
        if (!check_tags(L, op, name, lua_gettop(L) - 1)) return 0;
        lua_setfield(L, rec, "available_tags");
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
    }
    lua_rawseti(L, out, i);
    lua_pop(L, 1);
  }
  return 1;
}

int tt_check_value(lua_State *L, const char *op, const tt_field *f, int idx) {
  switch (f->type) {
  case TT_F_STRING: return check_text(L, op, f->name, idx, 1);
  case TT_F_TEXT: return check_text(L, op, f->name, idx, 0);
  case TT_F_ENUM: return check_enum(L, op, f->name, idx, f->enumv, f->alias);
  case TT_F_ENUM_LIST: return check_enum_list(L, op, f->name, idx, f->enumv);
  case TT_F_ID: case TT_F_PAGE: return check_id(L, op, f->name, idx);
  case TT_F_ID_LIST: return check_id_list(L, op, f->name, idx);
  case TT_F_PHONE: return check_phone(L, op, f->name, idx, 1);
  case TT_F_PHONE_STR: return check_phone(L, op, f->name, idx, 0);
  case TT_F_PHONE_LIST: return check_phone_list(L, op, f->name, idx);
  case TT_F_TAGS: return check_tags(L, op, f->name, idx);
  case TT_F_FILE: return check_file(L, op, f->name, idx);
  case TT_F_DATETIME: return tt_check_datetime(L, op, f->name, idx);
  case TT_F_SCHEDULE: return tt_check_schedule(L, op, f->name, idx);
  case TT_F_LIMIT: return check_range(L, op, f->name, idx, 1, 10);
  case TT_F_COUNT: return check_range(L, op, f->name, idx, 0, -1);
  case TT_F_BOOL: return check_bool(L, op, f->name, idx);
  case TT_F_ID_OR_NAME: return check_id_or_name(L, op, f->name, idx, f->enumv);
  case TT_F_CONTACTS: return check_contacts(L, op, f->name, idx);
  case TT_F_DECIMAL: return check_decimal(L, op, f->name, idx);
  case TT_F_DIGITS: return check_digits(L, op, f->name, idx);
  }
  return tt_validation_fail(L, op, f->name, "unsupported field type");
}

/* core.normalize_phone(v) -> digits | nil, reason */
static int core_normalize_phone(lua_State *L) {
  lua_settop(L, 1);
  if (!check_phone(L, NULL, "number", 1, 0)) {
    lua_getfield(L, -1, "message");
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  return 1;
}

void tt_validate_open(lua_State *L) {
  lua_pushcfunction(L, core_normalize_phone);
  lua_setfield(L, -2, "normalize_phone");
}
