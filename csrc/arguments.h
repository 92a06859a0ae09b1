/* An operation's arguments against its row of the endpoint table
 * (arguments.c), before core.build lays out the request. */
#ifndef TINGTING_ARGUMENTS_H
#define TINGTING_ARGUMENTS_H

#include "compat.h"
#include "endpoints.h"

#pragma GCC visibility push(hidden)

/* The argument table at idx (nil: none) for ep: returns 1 with a table of
 * the normalised values pushed, or 0 with nil and a validation error
 * pushed (the convention of validate.h). */
int tt_check_args(lua_State *L, const tt_endpoint *ep, int idx);

#pragma GCC visibility pop

#endif
