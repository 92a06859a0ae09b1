--- Progress of `tingting campaigns add`: a bar redrawn in place on a terminal
-- (at most ten times a second, with rate and ETA), plain lines every 10 %
-- otherwise (logs, CI).
-- @module tingting.cli.progress
local now = require("tingting.clock").now

local M = {}

local function clock(seconds)
  seconds = math.floor(seconds + 0.5)
  if seconds >= 3600 then
    return string.format("%d:%02d:%02d", math.floor(seconds / 3600), math.floor(seconds / 60) % 60, seconds % 60)
  end
  return string.format("%d:%02d", math.floor(seconds / 60), seconds % 60)
end

--- A progress reporter writing to `out`; `tty` chooses the bar. Returns
-- `update(done, total)` and `finish()`.
function M.new(out, tty, opts)
  opts = opts or {}
  local width = opts.width or 30
  local t0 = now()
  local last_draw, last_tenth, drawn_done = nil, -1, nil
  local shown_done, shown_total = 0, 0

  local function draw(done, total)
    local elapsed = now() - t0
    local frac = total > 0 and done / total or 1
    local filled = math.floor(frac * width + 0.5)
    local rate = elapsed > 0 and done / elapsed or 0
    local eta = (rate > 0 and done < total) and clock((total - done) / rate) or "-"
    out:write(string.format("\r[%s%s] %3d%% %d/%d  %.1f/s  ETA %s ", string.rep("#", filled),
      string.rep(".", width - filled), math.floor(frac * 100), done, total, rate, eta))
    out:flush()
    drawn_done = done
  end

  local function update(done, total)
    shown_done, shown_total = done, total
    if total <= 0 then return end
    if tty then
      local t = now()
      if done >= total or not last_draw or t - last_draw >= 0.1 then
        last_draw = t
        draw(done, total)
      end
    else
      local tenth = math.floor(done * 10 / total)
      if tenth > last_tenth and tenth >= 1 then
        last_tenth = tenth
        out:write(string.format("added %d/%d\n", done, total))
        out:flush()
      end
    end
  end

  local function finish()
    if tty and drawn_done then
      if drawn_done ~= shown_done then draw(shown_done, shown_total) end
      out:write("\n")
      out:flush()
    end
  end

  return update, finish
end

return M
