/* Dates and times in arguments: the legacy schedule_date ("YYYY-MM-DDTHH:MM")
 * and the v1 schedule ("YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]" or ""), both
 * also as epoch seconds, formatted in Nepal time (UTC+05:45), which is how
 * the API reads a time without an offset. Checkers follow validate.h. */
#include "errors.h"
#include "validate.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
      return tt_validation_fail(L, op, f, "expected epoch seconds or \"YYYY-MM-DDTHH:MM\" (got %s)", tt_repr(L, idx));
    t = (time_t)v + NEPAL_OFFSET;
    if (gmtime_r(&t, &tm) == NULL) return tt_validation_fail(L, op, f, "date out of range");
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
        return tt_validation_fail(L, op, f, "not a real date and time (got %s)", tt_repr(L, idx));
      lua_pushvalue(L, idx);
      return 1;
    }
  }
  return tt_validation_fail(L, op, f, "expected \"YYYY-MM-DDTHH:MM\" (Nepal time) or epoch seconds (got %s)",
                 tt_repr(L, idx));
}

/* Whether s (n bytes) has the shape of pattern (d = a digit). */
static int shaped(const char *s, size_t n, const char *pattern) {
  size_t i;
  if (n != strlen(pattern)) return 0;
  for (i = 0; i < n; i++)
    if (pattern[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != pattern[i]) return 0;
  return 1;
}

/* The v1 schedule (open question 10): a date (midnight), a date and time to
 * the minute or second, in Nepal time; epoch seconds are sent with their
 * offset, "2030-07-08T14:46:00+05:45"; "" clears it (update). */
int tt_check_schedule(lua_State *L, const char *op, const char *f, int idx) {
  static const char *const expected =
      "expected \"YYYY-MM-DD\", \"YYYY-MM-DDTHH:MM[:SS]\" (Nepal time), epoch seconds or \"\" (got %s)";
  if (lua_type(L, idx) == LUA_TNUMBER) {
    char buf[40];
    lua_Number v = lua_tonumber(L, idx);
    time_t t;
    struct tm tm;
    if (!(v >= 0 && v < 253402300800.0)) return tt_validation_fail(L, op, f, expected, tt_repr(L, idx));
    t = (time_t)v + NEPAL_OFFSET;
    if (gmtime_r(&t, &tm) == NULL) return tt_validation_fail(L, op, f, "date out of range");
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+05:45", &tm);
    lua_pushstring(L, buf);
    return 1;
  }
  if (lua_type(L, idx) == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    int date = shaped(s, n, "dddd-dd-dd"), minute = shaped(s, n, "dddd-dd-ddTdd:dd"),
        second = shaped(s, n, "dddd-dd-ddTdd:dd:dd");
    if (n == 0) {
      lua_pushvalue(L, idx);
      return 1;
    }
    if (date || minute || second) {
      int y = atoi(s), mo = atoi(s + 5), d = atoi(s + 8);
      int h = date ? 0 : atoi(s + 11), mi = date ? 0 : atoi(s + 14), sec = second ? atoi(s + 17) : 0;
      if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
        return tt_validation_fail(L, op, f, "not a real date and time (got %s)", tt_repr(L, idx));
      lua_pushvalue(L, idx);
      return 1;
    }
  }
  return tt_validation_fail(L, op, f, expected, tt_repr(L, idx));
}
