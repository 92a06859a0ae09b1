/* The Redis protocol for tingting.store.redis, from hiredis: commands are
 * formatted by redisFormatCommandArgv and replies parsed by hiredis' reader.
 *
 *   core.redis_format(arg, ...) -> bytes of one command (sans-IO)
 *   core.redis_reader([{max_bytes =}]) -> reader (sans-IO)
 *     reader:feed(bytes) -> true | nil, err, "protocol"
 *     reader:get() -> value | nil (needs more bytes) | nil, err, kind
 *   core.redis_connect{host =, port =, timeout =, max_bytes =} -> conn | nil, err, kind
 *     conn:command(arg, ...) -> value | nil, err, kind   (blocking: never inside nginx)
 *     conn:close()   (also __gc and __close; idempotent)
 *
 * Replies as Lua values: bulk -> string, integer -> integer, nil -> false,
 * status -> {ok = "OK"}, array -> list; an error reply is `nil, "ERR ...",
 * "redis"` at the top and {err = "ERR ..."} inside an array (Redis' own
 * convention for scripts). `kind` is "redis" (the server refused the
 * command), "protocol" (a reply hiredis or our limits refuse), "network" or
 * "timeout". Inside nginx the same formatter and reader run over a cosocket
 * driven from Lua (lua/tingting/store/redis.lua), so no C function blocks or
 * yields there.
 *
 * Limits: hiredis 0.14 refuses arrays nested more than 8 deep; on top of
 * that a reply may hold at most `max_bytes` bytes (default 64 MiB): an array
 * declared with more elements than could fit is refused when its header
 * arrives, before hiredis sets memory aside for it; a reader fed more than
 * max_bytes towards one reply (a huge declared bulk string, say) stops with
 * an error instead of buffering on. The blocking connection reads through
 * hiredis itself: there the array check holds, and a string over max_bytes
 * is refused once read. */
#include "tingting.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>

#define TT_REDIS_READER_MT "tingting.redis_reader"
#define TT_REDIS_CONN_MT "tingting.redis_conn"
#define TT_REDIS_MAX_BYTES (64u * 1024u * 1024u)

/* What the reader's object functions see (through the task's privdata):
 * hiredis' own functions, wrapped to refuse what exceeds the limits. */
typedef struct tt_rpriv {
  redisReplyObjectFunctions fn;         /* the wrappers, installed in the reader */
  redisReplyObjectFunctions *orig;      /* hiredis' defaults (redisReply objects) */
  size_t max_bytes;
  char refused[96];                     /* why a wrapper refused ("" if none) */
} tt_rpriv;

static tt_rpriv *task_priv(const redisReadTask *task) { return (tt_rpriv *)task->privdata; }

/* Every element takes at least 3 bytes on the wire ("+\r\n"): an array
 * declared with more than max_bytes / 3 of them can never fit. Refused here,
 * before hiredis callocs its element vector from a 12-byte header. */
static void *limited_array(const redisReadTask *task, int elements) {
  tt_rpriv *p = task_priv(task);
  if (elements > 0 && (size_t)elements > p->max_bytes / 3) {
    snprintf(p->refused, sizeof p->refused, "reply too large: an array of %d elements", elements);
    return NULL;
  }
  return p->orig->createArray(task, elements);
}

static void *limited_string(const redisReadTask *task, char *s, size_t len) {
  tt_rpriv *p = task_priv(task);
  if (len > p->max_bytes) {
    snprintf(p->refused, sizeof p->refused, "reply too large: a string of %lu bytes", (unsigned long)len);
    return NULL;
  }
  return p->orig->createString(task, s, len);
}

static void priv_install(tt_rpriv *p, redisReader *r, size_t max_bytes) {
  p->orig = r->fn;
  p->fn = *r->fn;
  p->fn.createArray = limited_array;
  p->fn.createString = limited_string;
  p->max_bytes = max_bytes;
  p->refused[0] = '\0';
  r->fn = &p->fn;
  r->privdata = p;
}

