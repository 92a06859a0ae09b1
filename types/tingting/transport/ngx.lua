---@meta tingting.transport.ngx
-- LuaLS definitions of `tingting.transport.ngx` (OpenResty): every request is
-- an `ngx.location.capture` to an internal location that proxies to the API,
-- so nginx does TLS, keep-alive and timeouts and the worker never blocks.

---Options of `tingting.transport.ngx{...}`; unknown ones are refused.
---@class tingting.NgxTransportOptions
---@field location? string the internal location (default "/_tingting")
---@field max_body? integer the largest answer kept, in bytes (default 64 MiB)
---@field user_agent? string

---@class tingting.NgxTransport: tingting.Transport
---@field location string
local NgxTransport = {}

---@class tingting.transport.ngx
---@field _VERSION string
local ngx_transport = {}

---A new transport (also `tingting.transport.ngx{...}`).
---@param opts? tingting.NgxTransportOptions
---@return tingting.NgxTransport|nil transport
---@return tingting.Error|nil err a validation error naming the option
function ngx_transport.new(opts) end

---A multipart/form-data body of a request's form parts (the cosocket
---transport builds its form bodies with it too).
---@param form {name: string, value?: string, file?: string, filename?: string, type?: string}[]
---@return string|nil body nil when a file cannot be read
---@return string content_type the Content-Type with its boundary; or why not
function ngx_transport.multipart(form) end

---For the internal location's `rewrite_by_lua_block`: the subrequest carries
---exactly the request's headers, none of the client's.
---@return nil
function ngx_transport.rewrite() end

---For the internal location's `header_filter_by_lua_block`.
---@return nil
function ngx_transport.header_filter() end

---For the internal location's `body_filter_by_lua_block`: caps the answer at `max_body`.
---@return nil
function ngx_transport.body_filter() end

return ngx_transport
