---@meta tingting.numbers
-- LuaLS definitions of `tingting.numbers`: phone numbers and number files.

---@class tingting.CsvOptions
---@field number_column? string the column holding the numbers (default "number")

---@class tingting.numbers
local numbers = {}

---A phone number as a digit string: spaces, dashes, dots and parentheses are
---dropped, and a +977/00977/977 prefix on a full national number; 7 to 14
---digits must remain.
---@param v tingting.Phone
---@return string|nil digits
---@return tingting.Error|nil err kind "validation", field "number"
function numbers.normalize(v) end

---The canonical form of a Nepal number: `normalize`'s digits without the
---country code and leading zeros ("+9779851023212" and "09851023212" are both
---"9851023212"). `tingting.otp` keys its state on it.
---@param v tingting.Phone
---@return string|nil digits
---@return tingting.Error|nil err kind "validation", field "number"
function numbers.canonical(v) end

---An iterator over a number file's records, read a chunk at a time: a header
---row, a `number` column, every other column a tag. A missing file or a bad
---header fails here; a malformed line later ends the iteration with `nil, err`.
---@param path string
---@param opts? tingting.CsvOptions
---@return (fun(): tingting.NumberRecord|nil, tingting.Error|nil)|nil iterator
---@return tingting.Error|nil err kind "validation"; `err.line` is the line at fault
function numbers.each_csv(path, opts) end

---Read a whole number file into a list (see `each_csv` for files too large to hold).
---@param path string
---@param opts? tingting.CsvOptions
---@return tingting.NumberRecord[]|nil records
---@return tingting.Error|nil err kind "validation"; `err.line` is the line at fault
function numbers.read_csv(path, opts) end

return numbers
