-- wrk script: every request asks STATUS_PATH (e.g. /policies/) for the status on a day no request
-- asked before (`as_of`), from 1 Jan 2017 on, one day further each time (the two threads take
-- alternate days), so no cache can answer and every read is a lookup of the stored statuses.
local path = os.getenv("STATUS_PATH") or "/policies/"
local joiner = string.find(path, "?", 1, true) and "&" or "?"
local threads = 0
local counter = 0
local start = os.time({year = 2017, month = 1, day = 1, hour = 12})

function setup(thread)
  thread:set("parity", threads)
  threads = threads + 1
end

function request()
  local n = counter * 2 + parity
  counter = counter + 1
  local date = os.date("!%Y-%m-%d", start + n * 86400)
  return wrk.format("GET", path .. joiner .. "as_of=" .. date)
end
