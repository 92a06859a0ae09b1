-- The LuaLS definitions in types/ keep up with the library: every public
-- method and module function found on real objects has an annotated
-- declaration (each parameter, its returns, the `nil, err` form), every
-- field a real error carries is declared, and the files load as Lua.
local tingting = require "tingting"
local emu = require "spec.helpers.emulator"

local TYPES = emu.root .. "/types"

local function type_files()
  local p = assert(io.popen(("find %q -name '*.lua' | sort"):format(TYPES)))
  local files = {}
  for line in p:lines() do files[#files + 1] = line end
  p:close()
  return files
end

-- A line-based reading of LuaLS annotations, enough for what the files use:
-- `---@meta`, `---@class Name: Parents`, `---@field`, `---@alias` (and its
-- `---| "value"` lines), `local X = {}` under a class, `function X:y(...)` /
-- `function X.y(...)` under its `---@param` and `---@return` lines, and
-- `return X`.
local function parse(files)
  local db = { classes = {}, aliases = {}, modules = {}, decls = {}, type_refs = {} }
  local function class(name)
    local c = db.classes[name]
    if not c then
      c = { name = name, parents = {}, fields = {}, methods = {} }
      db.classes[name] = c
    end
    return c
  end
  for _, path in ipairs(files) do
    local rel = path:sub(#TYPES + 2)
    local vars, block, meta, alias = {}, {}, nil, nil
    local n = 0
    for line in io.lines(path) do
      n = n + 1
      local where = rel .. ":" .. n
      local tag, rest = line:match("^%-%-%-@(%w+)%s*(.*)$")
      if tag then
        block[#block + 1] = { tag = tag, rest = rest, where = where }
        alias = nil
        if tag == "meta" then meta = rest:match("^(%S+)") end
        if tag == "class" then
          local name, parents = rest:match("^([%w_.]+)%s*:?%s*(.*)$")
          local c = class(name)
          for p in parents:gmatch("[%w_.]+") do c.parents[#c.parents + 1] = p end
          block.class = c
        elseif tag == "field" and block.class then
          local fname, ftype = rest:match("^([%w_]+)%??%s+(.*)$")
          if fname then block.class.fields[fname] = ftype end
        elseif tag == "alias" then
          local name, def = rest:match("^([%w_.]+)%s*(.*)$")
          alias = { values = {} }
          db.aliases[name] = alias
          for v in def:gmatch('"([^"]*)"') do alias.values[v] = true end
        end
        if tag ~= "meta" and tag ~= "class" then
          -- the types an annotation names: descriptions quote code in backticks
          local types = rest:gsub("`[^`]*`", ""):gsub('"[^"]*"', "")
          if tag == "param" or tag == "field" then types = types:gsub("^[%w_]+%??", "") end
          for ref in types:gmatch("tingting%.[%w_.]*[%w_]") do
            db.type_refs[#db.type_refs + 1] = { name = ref, where = where }
          end
        end
      elseif line:match("^%-%-%-|") then
        if alias then
          local v = line:match('^%-%-%-|%s*"([^"]*)"')
          if v then alias.values[v] = true end
        end
      elseif not line:match("^%-%-%-") then -- (a description line: the block goes on)
        local var = line:match("^local%s+([%w_]+)%s*=%s*{}")
        if var and block.class then vars[var] = block.class end
        local obj, sep, name, params = line:match("^function%s+([%w_]+)([.:])([%w_]+)%s*%(([^)]*)%)")
        if obj then
          local c = vars[obj]
          assert(c, where .. ": function on " .. obj .. ", which is not a class's table")
          local decl = { class = c.name, name = name, sep = sep, params = {}, annotated = {}, returns = {},
            where = where }
          for p in params:gmatch("[%w_.]+") do decl.params[#decl.params + 1] = p end
          for _, a in ipairs(block) do
            if a.tag == "param" then
              local pname = a.rest:match("^([%w_.]+)")
              decl.annotated[#decl.annotated + 1] = pname
            elseif a.tag == "return" then
              decl.returns[#decl.returns + 1] = a.rest
            end
          end
          c.methods[name] = decl
          db.decls[#db.decls + 1] = decl
        end
        local ret = line:match("^return%s+([%w_]+)%s*$")
        if ret and meta and vars[ret] then db.modules[meta] = vars[ret].name end
        if line:match("^%s*$") or not line:match("^%-%-") then block = {} end
      end
    end
  end
  return db
end

-- The declaration of `name` on class `cname` or one of its parents.
local function lookup(db, cname, name, seen)
  seen = seen or {}
  local c = db.classes[cname]
  if not c or seen[cname] then return nil end
  seen[cname] = true
  local d = c.methods[name]
  if d then return d, "method" end
  if c.fields[name] then return c.fields[name], "field" end
  for _, p in ipairs(c.parents) do
    local found, kind = lookup(db, p, name, seen)
    if found then return found, kind end
  end
end

local function sorted_keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return out
end

-- Public names of an object's methods (a methods table or an __index table).
local function public_methods(obj)
  local mt = getmetatable(obj)
  local index = type(mt.methods) == "table" and mt.methods or mt.__index
  assert(type(index) == "table", "no methods table on " .. tostring(obj))
  local out = {}
  for k, v in pairs(index) do
    if type(k) == "string" and not k:match("^_") and type(v) == "function" then out[#out + 1] = k end
  end
  table.sort(out)
  return out
end

-- Names (of `names`) that class `cname` does not declare as a method with a
-- `---@return` (or, with `fields_too`, as a field).
local function undeclared(db, cname, names, fields_too)
  local missing = {}
  for _, name in ipairs(names) do
    local d, kind = lookup(db, cname, name)
    if not d or (kind == "field" and not fields_too) or (kind == "method" and #d.returns == 0) then
      missing[#missing + 1] = cname .. "." .. name
    end
  end
  return missing
end

-- The transports that run inside nginx read `ngx` when they load: a stand-in
-- that answers every field lets them load here, so their tables can be
-- listed. They are unloaded afterwards, so that nothing else sees them.
local function with_stand_in_ngx(f)
  local function stand_in()
    return setmetatable({}, {
      __index = function(t, k)
        local v = stand_in()
        rawset(t, k, v)
        return v
      end,
      __call = function() end,
    })
  end
  local saved = rawget(_G, "ngx")
  local names = { "tingting.transport.ngx", "tingting.transport.cosocket", "tingting.transport.threads" }
  rawset(_G, "ngx", stand_in())
  local ok, res = pcall(f)
  rawset(_G, "ngx", saved)
  for _, name in ipairs(names) do package.loaded[name] = nil end
  assert(ok, res)
  return res
end

describe("LuaLS annotations (types/)", function()
  local files, db

  setup(function()
    files = type_files()
    db = parse(files)
  end)

  it("are Lua files that load and give their module's table", function()
    assert.is_true(#files >= 8)
    for _, path in ipairs(files) do
      local chunk, err = loadfile(path)
      assert(chunk, err)
      local ok, mod = pcall(chunk)
      assert(ok, mod)
      assert.equal("table", type(mod), path)
    end
  end)

  it("each declare the module they describe", function()
    for _, mod in ipairs { "tingting", "tingting.template", "tingting.numbers", "tingting.otp", "tingting.store",
      "tingting.store.redis", "tingting.transport.ngx", "tingting.transport.cosocket" } do
      assert(db.modules[mod], "no types/ file declares ---@meta " .. mod .. " returning a class's table")
    end
  end)

  it("annotate every parameter of every declared function, and its returns", function()
    local problems = {}
    for _, d in ipairs(db.decls) do
      local want, have = table.concat(d.params, ", "), table.concat(d.annotated, ", ")
      if want ~= have then
        problems[#problems + 1] = ("%s %s%s%s: params (%s) but ---@param (%s)"):format(d.where, d.class, d.sep,
          d.name, want, have)
      end
      if #d.returns == 0 then
        problems[#problems + 1] = ("%s %s%s%s: no ---@return"):format(d.where, d.class, d.sep, d.name)
      end
    end
    assert.same({}, problems)
  end)

  it("name only classes and aliases that they declare", function()
    local unknown = {}
    for _, ref in ipairs(db.type_refs) do
      if not db.classes[ref.name] and not db.aliases[ref.name] then
        unknown[#unknown + 1] = ref.where .. ": " .. ref.name
      end
    end
    assert.same({}, unknown)
  end)

  describe("on real objects", function()
    local s, c, n

    setup(function()
      emu.reset()
      s = assert(tingting.session { base_url = emu.url(), email = "test@gmail.com", password = "test" })
      c = assert(s:create_campaign { name = "annotations", services = "SMS", individual_number = { "9843818700" } })
      n = assert(c:numbers())[1]
      assert(n, "the campaign has its number")
    end)

    teardown(function()
      if s then s:close() end
    end)

    it("declare every method of Session, Campaign and Number, with its returns", function()
      local missing = {}
      for cname, obj in pairs { ["tingting.Session"] = s, ["tingting.Campaign"] = c, ["tingting.Number"] = n } do
        for _, m in ipairs(undeclared(db, cname, public_methods(obj))) do missing[#missing + 1] = m end
      end
      table.sort(missing)
      assert.same({}, missing)
    end)

    it("give every API method of Session, Campaign and Number the `nil, err` form", function()
      -- what cannot fail
      local LOCAL = { close = true, fields = true }
      local missing = {}
      for cname, obj in pairs { ["tingting.Session"] = s, ["tingting.Campaign"] = c, ["tingting.Number"] = n } do
        for _, name in ipairs(public_methods(obj)) do
          local d = lookup(db, cname, name)
          if not LOCAL[name] and d then
            local first, second = d.returns[1] or "", d.returns[2] or ""
            -- `T|nil name` then `tingting.Error|nil err`
            local can_be_nil = first:find("|nil%s") or first:find("|nil$")
            if not (can_be_nil and second:match("^%S*tingting%.Error")) then
              missing[#missing + 1] = cname .. ":" .. name
            end
          end
        end
      end
      table.sort(missing)
      assert.same({}, missing)
    end)

    it("declare every field that errors carry, and every error kind", function()
      local errs = {}
      -- validation: refused before sending
      errs[#errs + 1] = select(2, s:create_campaign { name = "x", services = "FAX" })
      -- not_found, from the server
      errs[#errs + 1] = select(2, s:campaign(987654321))
      -- unsupported: a v1 method on a legacy session
      errs[#errs + 1] = select(2, s:dashboard())
      -- rate_limited with Retry-After past the cap: given up at once
      emu.fault { method = "GET", path = "/api/system/campaigns/report/summary/", kind = "status", status = 429,
        retry_after = 100, count = 1 }
      errs[#errs + 1] = select(2, s:report_summary())
      emu.clear_faults()
      -- network: nothing listens there
      local dead = assert(tingting.session { base_url = "http://127.0.0.1:1", api_key = "k", max_retries = 0 })
      errs[#errs + 1] = select(2, dead:user())
      dead:close()
      local missing, kinds = {}, db.aliases["tingting.ErrorKind"]
      assert(kinds, "alias tingting.ErrorKind")
      for _, err in ipairs(errs) do
        assert.is_true(tingting.is_error(err))
        if not kinds.values[err.kind] then missing[#missing + 1] = "kind " .. err.kind end
        for _, k in ipairs(sorted_keys(err)) do
          if not lookup(db, "tingting.Error", k) then missing[#missing + 1] = err.kind .. " error field " .. k end
        end
      end
      for _, kind in ipairs { "validation", "not_found", "unsupported", "rate_limited", "network" } do
        assert(kinds.values[kind], kind)
      end
      assert.same({}, missing)
    end)

    it("declare every method of stores, OTP flows and transports", function()
      local store = require "tingting.store"
      local otp = require "tingting.otp"
      local dict = {}
      for _, m in ipairs { "get", "set", "add", "incr", "ttl", "delete" } do dict[m] = function() end end
      local curl = assert(tingting.transport.curl())
      local token_file = (os.getenv("TMPDIR") or "/tmp") .. "/tingting-annotations-never-written.json"
      local objects = {
        ["tingting.MemoryStore"] = store.memory(),
        ["tingting.FileStore"] = assert(store.file(token_file)),
        ["tingting.SharedDictStore"] = assert(store.shared_dict(dict)),
        ["tingting.RedisStore"] = assert(store.redis()),
        ["tingting.OtpFlow"] = assert(otp.new { session = s }),
        ["tingting.CurlTransport"] = curl,
      }
      with_stand_in_ngx(function()
        objects["tingting.NgxTransport"] = assert(require("tingting.transport.ngx").new())
        objects["tingting.CosocketTransport"] = assert(require("tingting.transport.cosocket").new())
      end)
      -- their methods table is their module, whose own functions are checked below
      local module_of = { ["tingting.NgxTransport"] = "tingting.transport.ngx",
        ["tingting.CosocketTransport"] = "tingting.transport.cosocket" }
      local missing = {}
      for cname, obj in pairs(objects) do
        local names = public_methods(obj)
        if module_of[cname] then
          local own = {}
          for _, name in ipairs(names) do
            if not lookup(db, db.modules[module_of[cname]], name) then own[#own + 1] = name end
          end
          names = own
        end
        for _, m in ipairs(undeclared(db, cname, names)) do missing[#missing + 1] = m end
      end
      curl:close()
      table.sort(missing)
      assert.same({}, missing)
    end)
  end)

  it("declare every function and field of the public modules", function()
    local mods = {}
    for _, name in ipairs { "tingting", "tingting.template", "tingting.numbers", "tingting.otp", "tingting.store",
      "tingting.store.redis" } do
      mods[name] = require(name)
    end
    with_stand_in_ngx(function()
      mods["tingting.transport.ngx"] = require "tingting.transport.ngx"
      mods["tingting.transport.cosocket"] = require "tingting.transport.cosocket"
    end)
    local instance = { ["tingting.transport.ngx"] = "tingting.NgxTransport",
      ["tingting.transport.cosocket"] = "tingting.CosocketTransport" }
    local missing = {}
    for _, name in ipairs(sorted_keys(mods)) do
      local cname = db.modules[name]
      assert(cname, name)
      for _, k in ipairs(sorted_keys(mods[name])) do
        local v = mods[name][k]
        local declared = lookup(db, cname, k)
        -- a transport's request/many/sleep are its objects' methods
        if not declared and instance[name] and type(v) == "function" then declared = lookup(db, instance[name], k) end
        if type(k) == "string" and not declared then missing[#missing + 1] = name .. "." .. k end
      end
    end
    -- tingting.transport.* load on demand: the names it promises
    for _, k in ipairs { "curl", "ngx", "cosocket" } do
      if not lookup(db, "tingting.transports", k) then missing[#missing + 1] = "tingting.transport." .. k end
    end
    assert.same({}, missing)
  end)
end)
