-- POST /api/v1/auth/login with the JSON body in BENCH_LOGIN_BODY (a confirmed user).
dofile(os.getenv("BENCH_DIR") .. "/common.lua")
wrk.method = "POST"
wrk.path = "/api/v1/auth/login"
wrk.body = os.getenv("BENCH_LOGIN_BODY")
wrk.headers["Content-Type"] = "application/json"
