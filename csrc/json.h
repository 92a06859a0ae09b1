/* JSON (json.c): reading answers for core.parse, writing request bodies for
 * core.build, and core.json_encode for Lua. */
#ifndef TINGTING_JSON_H
#define TINGTING_JSON_H

#include "compat.h"
#include "util.h"

/* Deepest nesting read or written: a top-level table is at depth 0, and
 * parse.c's clean() leaves tables deeper than this as cjson made them. */
#define TT_JSON_DEPTH 32

#pragma GCC visibility push(hidden)

/* Decode a body (a Lua string) the way core.parse's cjson decode and
 * clean() would, pushing the table; 0 (nothing pushed) leaves it to them. */
int tt_json_decode(lua_State *L, const char *body, size_t len);

/* What core.parse makes of a JSON number (cjson reads every number as a
 * float): under a phone key a digit string, else an integer when integral
 * (5.3+); pushed. The keys of the API's phone numbers: number,
 * phone_number, contact_number. */
void tt_json_push_number(lua_State *L, double v, int phone);
int tt_json_phone_key(const char *k);

/* Append s as a JSON string: ", \ and control bytes escaped, every other
 * byte (UTF-8 included) as it is. */
void tt_json_string(tt_buf *b, const char *s, size_t n);

/* Append the scalar at idx as a request body sends it: a string, a number
 * (an integer as such, a float in the shortest of %.14g / %.17g that reads
 * back the same), a boolean; anything else as null. */
void tt_json_scalar(lua_State *L, tt_buf *b, int idx);

#pragma GCC visibility pop

#endif
