/* Shared by the libFuzzer harnesses: one Lua 5.4 state per process with
 * tingting.core (its sources are built into the fuzzer) preloaded, lua/ on
 * package.path and the system's cjson.so on package.cpath. */
#ifndef TT_FUZZ_HARNESS_H
#define TT_FUZZ_HARNESS_H

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stddef.h>
#include <stdint.h>

/* The state, with the chunk `src` run once: it must return a function, which
 * tt_fuzz_call then calls with the input as a string. */
lua_State *tt_fuzz_state(const char *src);
/* Calls the function with (data as a string); a Lua error is a finding
 * (abort) unless the harness's chunk catches what it expects. */
void tt_fuzz_call(lua_State *L, const uint8_t *data, size_t size);

#endif
