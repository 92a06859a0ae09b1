/* core.parse(session, op, status, body, headers) -> result[, meta] or nil, err.
 * Decodes with lua-cjson, unwraps the documented envelopes, converts ids to
 * integers and phone numbers to digit strings, builds the userdata, and maps
 * failures to error kinds. Never puts a body snippet in a message: login and
 * refresh answers carry tokens. */
#include "endpoints.h"
#include "errors.h"
#include "json.h"
#include "objects.h"
#include "answer.h"
#include "parse.h"
#include "session.h"
#include "tingting.h"
#include "util.h"
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DECODE_IDX lua_upvalueindex(1) /* a private cjson's decode */

/* In place: JSON null -> absent, integral numbers -> integers (5.3+), phone
 * fields -> digit strings. */
static void clean(lua_State *L, int idx, int depth) {
  idx = lua_absindex(L, idx);
  /* a level takes a key, a value and two more: past the LUA_MINSTACK slots
   * a C function is given, Lua 5.1 wrote beyond its stack (a 30-deep answer) */
  if (depth > TT_JSON_DEPTH || !lua_checkstack(L, 4)) return;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    int t = lua_type(L, -1);
    if (tt_is_null(L, -1) && lua_type(L, -2) == LUA_TSTRING) {
      lua_pop(L, 1);
      lua_pushvalue(L, -1);
      lua_pushnil(L);
      lua_rawset(L, idx);
      continue;
    }
    if (t == LUA_TTABLE) {
      clean(L, -1, depth + 1);
    } else if (t == LUA_TNUMBER) {
      int phone = lua_type(L, -2) == LUA_TSTRING && tt_json_phone_key(lua_tostring(L, -2));
      lua_pushvalue(L, -2);
      tt_json_push_number(L, (double)lua_tonumber(L, -2), phone);
      lua_rawset(L, idx);
    }
    lua_pop(L, 1);
  }
}

/* `details` is a one-element list in some answers and an object in others. */
static int first_object(lua_State *L) {
  lua_rawgeti(L, -1, 1);
  if (lua_istable(L, -1)) {
    lua_remove(L, -2);
    return 1;
  }
  lua_pop(L, 1);
  lua_pushnil(L);
  if (lua_next(L, -2)) { /* a non-empty object */
    lua_pop(L, 2);
    return 1;
  }
  lua_pop(L, 1);
  return 0;
}

static void to_campaign(lua_State *L, int sidx, int idx) {
  idx = lua_absindex(L, idx);
  tt_parse_ensure_table(L, idx, "usable_tags");
  tt_parse_ensure_table(L, idx, "user_phone");
  tt_campaign_push(L, sidx, idx);
}

static void to_number(lua_State *L, int sidx, int idx) {
  idx = lua_absindex(L, idx);
  lua_getfield(L, idx, "campaing"); /* the API's own spelling */
  if (!lua_isnil(L, -1)) lua_setfield(L, idx, "campaign");
  else lua_pop(L, 1);
  tt_parse_ensure_table(L, idx, "available_tags");
  tt_number_push(L, sidx, idx);
}

static const char *kind_of(int status) {
  if (status == 401 || status == 403) return "auth";
  if (status == 404) return "not_found";
  if (status == 429) return "rate_limited";
  if (status >= 500) return "server";
  return "api";
}

/* Errors in whatever shape the server chose: errors as a DRF object
 * {field: [msgs]}, a list of strings or of {field, message}; or a bare DRF
 * body. Collects "field: msg" strings into the list at `out`, sets *field. */
