#!/usr/bin/env bash
# make bench: the release build on a private cluster under build/bench/, over HTTPS on
# loopback. Prints the figures and writes them to bench/README.md.
#
#   1. accounts: POST /auth/login (bcrypt cost 12) at 1 and 32 connections; GET /me at a fixed
#      rate alone and while 32 connections sign in.
#   2. schedule read: GET /pours (a random workspace and week) at 16 and 64 connections with
#      BENCH_WORKSPACES workspaces loaded in SQL, next to pgbench running the same statements
#      the same way, pipelined (the ceiling), and once in BEGIN/COMMIT; the reference (the
#      same page behind the cheapest sound isolation, bench/ref.sql); every other list and
#      get once, briefly; the writes POST /pours and PATCH /pours/{id} across the workspaces
#      and within one; then BENCH_WORKSPACES_LARGE workspaces and 16 connections again.
#   3. the server's resident memory after the runs.
#
# Settings (environment): BENCH_WORKSPACES (1000), BENCH_WORKSPACES_LARGE (10000),
# BENCH_SECONDS per run (15), BENCH_SHORT_SECONDS per list, get and write run (5),
# BENCH_LOGIN_FLOOD (64 connections signing in while GET /me is measured), BENCH_ME_RATE (50 req/s), BENCH_EXPERIMENT_SQL: a SQL file run
# as the schema owner after the migrations, to measure a change to the schema; the report
# then goes to build/bench/README-experiment.md and bench/README.md is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

WS1=${BENCH_WORKSPACES:-1000}
WS2=${BENCH_WORKSPACES_LARGE:-10000}
SECS=${BENCH_SECONDS:-15}
SHORT=${BENCH_SHORT_SECONDS:-5}
FLOOD=${BENCH_LOGIN_FLOOD:-64}
ME_RATE=${BENCH_ME_RATE:-50}
EXPERIMENT=${BENCH_EXPERIMENT_SQL:-}
# shared_buffers holds the 10,000 workspaces (about 3 GB with indexes) mostly in memory;
# archive_mode=off: planyard dev archives WAL with pgBackRest, which would also compress and
# encrypt the gigabytes of WAL of the bulk load (the later -c wins over dev's own).
PG_OPTIONS="-c shared_buffers=1GB -c max_wal_size=8GB -c checkpoint_timeout=30min -c archive_mode=off"
PG_BIN=/usr/lib/postgresql/15/bin

B=$ROOT/build/bench
OUT=$B/out
DATA=$B/var
RES=$OUT/results.json
README=$ROOT/bench/README.md
[ -n "$EXPERIMENT" ] && README=$B/README-experiment.md
PY=(python3 "$ROOT/bench/bench.py")
export BENCH_DIR=$ROOT/bench

say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# ---- cleanup: only what this script started, by pid ----
SERVER=
BG=()
stop_cluster() {
  local dir=$1
  [ -f "$dir/postmaster.pid" ] || return 0
  as_postgres "$PG_BIN/pg_ctl" -D "$dir" -w -t 30 stop -m fast >/dev/null 2>&1 ||
    as_postgres "$PG_BIN/pg_ctl" -D "$dir" -w stop -m immediate >/dev/null 2>&1 || true
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "$SERVER" ] && kill -0 "$SERVER" 2>/dev/null; then
    kill -TERM "$SERVER" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
  fi
  if [ -e "$DATA/pg" ]; then
    local real
    real=$(realpath "$DATA/pg")
    stop_cluster "$real"
    rm -rf "$real"
  fi
  # dev keeps its pgBackRest repository next to the cluster, behind DATA_DIR/backup
  [ -e "$DATA/backup" ] && rm -rf "$(realpath "$DATA/backup")"
  rm -rf "$DATA"
  [ $rc -ne 0 ] && say "failed (exit $rc); logs in $OUT"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build and start ----
say "building the release binary"
make -j2 --no-print-directory build/planyard >&2

