-- GET /api/v1/pours?from=..&to=.. (a 7-day window of the 52 loaded weeks) with the access
-- token of a random workspace among those in the file BENCH_TOKENS (one JWT a line).
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local auth = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  auth[#auth + 1] = "Bearer " .. line
end
local paths = {}
local base = os.time({ year = 2025, month = 1, day = 6, hour = 12 })
for w = 0, 51 do
  paths[#paths + 1] = "/api/v1/pours?from=" .. os.date("!%Y-%m-%d", base + w * 7 * 86400) ..
    "&to=" .. os.date("!%Y-%m-%d", base + (w * 7 + 6) * 86400)
end

local n = 0
function setup(thread)
  n = n + 1
  thread:set("id", n)
end

function init(args)
  math.randomseed(os.time() * 1000 + (id or 0))
end

local headers = {}
function request()
  headers["Authorization"] = auth[math.random(#auth)]
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