/* The reader's error, in our words when a limit refused the reply (hiredis
 * reports that as "Out of memory"). */
static const char *reader_error(tt_rpriv *p, redisReader *r) {
  return p->refused[0] ? p->refused : r->errstr;
}

/* ---- reply -> Lua ---- */

static void push_reply(lua_State *L, const redisReply *r) {
  size_t i;
  luaL_checkstack(L, 4, "tingting.redis: reply nested too deep");
  switch (r->type) {
  case REDIS_REPLY_STRING:
    lua_pushlstring(L, r->str, r->len);
    break;
  case REDIS_REPLY_INTEGER:
    lua_pushinteger(L, (lua_Integer)r->integer);
    break;
  case REDIS_REPLY_STATUS:
  case REDIS_REPLY_ERROR:
    lua_createtable(L, 0, 1);
    lua_pushlstring(L, r->str, r->len);
    lua_setfield(L, -2, r->type == REDIS_REPLY_STATUS ? "ok" : "err");
    break;
  case REDIS_REPLY_ARRAY:
    lua_createtable(L, r->elements > 1000000 ? 0 : (int)r->elements, 0);
    for (i = 0; i < r->elements; i++) {
      if (r->element[i] != NULL) push_reply(L, r->element[i]);
      else lua_pushboolean(L, 0);
      lua_rawseti(L, -2, (int)(i + 1));
    }
    break;
  default: /* REDIS_REPLY_NIL */
    lua_pushboolean(L, 0);
    break;
  }
}

/* Push the reply's values for `return`; the reply is held in *pending while
 * Lua allocates, so that a memory error frees it through __gc. */
static int return_reply(lua_State *L, redisReply **pending) {
  redisReply *r = *pending;
  int n = 1;
  if (r->type == REDIS_REPLY_ERROR) {
    lua_pushnil(L);
    lua_pushlstring(L, r->str, r->len);
    lua_pushliteral(L, "redis");
    n = 3;
  } else {
    push_reply(L, r);
  }
  *pending = NULL;
  freeReplyObject(r);
  return n;
}

static int fail3(lua_State *L, const char *msg, const char *kind) {
  lua_pushnil(L);
  lua_pushstring(L, msg);
  lua_pushstring(L, kind);
  return 3;
}

/* ---- arguments -> argv ---- */

typedef struct tt_rargs {
  int argc;
  const char **argv;
  size_t *lens;
} tt_rargs;

/* The arguments from index `first` on as strings: numbers are written as
 * integers when whole ("5", not "5.0" on 5.4), others in the fewest digits
 * that read back as the same double ("0.1").
 * The arrays live in a userdata left on the stack (freed by the GC). */
static void collect_args(lua_State *L, int first, tt_rargs *a) {
  int i, top = lua_gettop(L);
  a->argc = top - first + 1;
  if (a->argc < 1) luaL_error(L, "tingting.redis: a command needs at least its name");
  a->argv = lua_newuserdata(L, (size_t)a->argc * (sizeof *a->argv + sizeof *a->lens));
  a->lens = (size_t *)(void *)(a->argv + a->argc);
  for (i = first; i <= top; i++) {
    int t = lua_type(L, i);
    if (t == LUA_TNUMBER) {
      char buf[64];
      lua_Number n = lua_tonumber(L, i);
      if (n != n || n - n != 0) luaL_argerror(L, i, "a finite number expected");
      if (tt_isinteger(L, i)) {
        snprintf(buf, sizeof buf, "%lld", tt_tolonglong(L, i));
      } else { /* the shortest form that reads back as the same double */
        int prec;
        for (prec = 15; prec < 17; prec++) {
          snprintf(buf, sizeof buf, "%.*g", prec, (double)n);
          if (strtod(buf, NULL) == (double)n) break;
        }
        if (prec == 17) snprintf(buf, sizeof buf, "%.17g", (double)n);
      }
      lua_pushstring(L, buf);
      lua_replace(L, i);
    } else if (t != LUA_TSTRING) {
      luaL_argerror(L, i, "string or number expected");
    }
    a->argv[i - first] = lua_tolstring(L, i, &a->lens[i - first]);
  }
}

