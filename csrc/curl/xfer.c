/* One HTTP request over a libcurl easy handle: a Lua request table in, a
 * configured handle (the finished transfer goes back to Lua in finish.c).
 * Shared by t:request (transport.c) and t:many (multi.c).
 *
 * No Lua runs while libcurl runs: the callbacks below only fill C buffers,
 * and Lua values are built from them after the transfer has finished. */
#include "internal.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Cap on the header lines of one answer (libcurl caps each line at 100 KB). */
#define TT_MAX_HEAD (256u * 1024u)
/* Buffers grown past this by one large answer are released afterwards. */
#define TT_KEEP_BUF (1024u * 1024u)

const char TT_FAIL_MAX_BODY[] = "max_body";
const char TT_FAIL_RESEND[] = "resend";

/* libcurl callbacks: C only, never a Lua call ----------------------------- */

static size_t on_read(char *dst, size_t size, size_t n, void *ud) {
  tt_src *s = ud;
  size_t left = s->len - s->off, want = size * n;
  if (want > left) want = left;
  memcpy(dst, s->p + s->off, want);
  s->off += want;
  return want;
}

/* Refusing to seek is what stops libcurl from replaying a body it has
 * already sent (see "Resends" below). */
static int on_seek(void *ud, curl_off_t offset, int origin) {
  tt_src *s = ud;
  if (!s->rewind) return CURL_SEEKFUNC_CANTSEEK;
  if (origin != SEEK_SET || offset < 0 || (curl_off_t)s->len < offset) return CURL_SEEKFUNC_FAIL;
  s->off = (size_t)offset;
  return CURL_SEEKFUNC_OK;
}

/* Called once per attempt, after connecting (TCP, TLS, proxy) and before
 * the first request byte is written: while it has never been called, the
 * server cannot have seen this request. That is the only sound basis for
 * err.sent = false; error codes alone cannot tell a first attempt from an
 * internal retry. A second call is libcurl about to resend the request,
 * which a request sent only once refuses (see "Resends" below). */
static int on_prereq(void *ud, char *ip, char *local, int port, int lport) {
  tt_xfer *x = ud;
  (void)ip, (void)local, (void)port, (void)lport;
  if (x->once && x->prereqs > 0) {
    x->fail = TT_FAIL_RESEND;
    return CURL_PREREQFUNC_ABORT;
  }
  x->prereqs++;
  return CURL_PREREQFUNC_OK;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  tt_xfer *x = ud;
  size_t len = size * n;
  /* A status line starts a new response: 1xx interim answers and proxy
   * CONNECT answers are forgotten, only the final one is returned. */
  if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) x->head.len = 0;
  if (x->head.len + len > TT_MAX_HEAD) {
    x->fail = "the answer's headers exceeded 256 KB";
    return 0;
  }
  if (tt_buf_add(&x->head, p, len) != 0) {
    x->fail = "out of memory";
    return 0;
  }
  return len;
}

/* The .part file of a download: reports hold phone numbers, so the file is
 * the user's alone (0600), and it is created anew: a stale one (ours, from a
 * crash) goes first, and a link planted at the name after that makes O_EXCL
 * fail instead of writing through it. NULL with errno on failure. */
