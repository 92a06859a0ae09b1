/* Readers of decoded answers shared by the parsers of both dialects. */
#ifndef TINGTING_ANSWER_H
#define TINGTING_ANSWER_H

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

#pragma GCC visibility pop

#endif
