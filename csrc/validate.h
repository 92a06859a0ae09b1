/* Checking values against the field types of the endpoint table
 * (validate.c). A checker returns 1 with the normalised value pushed, or 0
 * with nil and a validation error pushed (tt_validation_fail, errors.h). */
#ifndef TINGTING_VALIDATE_H
#define TINGTING_VALIDATE_H

#include "compat.h"
#include "endpoints.h"

#pragma GCC visibility push(hidden)

/* The value at idx as field f of op takes it. */
int tt_check_value(lua_State *L, const char *op, const tt_field *f, int idx);

/* Dates and times (datetime.c): the legacy schedule_date and the v1 schedule. */
int tt_check_datetime(lua_State *L, const char *op, const char *f, int idx);
int tt_check_schedule(lua_State *L, const char *op, const char *f, int idx);

/* A short, safe rendering of a bad value for an error message (pushed). */

/* Phone number digits into out (room for 25 bytes): separators dropped, a
 * +977 country prefix dropped; NULL with *why set when it is no number. */
const char *tt_phone_normalize(const char *s, size_t n, char *out, const char **why);

#pragma GCC visibility pop

#endif
