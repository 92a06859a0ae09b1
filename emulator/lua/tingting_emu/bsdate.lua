-- Bikram Sambat (BS), Nepal's official calendar: conversion from Gregorian (AD) dates,
-- and Nepal time (UTC+05:45). Plain Lua (5.1 to 5.4, LuaJIT): the specs load it directly.
--
-- BS month lengths vary from year to year by astronomy, not by a rule, so they come from
-- a table: the official calendar's month lengths for 2000-2099 BS (1943-04-14 to
-- 2043-04-13 AD), as published by the Nepal Panchanga Nirnayak Samiti and collected by
-- the maintained converters (the opensource-nepal nepali-datetime data, with its 2081 and
-- 2082 corrections of 2024 and 2025). Years after 2083 are the published projections and
-- may still be corrected. Epoch: 2000-01-01 BS = 1943-04-14 AD.
local _M = {}

_M.NEPAL_OFFSET = 5 * 3600 + 45 * 60

local FIRST_YEAR = 2000
local EPOCH_AD = { 1943, 4, 14 }

-- One string per BS year, one digit per month (Baisakh .. Chaitra): days - 29.
local YEARS = {
  "132321110102", "223222101011", "223321101011", "232321110012", "132321110102", -- 2000-2004
  "223222101011", "223321101011", "232321110012", "222322011002", "223222101011", -- 2005-2009
  "223321101011", "232321110012", "222322011011", "223222101011", "223321101011", -- 2010-2014
  "232321110012", "222322011011", "223222101011", "232321101011", "232321110102", -- 2015-2019
  "222322101011", "223222101011", "232321110011", "232321110102", "222322101011", -- 2020-2024
  "223222101011", "232321110012", "132321110102", "223222101011", "223231101011", -- 2025-2029
  "232321110012", "132321110102", "223222101011", "223321101011", "232321110012", -- 2030-2034
  "132322011002", "223222101011", "223321101011", "232321110012", "222322011011", -- 2035-2039
  "223222101011", "223321101011", "232321110012", "222322011011", "223222101011", -- 2040-2044
  "232321101011", "232321110012", "222322101011", "223222101011", "232321110011", -- 2045-2049
  "232321110102", "222322101011", "223222101011", "232321110011", "232321110102", -- 2050-2054
  "223222101011", "223231101011", "232321110012", "132321110102", "223222101011", -- 2055-2059
  "223321101011", "232321110012", "132322010102", "223222101011", "223321101011", -- 2060-2064
  "232321110012", "222322011002", "223222101011", "223321101011", "232321110012", -- 2065-2069
  "222322011011", "223222101011", "232321101011", "232321110012", "222322101011", -- 2070-2074
  "223222101011", "232321110011", "232321110102", "222322101011", "223222101011", -- 2075-2079
  "232321110011", "232321110102", "223222101011", "223222101011", "232321110012", -- 2080-2084
  "132321110102", "223222101011", "223321101011", "232321110012", "132321110102", -- 2085-2089
  "223222101011", "223321101011", "232321110012", "222322011002", "223222101011", -- 2090-2094
  "223321101011", "232321110012", "222322011011", "223222101011", "223321101011", -- 2095-2099
}

_M.FIRST_YEAR = FIRST_YEAR
_M.LAST_YEAR = FIRST_YEAR + #YEARS - 1

local MONTHS = { "Baisakh", "Jestha", "Asar", "Shrawan", "Bhadra", "Asoj", "Kartik",
  "Mangsir", "Poush", "Magh", "Falgun", "Chaitra" }
_M.MONTHS = MONTHS

function _M.month_days(year, month)
  local row = YEARS[year - FIRST_YEAR + 1]
  if not row or month < 1 or month > 12 then return nil end
  return row:byte(month) - 48 + 29
end

local year_length = {}
for i, row in ipairs(YEARS) do
  local n = 0
  for m = 1, 12 do n = n + row:byte(m) - 48 + 29 end
  year_length[i] = n
end

-- Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
function _M.days_from_civil(y, m, d)
  y = (m <= 2) and y - 1 or y
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

-- The Gregorian date of a day number (inverse of days_from_civil).
function _M.civil_from_days(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524)
    - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return y, m, d
end

local EPOCH_DAY = _M.days_from_civil(EPOCH_AD[1], EPOCH_AD[2], EPOCH_AD[3])

-- The BS date of an AD date: year, month, day; nil outside 2000-2099 BS.
function _M.from_ad(y, m, d)
  local offset = _M.days_from_civil(y, m, d) - EPOCH_DAY
  if offset < 0 then return nil end
  local i = 1
  while year_length[i] and offset >= year_length[i] do
    offset = offset - year_length[i]
    i = i + 1
  end
  local row = YEARS[i]
  if not row then return nil end
  for month = 1, 12 do
    local days = row:byte(month) - 48 + 29
    if offset < days then return FIRST_YEAR + i - 1, month, offset + 1 end
    offset = offset - days
  end
end

-- The AD date of a BS date: year, month, day; nil for a date not in the table.
function _M.to_ad(y, m, d)
  local i = y - FIRST_YEAR + 1
  if not YEARS[i] or m < 1 or m > 12 or d < 1 or d > _M.month_days(y, m) then return nil end
  local offset = d - 1
  for k = 1, i - 1 do offset = offset + year_length[k] end
  for k = 1, m - 1 do offset = offset + _M.month_days(y, k) end
  return _M.civil_from_days(EPOCH_DAY + offset)
end

-- Nepal-time calendar fields of an epoch time: y, m, d, H, M, S (AD).
function _M.nepal_fields(t)
  local local_t = math.floor(t) + _M.NEPAL_OFFSET
  local day = math.floor(local_t / 86400)
  local secs = local_t - day * 86400
  local y, m, d = _M.civil_from_days(day)
  return y, m, d, math.floor(secs / 3600), math.floor(secs % 3600 / 60), secs % 60
end

-- "YYYY-MM-DD" (BS) and "HH:MM:SS" (Nepal time) of an epoch time, as run-campaign
-- words a schedule; nil when the date is outside the table.
function _M.format_epoch(t)
  local y, m, d, hh, mm, ss = _M.nepal_fields(t)
  local by, bm, bd = _M.from_ad(y, m, d)
  if not by then return nil end
  return string.format("%04d-%02d-%02d", by, bm, bd), string.format("%02d:%02d:%02d", hh, mm, ss)
end

return _M
