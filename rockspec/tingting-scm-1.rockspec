package = "tingting"
version = "scm-1"
-- The development version: `luarocks make rockspec/tingting-scm-1.rockspec`
-- builds the checkout it is in (make rock); `luarocks install` of this file
-- clones the repository's main branch.
source = {
  url = "git+https://github.com/tingting-lua/tingting.git",
  branch = "main",
}
description = {
  summary = "Client for the TingTing voice and SMS campaign API",
  detailed = [[
Voice calls and SMS to many recipients, Nepali text-to-speech, tag-personalised
messages, scheduling and OTP, through the TingTing API: a C core over libcurl
with a Lua face, for Lua 5.1-5.4, LuaJIT and OpenResty.
]],
  homepage = "https://github.com/tingting-lua/tingting",
  license = "MIT",
}
dependencies = {
  "lua >= 5.1",
  "lua-cjson",
}
-- The library only: on Debian curl.h lives under /usr/include/<triplet>,
-- where a header check fails although the compiler finds it. HTTP_PARSER:
-- nodejs/http-parser 2.9 (Debian: libhttp-parser-dev), the cosocket
-- transport's response parser, checked the same way.
external_dependencies = {
  CURL = { library = "curl" },
  XLSXWRITER = { library = "xlsxwriter" },
  HTTP_PARSER = { library = "http_parser" },
  HIREDIS = { library = "hiredis" }, -- the Redis protocol of tingting.store.redis
}
build = {
  type = "builtin",
  modules = {
    ["tingting.core"] = {
      sources = {
        "csrc/core.c", "csrc/compat.c", "csrc/util.c", "csrc/errors.c", "csrc/json.c",
        "csrc/endpoints.c", "csrc/endpoints_v1.c", "csrc/validate.c", "csrc/datetime.c",
        "csrc/arguments.c", "csrc/session.c", "csrc/objects.c", "csrc/build.c", "csrc/parse.c",
        "csrc/answer.c", "csrc/parse_v1.c", "csrc/fsutil.c", "csrc/crypto.c",
        "csrc/xlsx.c", "csrc/numset.c", "csrc/http.c", "csrc/redis.c",
        "csrc/curl/transport.c", "csrc/curl/request.c", "csrc/curl/xfer.c", "csrc/curl/finish.c",
        "csrc/curl/multi.c",
      },
      defines = { "_POSIX_C_SOURCE=200809L" },
      libraries = { "curl", "xlsxwriter", "http_parser", "hiredis" },
      libdirs = { "$(CURL_LIBDIR)", "$(XLSXWRITER_LIBDIR)", "$(HTTP_PARSER_LIBDIR)",
                  "$(HIREDIS_LIBDIR)" },
    },
    ["tingting"] = "lua/tingting/init.lua",
    ["tingting.call"] = "lua/tingting/call.lua",
    ["tingting.auth"] = "lua/tingting/auth.lua",
    ["tingting.hooks"] = "lua/tingting/hooks.lua",
    ["tingting.clock"] = "lua/tingting/clock.lua",
    ["tingting.errors"] = "lua/tingting/errors.lua",
    ["tingting.options"] = "lua/tingting/options.lua",
    ["tingting.template"] = "lua/tingting/template.lua",
    ["tingting.numbers"] = "lua/tingting/numbers.lua",
    ["tingting.batch"] = "lua/tingting/batch.lua",
    ["tingting.upload"] = "lua/tingting/upload.lua",
    ["tingting.dialect"] = "lua/tingting/dialect.lua",
    ["tingting.objects"] = "lua/tingting/objects.lua",
    ["tingting.v1"] = "lua/tingting/v1.lua",
    ["tingting.store"] = "lua/tingting/store.lua",
    ["tingting.store.redis"] = "lua/tingting/store/redis.lua",
    ["tingting.otp"] = "lua/tingting/otp.lua",
    ["tingting.transport.ngx"] = "lua/tingting/transport/ngx.lua",
    ["tingting.transport.cosocket"] = "lua/tingting/transport/cosocket.lua",
    ["tingting.transport.threads"] = "lua/tingting/transport/threads.lua",
    ["tingting.cli"] = "lua/tingting/cli/init.lua",
    ["tingting.cli.exit"] = "lua/tingting/cli/exit.lua",
    ["tingting.cli.args"] = "lua/tingting/cli/args.lua",
    ["tingting.cli.output"] = "lua/tingting/cli/output.lua",
    ["tingting.cli.config"] = "lua/tingting/cli/config.lua",
    ["tingting.cli.progress"] = "lua/tingting/cli/progress.lua",
    ["tingting.cli.commands"] = "lua/tingting/cli/commands.lua",
    ["tingting.cli.campaigns"] = "lua/tingting/cli/campaigns.lua",
    ["tingting.cli.add"] = "lua/tingting/cli/add.lua",
    ["tingting.cli.v1"] = "lua/tingting/cli/v1.lua",
  },
  install = {
    bin = { tingting = "bin/tingting" },
  },
  -- LuaLS definitions for editors (README, "Editor support"); they land in
  -- the rock's directory of the tree: lib/luarocks/rocks-<v>/tingting/<version>/types
  copy_directories = { "types" },
}
