package = "tingting"
version = "scm-1"
source = {
  url = "git+file:///dev/null", -- built from a checkout: luarocks make rockspec/tingting-scm-1.rockspec
}
description = {
  summary = "Client for the TingTing voice and SMS campaign API",
  detailed = [[
Voice calls and SMS to many recipients, Nepali text-to-speech, tag-personalised
messages, scheduling and OTP, through the TingTing API: a C core over libcurl
with a Lua face, for Lua 5.1-5.4, LuaJIT and OpenResty.
]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.1",
  "lua-cjson",
}
-- The library only: on Debian curl.h lives under /usr/include/<triplet>,
-- where a header check fails although the compiler finds it.
external_dependencies = {
  CURL = { library = "curl" },
  HIREDIS = { library = "hiredis" }, -- the Redis protocol of tingting.store.redis
}
build = {
  type = "builtin",
  modules = {
    ["tingting.core"] = {
      sources = {
        "csrc/core.c", "csrc/errors.c", "csrc/objects.c", "csrc/session.c", "csrc/endpoints.c",
        "csrc/build.c", "csrc/validate.c", "csrc/validate2.c", "csrc/parse.c", "csrc/json.c",
        "csrc/fsutil.c", "csrc/crypto.c", "csrc/curl.c", "csrc/curl_multi.c", "csrc/curl_req.c",
        "csrc/curl_finish.c", "csrc/redis.c",
      },
      defines = { "_POSIX_C_SOURCE=200809L" },
      libraries = { "curl", "hiredis" },
      libdirs = { "$(CURL_LIBDIR)", "$(HIREDIS_LIBDIR)" },
    },
    ["tingting"] = "lua/tingting/init.lua",
    ["tingting.call"] = "lua/tingting/call.lua",
    ["tingting.template"] = "lua/tingting/template.lua",
    ["tingting.numbers"] = "lua/tingting/numbers.lua",
    ["tingting.batch"] = "lua/tingting/batch.lua",
    ["tingting.store"] = "lua/tingting/store.lua",
    ["tingting.store.redis"] = "lua/tingting/store/redis.lua",
    ["tingting.otp"] = "lua/tingting/otp.lua",
    ["tingting.transport.ngx"] = "lua/tingting/transport/ngx.lua",
    ["tingting.cli"] = "lua/tingting/cli.lua",
    ["tingting.cli.args"] = "lua/tingting/cli/args.lua",
    ["tingting.cli.output"] = "lua/tingting/cli/output.lua",
    ["tingting.cli.config"] = "lua/tingting/cli/config.lua",
    ["tingting.cli.progress"] = "lua/tingting/cli/progress.lua",
    ["tingting.cli.commands"] = "lua/tingting/cli/commands.lua",
    ["tingting.cli.campaigns"] = "lua/tingting/cli/campaigns.lua",
  },
  install = {
    bin = { tingting = "bin/tingting" },
  },
}