/* core.redis_format(arg, ...) -> the command's bytes (RESP) */
static int redis_format(lua_State *L) {
  tt_rargs a;
  char *cmd = NULL;
  int len;
  collect_args(L, 1, &a);
  len = redisFormatCommandArgv(&cmd, a.argc, a.argv, a.lens);
  if (len < 0 || cmd == NULL) return luaL_error(L, "tingting.redis: out of memory");
  lua_pushlstring(L, cmd, (size_t)len);
  redisFreeCommand(cmd);
  return 1;
}

static size_t opt_max_bytes(lua_State *L, int idx) {
  size_t max = TT_REDIS_MAX_BYTES;
  if (lua_istable(L, idx)) {
    lua_getfield(L, idx, "max_bytes");
    if (!lua_isnil(L, -1)) {
      if (!tt_isinteger(L, -1) || lua_tonumber(L, -1) < 16 || lua_tonumber(L, -1) > 1e12)
        luaL_error(L, "tingting.redis: max_bytes: expected an integer from 16 to 1e12");
      max = (size_t)lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
  }
  return max;
}

/* ---- reader ---- */

typedef struct tt_rreader {
  redisReader *r;
  redisReply *pending;
  size_t fed;       /* bytes fed towards replies not yet taken */
  int overflow;     /* fed more than max_bytes towards one reply */
  tt_rpriv priv;
} tt_rreader;

static tt_rreader *reader_check(lua_State *L) {
  tt_rreader *rd = luaL_checkudata(L, 1, TT_REDIS_READER_MT);
  if (rd->r == NULL) luaL_error(L, "tingting.redis_reader: closed");
  return rd;
}

/* core.redis_reader([{max_bytes =}]) -> reader */
static int reader_new(lua_State *L) {
  size_t max = opt_max_bytes(L, 1);
  tt_rreader *rd = tt_newuserdata(L, sizeof *rd);
  memset(rd, 0, sizeof *rd);
  luaL_setmetatable(L, TT_REDIS_READER_MT);
  rd->r = redisReaderCreate();
  if (rd->r == NULL) return luaL_error(L, "tingting.redis: out of memory");
  priv_install(&rd->priv, rd->r, max);
  return 1;
}

static int reader_close(lua_State *L) {
  tt_rreader *rd = luaL_checkudata(L, 1, TT_REDIS_READER_MT);
  if (rd->pending) freeReplyObject(rd->pending);
  rd->pending = NULL;
  if (rd->r) redisReaderFree(rd->r);
  rd->r = NULL;
  return 0;
}

static int overflow_error(lua_State *L, tt_rreader *rd) {
  char msg[96];
  snprintf(msg, sizeof msg, "reply too large: more than %lu bytes", (unsigned long)rd->priv.max_bytes);
  return fail3(L, msg, "protocol");
}

/* reader:feed(bytes) -> true | nil, err, "protocol" */
static int reader_feed(lua_State *L) {
  tt_rreader *rd = reader_check(L);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  if (rd->overflow) return overflow_error(L, rd);
  if (rd->r->err) return fail3(L, reader_error(&rd->priv, rd->r), "protocol");
  if (len > rd->priv.max_bytes - rd->fed) {
    rd->overflow = 1;
    return overflow_error(L, rd);
  }
  if (redisReaderFeed(rd->r, s, len) != REDIS_OK) return fail3(L, "out of memory", "protocol");
  rd->fed += len;
  lua_pushboolean(L, 1);
  return 1;
}

/* reader:get() -> value | nil (needs more bytes) | nil, err, kind */
static int reader_get(lua_State *L) {
  tt_rreader *rd = reader_check(L);
  void *reply = NULL;
  if (rd->overflow) return overflow_error(L, rd);
  if (redisReaderGetReply(rd->r, &reply) != REDIS_OK)
    return fail3(L, reader_error(&rd->priv, rd->r), "protocol");
  if (reply == NULL) {
    lua_pushnil(L);
    return 1;
  }
  rd->pending = reply;
  rd->fed = rd->r->len - rd->r->pos;
  return return_reply(L, &rd->pending);
}

static int reader_tostring(lua_State *L) {
  tt_rreader *rd = luaL_checkudata(L, 1, TT_REDIS_READER_MT);
  lua_pushstring(L, rd->r ? "tingting.redis_reader" : "tingting.redis_reader{closed}");
  return 1;
}

/* ---- blocking connection (plain Lua only) ---- */

typedef struct tt_rconn {
  redisContext *c;
  redisReply *pending;
  int closed;       /* by conn:close(): using it is a programmer error */
  char broken[256]; /* why it failed; "" while usable */
  char where[80];   /* "127.0.0.1:6379" */
  tt_rpriv priv;
} tt_rconn;

static void conn_free(tt_rconn *k) {
  if (k->pending) freeReplyObject(k->pending);
  k->pending = NULL;
  if (k->c) redisFree(k->c);
  k->c = NULL;
}

static int conn_close(lua_State *L) {
  tt_rconn *k = luaL_checkudata(L, 1, TT_REDIS_CONN_MT);
  conn_free(k);
  k->closed = 1;
  return 0;
}

static struct timeval seconds_tv(double secs) {
  struct timeval tv;
  tv.tv_sec = (time_t)secs;
  tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
  return tv;
}

/* A hiredis context error: its message and kind ("timeout" when the
 * socket's timeout ran out, which hiredis reports as EAGAIN). */
static const char *context_kind(const redisContext *c, int saved_errno, const tt_rpriv *p) {
  if (p != NULL && p->refused[0]) return "protocol";
  if (c->err == REDIS_ERR_PROTOCOL || c->err == REDIS_ERR_OOM) return "protocol";
  if (c->err == REDIS_ERR_IO &&
      (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK || saved_errno == ETIMEDOUT || saved_errno == EINPROGRESS))
    return "timeout";
  if (strstr(c->errstr, "timed out") != NULL) return "timeout";
  return "network";
}

static const char *opt_str(lua_State *L, const char *k, const char *dflt) {
  const char *s = dflt;
  lua_getfield(L, 1, k);
  if (lua_type(L, -1) == LUA_TSTRING) s = lua_tostring(L, -1);
  else if (!lua_isnil(L, -1)) luaL_error(L, "tingting.redis: %s: expected a string", k);
  lua_pop(L, 1); /* the options table keeps it */
  return s;
}

static double opt_num(lua_State *L, const char *k, double dflt, double lo, double hi) {
  double v = dflt;
  lua_getfield(L, 1, k);
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) >= lo && lua_tonumber(L, -1) <= hi))
      luaL_error(L, "tingting.redis: %s: expected a number from %f to %f", k, lo, hi);
    v = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