FILE *tt_open_part(const char *part) {
  FILE *f;
  int fd;
  unlink(part);
  fd = open(part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return NULL;
  if (fchmod(fd, 0600) != 0 || (f = fdopen(fd, "wb")) == NULL) {
    int e = errno;
    close(fd);
    unlink(part);
    errno = e;
    return NULL;
  }
  return f;
}

static size_t on_write(char *p, size_t size, size_t n, void *ud) {
  tt_xfer *x = ud;
  size_t len = size * n;
  if (!x->decided) {
    /* Headers are complete at the first body byte: only a 2xx answer goes
     * to the sink, an error answer stays in memory for the caller to parse. */
    long status = 0;
    x->decided = 1;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (x->part != NULL && status >= 200 && status < 300) {
      x->file = tt_open_part(x->part);
      if (x->file == NULL) {
        x->fail = "cannot open the sink file";
        x->fail_errno = errno;
        return 0;
      }
    }
  }
  if (x->file != NULL) {
    if (len > x->max_body - x->written) {
      x->fail = TT_FAIL_MAX_BODY;
      return 0;
    }
    x->written += len;
    if (len > 0 && fwrite(p, 1, len, x->file) != len) {
      x->fail = "cannot write the sink file";
      x->fail_errno = errno;
      return 0;
    }
    return len;
  }
  if (len > x->max_body - x->data.len) {
    x->fail = TT_FAIL_MAX_BODY;
    return 0;
  }
  if (tt_buf_add(&x->data, p, len) != 0) {
    x->fail = "out of memory";
    return 0;
  }
  return len;
}

/* Handle lifetime -------------------------------------------------------- */

#define SET(opt, val)                                                    \
  do {                                                                   \
    if ((rc = curl_easy_setopt(e, (opt), (val))) != CURLE_OK) goto fail; \
  } while (0)

/* Options that hold for every request of the transport; per-request ones
 * are all (re)set by tt_xfer_setup so nothing leaks between requests. */
CURLcode tt_xfer_init(tt_xfer *x, const tt_opts *o) {
  CURLcode rc;
  CURL *e = curl_easy_init();
  if (e == NULL) return CURLE_OUT_OF_MEMORY;
  x->easy = e;
  SET(CURLOPT_NOSIGNAL, 1L); /* threads, nginx: no SIGALRM for DNS timeouts */
  SET(CURLOPT_ERRORBUFFER, x->errbuf);
  SET(CURLOPT_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_FOLLOWLOCATION, 0L);
  SET(CURLOPT_TCP_NODELAY, 1L);
  SET(CURLOPT_TCP_KEEPALIVE, 1L);
  SET(CURLOPT_ACCEPT_ENCODING, (char *)NULL); /* bodies byte-exact, no inflate */
  SET(CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
  SET(CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
  if (o->ca_file != NULL) SET(CURLOPT_CAINFO, o->ca_file);
  SET(CURLOPT_USERAGENT, o->user_agent);
  /* h2 where the server offers it over TLS (ALPN), else HTTP/1.1; a transfer
   * of a batch waits for a connection that may multiplex rather than open
   * its own. Plain http stays HTTP/1.1 (no h2c upgrade dance). */
  SET(CURLOPT_HTTP_VERSION, o->http2 ? (long)CURL_HTTP_VERSION_2TLS : (long)CURL_HTTP_VERSION_1_1);
  SET(CURLOPT_PIPEWAIT, o->http2 ? 1L : 0L);
  SET(CURLOPT_WRITEFUNCTION, on_write);
  SET(CURLOPT_WRITEDATA, x);
  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_HEADERDATA, x);
  SET(CURLOPT_READFUNCTION, on_read);
  SET(CURLOPT_READDATA, &x->body);
  SET(CURLOPT_SEEKFUNCTION, on_seek);
  SET(CURLOPT_SEEKDATA, &x->body);
  SET(CURLOPT_PREREQFUNCTION, on_prereq);
  SET(CURLOPT_PREREQDATA, x);
  SET(CURLOPT_PRIVATE, x);
  return CURLE_OK;
fail:
  curl_easy_cleanup(e);
  x->easy = NULL;
  return rc;
}

static void drop_headers(tt_xfer *x) {
  if (x->headers != NULL) {
    if (x->easy != NULL) curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    curl_slist_free_all(x->headers);
    x->headers = NULL;
  }
  tt_buf_free(&x->hlines);
  tt_buf_free(&x->want);
}

/* Releases what one request holds; an unfinished sink file is removed. */
void tt_xfer_clear(tt_xfer *x) {
  if (x->mime != NULL) {
    /* libcurl keeps the pointer: detach before freeing. */
    if (x->easy != NULL) curl_easy_setopt(x->easy, CURLOPT_MIMEPOST, (curl_mime *)NULL);
    curl_mime_free(x->mime);
    x->mime = NULL;
  }
  /* The header list outlives the request (see tt_xfer_setup), unless one
   * request's large headers would be kept. */
  if (x->hlines.cap > TT_KEEP_BUF || x->want.cap > TT_KEEP_BUF) drop_headers(x);
  if (x->file != NULL) {
    fclose(x->file);
    x->file = NULL;
    remove(x->part);
  }
  free(x->sink);
  x->sink = x->part = NULL;
  tt_buf_reset(&x->send, TT_KEEP_BUF);
  tt_buf_reset(&x->data, TT_KEEP_BUF);
  tt_buf_reset(&x->head, TT_KEEP_BUF);
  x->body.p = NULL;
  x->body.len = x->body.off = 0;
  x->decided = x->prereqs = x->fail_errno = x->once = 0;
  x->written = 0;
  x->fail = NULL;
  x->errbuf[0] = '\0';
}

void tt_xfer_free(tt_xfer *x) {
  tt_xfer_clear(x);
  drop_headers(x);
  if (x->easy != NULL) curl_easy_cleanup(x->easy);
  x->easy = NULL;
  tt_buf_free(&x->send);
  tt_buf_free(&x->data);
  tt_buf_free(&x->head);
}

/* Setting up a request --------------------------------------------------- */

static long to_ms(double s) {
  double ms = s * 1000.0 + 0.5;
  if (ms >= 2147483647.0) return 2147483647L;
  return ms < 1.0 ? 1L : (long)ms;
}

/* Puts the header lines laid out in x->want on the handle. The list of
 * the previous request stays when the lines are the same (they mostly are:
 * Accept, Authorization, Content-Type), which spares a list of allocations
 * per request. A list is only freed once the handle holds its successor. */
static CURLcode set_headers(tt_xfer *x) {
  struct curl_slist *list = NULL, *l;
  const char *p = x->want.p, *end = p != NULL ? p + x->want.len : NULL; /* no headers yet: NULL */
  CURLcode rc;
  tt_buf swap;
  if (x->want.len == x->hlines.len && (x->want.len == 0 || memcmp(x->want.p, x->hlines.p, x->want.len) == 0))
    return CURLE_OK;
  for (; p < end; p += strlen(p) + 1) {
    if ((l = curl_slist_append(list, p)) == NULL) {
      curl_slist_free_all(list);
      return CURLE_OUT_OF_MEMORY;
    }
    list = l;
  }
  if ((rc = curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, list)) != CURLE_OK) {
    curl_slist_free_all(list);
    return rc;
  }
  curl_slist_free_all(x->headers);
  x->headers = list;
  swap = x->hlines;
  x->hlines = x->want;
  x->want = swap;
  return CURLE_OK;
}

/* Value parts of a non-idempotent form are read through a callback that
 * refuses to seek, like the raw body (see "Resends"); *locked counts them. */
static CURLcode build_form(lua_State *L, tt_xfer *x, int idx, int rewind, int *locked) {
  int top = lua_gettop(L), form, part;
  size_t i, len;
  CURLcode rc = CURLE_OK;
  tt_req_field(L, idx, "form");
  form = lua_gettop(L);
  len = lua_rawlen(L, form);
  x->mime = curl_mime_init(x->easy);
  if (x->mime == NULL) return CURLE_OUT_OF_MEMORY;
  for (i = 1; rc == CURLE_OK && i <= len; i++) {
    curl_mimepart *p = curl_mime_addpart(x->mime);
    lua_rawgeti(L, form, (int)i);
    part = lua_gettop(L);
    if (p == NULL) {
      rc = CURLE_OUT_OF_MEMORY;
      break;
    }
    tt_req_field(L, part, "name");
    rc = curl_mime_name(p, lua_tostring(L, -1));
    if (rc == CURLE_OK && tt_req_field(L, part, "file") == LUA_TSTRING) {
      const char *path = lua_tostring(L, -1);
      if (curl_mime_filedata(p, path) != CURLE_OK) {
        /* 7.88 stats the file here; name the reason, not just READ_ERROR. */
        x->fail = "cannot read a form file";
        x->fail_errno = errno;
        rc = CURLE_READ_ERROR;
      }
      if (rc == CURLE_OK && tt_req_field(L, part, "filename") == LUA_TSTRING)
        rc = curl_mime_filename(p, lua_tostring(L, -1));
      if (rc == CURLE_OK && tt_req_field(L, part, "type") == LUA_TSTRING)
        rc = curl_mime_type(p, lua_tostring(L, -1));
    } else if (rc == CURLE_OK) {
      size_t vlen;
      const char *v;
      tt_req_field(L, part, "value");
      v = lua_tolstring(L, -1, &vlen);
      if (rewind) {
        rc = curl_mime_data(p, v, vlen);
      } else {
        tt_src *s = malloc(sizeof *s + vlen + 1);
        if (s == NULL) {
          rc = CURLE_OUT_OF_MEMORY;
        } else {
          s->p = (const char *)(s + 1);
          memcpy(s + 1, v, vlen);
          s->len = vlen;
          s->off = 0;
          s->rewind = 0;
          /* the part owns s from here on: the mime frees it with free() */
          rc = curl_mime_data_cb(p, (curl_off_t)vlen, on_read, on_seek, free, s);
          (*locked)++;
        }
      }
    }
    lua_settop(L, part - 1);
  }
  lua_settop(L, top);
  return rc;
}

/* Resends. libcurl 7.88 replays a request by itself when it went out on a
 * reused keep-alive connection and not one answer byte came back
 * (Curl_retry_request, lib/transfer.c): the connection may have been closed
 * by the server while idle. But the server may also have received and
 * processed the request and died (or been cut off) before answering; for a
 * non-idempotent request (send an OTP, begin a campaign) the replay then
 * acts twice. A body (CURLOPT_POSTFIELDS, sent with the headers in one
 * write) is replayed silently, but every attempt first passes
 * CURLOPT_PREREQFUNCTION, and ours refuses a second attempt of a
 * non-idempotent request: the transfer fails instead of replaying, and is
 * reported as an ambiguous failure (sent = true, code
 * CURLE_SEND_FAIL_REWIND). A mime body must first rewind (Curl_readrewind):
 * its value parts go through CURLOPT_SEEKFUNCTION, ours answers
 * CURL_SEEKFUNC_CANTSEEK for a non-idempotent request, and one unrewindable
 * part makes the whole form unrewindable (CURLE_SEND_FAIL_REWIND). A
 * non-idempotent request with no body byte of ours (no body, an empty one,
 * a form of files only) takes a fresh connection, on which libcurl never
 * replays. Idempotent requests keep libcurl's replay, which is what makes
 * keep-alive reliable. spec/curl_transport_spec.lua and
 * spec/retry_policy_spec.lua prove both cases against a server that
 * processes the request and closes without answering. */
CURLcode tt_xfer_setup(lua_State *L, tt_xfer *x, const tt_opts *o, int idx, int n, int copy_body) {
  CURL *e = x->easy;
  CURLcode rc = CURLE_OK;
  int top = lua_gettop(L), idem, form, raw, locked = 0, fresh;
  tt_reqv v;
  memset(&v, 0, sizeof v);
  idx = lua_absindex(L, idx);
  tt_xfer_clear(x);
  tt_buf_reset(&x->want, TT_KEEP_BUF);
  v.lines = &x->want;
  tt_req_check(L, idx, n, &v);
  /* the request's own cap (the session's max_body, a batch's) wins */
  x->max_body = v.max_body > 0 ? v.max_body : o->max_body;
  if (x->want.oom) return CURLE_OUT_OF_MEMORY;

  if (v.idem >= 0) idem = v.idem;
  else idem = strcmp(v.method, "GET") == 0 || strcmp(v.method, "PUT") == 0 || strcmp(v.method, "DELETE") == 0;

  SET(CURLOPT_URL, v.url);

  if (v.sink != NULL) {
    size_t len = v.sink_len;
    x->sink = malloc(2 * len + 7);
    if (x->sink == NULL) {
      rc = CURLE_OUT_OF_MEMORY;
      goto fail;
    }
    memcpy(x->sink, v.sink, len + 1);
    x->part = x->sink + len + 1;
    memcpy(x->part, v.sink, len);
    memcpy(x->part + len, ".part", 6);
  }

  /* In t:many() Lua code runs between the start and the end of a transfer
   * and could drop the only reference to the body: it is copied there. */
  raw = v.body != NULL;
  if (raw && copy_body) {
    if (tt_buf_add(&x->send, v.body, v.body_len) != 0) {
      rc = CURLE_OUT_OF_MEMORY;
      goto fail;
    }
    x->body.p = x->send.p;
  } else if (raw) {
    x->body.p = v.body;
  }
  x->body.len = raw ? v.body_len : 0;
  x->body.off = 0;
  x->body.rewind = idem;

  form = v.form;
  if (form && (rc = build_form(L, x, idx, idem, &locked)) != CURLE_OK) goto fail;

  /* Every per-request option is set each time: the handle is reused for
   * keep-alive, and nothing may leak from the previous request. A body goes
   * as CURLOPT_POSTFIELDS, with the headers in one write (a read callback
   * made it a second write, and the server a second wakeup). */
  if (form) {
    SET(CURLOPT_POSTFIELDS, (char *)NULL);
    SET(CURLOPT_MIMEPOST, x->mime);
  } else if (raw || (strcmp(v.method, "GET") != 0 && strcmp(v.method, "DELETE") != 0)) {
    raw = 1;
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_POSTFIELDS, x->body.len > 0 ? x->body.p : "");
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body.len);
    x->once = !idem;
  } else {
    SET(CURLOPT_POSTFIELDS, (char *)NULL);
    SET(CURLOPT_HTTPGET, 1L);
  }
  SET(CURLOPT_CUSTOMREQUEST, strcmp(v.method, form || raw ? "POST" : "GET") == 0 ? NULL : v.method);
  fresh = !idem && (form ? locked == 0 : x->body.len == 0);
  SET(CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
  SET(CURLOPT_TIMEOUT_MS, to_ms(v.timeout > 0 ? v.timeout : o->timeout));
  SET(CURLOPT_CONNECTTIMEOUT_MS, to_ms(v.connect_timeout > 0 ? v.connect_timeout : o->connect_timeout));
  /* A body goes at once: waiting for "100 Continue" costs a round trip (or
   * a full second against servers that never send it). A non-form body
   * would otherwise get "Content-Type: application/x-www-form-urlencoded". */
  if ((form || raw) && tt_buf_add(&x->want, "Expect:", 8) != 0) rc = CURLE_OUT_OF_MEMORY;
  if (rc == CURLE_OK && raw && !v.ctype && tt_buf_add(&x->want, "Content-Type:", 14) != 0)
    rc = CURLE_OUT_OF_MEMORY;
  if (rc != CURLE_OK || (rc = set_headers(x)) != CURLE_OK) goto fail;
  lua_settop(L, top);
  return CURLE_OK;
fail:
  lua_settop(L, top);
  return rc;
}
