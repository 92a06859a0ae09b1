/* What the C files of tingting.core share. Every symbol here is hidden
 * (-fvisibility=hidden); luaopen_tingting_core is the only export. */
#ifndef TINGTING_H
#define TINGTING_H

#include "compat.h"
#include <stddef.h>

#define TT_EXPORT __attribute__((visibility("default")))

/* Keeps our cross-file functions out of the .so's dynamic symbols even when
 * built without -fvisibility=hidden (luarocks' builtin backend). */
#pragma GCC visibility push(hidden)

#define TT_SESSION_MT "tingting.session"
#define TT_CAMPAIGN_MT "tingting.campaign"
#define TT_NUMBER_MT "tingting.number"
#define TT_ERROR_MT "tingting.error"
#define TT_CURL_MT "tingting.curl"

/* Largest answer body the curl transport keeps in memory (a download to a
 * file via `sink` has no cap). */
#define TT_MAX_BODY (64u * 1024u * 1024u)

/* Each concern registers its functions into the module table at the top
 * of the stack and creates (or reuses) its metatables. */
void tt_errors_open(lua_State *L);     /* errors.c */
void tt_objects_open(lua_State *L);    /* objects.c: campaign, number */
void tt_session_open(lua_State *L);    /* json.c: decode a body (a Lua string) the way core.parse's cjson decode and
 * clean() would, pushing the table; 0 (nothing pushed) leaves it to them. */
int tt_json_decode(lua_State *L, const char *body, size_t len);

/* session.c */
void tt_build_open(lua_State *L);      /* build.c: core.build, core.endpoints */
void tt_parse_open(lua_State *L);      /* parse.c: core.parse */
int tt_curl_open(lua_State *L);        /* curl.c, curl_multi.c: core.curl; 0 = ok */
void tt_fsutil_open(lua_State *L);     /* fsutil.c: write_private, isatty */
void tt_crypto_open(lua_State *L);     /* crypto.c: sha256, hmac_sha256, random_bytes, equal, hex */
void tt_redis_open(lua_State *L);      /* redis.c: redis_format, redis_reader, redis_connect (hiredis) */

/* core.c */
void tt_class(lua_State *L, const char *name, const luaL_Reg *mm); /* pushes its methods table */
void tt_sleep(lua_Number seconds);

/* errors.c: push a new tingting.error with kind and message; the other
 * fields are set by the caller with lua_setfield on the result. */
void tt_error_push(lua_State *L, const char *kind, const char *message);
/* Push nil, validation error naming field; returns 2 for `return`. */
int tt_validation_fail(lua_State *L, const char *op, const char *field, const char *fmt, ...);

/* objects.c: wrap the plain table at index idx (decoded wire object) as a
 * Campaign/Number bound to the session at index sidx; pushes the userdata. */
void tt_campaign_push(lua_State *L, int sidx, int idx);
void tt_number_push(lua_State *L, int sidx, int idx);

/* json.c: decode a body (a Lua string) the way core.parse's cjson decode and
 * clean() would, pushing the table; 0 (nothing pushed) leaves it to them. */
int tt_json_decode(lua_State *L, const char *body, size_t len);

/* session.c */
typedef struct tt_session {
  int closed;
} tt_session;
tt_session *tt_session_check(lua_State *L, int idx); /* raises on closed */
/* Push the session's internal state table (base_url, tokens, options). */
void tt_session_state(lua_State *L, int idx);

/* endpoints.c: the endpoint table. */
enum tt_ftype {
  TT_F_STRING,      /* non-empty UTF-8 string */
  TT_F_TEXT,        /* UTF-8 string, may be empty */
  TT_F_ENUM,        /* one of enumv */
  TT_F_ENUM_LIST,   /* list of enumv (a "a, b" string is split) */
  TT_F_ID,          /* positive integer */
  TT_F_ID_LIST,     /* list of positive integers */
  TT_F_PHONE,       /* digit string or integer; JSON integer on the wire */
  TT_F_PHONE_STR,   /* digit string or integer; JSON string on the wire */
  TT_F_PHONE_LIST,  /* list of phones; JSON integers on the wire */
  TT_F_TAGS,        /* table string -> string|number */
  TT_F_FILE,        /* path of a readable regular file; multipart part */
  TT_F_DATETIME,    /* "YYYY-MM-DDTHH:MM" or epoch seconds (Nepal time) */
  TT_F_DECIMAL,     /* number or numeric string; sent as a string ("1.4") */
  TT_F_DIGITS,      /* digit string or non-negative integer; sent as a string */
  TT_F_PAGE         /* positive integer, in the query string */
};

#define TT_REQUIRED 1u
#define TT_PATH 2u     /* substituted into the path template */
#define TT_QUERY 4u    /* appended as ?name=value */

typedef struct tt_field {
  const char *name;
  enum tt_ftype type;
  unsigned flags;
  const char *const *enumv; /* NULL-terminated, for TT_F_ENUM / TT_F_ENUM_LIST */
} tt_field;

enum tt_result {
  TT_R_LOGIN, TT_R_REFRESH, TT_R_USER, TT_R_PHONES, TT_R_PHONE, TT_R_TRUE,
  TT_R_CAMPAIGNS, TT_R_CAMPAIGN, TT_R_NUMBERS, TT_R_NUMBER, TT_R_DATA,
  TT_R_DETAILS, TT_R_BYTES
};

typedef struct tt_endpoint {
  const char *op;
  const char *method;
  const char *path;       /* template; {name} is a TT_PATH field */
  int auth;               /* needs Authorization: Bearer */
  int idempotent;
  enum tt_result result;
  const char *list_key;   /* data key of the list/object the result reads */
  const tt_field *fields; /* terminated by {NULL} */
} tt_endpoint;

const tt_endpoint *tt_endpoint_find(const char *op);
const tt_endpoint *tt_endpoint_at(size_t i); /* NULL past the end */

#pragma GCC visibility pop

#endif
