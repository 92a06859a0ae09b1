---@meta tingting.template
-- LuaLS definitions of `tingting.template`: `{tags_x}` placeholders in
-- campaign messages, `{otp}` in OTP messages; UTF-8 safe.

---@class tingting.TemplateOptions
---@field api? tingting.Api "v1": `{name}` and `{tags_name}` are one variable

---@class tingting.template
local template = {}

---Placeholder names in order of first appearance.
---@param msg string
---@return string[]|nil names
---@return tingting.Error|nil err bad input
function template.tags(msg) end

---Check that every placeholder of `msg` is a usable tag (or `{otp}`), and that
---its braces pair up.
---@param msg string
---@param usable_tags? string[]
---@param opts? tingting.TemplateOptions
---@return true|nil ok
---@return tingting.Error|nil err a validation error (field "message") naming each unknown tag and the usable ones, or the brace without its partner
function template.check(msg, usable_tags, opts) end

---Fill placeholders from `values`; a missing value leaves its placeholder.
---@param msg string
---@param values? table<string, string|number>
---@param opts? tingting.TemplateOptions
---@return string|nil rendered nil for bad input
---@return string[]|tingting.Error missing the names that had no value; or the error of bad input
function template.render(msg, values, opts) end

return template
