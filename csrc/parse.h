/* The v1 dialect's answers (parse_v1.c), read for core.parse (parse.c). */
#ifndef TINGTING_PARSE_H
#define TINGTING_PARSE_H

#include "compat.h"
#include "endpoints.h"

#pragma GCC visibility push(hidden)

/* A v1 answer that is not JSON (test_voice's text, a CSV report): pushes
 * the result and returns 1, or returns 0 to let the JSON path read it. */
int tt_parse_v1_raw(lua_State *L, const tt_endpoint *ep, const char *body, size_t len, int headers);
/* A successful v1 answer decoded at doc (0: none); the session is at 1. */
int tt_parse_v1(lua_State *L, const tt_endpoint *ep, int status, int doc, int headers);

#pragma GCC visibility pop

#endif
