#!/usr/bin/env bash
# Several servers on one database, pgbouncer, and backup/restore time, on the bench data set
# (bench/load.sql: 1,000 workspaces × 500 pours, loaded here into build/bench/scale/var):
# GET /pours (7-day window) with wrk over HTTPS, one
# `planyard dev` server alone, then with a second `planyard serve` on the same database, then
# a server through pgbouncer (transaction mode); then a full pgBackRest backup and a
# point-in-time restore of that database. Appends the figures to bench/README.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/bench/scale
DATA=$OUT/var
SECS=${BENCH_SECS:-15}
WS=${BENCH_SCALE_WORKSPACES:-1000}
BIN=$ROOT/build/planyard
make -C "$ROOT" -j2 --no-print-directory build/planyard >/dev/null
if [ -e "$DATA/pg" ]; then rm -rf "$(realpath "$DATA/pg")" "$(realpath "$DATA/backup" 2>/dev/null || echo /nonexistent)"; fi
rm -rf "$OUT" && mkdir -p "$OUT" && chmod 755 "$OUT"
pyfree() { python3 "$ROOT/bench/bench.py" freeport; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PIDS=()
BOUNCER_DIR=""
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "$BOUNCER_DIR" ] && [ -f "$BOUNCER_DIR/pgbouncer.pid" ]; then kill "$(cat "$BOUNCER_DIR/pgbouncer.pid")" 2>/dev/null || true; fi
  sleep 2
  as_pg /usr/lib/postgresql/15/bin/pg_ctl -D "$OUT/restored" stop -m immediate >/dev/null 2>&1 || true
  if [ -e "$DATA/pg" ]; then
    as_pg /usr/lib/postgresql/15/bin/pg_ctl -D "$(realpath "$DATA/pg")" stop -m immediate >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

A=$(pyfree); B=$(pyfree); C=$(pyfree)
PLANYARD_DATA_DIR=$DATA PLANYARD_LISTEN_HTTPS=127.0.0.1:$A PLANYARD_LISTEN_HTTP=off \
  PLANYARD_DEV_PG_OPTIONS="-c shared_buffers=1GB -c max_wal_size=8GB" "$BIN" dev --no-demo >"$OUT/a.log" 2>&1 &
PIDS+=($!)
python3 "$ROOT/bench/bench.py" wait-ready "$A" 120
PG=$(realpath "$DATA/pg")

echo "== loading $WS workspaces (bench/load.sql)"
OWNER=(psql -X -q -v ON_ERROR_STOP=1 -h "$PG" -U planyard_owner -d planyard)
TABLES="tenants users memberships sessions regions customers projects employees crews crew_members pours assignments"
triggers() {
  "${OWNER[@]}" -c "do \$\$ declare t text; begin
    foreach t in array string_to_array('$TABLES', ' ') loop
      execute format('alter table app.%I $1 trigger user', t);
    end loop; end \$\$"
}
triggers disable
LANES=()
for lane in 0 1; do
  ( a=$((1 + lane * 500)); while [ "$a" -le "$WS" ]; do b=$((a + 499)); [ "$b" -gt "$WS" ] && b=$WS
      "${OWNER[@]}" -v first="$a" -v last="$b" -f "$ROOT/bench/load.sql" >/dev/null; a=$((a + 1000)); done ) &
  LANES+=($!)
done
wait "${LANES[@]}"
triggers enable
psql -X -q -h "$PG" -U postgres -d planyard -c "vacuum (analyze)" -c checkpoint >/dev/null
secret() { cat "$DATA/secrets/$1"; }
serve_env=(PLANYARD_TLS_CERT="$DATA/tls/cert.pem" PLANYARD_TLS_KEY="$DATA/tls/key.pem"
  PLANYARD_PUBLIC_URL="https://localhost:$A" PLANYARD_JWT_SECRET="$(secret jwt_secret)"
  PLANYARD_PASSWORD_PEPPER="$(secret password_pepper)" PLANYARD_DATA_KEY="$(secret data_key)"
  PLANYARD_STRIPE_WEBHOOK_SECRET="$(secret stripe_webhook_secret)" PLANYARD_CRON_SECRET="$(secret cron_secret)"
  PLANYARD_RUN_AS=postgres PLANYARD_LISTEN_HTTP=off PLANYARD_OUTBOX_DIR="$OUT")
