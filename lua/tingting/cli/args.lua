--- Command-line parsing for the tingting command: a tree of commands, each with
-- its options and positional arguments. Long options take `--name value` or
-- `--name=value`, short ones `-o value` or `-ovalue`; `--` ends the options.
-- Options may come anywhere after the command words that define them; global
-- options anywhere at all.
-- @module tingting.cli.args
local M = {}

-- Spec of an option: {name = "page", short = "p", value = "N" | nil (flag),
-- list = true (repeatable, comma-separated values allowed), help = "..."}
local function find_option(node, globals, long, short)
  local function scan(options)
    for _, o in ipairs(options or {}) do
      if (long and o.name == long) or (short and o.short == short) then return o end
    end
  end
  return scan(node.options) or scan(globals)
end

local function add_value(out, o, v)
  if o.list then
    local t = out[o.name] or {}
    for item in (v .. ","):gmatch("([^,]*),") do
      item = item:match("^%s*(.-)%s*$")
      if item ~= "" then t[#t + 1] = item end
    end
    out[o.name] = t
  else
    out[o.name] = v
  end
end

--- Parse `argv` against the command tree `root` (nodes: `{sub = {name = node},
-- options = {...}, args = {"ID", ...}, optional_args = n}`) and the global options.
-- @treturn table `{node =, path = {"campaigns", "list"}, options = {}, args = {}, help = bool,
-- err = message|nil}`
function M.parse(root, globals, argv)
  local res = { node = root, path = {}, options = {}, args = {}, help = false }
  local function fail(msg)
    if not res.err then res.err = msg end
  end
  local i, n, only_args = 1, #argv, false
  -- Option `o` as written on the command line (`shown`: "--name" or "-n"),
  -- with the value given in the same word (`inline`: --name=v, -nv) if any;
  -- an option that takes a value and has none there takes the next word.
  local function take(o, shown, inline)
    if not o then
      fail("unknown option " .. shown)
    elseif o.value then
      local value = inline
      if value == nil then
        i = i + 1
        value = argv[i]
        if value == nil then fail("option " .. shown .. " needs a value (" .. o.value .. ")") end
      end
      if value ~= nil then add_value(res.options, o, value) end
    elseif inline ~= nil then
      fail("option " .. shown .. " takes no value")
    else
      res.options[o.name] = true
    end
  end
  while i <= n do
    local a = argv[i]
    local node = res.node
    if not only_args and a == "--" then
      only_args = true
    elseif not only_args and a:sub(1, 2) == "--" and #a > 2 then
      local name, value = a:match("^%-%-([^=]+)=(.*)$")
      name = name or a:sub(3)
      take(find_option(node, globals, name, nil), "--" .. name, value)
    elseif not only_args and a:sub(1, 1) == "-" and #a > 1 and not a:match("^%-%d") then
      local short, rest = a:sub(2, 2), a:sub(3)
      take(find_option(node, globals, nil, short), "-" .. short, rest ~= "" and rest or nil)
    elseif node.sub and #res.args == 0 then
      local child = node.sub[a]
      if child then
        res.node = child
        res.path[#res.path + 1] = a
      else
        fail(("unknown command %q"):format(a))
      end
    else
      res.args[#res.args + 1] = a
    end
    i = i + 1
  end
  if res.options.help then res.help = true end
  local node = res.node
  if not res.err and not res.help then
    local want = node.args or {}
    local required = #want - (node.optional_args or 0)
    if node.sub then
      fail(#res.path == 0 and "missing command" or "missing subcommand")
    elseif #res.args < required then
      fail("missing argument " .. want[#res.args + 1])
    elseif #res.args > #want then
      fail(("unexpected argument %q"):format(res.args[#want + 1]))
    end
  end
  return res
end

--- A positive integer id from a command-line word, or nil.
function M.id(s)
  if type(s) ~= "string" or not s:match("^%d+$") or #s > 15 then return nil end
  local v = tonumber(s)
  if v < 1 then return nil end
  return math.tointeger and math.tointeger(v) or v
end

return M
