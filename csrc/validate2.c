/* Field checkers for dates, decimals, digit strings, tags and files. */
#include "validate.h"
#include "errors.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NEPAL_OFFSET (5 * 3600 + 45 * 60)

static int days_in_month(int y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return d[m - 1];
}

/* "YYYY-MM-DDTHH:MM" as the docs show, or epoch seconds formatted in Nepal
 * time (UTC+05:45), which is what the API reads the string as. */
int tt_check_datetime(lua_State *L, const char *op, const char *f, int idx) {
  char buf[32];
  if (lua_type(L, idx) == LUA_TNUMBER) {
    lua_Number v = lua_tonumber(L, idx);
    time_t t;
    struct tm tm;
    if (!(v >= 0 && v < 253402300800.0))
      return tt_fail(L, op, f, "expected epoch seconds or \"YYYY-MM-DDTHH:MM\" (got %s)", tt_repr(L, idx));
    t = (time_t)v + NEPAL_OFFSET;
    if (gmtime_r(&t, &tm) == NULL) return tt_fail(L, op, f, "date out of range");
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M", &tm);
    lua_pushstring(L, buf);
    return 1;
  }
  if (lua_type(L, idx) == LUA_TSTRING) {
    size_t n, i;
    const char *s = lua_tolstring(L, idx, &n);
    static const char shape[] = "dddd-dd-ddTdd:dd";
    int ok = n == 16;
    for (i = 0; ok && i < 16; i++)
      ok = shape[i] == 'd' ? (s[i] >= '0' && s[i] <= '9') : s[i] == shape[i];
    if (ok) {
      int y = atoi(s), mo = atoi(s + 5), d = atoi(s + 8), h = atoi(s + 11), mi = atoi(s + 14);
      if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59)
        return tt_fail(L, op, f, "not a real date and time (got %s)", tt_repr(L, idx));
      lua_pushvalue(L, idx);
      return 1;
    }
  }
  return tt_fail(L, op, f, "expected \"YYYY-MM-DDTHH:MM\" (Nepal time) or epoch seconds (got %s)",
                 tt_repr(L, idx));
}

/* length_factor: the docs send it as a string ("1.4"); numbers are accepted. */
int tt_check_decimal(lua_State *L, const char *op, const char *f, int idx) {
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
    return tt_fail(L, op, f, "expected a positive number such as 1.4 (got %s)", tt_repr(L, idx));
  snprintf(buf, sizeof buf, "%.15g", v);
  lua_pushstring(L, buf);
  return 1;
}

/* otp and otp_length: digit strings on the wire, as the docs send them. */
int tt_check_digits(lua_State *L, const char *op, const char *f, int idx) {
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
  return tt_fail(L, op, f, "expected digits (got %s)", tt_repr(L, idx));
}

/* available_tags: {tags_name = "Ram", tags_age = 25}; names are identifiers. */
int tt_check_tags(lua_State *L, const char *op, const char *f, int idx) {
  int out;
  idx = lua_absindex(L, idx);
  if (lua_type(L, idx) != LUA_TTABLE)
    return tt_fail(L, op, f, "expected a table of tag name -> string or number (got %s)",
                   luaL_typename(L, idx));
  lua_newtable(L);
  out = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    size_t n, i;
    const char *k;
    int ok;
    if (lua_type(L, -2) != LUA_TSTRING)
      return tt_fail(L, op, f, "tag names must be strings (got %s)", luaL_typename(L, -2));
    k = lua_tolstring(L, -2, &n);
    ok = n > 0 && n <= 64;
    for (i = 0; ok && i < n; i++)
      ok = (k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
           (k[i] >= '0' && k[i] <= '9') || k[i] == '_';
    if (!ok) return tt_fail(L, op, f, "tag name %s: expected letters, digits and _", tt_repr(L, -2));
    lua_pushfstring(L, "%s.%s", f, k);
    if (lua_type(L, -2) == LUA_TNUMBER) {
      lua_Number v = lua_tonumber(L, -2);
      if (v != v || v == HUGE_VAL || v == -HUGE_VAL)
        return tt_fail(L, op, lua_tostring(L, -1), "expected a finite number");
      lua_pushvalue(L, -2);
    } else if (!tt_check_text(L, op, lua_tostring(L, -1), lua_gettop(L) - 1, 0)) {
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
int tt_check_file(lua_State *L, const char *op, const char *f, int idx) {
  size_t n;
  const char *p;
  struct stat st;
  if (lua_type(L, idx) != LUA_TSTRING)
    return tt_fail(L, op, f, "expected a file path (got %s)", luaL_typename(L, idx));
  p = lua_tolstring(L, idx, &n);
  if (n == 0 || memchr(p, '\0', n) != NULL || n > 4096)
    return tt_fail(L, op, f, "not a usable file path (got %s)", tt_repr(L, idx));
  if (stat(p, &st) != 0) return tt_fail(L, op, f, "no such file: %s", p);
  if (!S_ISREG(st.st_mode)) return tt_fail(L, op, f, "not a regular file: %s", p);
  if (access(p, R_OK) != 0) return tt_fail(L, op, f, "file is not readable: %s", p);
  lua_pushvalue(L, idx);
  return 1;
}