# a previous run that was killed may have left its cluster running
if [ -e "$DATA/pg" ]; then
  stop_cluster "$(realpath "$DATA/pg")"
  rm -rf "$(realpath "$DATA/pg")"
fi
[ -e "$DATA/backup" ] && rm -rf "$(realpath "$DATA/backup")"
rm -rf "$DATA" "$OUT"
mkdir -p "$OUT"

for v in $(compgen -e | grep '^PLANYARD_' || true); do unset "$v"; done
# Two cores shared by the server, PostgreSQL and the load generator: anything else running
# skews the figures. Wait a little for a quiet machine; each run reports what others took.
say "waiting (at most ${BENCH_QUIET_WAIT:-180}s) for the load average to fall under 1.5"
LOADAVG=$("${PY[@]}" quiet "${BENCH_QUIET_WAIT:-180}" 1.5)
say "load average: $LOADAVG"
HTTPS_PORT=$("${PY[@]}" freeport)
HTTP_PORT=$("${PY[@]}" freeport)
URL=https://127.0.0.1:$HTTPS_PORT
say "starting planyard dev --no-demo on $URL (data in build/bench/var)"
PLANYARD_DATA_DIR=$DATA \
PLANYARD_LISTEN_HTTPS=127.0.0.1:$HTTPS_PORT \
PLANYARD_LISTEN_HTTP=127.0.0.1:$HTTP_PORT \
PLANYARD_DEV_PG_OPTIONS=$PG_OPTIONS \
  "$ROOT/build/planyard" dev --no-demo >"$OUT/server.log" 2>&1 &
SERVER=$!
if ! "${PY[@]}" wait-ready "$HTTPS_PORT" 120 "$SERVER"; then
  tail -n 20 "$OUT/server.log" >&2
  exit 1
fi
PG=$(realpath "$DATA/pg")
PSQL_OWNER=(psql -X -q -v ON_ERROR_STOP=1 -h "$PG" -U planyard_owner -d planyard)
PSQL_SUPER=(psql -X -q -v ON_ERROR_STOP=1 -h "$PG" -U postgres -d planyard)
if [ -n "$EXPERIMENT" ]; then
  say "applying the experiment $EXPERIMENT"
  "${PSQL_OWNER[@]}" -f "$EXPERIMENT" >/dev/null
fi

put() { "${PY[@]}" put "$RES" "$1" "$2"; }
# The fixed-rate client runs at a higher priority when allowed, so that its own scheduling
# delays (two cores full of bcrypt) do not count as the server's latency.
NICE=()
nice -n -10 true 2>/dev/null && NICE=(nice -n -10)
cpu() { "${PY[@]}" cpu "$SERVER" "$PG" $$; }
idle() { "${PY[@]}" idle "$SERVER" 120; }

WORKERS=$(nproc); [ "$WORKERS" -lt 2 ] && WORKERS=2   # PLANYARD_WORKERS' default: one database connection each
put meta "$(python3 - "$WS1" "$WS2" "$WORKERS" "$PG_OPTIONS" "$EXPERIMENT" "$LOADAVG" <<'EOF'
import json, os, platform, subprocess, sys, time
model = ""
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        model = line.split(":", 1)[1].strip()
        break
mem = int(open("/proc/meminfo").readline().split()[1]) // (1024 * 1024)
pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.split()[2]
print(json.dumps({
    "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    "machine": "%d cores (%s), %d GiB, Linux %s, PostgreSQL %s" % (os.cpu_count(), model, mem, platform.release(), pg),
    "loadavg": sys.argv[6],
    "command": "make bench", "workspaces_1": int(sys.argv[1]), "workspaces_2": int(sys.argv[2]),
    "workers": int(sys.argv[3]), "pg_options": sys.argv[4], "experiment": sys.argv[5]}))
EOF
)"

