-- Writes of the schedule: BENCH_WRITE=post creates a pour on the workspace's project,
-- BENCH_WRITE=patch changes the notes of the workspace's pour (ids from BENCH_TOKENS.ids),
-- in a random workspace of BENCH_TOKENS, or with BENCH_ONE=1 always in the first one (its
-- writers queue on the workspace's audit chain). Any answer but 200/201 counts as an error.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local kind = os.getenv("BENCH_WRITE")
local one = os.getenv("BENCH_ONE") == "1"
local auth, project, pour = {}, {}, {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  auth[#auth + 1] = "Bearer " .. line
end
for line in io.lines(os.getenv("BENCH_TOKENS") .. ".ids") do
  local f = {}
  for w in line:gmatch("%S+") do f[#f + 1] = w end
  project[#project + 1] = f[2]
  pour[#pour + 1] = f[5]
end

local n = 0
function setup(thread)
  n = n + 1
  thread:set("id", n)
end

local seq = 0
function init(args)
  math.randomseed(os.time() * 1000 + (id or 0))
end

local headers = { ["Content-Type"] = "application/json" }
function request()
  local i = one and 1 or math.random(#auth)
  headers["Authorization"] = auth[i]
  seq = seq + 1
  if kind == "post" then
    local day = os.date("!%Y-%m-%d", os.time({ year = 2026, month = 1, day = 1, hour = 12 }) + math.random(0, 364) * 86400)
    return wrk.format("POST", "/api/v1/pours", headers, string.format(
      '{"project_id":"%s","scheduled_date":"%s","start_time":"07:30","volume_cy":"42.50","mix":"4000 psi","notes":"bench %d"}',
      project[i], day, seq))
  end
  return wrk.format("PATCH", "/api/v1/pours/" .. pour[i], headers,
    string.format('{"notes":"bench %d-%d"}', id or 0, seq))
end