/* core.redis_connect{host =, port =, timeout =, max_bytes =} -> conn | nil, err, kind */
static int conn_new(lua_State *L) {
  const char *host;
  int port, saved;
  double timeout;
  size_t max;
  tt_rconn *k;
  struct timeval tv;
  luaL_checktype(L, 1, LUA_TTABLE);
  host = opt_str(L, "host", "127.0.0.1");
  port = (int)opt_num(L, "port", 6379, 1, 65535);
  timeout = opt_num(L, "timeout", 1, 0.001, 86400);
  max = opt_max_bytes(L, 1);
  k = tt_newuserdata(L, sizeof *k);
  memset(k, 0, sizeof *k);
  luaL_setmetatable(L, TT_REDIS_CONN_MT);
  snprintf(k->where, sizeof k->where, "%.60s:%d", host, port);
  tv = seconds_tv(timeout);
  errno = 0;
  k->c = redisConnectWithTimeout(host, port, tv);
  saved = errno;
  if (k->c == NULL) return luaL_error(L, "tingting.redis: out of memory");
  if (k->c->err) {
    char msg[320];
    const char *kind = context_kind(k->c, saved, NULL);
    snprintf(msg, sizeof msg, "cannot connect to Redis at %s: %s", k->where, k->c->errstr);
    conn_free(k);
    k->closed = 1;
    return fail3(L, msg, kind);
  }
  if (redisSetTimeout(k->c, tv) != REDIS_OK) {
    char msg[320];
    snprintf(msg, sizeof msg, "cannot set the timeout of a connection to Redis at %s: %s", k->where, k->c->errstr);
    conn_free(k);
    k->closed = 1;
    return fail3(L, msg, "network");
  }
  priv_install(&k->priv, k->c->reader, max);
  return 1;
}

