/* The answers of the v1 dialect (docs/api/v1.md): bare objects and arrays,
 * the limit/offset page `{count, total_pages, next, previous, results}`,
 * login and refresh tokens as Set-Cookie, test speak's JSON string, reports
 * as CSV or JSON by Content-Type. Campaigns and contacts are normalised so
 * that scripts work on both dialects (c.voice an id, n.duration seconds,
 * n.available_tags the variables, n.campaign the campaign's id); every wire
 * field stays in fields(). Errors are read by parse.c, DRF shapes included. */
#include "objects.h"
#include "answer.h"
#include "parse.h"
#include "tingting.h"
#include <stdlib.h>
#include <string.h>

#define DECODE_IDX lua_upvalueindex(1) /* core.parse's private cjson decode */

/* v1 #10 sends the voice as an object, #11/#15/#16 as an id (open question 7):
 * c.voice is the id; the object stays as voice_model. */
static void to_campaign(lua_State *L, int sidx, int idx) {
  idx = lua_absindex(L, idx);
  lua_getfield(L, idx, "voice");
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "id");
    lua_setfield(L, idx, "voice");
    lua_setfield(L, idx, "voice_model");
  } else {
    lua_pop(L, 1);
  }
  tt_parse_ensure_table(L, idx, "usable_tags");
  tt_parse_ensure_table(L, idx, "user_phone");
  tt_campaign_push(L, sidx, idx);
}

/* "10s" -> 10; "" (no call yet) -> absent. */
static void seconds(lua_State *L, int idx, const char *from) {
  const char *s;
  char *end;
  long v;
  lua_getfield(L, idx, from);
  s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  if (s != NULL) {
    v = strtol(s, &end, 10);
    if (end != s && v >= 0 && (*end == 's' || *end == '\0')) {
      lua_pushinteger(L, (lua_Integer)v);
      lua_setfield(L, idx, "duration");
    } else if (strcmp(from, "duration") == 0) {
      lua_pushnil(L);
      lua_setfield(L, idx, "duration");
    }
  }
  lua_pop(L, 1);
}

static void to_number(lua_State *L, int sidx, int idx) {
  idx = lua_absindex(L, idx);
  lua_getfield(L, idx, "campaing"); /* the API's own spelling; an id on v1 */
  if (!lua_isnil(L, -1)) lua_setfield(L, idx, "campaign");
  else lua_pop(L, 1);
  lua_getfield(L, idx, "available_tags");
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_getfield(L, idx, "other_variables");
    if (!lua_istable(L, -1)) {
      lua_pop(L, 1);
      lua_getfield(L, idx, "attributes");
    }
    if (lua_istable(L, -1)) lua_setfield(L, idx, "available_tags");
    else lua_pop(L, 1);
  } else {
    lua_pop(L, 1);
  }
  tt_parse_ensure_table(L, idx, "available_tags");
  seconds(L, idx, "duration");
  seconds(L, idx, "call_duration");
  tt_number_push(L, sidx, idx);
}

/* The value of cookie `name` in a Set-Cookie header: the transports join
 * repeated headers with ", " (the ngx one may give a table). A cookie starts
 * the header or follows a comma; attributes follow a ';' and are no match,
 * nor is an Expires date's "Wed, 21 Oct". The last one set wins; an empty
 * value (a deletion) is none. */
static int push_cookie_in(lua_State *L, const char *h, size_t n, const char *name) {
  size_t k = strlen(name), i, found = 0, flen = 0;
  const char *hit = NULL;
  for (i = 0; i + k < n; i++) {
    size_t j = i;
    if (memcmp(h + i, name, k) != 0 || h[i + k] != '=') continue;
    while (j > 0 && (h[j - 1] == ' ' || h[j - 1] == '\t')) j--;
    if (j != 0 && h[j - 1] != ',') continue;
    hit = h + i + k + 1;
    for (flen = 0; hit + flen < h + n && hit[flen] != ';' && hit[flen] != ',' && hit[flen] != ' '; flen++) {}
    found = 1;
  }
  if (!found || flen == 0) return 0;
  if (flen >= 2 && hit[0] == '"' && hit[flen - 1] == '"') {
    hit++;
    flen -= 2;
  }
  lua_pushlstring(L, hit, flen);
  return 1;
}

static void push_cookie(lua_State *L, int headers, const char *name) {
  int pushed = 0;
  if (lua_istable(L, headers)) {
    lua_getfield(L, headers, "set-cookie");
    if (lua_type(L, -1) == LUA_TSTRING) {
      size_t n;
      const char *h = lua_tolstring(L, -1, &n);
      pushed = push_cookie_in(L, h, n, name);
    } else if (lua_istable(L, -1)) {
      int i, m = (int)lua_rawlen(L, -1);
      for (i = m; i >= 1 && !pushed; i--) {
        lua_rawgeti(L, -1, i);
        if (lua_type(L, -1) == LUA_TSTRING) {
          size_t n;
          const char *h = lua_tolstring(L, -1, &n);
          pushed = push_cookie_in(L, h, n, name);
          if (pushed) lua_remove(L, -2);
        }
        if (!pushed) lua_pop(L, 1);
      }
    }
    if (pushed) lua_remove(L, -2);
    else lua_pop(L, 1);
  }
  if (!pushed) lua_pushnil(L);
}

/* Login: the answer's object (or true), then {access=, refresh=} from the
 * cookies; refresh: true, then {access=, refresh= (a rotated one, if any)}. */
