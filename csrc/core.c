/* luaopen_tingting_core: the only exported symbol. Idempotent: every concern
 * reuses its metatables when the module is loaded a second time. */
#include "tingting.h"

__attribute__((visibility("default"))) int luaopen_tingting_core(lua_State *L);

int luaopen_tingting_core(lua_State *L) {
  lua_newtable(L);
  tt_util_open(L);
  tt_errors_open(L);
  tt_json_open(L);
  tt_endpoints_open(L);
  tt_validate_open(L);
  tt_objects_open(L);
  tt_session_open(L);
  tt_build_open(L);
  tt_parse_open(L);
  tt_fsutil_open(L);
  tt_crypto_open(L);
  tt_xlsx_open(L);
  tt_numset_open(L);
  tt_http_open(L);
  tt_redis_open(L);
  if (tt_curl_open(L) != 0) return luaL_error(L, "tingting.core: libcurl failed to initialise");
  lua_pushliteral(L, TT_VERSION);
  lua_setfield(L, -2, "VERSION");
  return 1;
}
