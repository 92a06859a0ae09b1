/* The endpoint table of docs/api/legacy.rst: one row per operation.
 * Adding an endpoint is one row (and its fields). core.endpoints shows it
 * to Lua, which makes a method of every op. */
#include "endpoints.h"
#include "tingting.h"
#include "util.h"
#include <string.h>

static const char *const SERVICES[] = {"PHONE", "SMS", NULL};
static const char *const VOICES[] = {"np_rija", "np_prasanna", "np_binod", NULL};
static const char *const STATUSES[] = {"hungup", "unanswered", "failed", "terminated", "completed", NULL};
static const char *const PRIORITIES[] = {"audio", "message", NULL};
static const char *const SMS_OPTIONS[] = {"text", "voice", NULL};
static const char *const OTP_OPTIONS[] = {"personnel", "generated", NULL};

#define R TT_REQUIRED
#define END {NULL, TT_F_STRING, 0, NULL, NULL}

static const tt_field F_NONE[] = {END};
static const tt_field F_LOGIN[] = {
  {"email", TT_F_STRING, R, NULL, NULL}, {"password", TT_F_STRING, R, NULL, NULL}, END};
static const tt_field F_REFRESH[] = {{"refresh", TT_F_STRING, R, NULL, NULL}, END};
static const tt_field F_SID[] = {{"phone_sid", TT_F_STRING, R, NULL, NULL}, END};
static const tt_field F_PAGE[] = {{"page", TT_F_PAGE, TT_QUERY, NULL, NULL}, END};
static const tt_field F_ID[] = {{"id", TT_F_ID, R | TT_PATH, NULL, NULL}, END};
static const tt_field F_CREATE[] = {
  {"name", TT_F_STRING, R, NULL, NULL},
  {"services", TT_F_ENUM, R, SERVICES, NULL},
  {"individual_number", TT_F_PHONE_LIST, 0, NULL, NULL},
  {"send_to_number_file", TT_F_FILE, 0, NULL, NULL},
  {"description", TT_F_TEXT, 0, NULL, NULL}, END};
static const tt_field F_UPDATE[] = {
  {"id", TT_F_ID, R | TT_PATH, NULL, NULL},
  {"name", TT_F_STRING, 0, NULL, NULL},
  {"services", TT_F_ENUM, 0, SERVICES, NULL},
  {"description", TT_F_TEXT, 0, NULL, NULL}, END};
static const tt_field F_BEGIN[] = {
  {"id", TT_F_ID, R | TT_PATH, NULL, NULL},
  {"message", TT_F_STRING, 0, NULL, NULL},
  {"aud_file", TT_F_FILE, 0, NULL, NULL},
  {"voice_input", TT_F_ENUM, 0, VOICES, NULL},
  {"schedule_date", TT_F_DATETIME, 0, NULL, NULL},
  {"length_factor", TT_F_DECIMAL, 0, NULL, NULL},
  {"individual", TT_F_ID_LIST, 0, NULL, NULL},
  {"status", TT_F_ENUM_LIST, 0, STATUSES, NULL},
  {"priority", TT_F_ENUM, 0, PRIORITIES, NULL}, END};
static const tt_field F_ADD_NUMBER[] = {
  {"id", TT_F_ID, R | TT_PATH, NULL, NULL},
  {"number", TT_F_PHONE, R, NULL, NULL},
  {"available_tags", TT_F_TAGS, 0, NULL, NULL}, END};
static const tt_field F_UPDATE_NUMBER[] = {
  {"id", TT_F_ID, R | TT_PATH, NULL, NULL},
  {"number", TT_F_PHONE, 0, NULL, NULL},
  {"available_tags", TT_F_TAGS, 0, NULL, NULL}, END};
static const tt_field F_REPORT[] = {{"campaign_id", TT_F_ID, R | TT_QUERY, NULL, NULL}, END};
static const tt_field F_VOICE[] = {
  {"message", TT_F_STRING, R, NULL, NULL}, {"voice_input", TT_F_ENUM, 0, VOICES, NULL}, END};
static const tt_field F_OTP[] = {
  {"number", TT_F_PHONE_STR, R, NULL, NULL},
  {"message", TT_F_STRING, R, NULL, NULL},
  {"sms_send_options", TT_F_ENUM, R, SMS_OPTIONS, NULL},
  {"otp_options", TT_F_ENUM, 0, OTP_OPTIONS, NULL},
  {"otp", TT_F_DIGITS, 0, NULL, NULL},
  {"otp_length", TT_F_DIGITS, 0, NULL, NULL}, END};

#define A "/api/accounts/"
#define S "/api/system/"

