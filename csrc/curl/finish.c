/* Finishing a transfer: a finished easy handle back to Lua values,
 * `status, body, headers` or `nil, err`, the download moved into place, and
 * everything the request held released. */
#include "internal.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

static void trim_end(char *s) {
  size_t len = strlen(s);
  while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ')) s[--len] = '\0';
}

/* Header names lowercased, repeated headers joined with ", " (RFC 9110
 * 5.3), obsolete line folding joined with a space. */
static void push_headers(lua_State *L, tt_buf *h) {
  char *p = h->p, *end = p != NULL ? p + h->len : NULL, *last = NULL;
  size_t lastlen = 0;
  int t;
  lua_createtable(L, 0, 8);
  t = lua_gettop(L);
  while (p < end) {
    char *eol = memchr(p, '\n', (size_t)(end - p)), *next, *colon, *v, *ve;
    if (eol == NULL) eol = end;
    next = eol < end ? eol + 1 : end;
    ve = eol;
    while (ve > p && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
    if (ve == p || (ve - p >= 5 && memcmp(p, "HTTP/", 5) == 0)) {
      p = next;
      continue;
    }
    if (*p == ' ' || *p == '\t') {
      if (last != NULL) {
        for (v = p; v < ve && (*v == ' ' || *v == '\t'); v++) {}
        lua_pushlstring(L, last, lastlen);
        lua_pushvalue(L, -1);
        lua_rawget(L, t);
        lua_pushliteral(L, " ");
        lua_pushlstring(L, v, (size_t)(ve - v));
        lua_concat(L, 3);
        lua_rawset(L, t);
      }
      p = next;
      continue;
    }
    colon = memchr(p, ':', (size_t)(ve - p));
    if (colon == NULL || colon == p) {
      p = next;
      continue;
    }
    for (v = p; v < colon; v++)
      if (*v >= 'A' && *v <= 'Z') *v = (char)(*v + 32);
    for (v = colon + 1; v < ve && (*v == ' ' || *v == '\t'); v++) {}
    last = p;
    lastlen = (size_t)(colon - p);
    tt_header_add(L, t, p, lastlen, v, (size_t)(ve - v));
    p = next;
  }
}

/* A certificate that does not verify: the same answer on every try. */
static int tls_verify_failed(CURLcode rc) {
  return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM ||
         rc == CURLE_SSL_ISSUER_ERROR || rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH || rc == CURLE_SSL_CRL_BADFILE;
}

/* A handshake answered by something that is not TLS: OpenSSL reads the
 * start of an HTTP answer as a record of a version it does not know. */
static int tls_not_spoken(tt_xfer *x, CURLcode rc) {
  return rc == CURLE_SSL_CONNECT_ERROR &&
         (strstr(x->errbuf, "wrong version number") != NULL || strstr(x->errbuf, "packet length too long") != NULL ||
          strstr(x->errbuf, "record layer failure") != NULL);
}

/* "host:port" of the server the transfer reached, from its URL's host when
 * curl has no address for it. */
static void server_of(tt_xfer *x, char *out, size_t n) {
  char *ip = NULL;
  long port = 0;
  if (curl_easy_getinfo(x->easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip != NULL && ip[0] != '\0' &&
      curl_easy_getinfo(x->easy, CURLINFO_PRIMARY_PORT, &port) == CURLE_OK && port > 0) {
    snprintf(out, n, strchr(ip, ':') != NULL ? "[%s]:%ld" : "%s:%ld", ip, port);
  } else {
    snprintf(out, n, "the server");
  }
}

static int push_error(lua_State *L, tt_xfer *x, CURLcode rc) {
  char msg[CURL_ERROR_SIZE + 256];
  int final = 0; /* another try would fail the same way */
  if (x->fail == TT_FAIL_RESEND) rc = CURLE_SEND_FAIL_REWIND; /* the code it had before POSTFIELDS */
  if (x->fail == NULL && tls_verify_failed(rc)) {
    snprintf(msg, sizeof msg, "TLS certificate verification failed: %s (not retried; give the CA that signed it "
             "as ca_file)", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
    final = 1;
  } else if (x->fail == NULL && tls_not_spoken(x, rc)) {
    char where[80];
    server_of(x, where, sizeof where);
    snprintf(msg, sizeof msg, "TLS handshake failed: %s does not speak https (is base_url http://...?)", where);
    final = 1;
  } else if (x->fail == NULL && rc == CURLE_OPERATION_TIMEDOUT) {
    /* curl's "Operation timed out after 10001 milliseconds with 0 bytes
     * received", said as what happened and which setting ran out */
    char where[80], secs[32];
    curl_off_t us = 0;
    double t;
    curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &us);
    t = (double)us / 1e6;
    snprintf(secs, sizeof secs, t >= 10 ? "%.0f" : "%.2g", t);
    if (x->prereqs > 0) {
      snprintf(msg, sizeof msg, "timed out after %s s waiting for the answer", secs);
    } else {
      server_of(x, where, sizeof where);
      snprintf(msg, sizeof msg, "timed out after %s s connecting to %s", secs, where);
    }
  } else if (x->fail == TT_FAIL_MAX_BODY) {
    snprintf(msg, sizeof msg, "the answer is larger than max_body (%zu bytes)", x->max_body);
  } else if (rc == CURLE_SEND_FAIL_REWIND) {
    snprintf(msg, sizeof msg, "the connection closed without an answer; the request may have "
                              "been processed, and was not resent as it is not idempotent");
  } else if (x->fail != NULL && x->fail_errno != 0 && x->sink != NULL) {
    /* the caller's file, not the network: another try would fail alike */
    snprintf(msg, sizeof msg, "%s %.200s: %s (not retried)", x->fail, x->sink, strerror(x->fail_errno));
    final = 1;
  } else if (x->fail != NULL && x->fail_errno != 0) {
    snprintf(msg, sizeof msg, "%s: %s", x->fail, strerror(x->fail_errno));
  } else if (x->fail != NULL) {
    snprintf(msg, sizeof msg, "%s", x->fail);
  } else {
    /* libcurl's own words; they name hosts and addresses, never headers */
    snprintf(msg, sizeof msg, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
  }
  trim_end(msg);
  lua_pushnil(L);
  lua_createtable(L, 0, 4);
  /* an answer past the cap arrived whole enough to be refused: not a
   * network failure worth another try, but an answer we cannot take */
  lua_pushstring(L, x->fail == TT_FAIL_MAX_BODY ? "decode" : rc == CURLE_OPERATION_TIMEDOUT ? "timeout" : "network");
  lua_setfield(L, -2, "kind");
  lua_pushstring(L, msg);
  lua_setfield(L, -2, "message");
  lua_pushinteger(L, (lua_Integer)rc);
  lua_setfield(L, -2, "code");
  lua_pushboolean(L, x->prereqs > 0);
  lua_setfield(L, -2, "sent");
  if (final) {
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "retryable");
  }
  return 2;
}

/* Moves a finished 2xx download into place; a 2xx with no body still
 * leaves an (empty) file, as the caller asked for one. */
static CURLcode finish_sink(tt_xfer *x) {
  FILE *f = x->file != NULL ? x->file : tt_open_part(x->part);
  x->file = NULL;
  if (f == NULL) {
    x->fail = "cannot open the sink file";
    x->fail_errno = errno;
    return CURLE_WRITE_ERROR;
  }
  if (fclose(f) != 0) {
    x->fail = "cannot write the sink file";
    x->fail_errno = errno;
    remove(x->part);
    return CURLE_WRITE_ERROR;
  }
  if (rename(x->part, x->sink) != 0) {
    x->fail = "cannot rename the sink file into place";
    x->fail_errno = errno;
    remove(x->part);
    return CURLE_WRITE_ERROR;
  }
  return CURLE_OK;
}

/* Pushes `status, body, headers` (returns 3) or `nil, err` (returns 2) and
 * releases what the request held. */
int tt_xfer_finish(lua_State *L, tt_xfer *x, CURLcode rc) {
  long made = 0;
  if (curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &made) == CURLE_OK) x->connects += made;
  long status = 0;
  int sunk = 0, nres;
  if (rc == CURLE_OK) curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
  if (rc == CURLE_OK && x->sink != NULL && status >= 200 && status < 300) {
    rc = finish_sink(x);
    sunk = rc == CURLE_OK;
  }
  if (x->file != NULL) { /* failed midway: no partial file is left */
    fclose(x->file);
    x->file = NULL;
    remove(x->part);
  }
  if (rc != CURLE_OK) {
    nres = push_error(L, x, rc);
  } else {
    lua_pushinteger(L, (lua_Integer)status);
    if (sunk) lua_pushliteral(L, "");
    else lua_pushlstring(L, x->data.p ? x->data.p : "", x->data.len);
    push_headers(L, &x->head);
    nres = 3;
  }
  tt_xfer_clear(x);
  return nres;
}
