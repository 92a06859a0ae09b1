/* What the files of the libcurl transport share, private to them:
 * transport.c (the Lua object, t:request), multi.c (t:many's batches),
 * request.c (what a request table may hold), xfer.c (a request table to a
 * configured easy handle) and finish.c (a finished transfer back to Lua). */
#ifndef TINGTING_CURL_INTERNAL_H
#define TINGTING_CURL_INTERNAL_H

#include "../compat.h"
#include "../util.h"
#include <curl/curl.h>
#include <stdio.h>

#define TT_CURL_MT "tingting.curl"


/* CURLOPT_PROTOCOLS_STR needs 7.85, CURLOPT_PREREQFUNCTION 7.80. */
#if LIBCURL_VERSION_NUM < 0x075500
#error "tingting needs libcurl 7.85 or newer"
#endif

#pragma GCC visibility push(hidden)

/* A request body we own, read out by libcurl. `rewind` says whether
 * libcurl may seek back to replay it (see xfer.c on resends). */
typedef struct tt_src {
  const char *p;
  size_t len, off;
  int rewind;
} tt_src;

/* What tt_req_check read from a request table (strings held by the table). */
typedef struct tt_reqv {
  const char *method, *url, *body, *sink; /* body, sink: NULL when absent */
  size_t body_len, sink_len;
  int idem;                 /* idempotent: 1, 0, or -1 when the table does not say */
  int form;                 /* has a form */
  int ctype;                /* the headers set Content-Type */
  double timeout, connect_timeout; /* 0 when the table does not say */
  size_t max_body;          /* 0 when the table does not say */
  tt_buf *lines;            /* receives "Name: value\0" per header */
} tt_reqv;

/* Transport settings, shared by every easy handle of a transport. */
typedef struct tt_opts {
  double timeout, connect_timeout; /* seconds */
  size_t max_body;
  int insecure;
  int http2;                       /* offer h2 over https, multiplex t:many() */
  char *ca_file, *user_agent;      /* malloc'd; NULL = none / default */
} tt_opts;

/* One easy handle and the state of the transfer it runs. Everything a
 * request allocates hangs here, so a Lua error at any point leaves nothing
 * unowned: the next setup or tt_xfer_free releases it. */
typedef struct tt_xfer {
  CURL *easy;
  /* The header list stays on the handle from one request to the next while
   * the header lines are the same: hlines holds the lines it was made of,
   * want those of the request being set up. */
  struct curl_slist *headers;
  tt_buf hlines, want;
  curl_mime *mime;
  tt_buf send;          /* copy of the body in t:many(): Lua may collect the original */
  tt_src body;
  tt_buf data;          /* answer body kept in memory */
  tt_buf head;          /* header lines of the latest response */
  size_t max_body;      /* the answer's cap, in memory or in the sink */
  size_t written;       /* bytes written to the sink */
  long connects;        /* connections this handle opened, over its life */
  char *sink;           /* copy of req.sink (malloc'd, also holds part) */
  char *part;           /* sink .. ".part", NULL without sink */
  FILE *file;           /* open .part while a 2xx body streams to it */
  int decided;          /* first body byte seen: memory or file chosen */
  int prereqs;          /* times libcurl was about to send the request */
  int once;             /* a body request that libcurl may not resend */
  const char *fail;     /* our own reason for aborting, or NULL */
  int fail_errno;
  int index;            /* multi.c: 1-based index in the batch, 0 = idle */
  char errbuf[CURL_ERROR_SIZE];
} tt_xfer;

typedef struct tt_transport {
  tt_xfer one;          /* t:request(); one.easy == NULL once closed */
  tt_opts o;
  CURLM *multi;         /* t:many(), created on first use, kept for keep-alive */
  tt_xfer *pool;
  int npool;
  int busy;             /* inside t:many() */
  int closed;
} tt_transport;

/* Our reasons for aborting a transfer (x->fail, compared by address): the
 * answer is too large; libcurl was about to resend a request that goes once. */
extern const char TT_FAIL_MAX_BODY[];
extern const char TT_FAIL_RESEND[];

/* request.c: raises on a malformed request table (a programmer error); n >
 * 0 names it reqs[n] in messages. With v, also returns what it read and
 * lays out the header lines, in one pass. */
void tt_req_check(lua_State *L, int idx, int n, tt_reqv *v); /* v may be NULL */
/* Raw t[k] pushed, its type returned (see request.c). */
int tt_req_field(lua_State *L, int idx, const char *k);

/* xfer.c */
CURLcode tt_xfer_init(tt_xfer *x, const tt_opts *o);
FILE *tt_open_part(const char *part); /* a download's .part file, 0600, never through a link */
void tt_xfer_free(tt_xfer *x);
void tt_xfer_clear(tt_xfer *x);
/* copy_body: keep a copy of the body, for when Lua code runs (and may drop
 * the request table) before the transfer is over */
CURLcode tt_xfer_setup(lua_State *L, tt_xfer *x, const tt_opts *o, int idx, int n, int copy_body);

/* finish.c: pushes `status, body, headers` (returns 3) or `nil, err`
 * (returns 2) and releases what the request held */
int tt_xfer_finish(lua_State *L, tt_xfer *x, CURLcode rc);

/* multi.c: t:many for transport.c, which has checked t is open; returns
 * lua_pcall's status (the error on the stack when not 0). tt_multi_free
 * releases the multi handle and its pool. */
int tt_multi_run(lua_State *L, tt_transport *t);
void tt_multi_free(tt_transport *t);

#pragma GCC visibility pop

#endif
