/* JSON (json.c): reading answers for core.parse. */
#ifndef TINGTING_JSON_H
#define TINGTING_JSON_H

#include "compat.h"

#pragma GCC visibility push(hidden)

/* Decode a body (a Lua string) the way core.parse's cjson decode and
 * clean() would, pushing the table; 0 (nothing pushed) leaves it to them. */
int tt_json_decode(lua_State *L, const char *body, size_t len);

#pragma GCC visibility pop

#endif
