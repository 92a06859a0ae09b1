/* core.http_response([max_body[, sink]]): a sans-IO HTTP/1.1 response
 * parser for the cosocket transport (lua/tingting/transport/cosocket.lua),
 * over nodejs/http-parser. Lua reads bytes from the socket and feeds them;
 * nothing here does I/O, blocks or calls Lua, so it is safe inside nginx.
 *
 *   local p = core.http_response(max_body, sink)
 *   local done, err, code = p:feed(bytes)  -- bytes = nil: the peer closed
 *   p:status(), p:headers(), p:trailers(), p:body(), p:take(), p:keepalive()
 *
 * What it decides, as the curl transport does: header names lowercased and
 * repeated headers joined with ", " (csrc/curl_finish.c); 1xx interim
 * answers skipped; 1xx, 204 and 304 have no body whatever their headers
 * say; the answer's header section is capped at 256 KB and its body at
 * max_body (a 2xx body streamed to a sink has no cap, as with curl). */
#include "tingting.h"
#include "util.h"
#include <http_parser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TT_HTTP_MT "tingting.http_response"
/* The curl transport's cap on an answer's header lines (curl_req.c). */
#define TT_HTTP_MAX_HEAD (256u * 1024u)
/* Buffers grown past this by one large answer are released when drained. */
#define TT_HTTP_KEEP (1024u * 1024u)

typedef struct hbuf {
  char *p;
  size_t len, cap;
} hbuf;

typedef struct tt_http {
  http_parser p;
  hbuf head;            /* final answer: per header line, a size_t and the
                         * name's bytes, a size_t and the value's (values may
                         * hold any byte, NUL included) */
  hbuf trail;           /* trailers of a chunked body, the same way */
  hbuf body;            /* kept body, or the part not yet taken when streaming */
  size_t max_body;
  size_t head_bytes;    /* status line and header bytes, against the cap */
  int field;            /* 0: no header yet, 1: in a name, 2: in a value */
  size_t lenpos;        /* where the length of that name or value goes */
  int status;           /* final status, 0 until its headers are complete */
  int sink;             /* 2xx bodies stream: take() drains them, no cap */
  int streaming;        /* this answer's body streams */
  int done;             /* the final answer is complete */
  int keepalive;        /* ... and the connection may carry another */
  int extra;            /* bytes came after the answer */
  const char *fail;     /* why parsing stopped (sticky), or NULL */
  const char *code;     /* ... and its short name */
  char msg[160];        /* room for a message of http-parser's */
  int freed;
} tt_http;

static int buf_add(hbuf *b, const char *p, size_t n) {
  if (n == 0) return 0;
  if (n > b->cap - b->len) {
    size_t cap = b->cap ? b->cap : 256;
    char *np;
    while (cap - b->len < n) {
      if (cap > SIZE_MAX / 2) return -1;
      cap *= 2;
    }
    np = realloc(b->p, cap);
    if (np == NULL) return -1;
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->len, p, n);
  b->len += n;
  return 0;
}

