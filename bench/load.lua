-- wrk script for bench/load.sh: each request takes the next URL of the mix in LOAD_PATHS
-- (one path per line, written by `bench/helpers.py load-paths`), round robin per thread.
local paths = {}
local file = assert(io.open(os.getenv("LOAD_PATHS"), "r"))
for line in file:lines() do
    if line ~= "" then paths[#paths + 1] = line end
end
file:close()

local counter = 0

function setup(thread)
    -- Threads start at different places in the mix.
    counter = counter + 1
    thread:set("offset", counter * 7)
end

function init(args)
    counter = offset or 0
end

function request()
    counter = counter + 1
    return wrk.format("GET", paths[(counter % #paths) + 1])
end
