-- luacheck configuration: plain Lua for the library, busted for specs,
-- OpenResty for code that runs inside nginx.
std = "max"
max_line_length = 120
self = false
exclude_files = { "build/", "doc/" }

-- What handlers write to: the answer's status and headers, the request's ctx.
stds.ngx_handlers = {
  globals = {
    ngx = { fields = {
      status = { read_only = false },
      header = { read_only = false, other_fields = true },
      ctx = { read_only = false, other_fields = true },
    } },
  },
}

files["spec"] = { std = "+busted" }
files["spec/ngx"] = { std = "ngx_lua+ngx_handlers" }
files["emulator"] = { std = "ngx_lua" }
files["examples/openresty"] = { std = "ngx_lua+ngx_handlers" }
files["lua/tingting/transport/ngx.lua"] = { std = "ngx_lua+ngx_handlers" }
-- plain Lua that looks for ngx.now (clock) or uses ngx for shared dicts (store) inside nginx
files["lua/tingting/clock.lua"] = { read_globals = { "ngx" } }
files["lua/tingting/transport/cosocket.lua"] = { std = "ngx_lua" }
-- chooses the cosocket transport when it runs inside nginx
files["lua/tingting/init.lua"] = { read_globals = { "ngx" } }
files["lua/tingting/store.lua"] = { read_globals = { "ngx" } }
