/* The endpoint table of docs/api/v1.md (`/api/v1/`): the same rows as
 * endpoints.c's, for the sessions whose `api` is "v1". An op shared with the
 * legacy table keeps its name, so that one Lua method serves both dialects;
 * argument names are the v1 wire names, except a contact's variables, which
 * are `available_tags` on the Lua side in both (build.c sends
 * `other_variables`). Open questions of the reference are answered as
 * docs/wire.md records ("v1", client). */
#include "endpoints.h"
#include <stddef.h>

static const char *const SERVICES[] = {"PHONE", "SMS", "SMS & PHONE", NULL};
/* the reference's prose writes "PHONE & SMS" (open question 13) */
static const char *const SERVICES_ALIAS[] = {"PHONE & SMS", "SMS & PHONE", NULL};
static const char *const STATUSES[] = {"Not Started", "Scheduled", "Running", "Completed", "Terminated", NULL};
static const char *const SORT[] = {"asc", "des", NULL};
static const char *const SORT_ALIAS[] = {"desc", "des", NULL};
static const char *const CATEGORIES[] = {"Text", "Audio", NULL};
/* #23 and #28's names; #10 spells Prashanna np_prasanna (open question 8) */
static const char *const VOICES[] = {"np_rija", "np_prashanna", "np_prasanna", "np_binod", "np_shreegya", NULL};
static const char *const SMS_OPTIONS[] = {"text", "voice", NULL};
static const char *const OTP_OPTIONS[] = {"personnel", "generated", NULL};
static const char *const FORMATS[] = {"json", "csv", NULL};

#define R TT_REQUIRED
#define P (TT_REQUIRED | TT_PATH)
#define Q TT_QUERY
#define END {NULL, TT_F_STRING, 0, NULL, NULL}
#define PAGE {"limit", TT_F_LIMIT, Q, NULL, NULL}, {"offset", TT_F_COUNT, Q, NULL, NULL}

static const tt_field F_NONE[] = {END};
static const tt_field F_LOGIN[] = {
  {"email", TT_F_STRING, R, NULL, NULL}, {"password", TT_F_STRING, R, NULL, NULL}, END};
static const tt_field F_ID[] = {{"id", TT_F_ID, P, NULL, NULL}, END};
static const tt_field F_DAYS[] = {{"days", TT_F_PAGE, Q, NULL, NULL}, END};
static const tt_field F_PAGE[] = {PAGE, END};
static const tt_field F_CAMPAIGNS[] = {
  PAGE,
  {"status", TT_F_ENUM, Q, STATUSES, NULL},
  {"search", TT_F_STRING, Q, NULL, NULL},
  {"draft", TT_F_BOOL, Q, NULL, NULL},
  {"sort_by", TT_F_ENUM, Q, SORT, SORT_ALIAS},
  {"from_date", TT_F_COUNT, Q, NULL, NULL},
  {"to_date", TT_F_COUNT, Q, NULL, NULL}, END};
static const tt_field F_CREATE[] = {
  {"name", TT_F_STRING, R, NULL, NULL},
  {"services", TT_F_ENUM, R, SERVICES, SERVICES_ALIAS},
  {"user_phone", TT_F_ID_LIST, 0, NULL, NULL},
  {"message", TT_F_TEXT, 0, NULL, NULL},
  {"sms_message", TT_F_TEXT, 0, NULL, NULL},
  {"description", TT_F_TEXT, 0, NULL, NULL},
  {"schedule", TT_F_SCHEDULE, 0, NULL, NULL},
  {"voice", TT_F_ID, 0, NULL, NULL}, END};
static const tt_field F_UPDATE[] = {
  {"id", TT_F_ID, P, NULL, NULL},
  {"name", TT_F_STRING, 0, NULL, NULL},
  {"services", TT_F_ENUM, 0, SERVICES, SERVICES_ALIAS},
  {"message", TT_F_TEXT, 0, NULL, NULL},
  {"sms_message", TT_F_TEXT, 0, NULL, NULL},
  {"schedule", TT_F_SCHEDULE, 0, NULL, NULL}, END};
static const tt_field F_MESSAGE[] = {
  {"id", TT_F_ID, P, NULL, NULL},
  {"voice", TT_F_ID, 0, NULL, NULL},
  {"category", TT_F_ENUM, 0, CATEGORIES, NULL},
  {"length_factor", TT_F_DECIMAL, 0, NULL, NULL},
  {"message", TT_F_TEXT, 0, NULL, NULL},
  {"sms_message", TT_F_TEXT, 0, NULL, NULL}, END};
static const tt_field F_ADD[] = {
  {"id", TT_F_ID, P, NULL, NULL}, {"contacts", TT_F_CONTACTS, R, NULL, NULL}, END};
static const tt_field F_UPLOAD[] = {
  {"id", TT_F_ID, P, NULL, NULL}, {"bulk_file", TT_F_FILE, R, NULL, NULL}, END};
/* the reference documents no filters here: only the page (open question 11) */
static const tt_field F_NUMBERS[] = {{"id", TT_F_ID, P, NULL, NULL}, PAGE, END};
static const tt_field F_ATTRIBUTES[] = {
  {"id", TT_F_ID, P, NULL, NULL}, {"available_tags", TT_F_TAGS, R | TT_BODY, NULL, NULL}, END};
static const tt_field F_NUMBER[] = {
  {"id", TT_F_ID, P, NULL, NULL}, {"number", TT_F_PHONE_STR, R, NULL, NULL}, END};
