/* The floor for bench/percall.lua: the same sequential keep-alive requests
 * with bare libcurl, discarding the body. Usage:
 *   bare_curl URL N TOKEN [POST_BODY]   -> prints wall and CPU seconds */
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

int main(int argc, char **argv) {
  CURL *h;
  struct curl_slist *hdrs = NULL;
  char auth[4096];
  struct timespec a, b;
  long i, n;
  if (argc < 4) {
    fprintf(stderr, "usage: bare_curl URL N TOKEN [POST_BODY]\n");
    return 2;
  }
  n = atol(argv[2]);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  h = curl_easy_init();
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", argv[3]);
  hdrs = curl_slist_append(hdrs, auth);
  hdrs = curl_slist_append(hdrs, "Accept: application/json");
  if (argc > 4) {
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, argv[4]);
  }
  curl_easy_setopt(h, CURLOPT_URL, argv[1]);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  clock_t c0;
  clock_gettime(CLOCK_MONOTONIC, &a);
  c0 = clock();
  for (i = 0; i < n; i++) {
    long code = 0;
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK || code >= 300) {
      fprintf(stderr, "request %ld failed: %s %ld\n", i, curl_easy_strerror(rc), code);
      return 1;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.6f %.6f\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
         (double)(clock() - c0) / CLOCKS_PER_SEC);
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(h);
  curl_global_cleanup();
  return 0;
}
