-- The release: the version the library reports is the one its release rock
-- carries, and the release rock builds exactly what the development rock
-- (rockspec/tingting-scm-1.rockspec, which `make rock` and the specs use) does.
local tingting = require "tingting"

local ROOT = (function()
  local dir = debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*)/spec/[^/]+$")
  return dir and dir ~= "" and dir or "."
end)()

local function read(path)
  local f = assert(io.open(ROOT .. "/" .. path, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

-- A rockspec is Lua assignments: run in a table of its own, they are its fields.
local function rockspec(path)
  local env = {}
  local chunk = assert(loadfile(ROOT .. "/" .. path, "t", env))
  if setfenv then setfenv(chunk, env) end
  chunk()
  return env
end

local function lines_of(command)
  local p = assert(io.popen(command))
  local out = {}
  for line in p:lines() do out[#out + 1] = line end
  p:close()
  table.sort(out)
  return out
end

local VERSION = tingting.VERSION
local RELEASE = "rockspec/tingting-" .. VERSION .. "-1.rockspec"

describe("the release", function()
  it("reports one version, as tingting.VERSION and tingting._VERSION, the release rockspec's", function()
    assert.matches("^%d+%.%d+%.%d+$", VERSION)
    assert.equal(VERSION, tingting._VERSION)
    assert.equal(VERSION, require("tingting.core").VERSION)
    local spec = rockspec(RELEASE)
    assert.equal("tingting", spec.package)
    assert.equal(VERSION .. "-1", spec.version)
  end)

  it("builds from the release tarball of that version", function()
    local source = rockspec(RELEASE).source
    assert.matches("^https://.*/v" .. VERSION:gsub("%.", "%%.") .. "/tingting%-" .. VERSION:gsub("%.", "%%.")
      .. "%.tar%.gz$", source.url)
    assert.equal("tingting-" .. VERSION, source.dir)
  end)

  it("builds, installs and depends on exactly what the development rockspec does", function()
    local release, scm = rockspec(RELEASE), rockspec("rockspec/tingting-scm-1.rockspec")
    assert.same(scm.build, release.build)
    assert.same(scm.dependencies, release.dependencies)
    assert.same(scm.external_dependencies, release.external_dependencies)
    assert.equal(scm.description.license, release.description.license)
  end)

  it("puts every Lua module and C source of the checkout in the rock, and nothing else", function()
    local lua_files, c_files = {}, {}
    for name, module in pairs(rockspec(RELEASE).build.modules) do
      if type(module) == "string" then
        lua_files[#lua_files + 1] = module
      else
        assert.equal("tingting.core", name)
        for _, src in ipairs(module.sources) do c_files[#c_files + 1] = src end
      end
    end
    table.sort(lua_files)
    table.sort(c_files)
    assert.same(lines_of("cd '" .. ROOT .. "' && find lua/tingting -name '*.lua'"), lua_files)
    assert.same(lines_of("cd '" .. ROOT .. "' && find csrc -name '*.c'"), c_files)
  end)

  it("is named in the changelog and licensed as the rockspec says", function()
    assert.truthy(read("CHANGELOG.md"):find("\n## %[" .. VERSION:gsub("%.", "%%.") .. "%] %- %d%d%d%d%-%d%d%-%d%d\n"))
    assert.equal("MIT", rockspec(RELEASE).description.license)
    assert.truthy(read("LICENSE"):find("^MIT License\n"))
  end)
end)
