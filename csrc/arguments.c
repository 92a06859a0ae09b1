/* An operation's arguments against its endpoint row: no field the row does
 * not name, every required one given, each value checked and normalised by
 * its type (validate.c), then the rules that involve more than one field.
 * Failures follow validate.h: 0 with nil and a validation error pushed. */
#include "arguments.h"
#include "errors.h"
#include "validate.h"
#include <stdlib.h>
#include <string.h>

/* A table, or nothing; and only the fields the endpoint names. */
static int check_names(lua_State *L, const tt_endpoint *ep, int idx) {
  const char *op = ep->op;
  const tt_field *f;
  if (lua_isnil(L, idx)) return 1;
  if (!lua_istable(L, idx))
    return tt_validation_fail(L, op, "arguments", "expected a table (got %s)", luaL_typename(L, idx));
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    int known = 0;
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING)
      for (f = ep->fields; f->name != NULL && !known; f++) known = strcmp(f->name, lua_tostring(L, -1)) == 0;
    if (!known) {
      luaL_Buffer b;
      const char *k = tt_repr(L, -1), *hint = NULL;
      int best = -1;
      if (lua_type(L, -2) == LUA_TSTRING)
        for (f = ep->fields; f->name != NULL; f++) {
          int d = tt_typo_distance(lua_tostring(L, -2), f->name);
          if (d >= 0 && (best < 0 || d < best)) best = d, hint = f->name;
        }
      luaL_buffinit(L, &b);
      for (f = ep->fields; f->name != NULL; f++) {
        luaL_addstring(&b, f->name);
        if (f[1].name != NULL) luaL_addstring(&b, ", ");
      }
      luaL_pushresult(&b);
      if (hint != NULL)
        return tt_validation_fail(L, op, lua_type(L, -3) == LUA_TSTRING ? lua_tostring(L, -3) : "arguments",
                                  "unknown field %s; did you mean '%s'? (expected %s)", k, hint,
                                  lua_tostring(L, -1));
      return tt_validation_fail(L, op, lua_type(L, -3) == LUA_TSTRING ? lua_tostring(L, -3) : "arguments",
                                "unknown field %s (expected %s)", k,
                                lua_rawlen(L, -1) ? lua_tostring(L, -1) : "no arguments");
    }
  }
  return 1;
}

static int has(lua_State *L, int vals, const char *k) {
  int yes;
  lua_getfield(L, vals, k);
  yes = !lua_isnil(L, -1);
  lua_pop(L, 1);
  return yes;
}

static const char *str(lua_State *L, int vals, const char *k) {
  const char *s;
  lua_getfield(L, vals, k);
  s = lua_tostring(L, -1);
  lua_pop(L, 1); /* still referenced by vals */
  return s;
}

/* Whether the endpoint names field k: a rule holds where its fields exist,
 * so that one rule serves both dialects' rows of an op. */
static int names(const tt_endpoint *ep, const char *k) {
  const tt_field *f;
  for (f = ep->fields; f->name != NULL; f++)
    if (strcmp(f->name, k) == 0) return 1;
  return 0;
}

/* An update that changes nothing is refused, naming what it could change. */
static int check_something(lua_State *L, const tt_endpoint *ep, int vals) {
  const tt_field *f;
  luaL_Buffer b;
  int n = 0, i = 0;
  for (f = ep->fields; f->name != NULL; f++) {
    if (f->flags & TT_PATH) continue;
    if (has(L, vals, f->name)) return 1;
    n++;
  }
  luaL_buffinit(L, &b);
  luaL_addstring(&b, "nothing to update: give ");
  for (f = ep->fields; f->name != NULL; f++) {
    if (f->flags & TT_PATH) continue;
    if (i > 0) luaL_addstring(&b, ++i == n ? " or " : ", ");
    else i++;
    luaL_addstring(&b, f->name);
  }
  luaL_pushresult(&b);
  for (f = ep->fields; f->name != NULL && (f->flags & TT_PATH); f++) {}
  return tt_validation_fail(L, ep->op, f->name, "%s", lua_tostring(L, -1));
}

