/* Campaign and Number userdata (objects.c), as parse.c makes them. */
#ifndef TINGTING_OBJECTS_H
#define TINGTING_OBJECTS_H

#include "compat.h"

#define TT_CAMPAIGN_MT "tingting.campaign"
#define TT_NUMBER_MT "tingting.number"

#pragma GCC visibility push(hidden)

/* Wrap the plain table at index idx (decoded wire object) as a
 * Campaign/Number bound to the session at index sidx; pushes the userdata. */
void tt_campaign_push(lua_State *L, int sidx, int idx);
void tt_number_push(lua_State *L, int sidx, int idx);

#pragma GCC visibility pop

#endif
