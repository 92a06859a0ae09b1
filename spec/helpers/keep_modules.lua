-- busted --helper for the leak checkers (make test-valgrind): keep C modules
-- mapped when the state closes. lua_close would dlclose libcurl, OpenSSL and
-- cjson first, and their one-time globals, no longer reachable from a mapped
-- library, would be reported as lost with "???" stacks.
setmetatable(debug.getregistry()._CLIBS or {}, nil)
