/* t:many(reqs, concurrency, on_done): a batch on a curl multi handle, with
 * at most `concurrency` transfers in flight, calling on_done(i, status,
 * body, headers) or on_done(i, nil, err) in completion order.
 *
 * The multi handle stays with the transport, so its connection cache (and
 * keep-alive) carries over from one batch to the next; the pool of easy
 * handles is kept too and grown when a batch needs more. on_done runs from
 * here, after curl_multi_info_read, never inside a libcurl callback. The
 * loop runs under lua_pcall, so whatever raises (on_done, a request table
 * changed under us, out of memory) first detaches and clears every handle,
 * then the error goes on unchanged. */
#include "internal.h"
#include <stdlib.h>
#include <string.h>

/* Arguments of the protected loop, at these stack slots of many_run. */
enum { A_T = 1, A_REQS, A_CONC, A_ON_DONE };

typedef struct batch {
  tt_transport *t;
  int n, next, active;
} batch;

/* Reports request i (set up on x, or failed to be) to on_done. */
static void report(lua_State *L, tt_xfer *x, int i, CURLcode rc) {
  int nres;
  lua_pushvalue(L, A_ON_DONE);
  lua_pushinteger(L, i);
  nres = tt_xfer_finish(L, x, rc);
  lua_call(L, 1 + nres, 0);
}

/* Starts the next request of the batch on the idle handle x; one that
 * cannot even start (say, an unreadable form file) is reported at once. */
static void fill(lua_State *L, batch *b, tt_xfer *x) {
  while (b->next <= b->n && !b->t->closed) {
    int i = b->next++;
    CURLcode rc;
    lua_rawgeti(L, A_REQS, i);
    rc = tt_xfer_setup(L, x, &b->t->o, lua_gettop(L), i, 1);
    lua_pop(L, 1);
    if (rc == CURLE_OK) {
      CURLMcode mc = curl_multi_add_handle(b->t->multi, x->easy);
      if (mc == CURLM_OK) {
        x->index = i;
        b->active++;
        return;
      }
      x->fail = curl_multi_strerror(mc);
      rc = CURLE_FAILED_INIT;
    }
    report(L, x, i, rc);
  }
}

static int many_run(lua_State *L) {
  batch b;
  int k;
  b.t = lua_touserdata(L, A_T);
  b.n = (int)lua_rawlen(L, A_REQS);
  b.next = 1;
  b.active = 0;
  for (k = 0; k < (int)lua_tointeger(L, A_CONC) && k < b.t->npool; k++) fill(L, &b, &b.t->pool[k]);
  while (b.active > 0) {
    int running, left;
    CURLMsg *msg;
    CURLMcode mc;
    if (b.t->closed) return luaL_error(L, "tingting.curl: transport is closed");
    mc = curl_multi_perform(b.t->multi, &running);
    if (mc != CURLM_OK) return luaL_error(L, "tingting.curl: %s", curl_multi_strerror(mc));
    while ((msg = curl_multi_info_read(b.t->multi, &left)) != NULL) {
      tt_xfer *x = NULL;
      CURLcode rc = msg->data.result;
      int i;
      if (msg->msg != CURLMSG_DONE) continue;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
      /* msg is invalid after removing its handle: read it first */
      curl_multi_remove_handle(b.t->multi, x->easy);
      i = x->index;
      x->index = 0;
      b.active--;
      report(L, x, i, rc);
      if (b.t->closed) return luaL_error(L, "tingting.curl: transport is closed");
      fill(L, &b, x);
    }
    if (b.active > 0 && (mc = curl_multi_poll(b.t->multi, NULL, 0, 1000, NULL)) != CURLM_OK)
      return luaL_error(L, "tingting.curl: %s", curl_multi_strerror(mc));
  }
  return 0;
}

/* Detaches every handle from the multi and clears its request (an
 * unfinished sink file is removed). */
static void detach_all(tt_transport *t) {
  int k;
  for (k = 0; k < t->npool; k++) {
    tt_xfer *x = &t->pool[k];
    if (x->index != 0 && t->multi != NULL) curl_multi_remove_handle(t->multi, x->easy);
    x->index = 0;
    tt_xfer_clear(x);
  }
}

void tt_multi_free(tt_transport *t) {
  int k;
  detach_all(t);
  for (k = 0; k < t->npool; k++) tt_xfer_free(&t->pool[k]);
  free(t->pool);
  t->pool = NULL;
  t->npool = 0;
  if (t->multi != NULL) curl_multi_cleanup(t->multi);
  t->multi = NULL;
}

/* Grows the pool to `want` handles. Handles cannot move (libcurl holds
 * pointers into them), so a larger pool is a new array of new handles. */
static int grow_pool(tt_transport *t, int want) {
  tt_xfer *pool;
  int k;
  if (t->npool >= want) return 0;
  pool = calloc((size_t)want, sizeof *pool);
  if (pool == NULL) return -1;
  for (k = 0; k < want; k++) {
    if (tt_xfer_init(&pool[k], &t->o) != CURLE_OK) {
      while (k-- > 0) tt_xfer_free(&pool[k]);
      free(pool);
      return -1;
    }
  }
  for (k = 0; k < t->npool; k++) tt_xfer_free(&t->pool[k]);
  free(t->pool);
  t->pool = pool;
  t->npool = want;
  return 0;
}

/* t:many's arguments (reqs, concurrency, on_done at 2, 3, 4) checked, the
 * batch run; returns lua_pcall's status, with the error on the stack when
 * it is not 0. */
int tt_multi_run(lua_State *L, tt_transport *t) {
  int n, i, conc, status;
  luaL_checktype(L, 2, LUA_TTABLE);
  if (!tt_isinteger(L, 3) || lua_tonumber(L, 3) < 1) luaL_argerror(L, 3, "expected an integer >= 1");
  luaL_checktype(L, 4, LUA_TFUNCTION);
  if (t->busy) return luaL_error(L, "tingting.curl: many() is already running on this transport");
  n = (int)lua_rawlen(L, 2);
  /* Every request is checked before the first one starts. */
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, 2, i);
    tt_req_check(L, -1, i, NULL);
    lua_pop(L, 1);
  }
  conc = lua_tonumber(L, 3) < n ? (int)lua_tonumber(L, 3) : n;
  if (n == 0) return 0;
  if (t->multi == NULL) {
    if ((t->multi = curl_multi_init()) == NULL) return luaL_error(L, "tingting.curl: out of memory");
    curl_multi_setopt(t->multi, CURLMOPT_PIPELINING, t->o.http2 ? CURLPIPE_MULTIPLEX : CURLPIPE_NOTHING);
  }
  if (grow_pool(t, conc) != 0) return luaL_error(L, "tingting.curl: cannot create curl handles");
  t->busy = 1;
  lua_pushcfunction(L, many_run);
  lua_pushlightuserdata(L, t);
  lua_pushvalue(L, 2);
  lua_pushinteger(L, conc);
  lua_pushvalue(L, 4);
  status = lua_pcall(L, 4, 0, 0);
  detach_all(t);
  t->busy = 0;
  return status;
}