static void collect_errors(lua_State *L, int src, int out, int skip_envelope) {
  lua_pushnil(L);
  while (lua_next(L, src)) {
    int vt = lua_type(L, -1);
    if (lua_type(L, -2) == LUA_TSTRING) {
      const char *k = lua_tostring(L, -2);
      if (skip_envelope && (strcmp(k, "status") == 0 || strcmp(k, "success") == 0 ||
                            strcmp(k, "data") == 0 || strcmp(k, "message") == 0 ||
                            strcmp(k, "errors") == 0 || strcmp(k, "detail") == 0 || strcmp(k, "code") == 0)) {
        lua_pop(L, 1);
        continue;
      }
      if (vt == LUA_TSTRING) {
        lua_pushfstring(L, "%s: %s", k, lua_tostring(L, -1));
        lua_rawseti(L, out, (int)lua_rawlen(L, out) + 1);
      } else if (vt == LUA_TTABLE) {
        lua_rawgeti(L, -1, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
          lua_pushfstring(L, "%s: %s", k, lua_tostring(L, -1));
          lua_rawseti(L, out, (int)lua_rawlen(L, out) + 1);
        }
        lua_pop(L, 1);
      }
    } else if (vt == LUA_TSTRING) {
      lua_pushvalue(L, -1);
      lua_rawseti(L, out, (int)lua_rawlen(L, out) + 1);
    } else if (vt == LUA_TTABLE) {
      lua_getfield(L, -1, "field");
      lua_getfield(L, -2, "message");
      if (lua_isstring(L, -2) && lua_isstring(L, -1)) {
        lua_pushfstring(L, "%s: %s", lua_tostring(L, -2), lua_tostring(L, -1));
        lua_rawseti(L, out, (int)lua_rawlen(L, out) + 1);
      } else if (lua_isstring(L, -1)) {
        lua_pushvalue(L, -1);
        lua_rawseti(L, out, (int)lua_rawlen(L, out) + 1);
      }
      lua_pop(L, 2);
    }
    lua_pop(L, 1);
  }
}

static void html_title(lua_State *L, const char *body, size_t len) {
  const char *t = NULL, *e;
  size_t i;
  for (i = 0; i + 7 <= len && i < 4096; i++)
    if (strncasecmp(body + i, "<title>", 7) == 0) {
      t = body + i + 7;
      break;
    }
  if (t != NULL && (e = memchr(t, '<', len - (size_t)(t - body))) != NULL && e - t < 120) {
    lua_pushliteral(L, "HTML error page: ");
    lua_pushlstring(L, t, (size_t)(e - t));
    lua_concat(L, 2);
  } else {
    lua_pushliteral(L, "HTML error page");
  }
}

static void set_retry_after(lua_State *L, int headers) {
  const char *v;
  if (!lua_istable(L, headers)) return;
  lua_getfield(L, headers, "retry-after");
  v = lua_tostring(L, -1);
  if (v != NULL) {
    char *end;
    double secs = strtod(v, &end);
    if (end == v) {
      time_t now = time(NULL), at = curl_getdate(v, &now);
      secs = at > 0 ? difftime(at, now) : -1;
    }
    if (secs >= 0) {
      lua_pushnumber(L, secs);
      lua_setfield(L, -3, "retry_after");
    }
  }
  lua_pop(L, 1);
}

static int api_error(lua_State *L, const tt_endpoint *ep, int status, const char *body, size_t len,
                     int headers, int doc) {
  int err, list;
  const char *msg = NULL;
  lua_pushnil(L);
  tt_error_push(L, kind_of(status), "");
  err = lua_gettop(L);
  lua_pushinteger(L, status);
  lua_setfield(L, err, "status");
  lua_pushstring(L, ep->op);
  lua_setfield(L, err, "op");
  lua_pushboolean(L, 1);
  lua_setfield(L, err, "sent");
  set_retry_after(L, headers);
  lua_newtable(L);
  list = lua_gettop(L);
  if (doc != 0 && lua_istable(L, doc)) {
    if (tt_parse_get_table(L, doc, "errors")) {
      collect_errors(L, lua_gettop(L), list, 0);
      lua_pop(L, 1);
    } else {
      collect_errors(L, doc, list, 1);
    }
    lua_getfield(L, doc, "code");
    if (lua_type(L, -1) == LUA_TSTRING) lua_setfield(L, err, "code");
    else lua_pop(L, 1);
    lua_getfield(L, doc, "message");
    if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0) {
      lua_pop(L, 1);
      lua_getfield(L, doc, "detail");
    }
    if (lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) > 0) msg = lua_tostring(L, -1);
    else lua_pop(L, 1);
  }
  if (lua_rawlen(L, list) > 0) {
    lua_rawgeti(L, list, 1);
    {
      const char *first = lua_tostring(L, -1), *colon = strstr(first, ": ");
      if (colon != NULL) {
        lua_pushlstring(L, first, (size_t)(colon - first));
        lua_setfield(L, err, "field");
      }
    }
    if (msg == NULL) msg = lua_tostring(L, -1);
    else lua_pop(L, 1);
  }
  if (msg == NULL) {
    if (len == 0) {
      msg = lua_pushfstring(L, "HTTP %d with an empty body", status);
    } else if (doc == 0 && (memchr(body, '<', len < 64 ? len : 64) != NULL)) {
      html_title(L, body, len);
      msg = lua_tostring(L, -1);
    } else {
      msg = lua_pushfstring(L, "HTTP %d (%d bytes, not a JSON error)", status, (int)len);
    }
  }
  lua_pushstring(L, msg);
  lua_setfield(L, err, "message");
  lua_pushvalue(L, list);
  lua_setfield(L, err, "errors");
  lua_settop(L, err);
  return 2;
}

