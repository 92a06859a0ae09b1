/* Field checkers shared by build.c (validate.c, validate2.c). Each returns 1
 * with the normalised value pushed, or 0 with nil + validation error pushed. */
#ifndef TINGTING_VALIDATE_H
#define TINGTING_VALIDATE_H

#include "compat.h"

#define TT_MAX_STRING 65536

#pragma GCC visibility push(hidden)

const char *tt_repr(lua_State *L, int idx);
int tt_fail(lua_State *L, const char *op, const char *field, const char *fmt, ...);
int tt_utf8_valid(const unsigned char *s, size_t n);
const char *tt_phone_normalize(const char *s, size_t n, char *out, const char **why);

int tt_check_text(lua_State *L, const char *op, const char *f, int idx, int nonempty);
int tt_check_enum(lua_State *L, const char *op, const char *f, int idx, const char *const *e);
int tt_check_enum_list(lua_State *L, const char *op, const char *f, int idx, const char *const *e);
int tt_check_id(lua_State *L, const char *op, const char *f, int idx);
int tt_check_id_list(lua_State *L, const char *op, const char *f, int idx);
int tt_check_phone(lua_State *L, const char *op, const char *f, int idx, int as_integer);
int tt_check_phone_list(lua_State *L, const char *op, const char *f, int idx);
int tt_check_datetime(lua_State *L, const char *op, const char *f, int idx);
int tt_check_decimal(lua_State *L, const char *op, const char *f, int idx);
int tt_check_digits(lua_State *L, const char *op, const char *f, int idx);
int tt_check_tags(lua_State *L, const char *op, const char *f, int idx);
int tt_check_file(lua_State *L, const char *op, const char *f, int idx);

#pragma GCC visibility pop

#endif
