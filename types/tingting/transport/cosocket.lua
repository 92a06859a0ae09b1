---@meta tingting.transport.cosocket
-- LuaLS definitions of `tingting.transport.cosocket` (OpenResty): HTTP/1.1 to
-- the API over `ngx.socket.tcp`, parsed in C; no `location` block needed;
-- usable in rewrite/access/content phases and timers. The default transport
-- of a session made inside nginx.

---Options of `tingting.transport.cosocket{...}`; unknown ones are refused.
---@class tingting.CosocketOptions
---@field pool_size? integer connections kept per host and port in each worker (default 32)
---@field keepalive_timeout? number seconds an idle connection is kept (default 60; 0: until the server closes it)
---@field ssl_verify? boolean check the certificate against lua_ssl_trusted_certificate (default true)
---@field max_body? integer the largest answer kept, in bytes (default 64 MiB)
---@field user_agent? string

---@class tingting.CosocketTransport: tingting.Transport
local CosocketTransport = {}

---@class tingting.transport.cosocket
---@field _VERSION string
local cosocket = {}

---A new transport (also `tingting.transport.cosocket{...}`).
---@param opts? tingting.CosocketOptions
---@return tingting.CosocketTransport|nil transport
---@return tingting.Error|nil err a validation error naming the option
function cosocket.new(opts) end

return cosocket