static int core_parse(lua_State *L) {
  const char *op = luaL_checkstring(L, 2);
  int status = (int)luaL_checkinteger(L, 3);
  size_t len = 0;
  const char *body = luaL_optlstring(L, 4, "", &len);
  const tt_endpoint *ep;
  int doc = 0, data = 0, ok = status >= 200 && status < 300;
  luaL_checkudata(L, 1, TT_SESSION_MT);
  ep = tt_endpoint_find(op, tt_session_dialect(L, 1));
  if (ep == NULL) return luaL_argerror(L, 2, "unknown operation");
  lua_settop(L, 5);
  if (ok && ep->result == TT_R_BYTES) {
    lua_pushvalue(L, 4);
    return 1;
  }
  if (ok && tt_parse_v1_raw(L, ep, body, len, 5)) return 1;
  if (len > 0 && tt_json_decode(L, body, len)) {
    doc = lua_gettop(L);
  } else if (len > 0) {
    lua_pushvalue(L, DECODE_IDX);
    lua_pushlstring(L, body, len);
    lua_call(L, 1, 1);
    if (lua_istable(L, -1)) {
      doc = lua_gettop(L);
      clean(L, doc, 0);
    } else {
      lua_pop(L, 1);
    }
  }
  if (!ok) return api_error(L, ep, status, body, len, 5, doc);
  if (ep->result >= TT_R_COOKIES) {
    /* any 2xx, an empty body too (reference, open question 15) */
    if (doc == 0 && len > 0) return tt_parse_decode_error(L, ep, status, "answer is not valid JSON");
    return tt_parse_v1(L, ep, status, doc, 5);
  }
  if (ep->result == TT_R_TRUE && doc == 0) {
    lua_pushboolean(L, 1);
    return 1;
  }
  if (doc == 0)
    return tt_parse_decode_error(L, ep, status, len == 0 ? "empty answer where JSON was expected"
                                                : "answer is not valid JSON");
  lua_getfield(L, doc, "success");
  if (lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
    lua_getfield(L, doc, "status");
    /* bounded before the cast: a status of 1e300 or NaN in a hostile body
     * would be undefined behaviour in (int); 804 is no HTTP error either */
    if (lua_isnumber(L, -1) && lua_tonumber(L, -1) >= 400 && lua_tonumber(L, -1) < 600)
      status = (int)lua_tonumber(L, -1);
    else status = 400;
    return api_error(L, ep, status, body, len, 5, doc);
  }
  lua_pop(L, 1);
  if (tt_parse_get_table(L, doc, "data")) data = lua_gettop(L);

  switch (ep->result) {
  case TT_R_LOGIN:
    if (data == 0 || !tt_parse_get_table(L, data, "token")) return tt_parse_decode_error(L, ep, status, "login answer has no token");
    lua_createtable(L, 0, 2);
    lua_getfield(L, -2, "access");
    lua_setfield(L, -2, "access");
    lua_getfield(L, -2, "refresh");
    lua_setfield(L, -2, "refresh");
    lua_getfield(L, -1, "access");
    if (!lua_isstring(L, -1)) return tt_parse_decode_error(L, ep, status, "login answer has no access token");
    lua_pop(L, 1);
    if (!tt_parse_get_table(L, data, "user_data")) lua_newtable(L);
    lua_insert(L, -2);
    return 2;
  case TT_R_REFRESH: {
    int src = doc;
    lua_getfield(L, doc, "access");
    if (!lua_isstring(L, -1) && data != 0) {
      lua_pop(L, 1);
      src = data;
      lua_getfield(L, data, "access");
    }
    if (!lua_isstring(L, -1)) return tt_parse_decode_error(L, ep, status, "refresh answer has no access token");
    lua_pushboolean(L, 1);
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "access");
    lua_getfield(L, src, "refresh");
    lua_setfield(L, -2, "refresh");
    return 2;
  }
  case TT_R_CAMPAIGNS: {
    int result = 0;
    if (tt_parse_get_table(L, doc, "result")) result = lua_gettop(L);
    else if (data != 0) result = data;
    if (result == 0 || !tt_parse_get_table(L, result, ep->list_key))
      return tt_parse_decode_error(L, ep, status, "campaign list answer has no campaign-lists");
    tt_parse_map_list(L, 1, lua_gettop(L), to_campaign);
    if (!tt_parse_get_table(L, doc, "pagination")) lua_pushnil(L);
    return 2;
  }
  case TT_R_TRUE:
    lua_pushboolean(L, 1);
    return 1;
  default:
    if (data == 0) return tt_parse_decode_error(L, ep, status, "answer has no data");
  }

  switch (ep->result) {
  case TT_R_USER:
  case TT_R_PHONES:
    if (!tt_parse_get_table(L, data, ep->list_key)) return tt_parse_decode_error(L, ep, status, "answer lacks the expected list");
    return 1;
  case TT_R_PHONE:
  case TT_R_CAMPAIGN:
  case TT_R_DETAILS:
    if (!tt_parse_get_table(L, data, ep->list_key) || !first_object(L))
      return tt_parse_decode_error(L, ep, status, "answer lacks details");
    if (ep->result == TT_R_CAMPAIGN) to_campaign(L, 1, -1);
    return 1;
  case TT_R_NUMBERS:
    if (!tt_parse_get_table(L, data, ep->list_key)) return tt_parse_decode_error(L, ep, status, "answer lacks number-lists");
    tt_parse_map_list(L, 1, lua_gettop(L), to_number);
    return 1;
  case TT_R_NUMBER:
    if (!tt_parse_get_table(L, data, ep->list_key) && !tt_parse_get_table(L, data, "details") &&
        !tt_parse_get_table(L, data, "number-detail")) {
      lua_getfield(L, data, "id");
      if (lua_isnil(L, -1)) return tt_parse_decode_error(L, ep, status, "answer lacks the number");
      lua_pop(L, 1);
      lua_pushvalue(L, data);
    }
    if (lua_rawlen(L, -1) > 0 && !first_object(L)) return tt_parse_decode_error(L, ep, status, "answer lacks the number");
    to_number(L, 1, -1);
    return 1;
  default: /* TT_R_DATA */
    lua_pushvalue(L, data);
    lua_createtable(L, 0, 1);
    lua_getfield(L, doc, "message");
    lua_setfield(L, -2, "message");
    return 2;
  }
}