static int cookies(lua_State *L, const tt_endpoint *ep, int status, int doc, int headers) {
  int login = strcmp(ep->op, "login") == 0;
  push_cookie(L, headers, "access");
  if (lua_isnil(L, -1))
    return tt_parse_decode_error(L, ep, status, login ? "login answer set no access cookie"
                                                      : "refresh answer set no access cookie");
  if (login && doc != 0) lua_pushvalue(L, doc);
  else lua_pushboolean(L, 1);
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "access");
  push_cookie(L, headers, "refresh");
  lua_setfield(L, -2, "refresh");
  return 2;
}

static void copy_keys(lua_State *L, int from, int to, const char *const *keys) {
  for (; *keys != NULL; keys++) {
    lua_getfield(L, from, *keys);
    lua_setfield(L, to, *keys);
  }
}

/* A page: the list (wrapped, or plain for wrap == NULL), then
 * {count, total_pages, next, previous, ...}. */
static int page(lua_State *L, const tt_endpoint *ep, int status, int doc,
                void (*wrap)(lua_State *, int, int)) {
  static const char *const keys[] = {"count", "total_pages", "next", "previous", NULL};
  static const char *const number_keys[] = {"total_credits_consumed", "carrier_summary", NULL};
  int list;
  if (doc == 0 || !tt_parse_get_table(L, doc, "results"))
    return tt_parse_decode_error(L, ep, status, "page answer has no results");
  if (ep->result == TT_R_OTP_PAGE && lua_rawlen(L, -1) == 0 && tt_parse_get_table(L, -1, "data"))
    lua_remove(L, -2); /* #29: results is {status, success, errors, data} */
  list = lua_gettop(L);
  if (wrap != NULL) tt_parse_map_list(L, 1, list, wrap);
  else lua_pushvalue(L, list);
  lua_createtable(L, 0, 6);
  copy_keys(L, doc, lua_gettop(L), keys);
  if (ep->result == TT_R_NUMBER_PAGE) copy_keys(L, doc, lua_gettop(L), number_keys);
  return 2;
}

/* add-contact: the contacts form lists the created contacts; the single
 * form answers {message} only. The Numbers, then {created, skipped,
 * errors, message}. */
static int contacts(lua_State *L, int doc) {
  static const char *const keys[] = {"created", "skipped", "errors", "message", NULL};
  if (doc != 0 && tt_parse_get_table(L, doc, "contacts")) tt_parse_map_list(L, 1, lua_gettop(L), to_number);
  else lua_newtable(L);
  lua_newtable(L);
  if (doc != 0) copy_keys(L, doc, lua_gettop(L), keys);
  return 2;
}

static int json_type(lua_State *L, int headers) {
  const char *ct;
  int yes;
  if (!lua_istable(L, headers)) return 0;
  lua_getfield(L, headers, "content-type");
  ct = lua_tostring(L, -1);
  yes = ct != NULL && strstr(ct, "json") != NULL;
  lua_pop(L, 1);
  return yes;
}

int tt_parse_v1_raw(lua_State *L, const tt_endpoint *ep, const char *body, size_t len, int headers) {
  if (ep->result == TT_R_REPORT && !json_type(L, headers)) {
    lua_pushlstring(L, body, len); /* CSV (open question 4) */
    return 1;
  }
  if (ep->result == TT_R_TEXT) {
    size_t a = 0, b = len;
    while (a < b && (body[a] == ' ' || body[a] == '\n' || body[a] == '\r' || body[a] == '\t')) a++;
    while (b > a && (body[b - 1] == ' ' || body[b - 1] == '\n' || body[b - 1] == '\r' || body[b - 1] == '\t')) b--;
    if (a < b && body[a] == '{') return 0; /* an object: the JSON path */
    if (a < b && body[a] == '"') {       /* a JSON string, as #23 shows */
      lua_pushvalue(L, DECODE_IDX);
      lua_pushlstring(L, body + a, b - a);
      lua_call(L, 1, 1);
      if (lua_type(L, -1) == LUA_TSTRING) return 1;
      lua_pop(L, 1);
    }
    lua_pushlstring(L, body + a, b - a); /* plain text, as Py reads it */
    return 1;
  }
  return 0;
}

int tt_parse_v1(lua_State *L, const tt_endpoint *ep, int status, int doc, int headers) {
  switch (ep->result) {
  case TT_R_COOKIES:
    return cookies(L, ep, status, doc, headers);
  case TT_R_CAMPAIGN_PAGE:
    return page(L, ep, status, doc, to_campaign);
  case TT_R_NUMBER_PAGE:
    return page(L, ep, status, doc, to_number);
  case TT_R_OTP_PAGE:
    return page(L, ep, status, doc, NULL);
  case TT_R_CONTACTS:
    return contacts(L, doc);
  case TT_R_BARE_CAMPAIGN:
  case TT_R_BARE_NUMBER:
    if (doc == 0 || !lua_istable(L, doc)) return tt_parse_decode_error(L, ep, status, "answer has no object");
    lua_getfield(L, doc, "id");
    if (lua_isnil(L, -1)) return tt_parse_decode_error(L, ep, status, "answer has no id");
    lua_pop(L, 1);
    if (ep->result == TT_R_BARE_CAMPAIGN) to_campaign(L, 1, doc);
    else to_number(L, 1, doc);
    return 1;
  case TT_R_LIST:
    if (doc != 0 && lua_rawlen(L, doc) == 0 && tt_parse_get_table(L, doc, "results")) return 1;
    if (doc == 0) lua_newtable(L);
    else lua_pushvalue(L, doc);
    return 1;
  default: /* TT_R_OBJECT, TT_R_TEXT and TT_R_REPORT as JSON: the object */
    if (doc == 0) lua_newtable(L);
    else lua_pushvalue(L, doc);
    return 1;
  }
}