# wrk KEY CONNECTIONS SECONDS SCRIPT: one wrk run, figures stored under KEY (the environment
# of the call, e.g. BENCH_PATH, reaches the script)
wrk_run() {
  local key=$1 c=$2 secs=$3 script=$4 t=2
  [ "$c" -lt 2 ] && t=1
  BENCH_OUT=$OUT/$key.json wrk -t$t -c"$c" -d"${secs}s" --timeout 30s --latency -s "$ROOT/bench/$script" "$URL" \
    >"$OUT/$key.txt"
  put "$key" "$(cat "$OUT/$key.json")"
}
# measured KEY CMD...: CMD with CPU snapshots of planyard, the cluster and the machine around it
measured() {
  local key=$1 before after
  shift
  before=$(cpu)
  "$@"
  after=$(cpu)
  put "$key.cpu" "{\"before\":$before,\"after\":$after}"
}
# pgbench_run KEY CLIENTS WORKSPACES [SCRIPT [ROLE]]: the ceiling, the statements of GET /pours
# without the server (or the reference read, as its own role); SCRIPT once per loaded week,
# the week's filter bound as a parameter (bench.py weeks)
pgbench_run() {
  local key=$1 c=$2 nws=$3 script=${4:-pours.pgbench} role=${5:-planyard_app} weeks
  mapfile -t weeks < <("${PY[@]}" weeks "$OUT/weeks" "$script")
  (cd "$OUT" && pgbench -n -h "$PG" -U "$role" -d planyard -M prepared "${weeks[@]}" \
    -D nws="$nws" -c "$c" -j 2 -T "$SECS" -l --log-prefix="$OUT/$key.log" >"$OUT/$key.txt" 2>&1)
  "${PY[@]}" pgbench-pct "$OUT/$key.log" "$OUT/$key.txt" "$OUT/$key.json"
  rm -f "$OUT/$key.log".*
  put "$key" "$(cat "$OUT/$key.json")"
}
analyze_sessions() {
  "${PSQL_SUPER[@]}" -c "analyze app.sessions"
}
fresh_sessions() {
  # the gate writes last_used_at once a minute per session: keep the runs read-only
  "${PSQL_OWNER[@]}" -c "update app.sessions set last_used_at = now() where user_agent = 'bench'"
}

# ---- 1. accounts ----
say "accounts: a confirmed user (signup, the mailed link, confirm)"
"${PY[@]}" account "$DATA" "$HTTPS_PORT" "$OUT/account.json"
BENCH_LOGIN_BODY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["login_body"])' "$OUT/account.json")
ME_TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$OUT/account.json")
export BENCH_LOGIN_BODY

say "GET /me at $ME_RATE req/s, ${SECS}s, nothing else"
measured me_idle "${NICE[@]}" "${PY[@]}" rate "$HTTPS_PORT" "$ME_TOKEN" "$ME_RATE" "$SECS" 16 "$OUT/me_idle.json"
put me_idle "$(cat "$OUT/me_idle.json")"
say "login, 1 connection, ${SECS}s"
measured login_c1 wrk_run login_c1 1 "$SECS" login.lua
idle
# each sign-in adds a session to the workspace: keep the planner's statistics current, as
# autovacuum would (without them, GET /me may filter every session of the workspace)
analyze_sessions
say "login, 32 connections, ${SECS}s"
measured login_c32 wrk_run login_c32 32 "$SECS" login.lua
# the pool goes on hashing for the clients wrk dropped at the end: wait for it
idle
analyze_sessions
say "GET /me at $ME_RATE req/s while $FLOOD connections sign in, ${SECS}s"
BENCH_OUT=$OUT/login_bg.json wrk -t2 -c"$FLOOD" -d"$((SECS + 4))s" --timeout 30s --latency -s "$ROOT/bench/login.lua" "$URL" \
  >"$OUT/login_bg.txt" &
BG+=($!)
sleep 2
measured me_login "${NICE[@]}" "${PY[@]}" rate "$HTTPS_PORT" "$ME_TOKEN" "$ME_RATE" "$SECS" 16 "$OUT/me_login.json"
wait "${BG[-1]}"
put me_login "$(cat "$OUT/me_login.json")"
put login_bg "$(cat "$OUT/login_bg.json")"
put meta_flood "{\"connections\": $FLOOD}"
idle
analyze_sessions