/* Rules that involve more than one field. */
static int check_cross(lua_State *L, const tt_endpoint *ep, int vals) {
  const char *op = ep->op;
  if (strcmp(op, "create_campaign") == 0 && names(ep, "individual_number")) {
    int list = has(L, vals, "individual_number"), file = has(L, vals, "send_to_number_file");
    if (!list && !file)
      return tt_validation_fail(L, op, "individual_number", "individual_number (a list) or send_to_number_file (a path) is required");
    if (list && file)
      return tt_validation_fail(L, op, "individual_number", "give individual_number or send_to_number_file, not both");
  } else if (strcmp(op, "create_campaign") == 0 && names(ep, "sms_message")) {
    const char *svc = str(L, vals, "services"), *sms = str(L, vals, "sms_message");
    if (svc != NULL && strstr(svc, "SMS") != NULL && (sms == NULL || sms[0] == '\0'))
      return tt_validation_fail(L, op, "sms_message", "is required for services %s", svc);
  } else if (strcmp(op, "update_campaign") == 0 || strcmp(op, "update_number") == 0 ||
             strcmp(op, "set_message") == 0) {
    return check_something(L, ep, vals);
  } else if (strcmp(op, "begin") == 0 && names(ep, "aud_file")) {
    if (!has(L, vals, "message") && !has(L, vals, "aud_file") && !has(L, vals, "status") &&
        !has(L, vals, "priority"))
      return tt_validation_fail(L, op, "message", "begin needs message or aud_file (or status/priority to re-run)");
  } else if (strcmp(op, "send_otp") == 0) {
    const char *opt = str(L, vals, "otp_options"), *msg = str(L, vals, "message");
    const char *via = str(L, vals, "sms_send_options");
    int otp = has(L, vals, "otp");
    if (opt == NULL && otp) {
      /* an OTP of one's own means "personnel", whatever the default is */
      lua_pushliteral(L, "personnel");
      lua_setfield(L, vals, "otp_options");
      opt = "personnel";
    }
    if (opt != NULL && strcmp(opt, "personnel") == 0) {
      if (!otp) return tt_validation_fail(L, op, "otp", "is required when otp_options is personnel");
      if (has(L, vals, "otp_length"))
        return tt_validation_fail(L, op, "otp_length", "only with otp_options generated");
    } else if (otp) {
      return tt_validation_fail(L, op, "otp", "only with otp_options personnel");
    }
    if (has(L, vals, "otp_length")) {
      /* strtoll, not atoi: "4294967297" wrapped to 1 in an int and passed.
       * The value is at most 16 digits (tt_check_digits), so it fits. */
      const char *v = str(L, vals, "otp_length");
      long long n = strtoll(v, NULL, 10);
      if (n < 1 || n > 10) return tt_validation_fail(L, op, "otp_length", "expected 1 to 10 digits (got %s)", v);
    }
    if (msg != NULL && strstr(msg, "{otp}") == NULL)
      return tt_validation_fail(L, op, "message", "must contain the {otp} placeholder");
    /* v1 (#28): a voice OTP names its voice */
    if (names(ep, "voice_input") && via != NULL && strcmp(via, "voice") == 0 && !has(L, vals, "voice_input"))
      return tt_validation_fail(L, op, "voice_input", "is required when sms_send_options is voice");
  }
  return 1;
}

int tt_check_args(lua_State *L, const tt_endpoint *ep, int idx) {
  const tt_field *f;
  int vals;
  idx = lua_absindex(L, idx);
  if (!check_names(L, ep, idx)) return 0;
  for (f = ep->fields; f->name != NULL; f++) {}
  lua_createtable(L, 0, (int)(f - ep->fields)); /* at its final size */
  vals = lua_gettop(L);
  for (f = ep->fields; f->name != NULL; f++) {
    if (lua_istable(L, idx)) lua_getfield(L, idx, f->name);
    else lua_pushnil(L);
    if (lua_isnil(L, -1)) {
      if (f->flags & TT_REQUIRED) return tt_validation_fail(L, ep->op, f->name, "is required");
      lua_pop(L, 1);
      continue;
    }
    if (!tt_check_value(L, ep->op, f, lua_gettop(L))) return 0;
    lua_setfield(L, vals, f->name);
    lua_pop(L, 1);
  }
  return check_cross(L, ep, vals);
}
