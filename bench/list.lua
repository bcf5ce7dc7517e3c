-- GET BENCH_PATH (e.g. /api/v1/customers) with the access token of a random workspace among
-- those in BENCH_TOKENS. BENCH_WEEK=1 adds ?from=..&to=.. of a random loaded week; BENCH_ID=k
-- adds /<id>, the k-th id of the workspace's line in BENCH_TOKENS.ids (bench.py tokens:
-- customer, project, employee, crew, pour, assignment).
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local path = os.getenv("BENCH_PATH")
local week = os.getenv("BENCH_WEEK") == "1"
local col = tonumber(os.getenv("BENCH_ID") or "")
local auth, ids = {}, {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  auth[#auth + 1] = "Bearer " .. line
end
if col then
  for line in io.lines(os.getenv("BENCH_TOKENS") .. ".ids") do
    local f = {}
    for w in line:gmatch("%S+") do f[#f + 1] = w end
    ids[#ids + 1] = f[col]
  end
end
local weeks = {}
local base = os.time({ year = 2025, month = 1, day = 6, hour = 12 })
for w = 0, 51 do
  weeks[#weeks + 1] = "?from=" .. os.date("!%Y-%m-%d", base + w * 7 * 86400) ..
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
  local i = math.random(#auth)
  headers["Authorization"] = auth[i]
  local p = path
  if col then p = p .. "/" .. ids[i] end
  if week then p = p .. weeks[math.random(#weeks)] end
  return wrk.format("GET", p, headers)
end
