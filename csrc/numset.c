/* core.numset(): a set of phone numbers (digit strings of 1 to 14 digits) in
 * 8 bytes a slot, for deduplicating and skipping a million numbers without a
 * Lua table of strings (about 60 bytes an entry). Each number is a 64-bit key:
 * its digit count above bit 48 and its value below, so "0123" and "123"
 * stay apart and no key is 0 (the empty slot). Open addressing with linear
 * probing, at most 70% full. */
#include "tingting.h"
#include "util.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TT_NUMSET_MT "tingting.numset"
#define MAX_DIGITS 14

typedef struct numset {
  uint64_t *slot;
  size_t cap; /* a power of two, or 0 once closed */
  size_t count;
} numset;

static numset *check_set(lua_State *L) {
  numset *s = (numset *)luaL_checkudata(L, 1, TT_NUMSET_MT);
  if (s->slot == NULL) luaL_error(L, "tingting.numset: the set is closed");
  return s;
}

static uint64_t key_of(lua_State *L, int idx) {
  size_t n, i;
  const char *d = luaL_checklstring(L, idx, &n);
  uint64_t v = 0;
  if (n < 1 || n > MAX_DIGITS) luaL_argerror(L, idx, "expected a number of 1 to 14 digits");
  for (i = 0; i < n; i++) {
    if (d[i] < '0' || d[i] > '9') luaL_argerror(L, idx, "expected digits only");
    v = v * 10 + (uint64_t)(d[i] - '0');
  }
  return ((uint64_t)n << 48) | v;
}

static size_t hash(uint64_t k, size_t cap) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return (size_t)k & (cap - 1);
}

/* The slot holding k, or the empty slot where it would go. */
static size_t find(const numset *s, uint64_t k) {
  size_t i = hash(k, s->cap);
  while (s->slot[i] != 0 && s->slot[i] != k) i = (i + 1) & (s->cap - 1);
  return i;
}

static int grow(numset *s) {
  size_t old = s->cap, i;
  uint64_t *was = s->slot, *now = (uint64_t *)calloc(old * 2, sizeof *now);
  if (now == NULL) return 0;
  s->slot = now;
  s->cap = old * 2;
  for (i = 0; i < old; i++)
    if (was[i] != 0) s->slot[find(s, was[i])] = was[i];
  free(was);
  return 1;
}

/* set:add(digits) -> true when new, false when already there */
static int numset_add(lua_State *L) {
  numset *s = check_set(L);
  uint64_t k = key_of(L, 2);
  size_t i;
  if ((s->count + 1) * 10 > s->cap * 7 && !grow(s)) return luaL_error(L, "tingting.numset: out of memory");
  i = find(s, k);
  if (s->slot[i] == k) {
    lua_pushboolean(L, 0);
    return 1;
  }
  s->slot[i] = k;
  s->count++;
  lua_pushboolean(L, 1);
  return 1;
}

static int numset_has(lua_State *L) {
  numset *s = check_set(L);
  lua_pushboolean(L, s->slot[find(s, key_of(L, 2))] != 0);
  return 1;
}

/* set:remove(digits) -> whether it was there. Backward-shift deletion keeps
 * every probe run unbroken without tombstones. */
static int numset_remove(lua_State *L) {
  numset *s = check_set(L);
  size_t i = find(s, key_of(L, 2)), j;
  if (s->slot[i] == 0) {
    lua_pushboolean(L, 0);
    return 1;
  }
  s->slot[i] = 0;
  s->count--;
  for (j = (i + 1) & (s->cap - 1); s->slot[j] != 0; j = (j + 1) & (s->cap - 1)) {
    size_t home = hash(s->slot[j], s->cap);
    /* move it back unless its home lies cyclically in (i, j] */
    if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
      s->slot[i] = s->slot[j];
      s->slot[j] = 0;
      i = j;
    }
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int numset_len(lua_State *L) {
  numset *s = (numset *)luaL_checkudata(L, 1, TT_NUMSET_MT);
  lua_pushinteger(L, (lua_Integer)s->count);
  return 1;
}

/* set:bytes() -> memory held by the slots */
static int numset_bytes(lua_State *L) {
  numset *s = (numset *)luaL_checkudata(L, 1, TT_NUMSET_MT);
  lua_pushinteger(L, (lua_Integer)(s->cap * sizeof(uint64_t)));
  return 1;
}

static int numset_close(lua_State *L) {
  numset *s = (numset *)luaL_checkudata(L, 1, TT_NUMSET_MT);
  free(s->slot);
  s->slot = NULL;
  s->cap = 0;
  s->count = 0;
  return 0;
}

static int numset_tostring(lua_State *L) {
  numset *s = (numset *)luaL_checkudata(L, 1, TT_NUMSET_MT);
  lua_pushfstring(L, "tingting.numset{%d numbers}", (int)s->count);
  return 1;
}

/* core.numset([expected]) -> an empty set sized for `expected` numbers */
static int core_numset(lua_State *L) {
  lua_Integer want = luaL_optinteger(L, 1, 0);
  size_t cap = 64;
  numset *s;
  if (want < 0 || want > ((lua_Integer)1 << 32)) return luaL_argerror(L, 1, "expected 0 to 2^32 numbers");
  while ((size_t)want * 10 > cap * 7) cap *= 2;
  s = (numset *)tt_newuserdata(L, sizeof *s);
  s->slot = NULL;
  s->cap = 0;
  s->count = 0;
  luaL_setmetatable(L, TT_NUMSET_MT);
  s->slot = (uint64_t *)calloc(cap, sizeof *s->slot);
  if (s->slot == NULL) return luaL_error(L, "tingting.numset: out of memory");
  s->cap = cap;
  return 1;
}

void tt_numset_open(lua_State *L) {
  static const luaL_Reg mm[] = {{"__gc", numset_close}, {"__close", numset_close}, {"__len", numset_len},
                                {"__tostring", numset_tostring}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"add", numset_add}, {"has", numset_has}, {"remove", numset_remove},
                                     {"bytes", numset_bytes}, {"close", numset_close}, {NULL, NULL}};
  tt_class_with(L, TT_NUMSET_MT, mm, methods);
  lua_pushcfunction(L, core_numset);
  lua_setfield(L, -2, "numset");
}
