/* The helpers of util.h (classes, sleep, the byte buffer), and core.sleep,
 * tt_sleep's Lua face. */
#include "util.h"
#include "tingting.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void tt_class(lua_State *L, const char *name, const luaL_Reg *mm) {
  luaL_newmetatable(L, name);
  luaL_setfuncs(L, mm, 0);
  lua_pushstring(L, name);
  lua_setfield(L, -2, "__name");
  lua_getfield(L, -1, "methods");
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "methods");
  }
  lua_remove(L, -2);
}

/* A class whose methods are C functions only: `methods` becomes the methods
 * table and __index; nothing is left on the stack. */
void tt_class_with(lua_State *L, const char *name, const luaL_Reg *mm, const luaL_Reg *methods) {
  tt_class(L, name, mm);
  luaL_setfuncs(L, methods, 0);
  luaL_getmetatable(L, name);
  lua_insert(L, -2);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}

void tt_sleep(lua_Number secs) {
  struct timespec ts, rem;
  if (!(secs > 0)) return;
  if (secs > 86400) secs = 86400;
  ts.tv_sec = (time_t)secs;
  ts.tv_nsec = (long)((secs - (lua_Number)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &rem) != 0 && errno == EINTR) ts = rem;
}

/* core.sleep(seconds): blocking, for transports that bring no sleep of
 * their own (the ngx transport has ngx.sleep). */
static int core_sleep(lua_State *L) {
  tt_sleep(luaL_checknumber(L, 1));
  return 0;
}

void tt_util_open(lua_State *L) {
  lua_pushcfunction(L, core_sleep);
  lua_setfield(L, -2, "sleep");
}

/* A failure leaves cap at len (the memory stays, for reset or free to
 * handle): no later addition fits, each comes here and fails. */
int tt_buf_grow(tt_buf *b, size_t n) {
  size_t cap = b->cap ? b->cap : 256;
  char *np;
  if (b->oom) return -1;
  while (cap - b->len < n) {
    if (cap > SIZE_MAX / 2) goto fail;
    cap *= 2;
  }
  np = realloc(b->p, cap);
  if (np == NULL) goto fail;
  b->p = np;
  b->cap = cap;
  return 0;
fail:
  b->oom = 1;
  b->cap = b->len;
  return -1;
}

void tt_buf_reset(tt_buf *b, size_t keep) {
  if (b->cap > keep) { /* a cap cut by a failure may keep more: still ours */
    free(b->p);
    b->p = NULL;
    b->cap = 0;
  }
  b->len = 0;
  b->oom = 0;
}

void tt_buf_free(tt_buf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
  b->oom = 0;
}
