-- The documentation a user reads: links that resolve, a reference that names
-- every method and option, and `make docs` output that documents every
-- public method of Session, Campaign and Number without a warning.
local tingting = require "tingting"

local function repo_root()
  local src = debug.getinfo(1, "S").source:gsub("^@", "")
  local dir = src:match("^(.*)/spec/docs_spec%.lua$") or "."
  if dir:sub(1, 1) ~= "/" then
    local pwd = os.getenv("PWD") or io.popen("pwd"):read("l")
    dir = (dir == "." or dir == "") and pwd or (pwd .. "/" .. dir:gsub("^%./", ""))
  end
  return dir
end

local ROOT = repo_root()

local function sh_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local function lines_of(cmd)
  local p = io.popen(cmd)
  local out = {}
  for l in p:lines() do out[#out + 1] = l end
  local ok = p:close()
  return out, ok
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

-- Markdown without its fenced code blocks and inline code spans: links and
-- headings shown as code are not links or headings.
local function prose_lines(text)
  local out, fenced = {}, false
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    if line:match("^%s*```") then
      fenced = not fenced
      out[#out + 1] = ""
    elseif fenced then
      out[#out + 1] = ""
    else
      out[#out + 1] = (line:gsub("``.-``", ""):gsub("`[^`]*`", ""))
    end
  end
  return out
end

-- GitHub's heading anchors: lower case, punctuation dropped (UTF-8 letters
-- kept), spaces to dashes, "-1", "-2"... for repeats.
local function anchors_of(text)
  local set, seen = {}, {}
  for _, line in ipairs(prose_lines(text)) do
    local title = line:match("^#+%s+(.-)%s*#*%s*$")
    if title then
      local slug = title:lower():gsub("[^%w%s%-_\128-\255]", ""):gsub("%s", "-")
      local n = seen[slug]
      seen[slug] = (n or 0) + 1
      set[n and (slug .. "-" .. n) or slug] = true
    end
  end
  return set
end

-- Relative links of a markdown file: `{target=, line=}`.
local function relative_links(text)
  local links = {}
  for i, line in ipairs(prose_lines(text)) do
    for target in line:gmatch("%]%(([^)%s]+)[^)]*%)") do
      if not target:match("^%a[%w+.-]*:") then links[#links + 1] = { target = target, line = i } end
    end
  end
  return links
end

local function markdown_files()
  local files = { "README.md" }
  for _, f in ipairs((lines_of("cd " .. sh_quote(ROOT) .. " && find docs -name '*.md' | sort"))) do
    files[#files + 1] = f
  end
  return files
end

-- The public methods of an object, by introspection of its metatable.
local function methods_of(obj)
  local mt = getmetatable(obj)
  local t = type(mt.methods) == "table" and mt.methods or mt.__index
  local names = {}
  for k, v in pairs(t) do
    if type(k) == "string" and type(v) == "function" and not k:match("^_") then names[#names + 1] = k end
  end
  table.sort(names)
  return names
end

-- A Campaign and a Number made the way the library makes them, from answers
-- of a transport that stands in for the server.
local function sample_objects()
  local answers = {
    campaign = '{"status":200,"success":true,"message":null,"errors":[],'
      .. '"data":{"details":{"id":7,"name":"Doc","services":"SMS","usable_tags":[],"user_phone":"9800000000"}}}',
    number = '{"status":200,"success":true,"message":null,"errors":[],'
      .. '"data":{"details":{"id":9,"number":9851022343,"campaing":7,"status":"not started","available_tags":{}}}}',
  }
  local function transport(req)
    local body = req.path:find("/number/", 1, true) and answers.number or answers.campaign
    return 200, body, { ["content-type"] = "application/json" }
  end
  local s = assert(tingting.session { base_url = "http://127.0.0.1:9", access_token = "doc.spec.token",
    transport = transport })
  local c = assert(s:campaign(7))
  local n = assert(s:number(9))
  return s, c, n
end

describe("docs", function()
  describe("links", function()
    it("each relative link in README.md and docs/**/*.md reaches a file of the repository and its heading", function()
      local broken, checked = {}, 0
      for _, file in ipairs(markdown_files()) do
        local text = assert(read(ROOT .. "/" .. file), file)
        local dir = file:match("^(.*)/[^/]*$") or "."
        for _, link in ipairs(relative_links(text)) do
          checked = checked + 1
          local path, anchor = link.target:match("^([^#]*)#?(.*)$")
          local target = path == "" and file or (dir .. "/" .. path)
          local where = ("%s:%d: %s"):format(file, link.line, link.target)
          if not exists(ROOT .. "/" .. target) then
            broken[#broken + 1] = where .. " (no such file)"
          elseif anchor ~= "" and target:match("%.md$") then
            if not anchors_of(read(ROOT .. "/" .. target))[anchor] then
              broken[#broken + 1] = where .. " (no such heading)"
            end
          end
        end
      end
      assert.is_true(checked >= 10, "expected the README and docs to hold relative links; found " .. checked)
      assert.are.same({}, broken)
    end)

    it("the README's API section links the reference", function()
      local readme = assert(read(ROOT .. "/README.md"))
      local section = readme:match("\n## The API at a glance\n(.-)\n## ")
      assert.is_truthy(section, "README.md has no section 'The API at a glance'")
      assert.is_truthy(section:find("](docs/reference.md", 1, true))
    end)
  end)

  describe("private paths", function()
    it("no tracked file refers to a path in the team's private directory (\"shared\" and a slash)", function()
      local files, ok = lines_of("cd " .. sh_quote(ROOT) .. " && git ls-files 2>/dev/null")
      if not ok or #files == 0 then
        pending("not a git checkout")
        return
      end
      local needle = "shared" .. "/"
      local found = {}
      for _, f in ipairs(files) do
        local text = read(ROOT .. "/" .. f)
        if text and not text:find("%z") then
          local n = 0
          for line in (text .. "\n"):gmatch("([^\n]*)\n") do
            n = n + 1
            local at = line:find(needle, 1, true)
            while at do
              local before = at > 1 and line:sub(at - 1, at - 1) or ""
              if not before:match("[%w_%-]") then
                found[#found + 1] = ("%s:%d: %s"):format(f, n, line)
                break
              end
              at = line:find(needle, at + 1, true)
            end
          end
        end
      end
      assert.are.same({}, found)
    end)
  end)

  describe("reference", function()
    local ref = read(ROOT .. "/docs/reference.md") or ""

    it("docs/reference.md names every public method of Session, Campaign and Number", function()
      local s, c, n = sample_objects()
      local missing = {}
      for prefix, obj in pairs { s = s, c = c, n = n } do
        for _, m in ipairs(methods_of(obj)) do
          -- as a call: s:name(...) or s:name{...}
          if not ref:find(prefix .. ":" .. m .. "[%({]") then missing[#missing + 1] = prefix .. ":" .. m end
        end
      end
      table.sort(missing)
      assert.are.same({}, missing)
    end)

    it("docs/reference.md names every function and field of the tingting module", function()
      local missing = {}
      for k in pairs(tingting) do
        if type(k) == "string" and not ref:find("`tingting." .. k, 1, true) then missing[#missing + 1] = k end
      end
      table.sort(missing)
      assert.are.same({}, missing)
    end)

    it("docs/reference.md gives every session option a row with its default", function()
      local src = assert(read(ROOT .. "/lua/tingting/options.lua"))
      local list = assert(src:match("local OPTIONS = (%b{})"), "options.lua: no OPTIONS table")
      local missing, count = {}, 0
      for name in list:gmatch("([%a_][%w_]*)%s*=") do
        count = count + 1
        -- a row of the options table starts with the option's name
        if not ref:find("\n| `" .. name .. "`", 1, true) and not ref:find(", `" .. name .. "` |", 1, true) then
          missing[#missing + 1] = name
        end
      end
      assert.is_true(count >= 15, "expected the session's options in options.lua, found " .. count)
      assert.are.same({}, missing)
    end)

    it("docs/reference.md describes every error kind the library makes", function()
      local kinds = { "validation", "unsupported", "auth", "not_found", "rate_limited", "api", "server",
        "network", "timeout", "decode" }
      for _, k in ipairs(kinds) do
        assert.is_truthy(ref:find("\n| `" .. k .. "` |", 1, true), "no row for kind " .. k)
      end
    end)
  end)

  describe("ldoc", function()
    local have_ldoc = os.execute("command -v ldoc >/dev/null 2>&1")
    have_ldoc = have_ldoc == true or have_ldoc == 0

    local out, log, warnings, status
    local function run_ldoc()
      if out then return end
      out = os.tmpname()
      os.remove(out)
      local cmd = ("cd %s && ldoc -c config.ld -d %s . >%s.log 2>%s.err"):format(sh_quote(ROOT), sh_quote(out),
        sh_quote(out), sh_quote(out))
      local r = os.execute(cmd)
      status = r == true or r == 0
      log = read(out .. ".log") or ""
      warnings = read(out .. ".err") or ""
    end

    teardown(function()
      if out then
        os.execute("rm -rf " .. sh_quote(out) .. " " .. sh_quote(out .. ".log") .. " " .. sh_quote(out .. ".err"))
      end
    end)

    it("make docs's ldoc run ends without a warning and renders markdown", function()
      if not have_ldoc then
        pending("ldoc is not installed")
        return
      end
      run_ldoc()
      assert.is_true(status, log .. warnings)
      assert.are.equal("", warnings)
      assert.is_falsy(log:find("\nformat:") or log:find("^format:"), "a markdown formatter is missing: " .. log)
      local readme = assert(read(out .. "/topics/README.md.html"), "no README topic")
      assert.is_truthy(readme:find("<h2>", 1, true), "the README is not rendered as markdown")
      assert.is_truthy(readme:find("<table>", 1, true), "the README's tables are not rendered")
    end)

    it("the generated docs document every public method of Session, Campaign and Number, and the module's", function()
      if not have_ldoc then
        pending("ldoc is not installed")
        return
      end
      run_ldoc()
      local html = read(out .. "/modules/tingting.html") or ""
      local s, c, n = sample_objects()
      local missing = {}
      for class, obj in pairs { Session = s, Campaign = c, Number = n } do
        for _, m in ipairs(methods_of(obj)) do
          if not html:find('<a name = "' .. class .. ":" .. m .. '">', 1, true) then
            missing[#missing + 1] = class .. ":" .. m
          end
        end
      end
      table.sort(missing)
      assert.is_true(#methods_of(s) >= 20, "introspection found too few Session methods")
      assert.are.same({}, missing)
      for k in pairs(tingting) do
        if type(k) == "string" and not html:find('<a name = "' .. k .. '">', 1, true) then
          missing[#missing + 1] = "tingting." .. k
        end
      end
      assert.are.same({}, missing)
      for _, field in ipairs { "Error.kind", "Error.sent", "Session.api", "Campaign.id", "Number.number" } do
        assert.is_truthy(html:find('<a name = "' .. field .. '">', 1, true), "undocumented " .. field)
      end
    end)

    it("the generated docs publish no internal module", function()
      if not have_ldoc then
        pending("ldoc is not installed")
        return
      end
      run_ldoc()
      assert.is_truthy(exists(out .. "/modules/tingting.html"), "no page for the tingting module")
      local internal = { "call", "auth", "batch", "hooks", "clock", "options", "dialect", "objects", "v1", "upload",
        "errors", "transport.threads", "cli", "cli.args", "cli.campaigns", "cli.commands", "cli.config",
        "cli.exit", "cli.output", "cli.progress", "cli.v1" }
      local published = {}
      for _, m in ipairs(internal) do
        if exists(out .. "/modules/tingting." .. m .. ".html") then published[#published + 1] = m end
      end
      assert.are.same({}, published)
    end)
  end)
end)
