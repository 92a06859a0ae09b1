/* tingting.core: its version, and the concerns that luaopen_tingting_core
 * (core.c, the only exported symbol) opens. Each registers its functions
 * into the module table at the top of the stack and creates (or reuses) its
 * metatables. Every function shared between files is declared in a header
 * under `visibility push(hidden)`, as here, and the file that defines it
 * includes that header: luarocks' builtin backend compiles without
 * -fvisibility=hidden, and this keeps them out of the .so's dynamic symbols. */
#ifndef TINGTING_H
#define TINGTING_H

#include "compat.h"

/* core.VERSION, and the curl transport's User-Agent. */
#define TT_VERSION "0.1.0"

/* The largest answer a transport keeps unless told otherwise (the session's
 * max_body, tingting.MAX_BODY, says the same). */
#define TT_MAX_BODY (64u * 1024u * 1024u)

#pragma GCC visibility push(hidden)

void tt_util_open(lua_State *L);      /* util.c: sleep */
void tt_errors_open(lua_State *L);    /* errors.c: error, is_error */
void tt_json_open(lua_State *L);      /* json.c: json_encode, json_array */
void tt_endpoints_open(lua_State *L); /* endpoints.c: endpoints */
void tt_validate_open(lua_State *L);  /* validate.c: normalize_phone */
void tt_session_open(lua_State *L);   /* session.c: session_new, state, check_open, jwt_payload */
void tt_objects_open(lua_State *L);   /* objects.c: campaign and number, fields, session_of */
void tt_build_open(lua_State *L);     /* build.c: build */
void tt_parse_open(lua_State *L);     /* parse.c: parse, _json_pair */
void tt_fsutil_open(lua_State *L);    /* fsutil.c: write_private, isatty */
void tt_crypto_open(lua_State *L);    /* crypto.c: sha256, hmac_sha256, random_bytes, equal, hex */
void tt_xlsx_open(lua_State *L);      /* xlsx.c: xlsx_open (libxlsxwriter, constant memory) */
void tt_numset_open(lua_State *L);    /* numset.c: numset, a compact set of phone numbers */
void tt_http_open(lua_State *L);      /* http.c: http_response (http-parser) */
void tt_redis_open(lua_State *L);     /* redis.c: redis_format, redis_reader, redis_connect (hiredis) */
int tt_curl_open(lua_State *L);       /* curl/transport.c: curl; 0 = ok */

#pragma GCC visibility pop

#endif