static const tt_endpoint ENDPOINTS[] = {
  /* op, method, path, auth, idempotent, result, list_key, fields */
  {"login", "POST", A "login/", 0, 1, TT_R_LOGIN, NULL, F_LOGIN},
  {"refresh", "POST", A "token/refresh/", 0, 1, TT_R_REFRESH, NULL, F_REFRESH},
  {"user", "GET", A "user_details/", 1, 1, TT_R_USER, "user_details", F_NONE},
  {"owned_numbers", "GET", S "owned/phone_numbers", 1, 1, TT_R_PHONES, "owned_numbers", F_NONE},
  {"available_numbers", "GET", S "phone_numbers", 1, 1, TT_R_PHONES, "number_lists", F_NONE},
  {"buy_number", "POST", S "phone_numbers/", 1, 0, TT_R_PHONE, "number_details", F_SID},
  {"release_number", "DELETE", S "phone_numbers", 1, 1, TT_R_TRUE, NULL, F_SID},
  {"campaigns", "GET", S "campaigns", 1, 1, TT_R_CAMPAIGNS, "campaign-lists", F_PAGE},
  {"campaign", "GET", S "campaigns/{id}/details", 1, 1, TT_R_CAMPAIGN, "details", F_ID},
  {"create_campaign", "POST", S "campaigns/", 1, 0, TT_R_CAMPAIGN, "details", F_CREATE},
  {"update_campaign", "PUT", S "campaigns/{id}/update/", 1, 1, TT_R_CAMPAIGN, "details", F_UPDATE},
  {"delete_campaign", "DELETE", S "campaigns/{id}/delete", 1, 1, TT_R_TRUE, NULL, F_ID},
  {"begin", "POST", S "campaigns/{id}/begin/", 1, 0, TT_R_DATA, NULL, F_BEGIN},
  {"campaign_numbers", "GET", S "campaigns/number/{id}/", 1, 1, TT_R_NUMBERS, "number-lists", F_ID},
  {"add_number", "POST", S "campaigns/number/{id}/", 1, 0, TT_R_NUMBER, "details", F_ADD_NUMBER},
  {"report", "GET", S "campaigns/report/download/", 1, 1, TT_R_BYTES, NULL, F_REPORT},
  {"report_summary", "GET", S "campaigns/report/summary/", 1, 1, TT_R_DATA, NULL, F_NONE},
  {"number", "GET", S "number/{id}/", 1, 1, TT_R_NUMBER, "number-detail", F_ID},
  {"update_number", "PUT", S "number/{id}/", 1, 1, TT_R_NUMBER, "details", F_UPDATE_NUMBER},
  {"delete_number", "DELETE", S "campaigns/number/{id}/delete/", 1, 1, TT_R_TRUE, NULL, F_ID},
  {"test_voice", "POST", S "test/voice/", 1, 0, TT_R_DATA, NULL, F_VOICE},
  {"send_otp", "POST", S "send/otp/", 1, 0, TT_R_DETAILS, "details", F_OTP},
};

#define N_ENDPOINTS (sizeof ENDPOINTS / sizeof ENDPOINTS[0])

static const tt_endpoint *table_of(int dialect, size_t *n) {
  if (dialect == TT_V1) {
    *n = TT_V1_COUNT;
    return TT_V1_ENDPOINTS;
  }
  *n = N_ENDPOINTS;
  return ENDPOINTS;
}

const tt_endpoint *tt_endpoint_find(const char *op, int dialect) {
  size_t i, n;
  const tt_endpoint *t = table_of(dialect, &n);
  for (i = 0; i < n; i++)
    if (t[i].op[0] == op[0] && strcmp(t[i].op, op) == 0) return &t[i];
  return NULL;
}

int tt_session_dialect(lua_State *L, int sidx) {
  int v1;
  tt_getuservalue(L, sidx);
  lua_getfield(L, -1, "api");
  v1 = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "v1") == 0;
  lua_pop(L, 2);
  return v1 ? TT_V1 : TT_LEGACY;
}

/* {op, method, path, auth, idempotent, fields = {{name, required, enum}...}} */
static void push_endpoint(lua_State *L, const tt_endpoint *ep) {
  const tt_field *f;
  int i = 0;
  lua_createtable(L, 0, 6);
  lua_pushstring(L, ep->op);
  lua_setfield(L, -2, "op");
  lua_pushstring(L, ep->method);
  lua_setfield(L, -2, "method");
  lua_pushstring(L, ep->path);
  lua_setfield(L, -2, "path");
  lua_pushboolean(L, ep->auth);
  lua_setfield(L, -2, "auth");
  lua_pushboolean(L, ep->idempotent);
  lua_setfield(L, -2, "idempotent");
  lua_newtable(L);
  for (f = ep->fields; f->name != NULL; f++) {
    lua_createtable(L, 0, 3);
    lua_pushstring(L, f->name);
    lua_setfield(L, -2, "name");
    lua_pushboolean(L, (f->flags & TT_REQUIRED) != 0);
    lua_setfield(L, -2, "required");
    if (f->enumv != NULL) {
      const char *const *e;
      int j = 0;
      lua_newtable(L);
      for (e = f->enumv; *e != NULL; e++) {
        lua_pushstring(L, *e);
        lua_rawseti(L, -2, ++j);
      }
      lua_setfield(L, -2, "enum");
    }
    lua_rawseti(L, -2, ++i);
  }
  lua_setfield(L, -2, "fields");
}

/* core.endpoints([dialect]) -> every row of the dialect's table ("legacy",
 * the default, or "v1"), in table order */
static int core_endpoints(lua_State *L) {
  static const char *const dialects[] = {"legacy", "v1", NULL};
  int dialect = luaL_checkoption(L, 1, "legacy", dialects);
  size_t i, n;
  const tt_endpoint *t = table_of(dialect == 1 ? TT_V1 : TT_LEGACY, &n);
  lua_createtable(L, (int)n, 0);
  for (i = 0; i < n; i++) {
    push_endpoint(L, &t[i]);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

void tt_endpoints_open(lua_State *L) {
  lua_pushcfunction(L, core_endpoints);
  lua_setfield(L, -2, "endpoints");
}