# ---- 2. schedule read ----
# load FIRST LAST: workspaces FIRST..LAST in chunks of 500, two psql sessions at a time
load() {
  local first=$1 last=$2 chunk=500 lane pids=() a b
  for lane in 0 1; do
    (
      a=$((first + lane * chunk))
      while [ "$a" -le "$last" ]; do
        b=$((a + chunk - 1))
        [ "$b" -gt "$last" ] && b=$last
        "${PSQL_OWNER[@]}" -v first="$a" -v last="$b" -f "$ROOT/bench/load.sql" >/dev/null
        a=$((a + 2 * chunk))
      done
    ) &
    pids+=($!)
    BG+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
}
# The load skips the tables' user triggers (the audit log): FK and RLS checks stay on.
TABLES="tenants users memberships sessions regions customers projects employees crews crew_members pours assignments"
triggers() {
  "${PSQL_OWNER[@]}" -c "do \$\$ declare t text; begin
    foreach t in array string_to_array('$TABLES', ' ') loop
      execute format('alter table app.%I $1 trigger user', t);
    end loop; end \$\$"
}
settle() {
  "${PSQL_SUPER[@]}" -c "vacuum (analyze)" -c "checkpoint" >>"$OUT/settle.log" 2>&1
}

say "loading workspaces 1..$WS1 in SQL as planyard_owner"
t0=$(date +%s%N)
triggers disable
load 1 "$WS1"
triggers enable
t1=$(date +%s%N)
settle
t2=$(date +%s%N)
week=$("${PSQL_SUPER[@]}" -At -F ' ' -c "select min(c), round(avg(c), 1), max(c) from (select tenant_id, (scheduled_date - date '2025-01-06') / 7, count(*) c from app.pours group by 1, 2) x")
put load1 "{\"seconds\": $(( (t1 - t0) / 1000000000 )), \"settle_seconds\": $(( (t2 - t1) / 1000000000 )), \"pours_per_week\": \"$week\"}"
say "loaded in $(( (t1 - t0) / 1000000000 ))s; pours in a week: min avg max = $week"

"${PY[@]}" tokens "$DATA" "$PG" "$OUT/tokens_1" 1 "$WS1" >/dev/null
export BENCH_TOKENS=$OUT/tokens_1
fresh_sessions
say "warm-up, 5s"
wrk_run warm_1k 16 5 pours.lua
# Twice at 16 connections (here and with the larger data): how wrk's connections fall on
# the server's worker threads moves the client-side percentiles from one run to the next.
for c in 16 64; do
  say "GET /pours, $WS1 workspaces, $c connections, ${SECS}s"
  fresh_sessions
  measured pours_1k_c$c wrk_run pours_1k_c$c "$c" "$SECS" pours.lua
  if [ "$c" = 16 ]; then
    say "again"
    measured pours_1k_c16_2 wrk_run pours_1k_c16_2 16 "$SECS" pours.lua
  fi
  say "pgbench, $WS1 workspaces, -c $c, ${SECS}s"
  fresh_sessions
  measured pgb_1k_c$c pgbench_run pgb_1k_c$c "$c" "$WS1"
done
say "pgbench, $WS1 workspaces, -c $WORKERS (as many as the server's connections), ${SECS}s"
fresh_sessions
measured pgb_1k_workers pgbench_run pgb_1k_workers "$WORKERS" "$WS1"
say "reference: the page on a copy of app.pours behind a transaction-local tenant setting, -c $WORKERS, ${SECS}s"
"${PSQL_SUPER[@]}" -f "$ROOT/bench/ref.sql" >/dev/null
measured ref_1k_workers pgbench_run ref_1k_workers "$WORKERS" "$WS1" pours-ref.pgbench planyard_bench_ref
say "pgbench, the same statements in BEGIN/COMMIT (four round trips), -c 16, ${SECS}s"
fresh_sessions
measured pgb4_1k_c16 pgbench_run pgb4_1k_c16 16 "$WS1" pours-4rt.pgbench

