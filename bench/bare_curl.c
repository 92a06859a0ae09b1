/* The floor for bench/percall.lua and bench/callgrind.sh: the same sequential
 * keep-alive requests with bare libcurl, sending the same request headers as
 * the library (bench/headers.lua reads them off the wire) and discarding the
 * body. One untimed request first opens the connection, as the library's
 * session has one open when it is measured. Usage:
 *   bare_curl URL N [-A USER_AGENT] [-H 'Name: value']... [-d POST_BODY]
 * prints the wall and CPU seconds of the N timed requests. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t discard(char *p, size_t s, size_t n, void *ud) {
  (void)p;
  (void)ud;
  return s * n;
}

static int one(CURL *h, long i) {
  long code = 0;
  CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  if (rc != CURLE_OK || code >= 300) {
    fprintf(stderr, "bare_curl: request %ld failed: %s %ld\n", i, curl_easy_strerror(rc), code);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  CURL *h;
  struct curl_slist *hdrs = NULL;
  struct timespec a, b;
  clock_t c0;
  long i, n;
  int k;
  if (argc < 3) {
    fprintf(stderr, "usage: bare_curl URL N [-A USER_AGENT] [-H HEADER]... [-d POST_BODY] [-C CA_FILE]\n");
    return 2;
  }
  n = atol(argv[2]);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  h = curl_easy_init();
  for (k = 3; k + 1 < argc; k += 2) {
    if (strcmp(argv[k], "-A") == 0) curl_easy_setopt(h, CURLOPT_USERAGENT, argv[k + 1]);
    else if (strcmp(argv[k], "-H") == 0) hdrs = curl_slist_append(hdrs, argv[k + 1]);
    else if (strcmp(argv[k], "-d") == 0) curl_easy_setopt(h, CURLOPT_POSTFIELDS, argv[k + 1]);
    else if (strcmp(argv[k], "-C") == 0) curl_easy_setopt(h, CURLOPT_CAINFO, argv[k + 1]);
    else {
      fprintf(stderr, "bare_curl: unknown option %s\n", argv[k]);
      return 2;
    }
  }
  curl_easy_setopt(h, CURLOPT_URL, argv[1]);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  if (one(h, 0)) return 1;
  clock_gettime(CLOCK_MONOTONIC, &a);
  c0 = clock();
  for (i = 1; i <= n; i++)
    if (one(h, i)) return 1;
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.6f %.6f\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
         (double)(clock() - c0) / CLOCKS_PER_SEC);
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(h);
  curl_global_cleanup();
  return 0;
}
