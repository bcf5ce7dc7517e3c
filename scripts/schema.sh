#!/usr/bin/env bash
# sql/schema.sql is the schema of a freshly migrated database, as pg_dump prints it (grants
# included: they are part of the isolation model), without pg_dump's version and SET noise.
#   scripts/schema.sh dump [FILE]   migrate a private cluster with build/planyard, print or write
#   scripts/schema.sh check         fail with a diff when sql/schema.sql differs
#   scripts/schema.sh normalise     pg_dump output on stdin, the normalised form on stdout
set -euo pipefail
cd "$(dirname "$0")/.."
PG_BIN=/usr/lib/postgresql/15/bin
BINARY=${PLANYARD_BINARY:-build/planyard}

normalise() {
  grep -v -E '^(SET |SELECT pg_catalog\.set_config|-- Dumped (from|by) |-- PostgreSQL database dump|--$|-- Name: .*; Type: |\\(un)?restrict )' |
    cat -s | sed -e '1{/^$/d}' | sed -e '${/^$/d}'
}

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

dump() { # the normalised schema of a database migrated by $BINARY
  local dir; dir=$(mktemp -d /tmp/planyard-schema.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  trap 'as_pg "$PG_BIN/pg_ctl" -D "'"$dir"'/pg" -m immediate stop >/dev/null 2>&1 || true; rm -rf "'"$dir"'"' RETURN
  as_pg "$PG_BIN/initdb" -D "$dir/pg" -U postgres -A trust >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$dir/pg" -w -l "$dir/pg/server.log" \
    -o "-c listen_addresses='' -k $dir/pg -c fsync=off" start >/dev/null
  psql -X -q -h "$dir/pg" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "create role planyard_owner login createrole" -c "create database planyard owner planyard_owner" >/dev/null
  PLANYARD_ADMIN_DATABASE_URL="postgresql:///planyard?host=$dir/pg&user=planyard_owner" \
    "$BINARY" migrate >"$dir/migrate.log" 2>&1 || { cat "$dir/migrate.log" >&2; return 1; }
  as_pg "$PG_BIN/pg_dump" -h "$dir/pg" -U postgres --schema-only --no-owner planyard | normalise
}

case "${1:-}" in
  dump)
    if [ -n "${2:-}" ]; then dump > "$2.tmp" && mv "$2.tmp" "$2"; else dump; fi ;;
  check)
    out=$(mktemp); trap 'rm -f "$out"' EXIT
    dump > "$out"
    if ! diff -u sql/schema.sql "$out"; then
      echo "sql/schema.sql differs from a migrated database: run make schema" >&2
      exit 1
    fi ;;
  normalise) normalise ;;
  *) echo "usage: scripts/schema.sh dump [FILE] | check | normalise" >&2; exit 2 ;;
esac