static void buf_free(hbuf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

static const char FAIL_HEAD[] = "the answer's headers exceeded 256 KB";
static const char FAIL_MAX_BODY[] = "max_body";
static const char FAIL_OOM[] = "out of memory";
static const char FAIL_UPGRADE[] = "the server switched protocols (101), which was not asked for";

/* http-parser callbacks: C only ----------------------------------------- */

static hbuf *header_target(tt_http *h) { return h->status != 0 ? &h->trail : &h->head; }

static int count_head(tt_http *h, size_t n) {
  if (n > TT_HTTP_MAX_HEAD - h->head_bytes) {
    h->fail = FAIL_HEAD;
    h->code = "header_size";
    return -1;
  }
  h->head_bytes += n;
  return 0;
}

/* Starts a name or a value: room for its length, filled in by close_part. */
static int open_part(tt_http *h, hbuf *b) {
  size_t zero = 0;
  h->lenpos = b->len;
  if (buf_add(b, (const char *)&zero, sizeof zero) != 0) {
    h->fail = FAIL_OOM, h->code = "oom";
    return -1;
  }
  return 0;
}

static void close_part(tt_http *h, hbuf *b) {
  size_t len = b->len - h->lenpos - sizeof len;
  memcpy(b->p + h->lenpos, &len, sizeof len);
}

/* Ends the header line being read: a name gets its (empty) value. */
static int end_line(tt_http *h) {
  hbuf *b = header_target(h);
  int rc = 0;
  if (h->field != 0) close_part(h, b);
  if (h->field == 1 && (rc = open_part(h, b)) == 0) close_part(h, b);
  h->field = 0;
  return rc;
}

static int on_message_begin(http_parser *p) {
  tt_http *h = p->data;
  h->head.len = h->trail.len = 0;
  h->field = 0;
  h->head_bytes = 0;
  return 0;
}

static int on_status(http_parser *p, const char *at, size_t n) {
  (void)at;
  return count_head(p->data, n);
}

static int on_header_field(http_parser *p, const char *at, size_t n) {
  tt_http *h = p->data;
  hbuf *b = header_target(h);
  size_t i, start;
  if (count_head(h, n) != 0) return -1;
  if (h->field != 1) {
    if (h->field == 2) close_part(h, b);
    if (open_part(h, b) != 0) return -1;
    h->field = 1;
  }
  start = b->len;
  if (buf_add(b, at, n) != 0) {
    h->fail = FAIL_OOM, h->code = "oom";
    return -1;
  }
  for (i = start; i < b->len; i++)
    if (b->p[i] >= 'A' && b->p[i] <= 'Z') b->p[i] = (char)(b->p[i] + 32);
  return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n) {
  tt_http *h = p->data;
  hbuf *b = header_target(h);
  if (count_head(h, n) != 0) return -1;
  if (h->field != 2) {
    if (h->field == 1) close_part(h, b);
    else if (open_part(h, b) != 0) return -1; /* a value without a name: an empty one */
    else close_part(h, b);
    if (open_part(h, b) != 0) return -1;
    h->field = 2;
  }
  if (buf_add(b, at, n) != 0) {
    h->fail = FAIL_OOM, h->code = "oom";
    return -1;
  }
  return 0;
}

/* 0: a body may follow; 1: no body (http-parser's F_SKIPBODY). */
static int on_headers_complete(http_parser *p) {
  tt_http *h = p->data;
  int status = (int)p->status_code;
  if (end_line(h) != 0) return -1;
  if (status == 101) {
    h->fail = FAIL_UPGRADE;
    h->code = "upgrade";
    return -1;
  }
  if (status < 200) return 1; /* interim: its message ends here */
  h->status = status;
  h->streaming = h->sink && status >= 200 && status < 300;
  return status == 204 || status == 304 ? 1 : 0;
}

static int on_body(http_parser *p, const char *at, size_t n) {
  tt_http *h = p->data;
  if (!h->streaming && n > h->max_body - h->body.len) {
    h->fail = FAIL_MAX_BODY;
    h->code = "max_body";
    return -1;
  }
  if (buf_add(&h->body, at, n) != 0) {
    h->fail = FAIL_OOM, h->code = "oom";
    return -1;
  }
  return 0;
}

static int on_message_complete(http_parser *p) {
  tt_http *h = p->data;
  if (h->status == 0) return 0; /* an interim answer: the final one follows */
  if (end_line(h) != 0) return -1; /* trailers */
  h->done = 1;
  h->keepalive = http_should_keep_alive(p);
  /* Stop here: bytes after the answer are not another answer of ours. */
  http_parser_pause(p, 1);
  return 0;
}

static const http_parser_settings SETTINGS = {
    on_message_begin, NULL, on_status, on_header_field, on_header_value,
    on_headers_complete, on_body, on_message_complete, NULL, NULL};

/* Lua methods ------------------------------------------------------------ */

static tt_http *check(lua_State *L) {
  tt_http *h = luaL_checkudata(L, 1, TT_HTTP_MT);
  if (h->freed) luaL_error(L, "tingting.http_response: closed");
  return h;
}

/* Pushes nil, message, code for the failure recorded in h (sticky: the
 * parser stops at the first one). */
static int fail(lua_State *L, tt_http *h) {
  h->keepalive = 0;
  lua_pushnil(L);
  if (h->fail == FAIL_MAX_BODY) {
    char msg[96];
    snprintf(msg, sizeof msg, "the answer exceeded max_body (%zu bytes)", h->max_body);
    lua_pushstring(L, msg);
  } else {
    lua_pushstring(L, h->fail);
  }
  lua_pushstring(L, h->code != NULL ? h->code : "malformed");
  return 3;
}

/* p:feed(bytes) -> done | nil, message, code. bytes = nil: the peer closed
 * the connection (the end of a body read until close). After the answer is
 * done, more bytes only mean the connection cannot be kept. */
static int http_feed(lua_State *L) {
  tt_http *h = check(L);
  size_t len = 0, n;
  const char *data = lua_isnoneornil(L, 2) ? NULL : luaL_checklstring(L, 2, &len);
  enum http_errno e;
  if (h->done) {
    if (len > 0) h->extra = 1;
    if (data == NULL) h->keepalive = 0; /* the peer has closed it */
    lua_pushboolean(L, 1);
    return 1;
  }
  if (h->fail != NULL) return fail(L, h);
  if (data != NULL && len == 0) {
    lua_pushboolean(L, 0);
    return 1;
  }
  n = http_parser_execute(&h->p, &SETTINGS, data, len);
  e = HTTP_PARSER_ERRNO(&h->p);
  if (h->done) {
    if (n < len) h->extra = 1;
    if (data == NULL) h->keepalive = 0;
    lua_pushboolean(L, 1);
    return 1;
  }
  if (h->fail != NULL) {
    /* ours, from a callback */
  } else if (e == HPE_INVALID_EOF_STATE || (e == HPE_OK && data == NULL)) {
    h->fail = "the answer was cut off: the connection closed before its end";
    h->code = "eof";
  } else if (e != HPE_OK) {
    snprintf(h->msg, sizeof h->msg, "malformed answer from the server: %s", http_errno_description(e));
    h->fail = h->msg;
    h->code = http_errno_name(e);
  } else {
    lua_pushboolean(L, 0);
    return 1;
  }
  return fail(L, h);
}

/* p:status() -> the final answer's status, or nil before its headers. */
static int http_status(lua_State *L) {
  tt_http *h = check(L);
  if (h->status == 0) lua_pushnil(L);
  else lua_pushinteger(L, h->status);
  return 1;
}

static void push_fields(lua_State *L, const hbuf *b) {
  const char *p = b->p, *end = p != NULL ? p + b->len : NULL;
  int t;
  lua_createtable(L, 0, 8);
  t = lua_gettop(L);
  while (p != NULL && (size_t)(end - p) >= 2 * sizeof(size_t)) {
    const char *name, *v, *ve;
    size_t nlen, vlen;
    memcpy(&nlen, p, sizeof nlen);
    name = p + sizeof nlen;
    memcpy(&vlen, name + nlen, sizeof vlen);
    v = name + nlen + sizeof vlen;
    ve = v + vlen;
    p = ve;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
    if (nlen == 0) continue;
    lua_pushlstring(L, name, nlen);
    lua_pushvalue(L, -1);
    lua_rawget(L, t);
    if (lua_isstring(L, -1)) {
      lua_pushliteral(L, ", ");
      lua_pushlstring(L, v, (size_t)(ve - v));
      lua_concat(L, 3);
    } else {
      lua_pop(L, 1);
      lua_pushlstring(L, v, (size_t)(ve - v));
    }
    lua_rawset(L, t);
  }
}

/* p:headers() -> {name = value}: lowercased names, repeats joined by ", ". */
static int http_headers(lua_State *L) {
  tt_http *h = check(L);
  if (h->status == 0) lua_newtable(L);
  else push_fields(L, &h->head);
  return 1;
}

/* p:trailers() -> the trailer fields of a chunked body, the same way. */
static int http_trailers(lua_State *L) {
  tt_http *h = check(L);
  push_fields(L, &h->trail);
  return 1;
}

/* p:body() -> the body kept so far. */
static int http_body(lua_State *L) {
  tt_http *h = check(L);
  lua_pushlstring(L, h->body.p != NULL ? h->body.p : "", h->body.len);
  return 1;
}

/* p:take() -> the body bytes received since the last take ("" when none). */
static int http_take(lua_State *L) {
  tt_http *h = check(L);
  lua_pushlstring(L, h->body.p != NULL ? h->body.p : "", h->body.len);
  h->body.len = 0;
  if (h->body.cap > TT_HTTP_KEEP) buf_free(&h->body);
  return 1;
}

/* p:streaming() -> whether this answer's body goes to the sink. */
static int http_streaming(lua_State *L) {
  tt_http *h = check(L);
  lua_pushboolean(L, h->streaming);
  return 1;
}

/* p:keepalive() -> whether the connection may carry the next request: the
 * answer is complete, its framing (and Connection) allow it, nothing followed. */
static int http_keepalive(lua_State *L) {
  tt_http *h = check(L);
  lua_pushboolean(L, h->done && h->keepalive && !h->extra && h->fail == NULL);
  return 1;
}

static int http_done(lua_State *L) {
  tt_http *h = check(L);
  lua_pushboolean(L, h->done);
  return 1;
}

/* p:close(), __gc, __close: idempotent. */
static int http_close(lua_State *L) {
  tt_http *h = luaL_checkudata(L, 1, TT_HTTP_MT);
  buf_free(&h->head);
  buf_free(&h->trail);
  buf_free(&h->body);
  h->freed = 1;
  return 0;
}

static int http_tostring(lua_State *L) {
  tt_http *h = luaL_checkudata(L, 1, TT_HTTP_MT);
  if (h->freed) lua_pushliteral(L, "tingting.http_response{closed}");
  else lua_pushfstring(L, "tingting.http_response{status=%d, done=%s}", h->status, h->done ? "true" : "false");
  return 1;
}

/* core.http_response([max_body[, sink]]) -> parser. max_body: bytes
 * (default 64 MiB, the curl transport's); sink: stream 2xx bodies. */
static int http_new(lua_State *L) {
  lua_Number max = (lua_Number)TT_MAX_BODY;
  int sink;
  tt_http *h;
  if (!lua_isnoneornil(L, 1)) {
    if (!tt_isinteger(L, 1) || lua_tonumber(L, 1) < 0)
      return luaL_argerror(L, 1, "max_body: expected a non-negative integer");
    max = lua_tonumber(L, 1);
  }
  sink = lua_toboolean(L, 2);
  h = tt_newuserdata(L, sizeof *h);
  memset(h, 0, sizeof *h);
  luaL_setmetatable(L, TT_HTTP_MT);
  http_parser_init(&h->p, HTTP_RESPONSE);
  h->p.data = h;
  h->max_body = max >= (lua_Number)SIZE_MAX ? SIZE_MAX : (size_t)max;
  h->sink = sink;
  return 1;
}

static const luaL_Reg methods[] = {
    {"feed", http_feed},
    {"status", http_status},
    {"headers", http_headers},
    {"trailers", http_trailers},
    {"body", http_body},
    {"take", http_take},
    {"streaming", http_streaming},
    {"keepalive", http_keepalive},
    {"done", http_done},
    {"close", http_close},
    {NULL, NULL}};

static const luaL_Reg meta[] = {
    {"__gc", http_close},
    {"__close", http_close},
    {"__tostring", http_tostring},
    {NULL, NULL}};

void tt_http_open(lua_State *L) {
  /* http-parser's own cap on a header section is a process-wide setting
   * (80 KB by default); ours is counted above. It stays above ours, so that
   * ours is the one that speaks, and still bounds chunk-size lines, which
   * no callback sees. */
  http_parser_set_max_header_size(2 * TT_HTTP_MAX_HEAD);
  tt_class_with(L, TT_HTTP_MT, meta, methods);
  lua_pushcfunction(L, http_new);
  lua_setfield(L, -2, "http_response");
}
