/* The session userdata (session.c), as build.c and parse.c use it. */
#ifndef TINGTING_SESSION_H
#define TINGTING_SESSION_H

#include "compat.h"

#define TT_SESSION_MT "tingting.session"

#pragma GCC visibility push(hidden)

typedef struct tt_session {
  int closed;
} tt_session;

tt_session *tt_session_check(lua_State *L, int idx); /* raises on closed */
/* Push the session's internal state table (base_url, tokens, options). */
void tt_session_state(lua_State *L, int idx);

#pragma GCC visibility pop

#endif
