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
# libxlsxwriter: recipient files (csrc/xlsx.c)
XLSX_LIBS = -lxlsxwriter
# http-parser: the cosocket transport's response parser (csrc/http.c)
HTTP_LIBS = -lhttp_parser
# hiredis: the Redis protocol of tingting.store.redis (csrc/redis.c)
REDIS_LIBS = -lhiredis
LIBS      = $(CURL_LIBS) $(XLSX_LIBS) $(HTTP_LIBS) $(REDIS_LIBS)
SRCS      = $(wildcard csrc/*.c csrc/curl/*.c)
HDRS      = $(wildcard csrc/*.h csrc/curl/*.h)
BUILD     = build/lua$(LUA_VER)
CORE      = $(BUILD)/tingting/core.so
EMU       = bin/tingting-emulator
TEST_PORT ?= 18787
BUSTED    = busted --lua=$(LUA)

# What `make demo` needs: the Lua 5.4 core's build (the headers of the libraries
# it links), lua-cjson, and the emulator (nginx with its Lua module, which runs
# on LuaJIT with lua-resty-core). `make test` and the other targets install
# the rest: the other Lua versions, busted, luarocks, the OpenResty specs'
# LuaJIT, sanitizers, valgrind, wrk, Redis.
DEMO_PKGS = make gcc lua5.4 liblua5.4-dev lua-cjson libcurl4-openssl-dev libxlsxwriter-dev \
            libhttp-parser-dev libhiredis-dev nginx-light libnginx-mod-http-lua lua-resty-core
TEST_PKGS = lua5.3 liblua5.3-dev lua5.1 liblua5.1-0-dev ca-certificates \
            lua-busted lua-luassert luarocks lua-check lua-socket lua-ldoc lua-discount \
            luajit2 zip unzip git \
            clang-14 libclang-rt-14-dev valgrind curl wrk \
            redis-server
DEB_PKGS  = $(DEMO_PKGS) $(TEST_PKGS)

.PHONY: all deps demo-deps bench-deps docs-deps dist dist-check build build-5.1 build-5.3 test-compat test lint demo openresty-demo openresty-demo-2hosts docs clean rock rock-check bench \
        test-sanitize test-valgrind fuzz fuzz-smoke soak

all: build

# Installs the Debian packages of DEB_PKGS that are missing (by default all
# those the build, the tests and the emulator need; demo-deps, bench-deps
# pass their own list).
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
	$(CC) $(CFLAGS) $(WARN) $(PIC) -I$(LUA_INC) -shared -o $@ $(SRCS) $(LIBS)

# The same sources for LuaJIT 2.1 (Lua 5.1 ABI), as loaded by nginx's Lua module,
# and for Lua 5.3.
build-5.1:
	$(MAKE) build LUA_VER=5.1
build-5.3:
	$(MAKE) build LUA_VER=5.3

# The sans-IO specs (core, numbers, crypto, JSON both ways, HTTP answers, the Redis protocol) on Lua 5.3, 5.1 and LuaJIT.
COMPAT_SPECS = spec/call_path_spec.lua spec/numbers_spec.lua spec/crypto_spec.lua spec/json_decode_spec.lua \
               spec/json_encode_spec.lua spec/http_parser_spec.lua \
               spec/redis_protocol_spec.lua spec/big_ids_spec.lua
test-compat: build-5.1 build-5.3
	@for v in lua5.3:5.3 lua5.1:5.1 luajit:5.1; do \
	  busted --lua=$${v%%:*} --cpath="./build/lua$${v##*:}/?.so" -o TAP $(COMPAT_SPECS) >build/compat.log 2>&1 || \
	    { cat build/compat.log; echo "test-compat: $${v%%:*} failed"; exit 1; }; \
	  echo "test-compat: $${v%%:*}: $$(grep -c '^ok' build/compat.log) passed"; \
	done

# Each fuzzer runs TEST_FUZZ_TIME seconds first (fuzz/: parse, build, template, phone, http, redis).
TEST_FUZZ_TIME ?= 5
test: deps build build-5.1 test-compat lint rock-check dist-check
	@$(MAKE) --no-print-directory fuzz FUZZ_TIME=$(TEST_FUZZ_TIME)
	@set -e; \
	url=$$($(EMU) start --port $(TEST_PORT)); \
	trap '$(EMU) stop --port $(TEST_PORT) >/dev/null 2>&1 || true' EXIT; \
	mkdir -p build; \
	TINGTING_EMULATOR_URL=$$url TINGTING_OPENRESTY_TREE=$(CURDIR)/$(ROCKTREE51) \
	  $(BUSTED) spec | tee build/test.log; status=$${PIPESTATUS[0]}; \
	sed 's/\x1b\[[0-9;]*m//g' build/test.log | \
	  sed -n 's/^\([0-9]*\) successes \/ \([0-9]*\) failures \/ \([0-9]*\) errors.*/\1 passed, \2 failed, \3 errors/p' | \
	  sed 's/, 0 errors$$//'; \
	exit $$status

lint:
	luacheck -q lua spec emulator examples bench bin/tingting

# `make demo PORT=9000`. A plain assignment, not ?=: a PORT in the environment
# (set for some other server) does not move the demo, only the command line does.
PORT = 8787
demo-deps:
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(DEMO_PKGS)"

demo: demo-deps build
	@set -e; \
	url=$$($(EMU) start --port $(PORT)); \
	trap '$(EMU) stop --port $(PORT) >/dev/null 2>&1 || true' EXIT; \
	TINGTING_BASE_URL=$$url LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="$(BUILD)/?.so;;" \
	  $(LUA) examples/quickstart.lua; \
	echo; echo "== the v1 API (/api/v1/), with an API token =="; \
	TINGTING_BASE_URL=$$url LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="$(BUILD)/?.so;;" \
	  $(LUA) examples/quickstart_v1.lua

# The OTP service of examples/openresty in nginx (LuaJIT) against the emulator:
# the emulator on PORT, the service on PORT+1 (and PORT+2 for the second host).
OPENRESTY = examples/openresty/run
PORT1 = $(shell echo $$(( $(PORT) + 1 )))
PORT2 = $(shell echo $$(( $(PORT) + 2 )))
openresty-demo: deps build build-5.1
	@set -e; \
	url=$$($(EMU) start --port $(PORT)); \
	trap '$(OPENRESTY) stop --port $(PORT1); $(EMU) stop --port $(PORT) >/dev/null 2>&1 || true' EXIT; \
	svc=$$($(OPENRESTY) start --port $(PORT1) --api $$url); \
	LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="$(BUILD)/?.so;;" $(LUA) examples/openresty/demo.lua $$svc $$url

# The same service on two hosts sharing one Redis (README, "Running on several
# hosts"): nginx A on PORT+1 and B on PORT+2, each its own prefix and shared
# dicts, and a private redis-server (no persistence, its directory under build/).
REDIS_DEMO_PORT ?= 6390
REDIS_DEMO_DIR   = $(CURDIR)/build/redis-demo
openresty-demo-2hosts: deps build build-5.1
	@set -e; \
	url=$$($(EMU) start --port $(PORT)); \
	rm -rf $(REDIS_DEMO_DIR); mkdir -p $(REDIS_DEMO_DIR); \
	trap '$(OPENRESTY) stop --port $(PORT1); $(OPENRESTY) stop --port $(PORT2); \
	  kill $$(cat $(REDIS_DEMO_DIR)/redis.pid 2>/dev/null) 2>/dev/null; \
	  $(EMU) stop --port $(PORT) >/dev/null 2>&1 || true' EXIT; \
	redis-server --port $(REDIS_DEMO_PORT) --bind 127.0.0.1 --save '' --appendonly no \
	  --dir $(REDIS_DEMO_DIR) --daemonize yes --pidfile $(REDIS_DEMO_DIR)/redis.pid \
	  --logfile $(REDIS_DEMO_DIR)/redis.log; \
	export TINGTING_REDIS=127.0.0.1:$(REDIS_DEMO_PORT); \
	a=$$($(OPENRESTY) start --port $(PORT1) --api $$url); \
	b=$$($(OPENRESTY) start --port $(PORT2) --api $$url); \
	LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="$(BUILD)/?.so;;" $(LUA) examples/openresty/demo_2hosts.lua $$a $$b $$url

BENCH_PORT ?= 18797
build/bench/bare_curl: bench/bare_curl.c
	@mkdir -p build/bench
	$(CC) -O2 -Wall -Wextra -o $@ $< $(CURL_LIBS)

# Only the benchmarks need these: luasec for the https comparison, openssl to
# make its certificate.
BENCH_PKGS = lua-sec openssl
BENCH_TLS_PORT ?= 18798
bench-deps:
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(BENCH_PKGS)"

bench: deps bench-deps build build-5.1 build/bench/bare_curl
	@set -eo pipefail; \
	url=$$($(EMU) start --port $(BENCH_PORT)); \
	trap 'bench/tls.sh stop $(BENCH_TLS_PORT); $(EMU) stop --port $(BENCH_PORT) >/dev/null 2>&1 || true' EXIT; \
	export TINGTING_EMULATOR_URL=$$url; \
	read -r tls ca < <(bench/tls.sh start $(BENCH_TLS_PORT) $$url); \
	{ echo "# make bench, $$(date -u '+%Y-%m-%d %H:%M UTC'), $$(nproc) cores"; echo; echo '```'; \
	  BARE_CURL=build/bench/bare_curl $(LUA) bench/percall.lua 2000; echo; \
	  BENCH_BASE=$$tls BENCH_CA=$$ca BARE_CURL=build/bench/bare_curl $(LUA) bench/percall.lua 630; echo; \
	  bench/callgrind.sh 200; echo; \
	  $(LUA) bench/memory.lua 100000 20000; echo; \
	  $(LUA) bench/add_numbers.lua 2000 20; echo; \
	  $(LUA) bench/add_numbers.lua 20000 20; echo; \
	  $(LUA) bench/add_numbers.lua 2000 0; echo; \
	  $(LUA) bench/add_numbers.lua 20000 0; echo; \
	  $(LUA) bench/openresty.lua 10 50; echo; \
	  BENCH_BASE=$$tls BENCH_CA=$$ca $(LUA) bench/scale.lua 1000000; echo; \
	  $(LUA) bench/redis_otp.lua 10 50; echo '```'; \
	} | tee bench/results.md

# API docs from the LDoc comments (config.ld) into doc/, rendered with discount
# (lua-discount). Any warning, or a markdown formatter that is missing, fails.
# Only the docs need these: ldoc and the markdown it renders with.
DOCS_PKGS = lua-ldoc lua-discount
docs-deps:
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(DOCS_PKGS)"

docs: docs-deps
	@mkdir -p build
	@ldoc -c config.ld . >build/ldoc.log 2>build/ldoc.warnings || { cat build/ldoc.log build/ldoc.warnings; exit 1; }
	@if [ -s build/ldoc.warnings ] || grep -q '^format:' build/ldoc.log; then \
	  cat build/ldoc.log build/ldoc.warnings; echo "make docs: ldoc warned (above)"; exit 1; fi
	@echo "docs: doc/index.html"

rock: deps
	luarocks --lua-version=5.4 make rockspec/tingting-scm-1.rockspec --deps-mode=none

# The rock builds offline into a private tree and loads from there alone; the
# same for Lua 5.1 (LuaJIT), the tree nginx loads it from in the OpenResty specs.
# luarocks does not see Debian's lua-cjson (apt) and `luarocks make` says it is
# missing; told that the system provides it (rocks_provided, as README's
# "Install as a rock" shows), it must not.
ROCKTREE   = build/rocktree
ROCKTREE51 = build/rocktree-5.1
ROCKS_CONFIG = build/luarocks-config.lua
rock-check: deps
	@rm -rf $(ROCKTREE) $(ROCKTREE51); mkdir -p build
	@$(LUA) -e 'print(("rocks_provided = { [\"lua-cjson\"] = %q }"):format(require("cjson")._VERSION .. "-1"))' \
	  >$(ROCKS_CONFIG)
	@LUAROCKS_CONFIG=$(ROCKS_CONFIG) luarocks --lua-version=5.4 --tree=$(ROCKTREE) make rockspec/tingting-scm-1.rockspec \
	  --deps-mode=none >build/rock.log 2>&1 || { cat build/rock.log; exit 1; }
	@! grep -A3 "Missing dependencies" build/rock.log || { echo "rock-check: luarocks misses a dependency the system has"; exit 1; }
	@rm -rf csrc/*.o csrc/curl/*.o tingting
	@LUAROCKS_CONFIG=$(ROCKS_CONFIG) luarocks --lua-version=5.1 --tree=$(ROCKTREE51) make rockspec/tingting-scm-1.rockspec \
	  --deps-mode=none >build/rock-5.1.log 2>&1 || { cat build/rock-5.1.log; exit 1; }
	@rm -rf csrc/*.o csrc/curl/*.o tingting
	@LUA_PATH="$(ROCKTREE)/share/lua/5.4/?.lua;$(ROCKTREE)/share/lua/5.4/?/init.lua;;" \
	  LUA_CPATH="$(ROCKTREE)/lib/lua/5.4/?.so;;" $(LUA) -e \
	  'local t = require "tingting"; require "tingting.otp"; require "tingting.store.redis"; assert(require("tingting.core").redis_format("PING")); assert(package.searchpath("tingting.core", package.cpath):find("rocktree")); print("rock ok: tingting " .. t.VERSION)'
	@LUA_PATH="$(ROCKTREE51)/share/lua/5.1/?.lua;$(ROCKTREE51)/share/lua/5.1/?/init.lua;;" \
	  LUA_CPATH="$(ROCKTREE51)/lib/lua/5.1/?.so;;" luajit -e \
	  'local t = require "tingting"; require "tingting.otp"; require "tingting.store.redis"; assert(require("tingting.core").redis_format("PING")); assert(package.searchpath("tingting.core", package.cpath):find("rocktree%-5%.1")); print("rock ok for LuaJIT: tingting " .. t.VERSION)'

# The release: dist/ gets the tarball (git archive of DIST_REF, by default
# HEAD: only what is committed), the rockspec to publish (the committed one of
# that commit plus the tarball's md5) and the source rock that holds both
# (what `luarocks pack` would make, without fetching the url). The version is
# the core's (TT_VERSION). The comment atop the rockspec says why the md5 is
# filled in here.
VERSION  := $(shell sed -n 's/^\#define TT_VERSION "\(.*\)"$$/\1/p' csrc/tingting.h)
RELEASE   = tingting-$(VERSION)
DIST_REF ?= HEAD
DIST      = dist
DIST_ROCKSPEC = rockspec/$(RELEASE)-1.rockspec
# git archive names the commit in the tar and stamps files with its time, and
# gzip -n leaves out its own name and time: one commit, one md5.
DIST_TARBALL = git archive --format=tar --prefix=$(RELEASE)/ $(DIST_REF) | gzip -9n
dist:
	@set -eo pipefail; \
	command -v zip >/dev/null || $(MAKE) --no-print-directory deps DEB_PKGS=zip; \
	git cat-file -e $(DIST_REF):$(DIST_ROCKSPEC) 2>/dev/null || \
	  { echo "dist: $(DIST_REF) has no $(DIST_ROCKSPEC) (version $(VERSION), csrc/tingting.h)" >&2; exit 1; }; \
	[ -z "$$(git status --porcelain --untracked-files=no)" ] || \
	  echo "dist: uncommitted changes are left out: the tarball is $(DIST_REF) as committed" >&2; \
	rm -rf $(DIST); mkdir -p $(DIST); \
	$(DIST_TARBALL) >$(DIST)/$(RELEASE).tar.gz; \
	md5=$$(md5sum <$(DIST)/$(RELEASE).tar.gz | cut -d' ' -f1); \
	git show $(DIST_REF):$(DIST_ROCKSPEC) | \
	  sed 's|^\(  dir = "$(RELEASE)",\)$$|\1\n  md5 = "'$$md5'",|' >$(DIST)/$(RELEASE)-1.rockspec; \
	ROCKSPEC=$(DIST)/$(RELEASE)-1.rockspec MD5=$$md5 $(LUA) -e '$(DIST_HAS_MD5)'; \
	(cd $(DIST) && zip -qX $(RELEASE)-1.src.rock $(RELEASE)-1.rockspec $(RELEASE).tar.gz); \
	echo "dist: $(DIST)/$(RELEASE).tar.gz (md5 $$md5, $$(git rev-parse --short $(DIST_REF))), $(DIST)/$(RELEASE)-1.rockspec, $(DIST)/$(RELEASE)-1.src.rock"
DIST_HAS_MD5 = local f, e = os.getenv "ROCKSPEC", {}; assert(loadfile(f, "t", e))(); \
  assert(e.source.md5 == os.getenv "MD5", f .. ": no md5 after its source.dir line")

# The source rock installs into an empty tree with no network and no other
# rock, builds there (in luarocks' temp directory, not in this checkout), and
# loads from that tree alone. A second archive of the same commit must have
# the same md5. It makes its own dist under build/, leaving dist/ alone.
DISTTREE = build/disttree
DIST_CHECK_DIR = build/dist
dist-check: deps
	@git rev-parse --git-dir >/dev/null 2>&1 || { echo "dist-check: not a git checkout, skipped"; exit 0; }; \
	set -eo pipefail; \
	$(MAKE) --no-print-directory dist DIST=$(DIST_CHECK_DIR) >/dev/null; \
	rm -rf $(DISTTREE); mkdir -p build; \
	luarocks --lua-version=5.4 --tree=$(DISTTREE) install $(DIST_CHECK_DIR)/$(RELEASE)-1.src.rock --deps-mode=none \
	  >build/dist.log 2>&1 || { cat build/dist.log; exit 1; }; \
	md5=$$($(DIST_TARBALL) | md5sum | cut -d' ' -f1); \
	grep -q "md5 = \"$$md5\"" $(DIST_CHECK_DIR)/$(RELEASE)-1.rockspec || \
	  { echo "dist-check: a second archive of $(DIST_REF) has another md5 ($$md5)"; exit 1; }; \
	LUA_PATH="$(DISTTREE)/share/lua/5.4/?.lua;$(DISTTREE)/share/lua/5.4/?/init.lua;;" \
	  LUA_CPATH="$(DISTTREE)/lib/lua/5.4/?.so;;" $(LUA) -e '$(DIST_LOAD)'
DIST_LOAD = local t = require "tingting"; require "tingting.otp"; \
  assert(package.searchpath("tingting", package.path):find("disttree", 1, true)); \
  assert(package.searchpath("tingting.core", package.cpath):find("disttree", 1, true)); \
  assert(t._VERSION == "$(VERSION)" and require("tingting.core").VERSION == "$(VERSION)"); \
  print("dist ok: $(RELEASE)-1.src.rock installs offline into $(DISTTREE); tingting " .. t._VERSION)

clean:
	rm -rf build doc $(DIST)

# --- Reliability: sanitizers, valgrind, fuzzing, soak (bench/README.md "Reliability") ---
SAN_CC    ?= clang-14
SAN_FLAGS  = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_BUILD  = build/asan/lua$(LUA_VER)
SAN_CORE   = $(SAN_BUILD)/tingting/core.so
# The core .so leaves the runtime to the process: lua5.4 is not instrumented, so
# the ASan runtime (which carries UBSan's handlers too) is preloaded into it.
ASAN_RT    = $(shell $(SAN_CC) -print-file-name=libclang_rt.asan-x86_64.so)
SAN_ENV    = LD_PRELOAD=$(ASAN_RT) \
             ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
             UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# LeakSanitizer pass: lua5.4 frees its whole state on exit (lua_close), so what
# remains is ours or a one-time global of libcurl/OpenSSL (fuzz/lsan.supp).
LSAN_ENV   = LD_PRELOAD=$(ASAN_RT) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
             LSAN_OPTIONS=suppressions=$(CURDIR)/fuzz/lsan.supp:print_suppressions=0 \
             UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
VALGRIND   = valgrind -q --leak-check=full --errors-for-leak-kinds=definite,possible \
             --error-exitcode=1 --suppressions=fuzz/valgrind.supp --num-callers=30
# spec/memcheck.lua runs every C function (build, parse, objects, session,
# errors, curl request/many, fsutil, crypto, redis); then every spec whose C runs in
# this process (about 80 s under memcheck). Left out: the CLI and secrets
# specs (the core runs in tingting subprocesses, which valgrind does not
# follow), the emulator's own specs (no core at all) and the #openresty ones
# (the core runs in nginx; make test-sanitize covers it there). Those took
# another 6.5 minutes for nothing: VALGRIND_SPECS=spec runs them anyway.
# The fault matrix is left out too: its C paths (answers cut short, dropped,
# late) are the curl transport's and parse's, which the other specs and
# test-sanitize's run of the matrix cover; under memcheck it took minutes.
VALGRIND_SPECS ?= $(filter-out spec/cli_spec.lua spec/cli_v1_spec.lua spec/cli_safety_spec.lua spec/secrets_spec.lua spec/fault_matrix_spec.lua \
                    spec/emulator_%_spec.lua \
                    spec/emulator_spec.lua spec/openresty_%_spec.lua spec/ngx_%_spec.lua,$(wildcard spec/*_spec.lua))
SAN_PORT  ?= 18791

$(SAN_CORE): $(SRCS) $(HDRS)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_FLAGS) $(WARN) $(PIC) -I$(LUA_INC) -shared -o $@ $(SRCS) $(LIBS)

# The same sources for LuaJIT, loaded by nginx with the ASan runtime preloaded.
SAN_CORE51 = build/asan-ngx/lua5.1/tingting/core.so
$(SAN_CORE51): $(SRCS) $(HDRS)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_FLAGS) $(WARN) $(PIC) -I/usr/include/lua5.1 -shared -o $@ $(SRCS) $(LIBS)

# The whole suite on the ASan+UBSan core, then a leak pass on spec/memcheck.lua,
# then the #openresty specs with nginx running the LuaJIT build of the core
# under ASan+UBSan (the runtime preloaded into nginx alone: busted there is
# only the HTTP client). The valgrind run leaves the #openresty specs out.
test-sanitize: deps build $(SAN_CORE) $(SAN_CORE51)
	@set -e; \
	url=$$($(EMU) start --port $(SAN_PORT)); \
	trap '$(EMU) stop --port $(SAN_PORT) >/dev/null 2>&1 || true' EXIT; \
	mkdir -p build; \
	TINGTING_EMULATOR_URL=$$url $(SAN_ENV) \
	  $(BUSTED) --cpath='./$(SAN_BUILD)/?.so' --exclude-tags=openresty spec >build/test-sanitize.log 2>&1 || \
	  { tail -60 build/test-sanitize.log; exit 1; }; \
	tail -1 build/test-sanitize.log; \
	TINGTING_EMULATOR_URL=$$url $(LSAN_ENV) LUA_PATH="lua/?.lua;lua/?/init.lua;;" \
	  LUA_CPATH="$(SAN_BUILD)/?.so;;" $(LUA) spec/memcheck.lua; \
	TINGTING_EMULATOR_URL=$$url TINGTING_OPENRESTY_CPATH=$(CURDIR)/$(dir $(SAN_CORE51)).. \
	  TINGTING_OPENRESTY_ENV="LD_PRELOAD=$(ASAN_RT) ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1" \
	  $(BUSTED) --tags=openresty spec >build/test-sanitize-nginx.log 2>&1 || \
	  { tail -60 build/test-sanitize-nginx.log; exit 1; }; \
	tail -1 build/test-sanitize-nginx.log; \
	echo "test-sanitize: suite, leak check and nginx (LuaJIT) specs clean (ASan + UBSan)"

# spec/memcheck.lua, then the spec suite, under memcheck.
test-valgrind: deps build
	@set -e; \
	url=$$($(EMU) start --port $(SAN_PORT)); \
	trap '$(EMU) stop --port $(SAN_PORT) >/dev/null 2>&1 || true' EXIT; \
	mkdir -p build; \
	TINGTING_EMULATOR_URL=$$url LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="$(BUILD)/?.so;;" \
	  $(VALGRIND) $(LUA) spec/memcheck.lua; \
	TINGTING_EMULATOR_URL=$$url $(VALGRIND) $(LUA) /usr/bin/busted --ignore-lua -o utfTerminal --exclude-tags=openresty \
	  --helper=spec/helpers/keep_modules.lua $(VALGRIND_SPECS) >build/test-valgrind.log 2>&1 || { tail -80 build/test-valgrind.log; exit 1; }; \
	tail -1 build/test-valgrind.log; \
	echo "test-valgrind: clean"

# libFuzzer harnesses (fuzz/): the core's sources built into each fuzzer with
# ASan + UBSan, cjson loaded from the system. New inputs go to build/fuzz/corpus,
# crashes to build/fuzz/artifacts; fuzz/corpus/<name>/ holds the seeds and the
# regression inputs of every bug found. `make fuzz` runs each FUZZ_TIME seconds.
FUZZERS    = parse build template phone http redis
FUZZ_COMMON = -O1 -g -fno-sanitize-recover=undefined -fno-omit-frame-pointer -std=c99 \
              -D_POSIX_C_SOURCE=200809L -I$(LUA_INC) -DTT_REPO='"$(CURDIR)"'
FUZZ_FLAGS  = -fsanitize=fuzzer,address,undefined $(FUZZ_COMMON)
FUZZ_TIME ?= 60
FUZZ_BINS  = $(FUZZERS:%=build/fuzz/fuzz_%)

# The core's sources are compiled once for every fuzzer (instrumented for
# libFuzzer's coverage without its main), then each harness links them.
FUZZ_OBJ_FLAGS = -fsanitize=fuzzer-no-link,address,undefined $(FUZZ_COMMON)
FUZZ_OBJS  = $(SRCS:csrc/%.c=build/fuzz/obj/%.o)

build/fuzz/obj/%.o: csrc/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(FUZZ_OBJ_FLAGS) -c -o $@ $<

build/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/harness.c fuzz/harness.h $(FUZZ_OBJS)
	@mkdir -p build/fuzz
	$(SAN_CC) $(FUZZ_FLAGS) -o $@ $< fuzz/harness.c $(FUZZ_OBJS) -llua$(LUA_VER) $(LIBS)

fuzz: deps $(FUZZ_BINS)
	@set -e; mkdir -p build/fuzz/artifacts; \
	for f in $(FUZZERS); do \
	  mkdir -p build/fuzz/corpus/$$f; \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  build/fuzz/fuzz_$$f -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
	    -artifact_prefix=build/fuzz/artifacts/$$f- -print_final_stats=1 \
	    build/fuzz/corpus/$$f fuzz/corpus/$$f >build/fuzz/$$f.log 2>&1 || \
	    { tail -60 build/fuzz/$$f.log; echo "fuzz_$$f: FAILED (input in build/fuzz/artifacts/)"; exit 1; }; \
	  echo "fuzz_$$f: $$(grep -o 'stat::number_of_executed_units: *[0-9]*' build/fuzz/$$f.log | grep -o '[0-9]*$$') runs in $(FUZZ_TIME) s, no findings"; \
	done

# A short run of each (make test runs each TEST_FUZZ_TIME seconds).
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_TIME=10

# 100,000 calls mixed across ops with ~5% injected faults: no crash, every
# failure a tingting.error, Lua heap and RSS flat after warm-up.
SOAK_PORT ?= 18793
SOAK_N    ?= 100000
soak: deps build
	@set -e; \
	url=$$($(EMU) start --port $(SOAK_PORT)); \
	trap '$(EMU) stop --port $(SOAK_PORT) >/dev/null 2>&1 || true' EXIT; \
	TINGTING_EMULATOR_URL=$$url $(LUA) bench/soak.lua $(SOAK_N)
