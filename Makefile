# tingting: `make demo` and `make test` do all their own set-up on Debian 12.
SHELL    := /bin/bash
LUA      ?= lua5.4
LUA_VER  ?= 5.4
CC       ?= cc
CFLAGS   ?= -O2 -g
WARN      = -std=c99 -Wall -Wextra -Wpedantic -Werror=implicit-function-declaration
PIC       = -fPIC -fvisibility=hidden -D_POSIX_C_SOURCE=200809L
LUA_INC  ?= /usr/include/lua$(LUA_VER)
CURL_LIBS = -lcurl
SRCS      = $(wildcard csrc/*.c)
HDRS      = $(wildcard csrc/*.h)
BUILD     = build/lua$(LUA_VER)
CORE      = $(BUILD)/tingting/core.so
EMU       = bin/tingting-emulator
TEST_PORT ?= 18787
BUSTED    = busted --lua=$(LUA)

DEB_PKGS = lua5.4 liblua5.4-dev lua5.1 liblua5.1-0-dev lua-cjson libcurl4-openssl-dev \
           lua-busted lua-luassert luarocks lua-check lua-socket lua-ldoc \
           nginx-light libnginx-mod-http-lua lua-resty-core luajit2 zip unzip make gcc

.PHONY: all deps build build-5.1 test lint demo docs clean rock rock-check bench

all: build

# Installs the Debian packages the build, the tests and the emulator need, when missing.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: $(CORE)

$(CORE): $(SRCS) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(PIC) -I$(LUA_INC) -shared -o $@ $(SRCS) $(CURL_LIBS)

# The same sources for LuaJIT 2.1 (Lua 5.1 ABI), as loaded by nginx's Lua module.
build-5.1:
	$(MAKE) build LUA_VER=5.1

test: deps build build-5.1 lint rock-check
	@set -e; \
	url=$$($(EMU) start --port $(TEST_PORT)); \
	trap '$(EMU) stop --port $(TEST_PORT) >/dev/null 2>&1 || true' EXIT; \
	mkdir -p build; \
	TINGTING_EMULATOR_URL=$$url $(BUSTED) spec | tee build/test.log; status=$${PIPESTATUS[0]}; \
	sed 's/\x1b\[[0-9;]*m//g' build/test.log | \
	  sed -n 's/^\([0-9]*\) successes \/ \([0-9]*\) failures \/ \([0-9]*\) errors.*/\1 passed, \2 failed, \3 errors/p' | \
	  sed 's/, 0 errors$$//'; \
	exit $$status

lint:
	luacheck -q lua spec emulator examples bench bin/tingting

demo: deps build
	@set -e; \
	url=$$($(EMU) start --port 8787); \
	trap '$(EMU) stop --port 8787 >/dev/null 2>&1 || true' EXIT; \
	TINGTING_BASE_URL=$$url LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="$(BUILD)/?.so;;" \
	  $(LUA) examples/quickstart.lua

BENCH_PORT ?= 18797
build/bench/bare_curl: bench/bare_curl.c
	@mkdir -p build/bench
	$(CC) -O2 -Wall -Wextra -o $@ $< $(CURL_LIBS)

bench: deps build build/bench/bare_curl
	@set -e; \
	url=$$($(EMU) start --port $(BENCH_PORT)); \
	trap '$(EMU) stop --port $(BENCH_PORT) >/dev/null 2>&1 || true' EXIT; \
	TINGTING_EMULATOR_URL=$$url BARE_CURL=build/bench/bare_curl $(LUA) bench/percall.lua 2000; \
	TINGTING_EMULATOR_URL=$$url bench/callgrind.sh 200; \
	TINGTING_EMULATOR_URL=$$url $(LUA) bench/memory.lua 100000 20000; \
	TINGTING_EMULATOR_URL=$$url $(LUA) bench/add_numbers.lua 2000 20; \
	TINGTING_EMULATOR_URL=$$url BENCH_CONCURRENCY="16 64" $(LUA) bench/add_numbers.lua 2000 0; \
	TINGTING_EMULATOR_URL=$$url BENCH_CONCURRENCY="16 64" $(LUA) bench/add_numbers.lua 20000 0

docs:
	ldoc -c config.ld .

rock: deps
	luarocks --lua-version=5.4 make rockspec/tingting-scm-1.rockspec --deps-mode=none

# The rock builds offline into a private tree and loads from there alone.
ROCKTREE = build/rocktree
rock-check: deps
	@rm -rf $(ROCKTREE); mkdir -p build
	@luarocks --lua-version=5.4 --tree=$(ROCKTREE) make rockspec/tingting-scm-1.rockspec \
	  --deps-mode=none >build/rock.log 2>&1 || { cat build/rock.log; exit 1; }
	@rm -rf csrc/*.o tingting
	@LUA_PATH="$(ROCKTREE)/share/lua/5.4/?.lua;$(ROCKTREE)/share/lua/5.4/?/init.lua;;" \
	  LUA_CPATH="$(ROCKTREE)/lib/lua/5.4/?.so;;" $(LUA) -e \
	  'local t = require "tingting"; assert(package.searchpath("tingting.core", package.cpath):find("rocktree")); print("rock ok: tingting " .. t.VERSION)'

clean:
	rm -rf build doc
