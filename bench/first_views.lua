-- wrk script: every request asks for an address no one asked before, so no cache can answer it.
-- The page is FIRST_VIEW_PATH (e.g. /rulings/?court=ilnd) with a different `decided_after`
-- lower bound each time, all of them centuries before any ruling: the same rows, a new URL.
local path = os.getenv("FIRST_VIEW_PATH") or "/rulings/?court=ilnd"
local threads = 0
local counter = 0

function setup(thread)
  thread:set("offset", threads * 100000)
  threads = threads + 1
end

function request()
  counter = counter + 1
  local n = offset + counter
  local date = string.format(
    "%04d-%02d-%02d", 1000 + math.floor(n / 336), 1 + math.floor(n / 28) % 12, 1 + n % 28)
  return wrk.format("GET", path .. "&decided_after=" .. date)
end
