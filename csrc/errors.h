/* The tingting.error metatable and the one way C reports a failure to Lua:
 * `nil, err` on the stack. */
#ifndef TINGTING_ERRORS_H
#define TINGTING_ERRORS_H

#include "compat.h"

#define TT_ERROR_MT "tingting.error"

#pragma GCC visibility push(hidden)

/* Push a new tingting.error with kind and message; the caller sets the
 * other fields with lua_setfield on the result. */
void tt_error_push(lua_State *L, const char *kind, const char *message);

/* Push nil and a validation error naming `field` (and `op` when not NULL),
 * its message "field: " .. the formatted text (lua_pushfstring's formats).
 * Returns 0: a checker fails with `return tt_validation_fail(...)`, and the
 * Lua function that called it returns the 2 values as they stand. */
int tt_validation_fail(lua_State *L, const char *op, const char *field, const char *fmt, ...);

/* Whether `key` is likely a typo of `name` (the same as tingting.errors'
 * suggest: a few edits, case aside): the number of edits, or -1 when too far. */
int tt_typo_distance(const char *key, const char *name);

/* A short, safe rendering of a bad value for an error message (pushed). */
const char *tt_repr(lua_State *L, int idx);

#pragma GCC visibility pop

#endif