static const tt_field F_TEST[] = {
  {"id", TT_F_ID, P, NULL, NULL},
  {"message", TT_F_STRING, R, NULL, NULL},
  {"voice_input", TT_F_ID_OR_NAME, 0, VOICES, NULL}, END};
static const tt_field F_SURVEY[] = {
  {"id", TT_F_ID, P, NULL, NULL}, {"format", TT_F_ENUM, Q, FORMATS, NULL}, END};
static const tt_field F_OTP[] = {
  {"number", TT_F_PHONE_STR, R, NULL, NULL},
  {"message", TT_F_STRING, R, NULL, NULL},
  {"sms_send_options", TT_F_ENUM, R, SMS_OPTIONS, NULL},
  {"otp_options", TT_F_ENUM, 0, OTP_OPTIONS, NULL},
  {"otp", TT_F_DIGITS, 0, NULL, NULL},
  {"otp_length", TT_F_DIGITS, 0, NULL, NULL},
  {"voice_input", TT_F_ID_OR_NAME, 0, VOICES, NULL},
  {"company_name", TT_F_STRING, R, NULL, NULL}, END};

#define V "/api/v1/"

/* Idempotent, as §7 of the contract has it: GET, PATCH, DELETE, login and
 * refresh; not: create, add-contact, run-campaign, test-speak, demo-call,
 * send-otp, generate-api-token. */
const tt_endpoint TT_V1_ENDPOINTS[] = {
  /* op, method, path, auth, idempotent, result, list_key, fields */
  {"login", "POST", V "auths/login/", 0, 1, TT_R_COOKIES, NULL, F_LOGIN},
  /* the refresh cookie goes on by tingting.auth, as every credential does */
  {"refresh", "POST", V "auths/login/refresh/", 0, 1, TT_R_COOKIES, NULL, F_NONE},
  {"user", "GET", V "auths/user-profile/", 1, 1, TT_R_OBJECT, NULL, F_NONE},
  {"api_token", "GET", V "auths/get-api-keys/", 1, 1, TT_R_OBJECT, NULL, F_NONE},
  {"generate_api_token", "POST", V "auths/generate-api-keys/", 1, 0, TT_R_OBJECT, NULL, F_NONE},
  {"dashboard", "GET", V "dashboard/", 1, 1, TT_R_OBJECT, NULL, F_DAYS},
  {"voice_models", "GET", V "voice-models/", 1, 1, TT_R_LIST, NULL, F_NONE},
  {"sender_numbers", "GET", V "active-broker-phone/", 1, 1, TT_R_LIST, NULL, F_NONE},
  {"owned_numbers", "GET", V "phone-number/active/", 1, 1, TT_R_LIST, NULL, F_NONE},
  {"campaigns", "GET", V "campaign/", 1, 1, TT_R_CAMPAIGN_PAGE, "results", F_CAMPAIGNS},
  {"campaign", "GET", V "campaign/{id}/", 1, 1, TT_R_BARE_CAMPAIGN, NULL, F_ID},
  {"create_campaign", "POST", V "campaign/create/", 1, 0, TT_R_BARE_CAMPAIGN, NULL, F_CREATE},
  {"update_campaign", "PATCH", V "campaign/{id}/", 1, 1, TT_R_BARE_CAMPAIGN, NULL, F_UPDATE},
  {"set_message", "PATCH", V "campaign/create/{id}/message/", 1, 1, TT_R_OBJECT, NULL, F_MESSAGE},
  {"delete_campaign", "DELETE", V "campaign/{id}/", 1, 1, TT_R_TRUE, NULL, F_ID},
  {"add_number", "POST", V "campaign/{id}/add-contact/", 1, 0, TT_R_CONTACTS, "contacts", F_ADD},
  {"upload_numbers", "PATCH", V "campaign/create/{id}/detail/", 1, 1, TT_R_OBJECT, NULL, F_UPLOAD},
  {"campaign_numbers", "GET", V "campaign-detail/{id}/", 1, 1, TT_R_NUMBER_PAGE, "results", F_NUMBERS},
  {"number_attributes", "GET", V "campaign/{id}/attributes/", 1, 1, TT_R_OBJECT, NULL, F_ID},
  {"update_number_attributes", "PATCH", V "campaign/{id}/attributes/", 1, 1, TT_R_OBJECT, NULL, F_ATTRIBUTES},
  {"update_number", "PATCH", V "phone-number/update/{id}/", 1, 1, TT_R_BARE_NUMBER, NULL, F_NUMBER},
  {"delete_number", "DELETE", V "phone-number/delete/{id}/", 1, 1, TT_R_TRUE, NULL, F_ID},
  {"test_voice", "POST", V "test-speak/riri/{id}/", 1, 0, TT_R_TEXT, NULL, F_TEST},
  {"demo_call", "POST", V "demo-call/{id}/", 1, 0, TT_R_OBJECT, NULL, F_ID},
  {"begin", "POST", V "run-campaign/{id}/", 1, 0, TT_R_OBJECT, NULL, F_ID},
  {"report", "GET", V "download/report/{id}/", 1, 1, TT_R_BYTES, NULL, F_ID},
  {"survey_report", "GET", V "download/survey/{id}/report/", 1, 1, TT_R_REPORT, NULL, F_SURVEY},
  {"send_otp", "POST", V "auths/send/otp/", 1, 0, TT_R_DETAILS, "details", F_OTP},
  {"otps", "GET", V "auths/list/send-otps/", 1, 1, TT_R_OTP_PAGE, "results", F_PAGE},
};

const size_t TT_V1_COUNT = sizeof TT_V1_ENDPOINTS / sizeof TT_V1_ENDPOINTS[0];
