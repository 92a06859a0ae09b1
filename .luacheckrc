-- luacheck configuration: plain Lua for the library, busted for specs,
-- OpenResty for code that runs inside nginx.
std = "max"
max_line_length = 120
self = false
read_globals = { "ngx" }
exclude_files = { "build/", "doc/" }

files["spec"] = { std = "+busted" }
files["emulator"] = { std = "ngx_lua" }
files["examples/openresty"] = { std = "ngx_lua" }
files["lua/tingting/transport/ngx.lua"] = { std = "ngx_lua" }