/* conn:command(arg, ...) -> value | nil, err, kind. After a network,
 * timeout or protocol failure the connection is dropped (hiredis' context
 * cannot be trusted any more): later commands fail at once, and the store
 * makes a new connection. */
static int conn_command(lua_State *L) {
  tt_rconn *k = luaL_checkudata(L, 1, TT_REDIS_CONN_MT);
  tt_rargs a;
  void *reply;
  int saved;
  if (k->closed) return luaL_error(L, "tingting.redis_conn: closed");
  if (k->broken[0]) return fail3(L, k->broken, "network");
  collect_args(L, 2, &a);
  k->priv.refused[0] = '\0';
  errno = 0;
  reply = redisCommandArgv(k->c, a.argc, a.argv, a.lens);
  saved = errno;
  if (reply == NULL) {
    const char *kind = context_kind(k->c, saved, &k->priv);
    const char *why = k->priv.refused[0] ? k->priv.refused : k->c->errstr;
    if (strcmp(kind, "timeout") == 0) why = "timed out";
    snprintf(k->broken, sizeof k->broken, "Redis at %s: %s", k->where, why);
    conn_free(k);
    return fail3(L, k->broken, kind);
  }
  k->pending = reply;
  return return_reply(L, &k->pending);
}

/* conn:usable() -> whether commands can still go through it */
static int conn_usable(lua_State *L) {
  tt_rconn *k = luaL_checkudata(L, 1, TT_REDIS_CONN_MT);
  lua_pushboolean(L, !k->closed && !k->broken[0] && k->c != NULL);
  return 1;
}

static int conn_tostring(lua_State *L) {
  tt_rconn *k = luaL_checkudata(L, 1, TT_REDIS_CONN_MT);
  lua_pushfstring(L, "tingting.redis_conn{%s%s}", k->where, k->closed ? ", closed" : k->broken[0] ? ", broken" : "");
  return 1;
}

/* Create or reuse (a second require) metatable `name`; methods in __index. */
static void redis_class(lua_State *L, const char *name, const luaL_Reg *mm, const luaL_Reg *methods) {
  luaL_newmetatable(L, name);
  luaL_setfuncs(L, mm, 0);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushstring(L, name);
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);
}

void tt_redis_open(lua_State *L) {
  static const luaL_Reg reader_mm[] = {
      {"__gc", reader_close}, {"__close", reader_close}, {"__tostring", reader_tostring}, {NULL, NULL}};
  static const luaL_Reg reader_methods[] = {
      {"feed", reader_feed}, {"get", reader_get}, {"close", reader_close}, {NULL, NULL}};
  static const luaL_Reg conn_mm[] = {
      {"__gc", conn_close}, {"__close", conn_close}, {"__tostring", conn_tostring}, {NULL, NULL}};
  static const luaL_Reg conn_methods[] = {
      {"command", conn_command}, {"usable", conn_usable}, {"close", conn_close}, {NULL, NULL}};
  static const luaL_Reg fns[] = {
      {"redis_format", redis_format}, {"redis_reader", reader_new}, {"redis_connect", conn_new}, {NULL, NULL}};
  redis_class(L, TT_REDIS_READER_MT, reader_mm, reader_methods);
  redis_class(L, TT_REDIS_CONN_MT, conn_mm, conn_methods);
  luaL_setfuncs(L, fns, 0);
}
