--- The session's own callbacks (`on_log`, `on_tokens`, `token_store.save`),
-- run so that none of them can break a call: a callback that raises is
-- reported to on_log, and on_log's own failure goes nowhere.
-- @module tingting.hooks
local M = {}

--- Call `fn(...)` (nothing when `fn` is nil) for session state `st`.
function M.run(st, fn, ...)
  if not fn then return end
  local ok, err = pcall(fn, ...)
  if not ok and st.on_log and fn ~= st.on_log then
    pcall(st.on_log, "tingting: callback failed: " .. tostring(err))
  end
end

--- One line to on_log, when the session has one.
function M.log(st, line)
  if st.on_log then M.run(st, st.on_log, line) end
end

return M
