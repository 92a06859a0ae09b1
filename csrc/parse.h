/* What parse.c (core.parse) shares with parse_v1.c, the answers of the v1
 * dialect. */
#ifndef TINGTING_PARSE_H
#define TINGTING_PARSE_H

#include "compat.h"
#include "endpoints.h"

#pragma GCC visibility push(hidden)

/* nil and a decode error of ep (status, op, sent) pushed; returns 2. */
int tt_parse_decode_error(lua_State *L, const tt_endpoint *ep, int status, const char *why);
/* Push t[k] if it is a table; returns whether it pushed. */
int tt_parse_get_table(lua_State *L, int idx, const char *k);
/* Push a new list of wrap(item) for every table item of the list at `list`. */
void tt_parse_map_list(lua_State *L, int sidx, int list, void (*wrap)(lua_State *, int, int));
/* Make an empty table t[k] unless t[k] is a table. */
void tt_parse_ensure_table(lua_State *L, int idx, const char *k);

/* A v1 answer that is not JSON (test_voice's text, a CSV report): pushes
 * the result and returns 1, or returns 0 to let the JSON path read it. */
int tt_parse_v1_raw(lua_State *L, const tt_endpoint *ep, const char *body, size_t len, int headers);
/* A successful v1 answer decoded at doc (0: none); the session is at 1. */
int tt_parse_v1(lua_State *L, const tt_endpoint *ep, int status, int doc, int headers);

#pragma GCC visibility pop

#endif
