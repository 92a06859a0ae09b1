/* The endpoint table (endpoints.c): one row per operation, read by
 * core.build (what to validate, where to send it) and core.parse (how to
 * read the answer). */
#ifndef TINGTING_ENDPOINTS_H
#define TINGTING_ENDPOINTS_H

#include "compat.h"

#pragma GCC visibility push(hidden)

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
  TT_F_PAGE,        /* positive integer, in the query string */
  TT_F_LIMIT,       /* page size: an integer from 1 to 10 (v1) */
  TT_F_COUNT,       /* non-negative integer (offsets, Unix seconds) */
  TT_F_BOOL,        /* boolean; "true"/"false" in a query */
  TT_F_SCHEDULE,    /* "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]", epoch seconds, or "" (clear) */
  TT_F_ID_OR_NAME,  /* positive integer id, or one of enumv (v1 voice_input) */
  TT_F_CONTACTS     /* list of {number=, available_tags=}: v1 contacts */
};

#define TT_REQUIRED 1u
#define TT_PATH 2u     /* substituted into the path template */
#define TT_QUERY 4u    /* appended as ?name=value */
#define TT_BODY 8u     /* a TT_F_TAGS value that is the whole JSON body */

typedef struct tt_field {
  const char *name;
  enum tt_ftype type;
  unsigned flags;
  const char *const *enumv; /* NULL-terminated, for TT_F_ENUM / TT_F_ENUM_LIST */
  const char *const *alias; /* NULL-terminated pairs: accepted spelling, value sent */
} tt_field;

enum tt_result {
  TT_R_LOGIN, TT_R_REFRESH, TT_R_USER, TT_R_PHONES, TT_R_PHONE, TT_R_TRUE,
  TT_R_CAMPAIGNS, TT_R_CAMPAIGN, TT_R_NUMBERS, TT_R_NUMBER, TT_R_DATA,
  TT_R_DETAILS, TT_R_BYTES,
  /* v1: bare answers */
  TT_R_COOKIES,        /* login / refresh: the tokens arrive as Set-Cookie */
  TT_R_OBJECT,         /* the object as it stands */
  TT_R_LIST,           /* a bare array */
  TT_R_CAMPAIGN_PAGE,  /* {count, total_pages, next, previous, results: [campaign]} */
  TT_R_NUMBER_PAGE,    /* the same of contacts, plus total_credits_consumed, carrier_summary */
  TT_R_OTP_PAGE,       /* the same, results being {status, success, errors, data: [...]} */
  TT_R_BARE_CAMPAIGN,  /* a campaign object */
  TT_R_BARE_NUMBER,    /* a contact object */
  TT_R_CONTACTS,       /* {created, skipped, contacts: [contact], errors} or {message} */
  TT_R_TEXT,           /* a JSON string (or plain text) */
  TT_R_REPORT          /* JSON or bytes, by Content-Type */
};

enum tt_dialect { TT_LEGACY = 0, TT_V1 = 1 };

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

/* The row of op in a dialect's table; NULL when the dialect lacks it. */
const tt_endpoint *tt_endpoint_find(const char *op, int dialect);
/* The dialect of the session at sidx (its state's `api`). */
int tt_session_dialect(lua_State *L, int sidx);

/* The v1 table (endpoints_v1.c). */
extern const tt_endpoint TT_V1_ENDPOINTS[];
extern const size_t TT_V1_COUNT;

#pragma GCC visibility pop

#endif