# every other list and get, once each, briefly (bench/list.lua; BENCH_ID: bench.py tokens)
for spec in "customers /api/v1/customers 0 -" "projects /api/v1/projects 0 -" "employees /api/v1/employees 0 -" \
            "crews /api/v1/crews 0 -" "assignments /api/v1/assignments 1 -" "manpower /api/v1/manpower 1 -" \
            "me /api/v1/me 0 -" "customer /api/v1/customers 0 1" "project /api/v1/projects 0 2" \
            "employee /api/v1/employees 0 3" "crew /api/v1/crews 0 4" "pour /api/v1/pours 0 5" \
            "assignment /api/v1/assignments 0 6"; do
  read -r name path week col <<<"$spec"
  say "GET $path$([ "$col" != - ] && echo "/{id}"), $WS1 workspaces, 16 connections, ${SHORT}s"
  fresh_sessions
  export BENCH_PATH=$path BENCH_WEEK=$week BENCH_ID=
  [ "$col" != - ] && BENCH_ID=$col
  measured "read_$name" wrk_run "read_$name" 16 "$SHORT" list.lua
done
# the writes: across the workspaces, and all in one (its writers queue on its audit chain)
for w in post patch; do
  for scope in many one; do
    say "${w^^} /pours, 16 connections, $([ $scope = one ] && echo "one workspace" || echo "$WS1 workspaces"), ${SHORT}s"
    fresh_sessions
    export BENCH_WRITE=$w BENCH_ONE=0
    [ $scope = one ] && BENCH_ONE=1
    measured "write_${w}_$scope" wrk_run "write_${w}_$scope" 16 "$SHORT" writes.lua
  done
done
settle

say "loading workspaces $((WS1 + 1))..$WS2"
t0=$(date +%s%N)
triggers disable
load $((WS1 + 1)) "$WS2"
triggers enable
t1=$(date +%s%N)
settle
t2=$(date +%s%N)
put load2 "{\"seconds\": $(( (t1 - t0) / 1000000000 )), \"settle_seconds\": $(( (t2 - t1) / 1000000000 ))}"
say "loaded in $(( (t1 - t0) / 1000000000 ))s"
"${PY[@]}" tokens "$DATA" "$PG" "$OUT/tokens_2" 1 "$WS2" >/dev/null
export BENCH_TOKENS=$OUT/tokens_2
fresh_sessions
say "warm-up, 5s"
wrk_run warm_10k 16 5 pours.lua
say "GET /pours, $WS2 workspaces, 16 connections, ${SECS}s"
fresh_sessions
measured pours_10k_c16 wrk_run pours_10k_c16 16 "$SECS" pours.lua
say "again"
measured pours_10k_c16_2 wrk_run pours_10k_c16_2 16 "$SECS" pours.lua
say "pgbench, $WS2 workspaces, -c 16, ${SECS}s"
fresh_sessions
measured pgb_10k_c16 pgbench_run pgb_10k_c16 16 "$WS2"

# ---- 3. memory, size ----
put memory "$(python3 - "$SERVER" <<'EOF'
import json, sys
d = {}
for line in open("/proc/%s/status" % sys.argv[1]):
    k, v = line.split(":", 1)
    if k in ("VmRSS", "VmHWM", "Threads"):
        d[k] = v.strip()
print(json.dumps(d))
EOF
)"
put sizes "$("${PSQL_SUPER[@]}" -At -c "select json_build_object('db', pg_size_pretty(pg_database_size('planyard')),
  'sessions', (select count(*) from app.sessions), 'pours', (select count(*) from app.pours),
  'assignments', (select count(*) from app.assignments))")"

"${PY[@]}" report "$RES" "$README" "$OUT/server.log"
say "report written to ${README#"$ROOT"/}"
