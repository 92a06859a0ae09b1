/* libFuzzer: tt_phone_normalize directly, on any bytes of any length. A
 * result is 7 to 14 digits; a refusal always says why. */
#include "../csrc/validate.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char out[32];
  const char *why = NULL;
  const char *r;
  memset(out, 'x', sizeof out);
  r = tt_phone_normalize((const char *)data, size, out, &why);
  if (r != NULL) {
    size_t i, k = strlen(r);
    if (k < 7 || k > 14) abort();
    for (i = 0; i < k; i++)
      if (r[i] < '0' || r[i] > '9') abort();
  } else if (why == NULL || *why == '\0') {
    abort();
  }
  return 0;
}