/* core._json_pair(body) -> fast, reference: the document as json.c's fast
 * path reads it (false when it declines) and as cjson + clean() read it (nil
 * when not JSON). For the differential spec only: the two must agree. */
static int core_json_pair(lua_State *L) {
  size_t len;
  const char *body = luaL_checklstring(L, 1, &len);
  lua_settop(L, 1);
  if (!tt_json_decode(L, body, len)) lua_pushboolean(L, 0);
  lua_pushvalue(L, DECODE_IDX);
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  if (lua_istable(L, -1)) clean(L, -1, 0);
  return 2;
}

void tt_parse_open(lua_State *L) {
  /* A private cjson instance, so that a caller's cjson settings never change
   * how answers are read. */
  lua_getglobal(L, "require");
  lua_pushliteral(L, "cjson.safe");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "new");
  if (lua_isfunction(L, -1)) {
    lua_call(L, 0, 1);
    lua_remove(L, -2);
  } else {
    lua_pop(L, 1);
  }
  lua_getfield(L, -1, "decode_max_depth");
  if (lua_isfunction(L, -1)) {
    lua_pushinteger(L, 64);
    lua_call(L, 1, 0);
  } else {
    lua_pop(L, 1);
  }
  lua_getfield(L, -1, "decode");
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, core_parse, 1);
  lua_setfield(L, -4, "parse");
  lua_pushcclosure(L, core_json_pair, 1);
  lua_setfield(L, -3, "_json_pair");
  lua_pop(L, 1);
}
