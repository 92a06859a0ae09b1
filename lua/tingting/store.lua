--- Token stores: where a session keeps its tokens between runs.
-- A store is any object with `load() -> access, refresh` and
-- `save(access, refresh)`; pass it as the session's `token_store`.
-- @module tingting.store
local core = require "tingting.core"
local cjson = require "cjson.safe"

local M = {}

local File = {}
File.__index = File

function File:load()
  local f = io.open(self.path, "rb")
  if not f then return nil end
  local doc = cjson.decode(f:read("a") or "")
  f:close()
  if type(doc) ~= "table" or type(doc.access) ~= "string" then return nil end
  return doc.access, type(doc.refresh) == "string" and doc.refresh or nil
end

function File:save(access, refresh)
  local ok, err = core.write_private(self.path, cjson.encode { access = access, refresh = refresh })
  if not ok then error("tingting.store.file: " .. err, 0) end
end

--- Clear the stored tokens (log out).
function File:clear()
  os.remove(self.path)
end

function File:__tostring() return "tingting.store.file(" .. self.path .. ")" end

--- Tokens in a JSON file, mode 0600, replaced atomically on every change.
-- @string path
function M.file(path)
  assert(type(path) == "string" and path ~= "", "tingting.store.file: path must be a non-empty string")
  return setmetatable({ path = path }, File)
end

local Memory = {}
Memory.__index = Memory
function Memory:load() return self.access, self.refresh end
function Memory:save(access, refresh) self.access, self.refresh = access, refresh end
function Memory:clear() self.access, self.refresh = nil, nil end

--- Tokens in a Lua table: shares one login between sessions of one process.
function M.memory()
  return setmetatable({}, Memory)
end

return M
