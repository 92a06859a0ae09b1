/* What any concern of tingting.core may use: classes (a metatable with a
 * methods table), a blocking sleep, cjson's null, and the one growable byte
 * buffer (request bodies, JSON text, curl's answers and header lines). */
#ifndef TINGTING_UTIL_H
#define TINGTING_UTIL_H

#include "compat.h"
#include <stddef.h>
#include <string.h>

#pragma GCC visibility push(hidden)

/* Create or reuse (a second require) the metatable `name` with metamethods
 * `mm`, and push its `methods` table, which __index consults and Lua fills. */
void tt_class(lua_State *L, const char *name, const luaL_Reg *mm);
void tt_class_with(lua_State *L, const char *name, const luaL_Reg *mm, const luaL_Reg *methods);

/* Blocking sleep, restarted after signals; at most a day. */
void tt_sleep(lua_Number seconds);

/* JSON null as lua-cjson (and json.c's decoder) gives it: a NULL light
 * userdata. Inline: the decoder asks about every member it reads. */
static inline int tt_is_null(lua_State *L, int idx) {
  return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == NULL;
}

/* Bytes outside the Lua stack (luaL_Buffer forbids stack traffic between
 * additions, which encoders and libcurl callbacks need). Start from
 * TT_BUF_INIT. Once an addition fails, oom stays set and every later one
 * fails too, so a caller may check once at the end. */
typedef struct tt_buf {
  char *p;
  size_t len, cap; /* cap: bytes allocated, cut to len by a failure (util.c) */
  int oom;
} tt_buf;

#define TT_BUF_INIT {NULL, 0, 0, 0}

int tt_buf_grow(tt_buf *b, size_t n);      /* room for n more bytes: 0, or -1 */
void tt_buf_reset(tt_buf *b, size_t keep); /* empty; memory past `keep` bytes freed */
void tt_buf_free(tt_buf *b);

/* Append n bytes: 0, or -1 when the buffer cannot grow. Inline: encoders
 * add a few bytes at a time, and the call cost more than the copy. */
static inline int tt_buf_add(tt_buf *b, const void *p, size_t n) {
  if (n == 0) return 0;
  if (n > b->cap - b->len && tt_buf_grow(b, n) != 0) return -1;
  memcpy(b->p + b->len, p, n);
  b->len += n;
  return 0;
}

#pragma GCC visibility pop

#endif