# serve has no default for any of its three logins (requests, sign-in, jobs)
db_urls() { # CONNINFO-PREFIX
  echo "PLANYARD_DATABASE_URL=$1 user=planyard_app"
  echo "PLANYARD_AUTH_DATABASE_URL=$1 user=planyard_auth"
  echo "PLANYARD_JOBS_DATABASE_URL=$1 user=planyard_jobs"
}
mapfile -t direct_db < <(db_urls "host=$PG dbname=planyard")
env "${serve_env[@]}" "${direct_db[@]}" PLANYARD_LISTEN_HTTPS=127.0.0.1:$B "$BIN" serve >"$OUT/b.log" 2>&1 &
PIDS+=($!)
python3 "$ROOT/bench/bench.py" wait-ready "$B" 60

BOUNCER_DIR=$(mktemp -d /tmp/planyard-bench-bouncer-XXXXXX); chmod 755 "$BOUNCER_DIR"
BP=$(pyfree)
printf '"planyard_app" ""\n"planyard_auth" ""\n"planyard_jobs" ""\n' >"$BOUNCER_DIR/userlist.txt"
cat >"$BOUNCER_DIR/pgbouncer.ini" <<INI
[databases]
planyard = host=$PG dbname=planyard
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BP
unix_socket_dir =
auth_type = trust
auth_file = $BOUNCER_DIR/userlist.txt
pool_mode = transaction
default_pool_size = 8
max_client_conn = 200
logfile = $BOUNCER_DIR/pgbouncer.log
pidfile = $BOUNCER_DIR/pgbouncer.pid
INI
[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$BOUNCER_DIR"
as_pg /usr/sbin/pgbouncer -d "$BOUNCER_DIR/pgbouncer.ini"
mapfile -t bouncer_db < <(db_urls "host=127.0.0.1 port=$BP dbname=planyard")
env "${serve_env[@]}" "${bouncer_db[@]}" PLANYARD_LISTEN_HTTPS=127.0.0.1:$C PLANYARD_DB_PREPARE=0 \
  "$BIN" serve >"$OUT/c.log" 2>&1 &
PIDS+=($!)
python3 "$ROOT/bench/bench.py" wait-ready "$C" 60

# the bench sessions of run.sh's first 1,000 workspaces
python3 "$ROOT/bench/bench.py" tokens "$DATA" "$PG" "$OUT/tokens.txt" 1 "$WS" >/dev/null
export BENCH_DIR=$ROOT/bench BENCH_TOKENS=$OUT/tokens.txt
wrk_on() { # KEY PORT CONNECTIONS
  BENCH_OUT=$OUT/$1.json wrk -t2 -c"$3" -d"${SECS}s" --timeout 30s --latency -s "$ROOT/bench/pours.lua" \
    "https://localhost:$2" >"$OUT/$1.txt"
}
rps() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.0f" % (d["requests"] / (d["duration_us"] / 1e6)))' "$1"; }
p50() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.2f" % (d["p50_us"] / 1000))' "$1"; }
p99() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.2f" % (d["p99_us"] / 1000))' "$1"; }

echo "== one server, 16 connections"; wrk_on one "$A" 16
echo "== two servers, 8 connections each, at once"
wrk_on two_a "$A" 8 & w1=$!
wrk_on two_b "$B" 8 & w2=$!
wait "$w1" "$w2"
echo "== through pgbouncer (transaction mode), 16 connections"; wrk_on bouncer "$C" 16

echo "== full backup of the bench database"
size=$(as_pg psql -X -A -t -h "$PG" -d planyard -c "select pg_size_pretty(pg_database_size('planyard'))")
t0=$(date +%s.%N)
PLANYARD_DATA_DIR=$DATA "$BIN" backup create --type full >"$OUT/backup.txt" 2>&1
t1=$(date +%s.%N)
sleep 2; target=$(date -u +%Y-%m-%dT%H:%M:%SZ); sleep 1
# recovery to a time stops at the first commit after it: make one, then archive the WAL
as_pg psql -X -q -h "$PG" -d planyard -c "create temp table bench_after_target ()" >/dev/null
PLANYARD_DATA_DIR=$DATA "$BIN" backup verify >"$OUT/verify.txt" 2>&1
echo "== restore to $target into a new cluster, then recovery until it is promoted"
mkdir -p "$OUT" && chmod 755 "$OUT"
t2=$(date +%s.%N)
PLANYARD_DATA_DIR=$DATA "$BIN" restore --to "$target" --into "$OUT/restored" >"$OUT/restore.txt" 2>&1
t3=$(date +%s.%N)
as_pg /usr/lib/postgresql/15/bin/pg_ctl -D "$OUT/restored" -w -t 600 -l "$OUT/restored/server.log" start \
  -o "-c listen_addresses='' -k $OUT/restored -c archive_mode=off -c max_connections=300 -c shared_buffers=256MB" >/dev/null
until [ "$(as_pg psql -X -A -t -h "$OUT/restored" -d planyard -c 'select pg_is_in_recovery()' 2>/dev/null)" = f ]; do sleep 0.2; done
t4=$(date +%s.%N)
pours=$(as_pg psql -X -A -t -h "$OUT/restored" -d planyard -c "select count(*) from app.pours")

secs() { python3 -c "print('%.1f' % ($2 - $1))"; }
{
  echo
  echo "## Several servers, pgbouncer, backups (bench/scale.sh, $(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
  echo "GET /pours (7-day window) over HTTPS on one database of $WS workspaces × 500 pours, ${SECS} s each, 2 cores shared by everything:"
  echo
  echo "| setup | throughput | p50 | p99 |"
  echo "|---|---|---|---|"
  echo "| one server (\`dev\`), 16 connections | $(rps "$OUT/one.json") req/s | $(p50 "$OUT/one.json") ms | $(p99 "$OUT/one.json") ms |"
  echo "| two servers at once (\`dev\` + \`serve\`), 8 connections each | $(( $(rps "$OUT/two_a.json") + $(rps "$OUT/two_b.json") )) req/s ($(rps "$OUT/two_a.json") + $(rps "$OUT/two_b.json")) | $(p50 "$OUT/two_a.json") / $(p50 "$OUT/two_b.json") ms | $(p99 "$OUT/two_a.json") / $(p99 "$OUT/two_b.json") ms |"
  echo "| one server through pgbouncer 1.18 (transaction mode, \`PLANYARD_DB_PREPARE=0\`), 16 connections | $(rps "$OUT/bouncer.json") req/s | $(p50 "$OUT/bouncer.json") ms | $(p99 "$OUT/bouncer.json") ms |"
  echo
  echo "On two cores a second process adds no CPU: the figures show the servers share the work and agree (the several-servers suite proves the agreement), not more capacity."
  echo
  echo "| backup and restore of the bench database ($size) | time |"
  echo "|---|---|"
  echo "| \`planyard backup create --type full\` (pgBackRest, lz4, AES-256) | $(secs "$t0" "$t1") s |"
  echo "| \`planyard restore --to T --into DIR\` | $(secs "$t2" "$t3") s |"
  echo "| start the restored cluster until recovery to T ends and it is promoted | $(secs "$t3" "$t4") s ($pours pours back) |"
} | tee -a "$ROOT/bench/README.md"
