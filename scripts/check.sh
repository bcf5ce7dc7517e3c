#!/usr/bin/env bash
# Every test of Planyard, ending with one line: 'N passed, N failed'.
#   build (gcc, -Werror) and the ASan+UBSan build (clang, -Werror); the source rules;
#   sql/schema.sql against a freshly migrated database;
#   cmocka unit tests; the fuzz corpus replayed; the black-box suites over HTTPS.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
passed=0
failed=0
failures=()
t_start=$(date +%s)

stage() { # name, command...
  local name=$1; shift
  local t0; t0=$(date +%s)
  echo "== $name"
  if "$@"; then
    echo "== $name: ok ($(( $(date +%s) - t0 ))s)"
    return 0
  fi
  echo "== $name: FAILED ($(( $(date +%s) - t0 ))s)"
  return 1
}
count() { # ok?, name
  if [ "$1" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$2"); fi
}

stage "build (gcc)" make -j2 --no-print-directory build/planyard; count $? "build (gcc)"
stage "build (clang, ASan+UBSan)" make -j2 --no-print-directory build/asan/planyard; count $? "asan build"
stage "source rules" bash scripts/checksrc.sh; count $? "source rules"
stage "secret scan of the tracked tree" bash scripts/scan.sh secrets; count $? "secret scan"
stage "npm dependencies pinned, locked and audited" bash scripts/scan.sh deps; count $? "npm dependencies"
stage "sql/schema.sql is the migrated schema" bash scripts/schema.sh check; count $? "sql/schema.sql"

echo "== unit tests (cmocka, ASan+UBSan)"
if make -j2 --no-print-directory unit >/tmp/planyard-unit-build.log 2>&1; then
  for t in build/asan/tests/test_*; do
    [ -x "$t" ] || continue
    if out=$("$t" 2>&1); then
      n=$(printf '%s\n' "$out" | sed -n 's/.*PASSED.* \([0-9]*\) test.*/\1/p' | tail -n 1)
      passed=$((passed + ${n:-1}))
      echo "  $(basename "$t"): ${n:-1} passed"
    else
      printf '%s\n' "$out" | tail -n 30
      failed=$((failed + 1)); failures+=("$(basename "$t")")
    fi
  done
else
  cat /tmp/planyard-unit-build.log | tail -n 40
  count 1 "unit build"
fi

echo "== fuzz corpus replay"
targets=$(make --no-print-directory -s -f Makefile print-fuzz-targets)
if make --no-print-directory $(for t in $targets; do echo build/fuzz/fuzz_$t; done) >/tmp/planyard-fuzz-build.log 2>&1; then
  for t in $targets; do
    if build/fuzz/fuzz_$t -runs=0 fuzz/corpus/$t >/tmp/planyard-fuzz-$t.log 2>&1; then
      count 0 "fuzz replay $t"; echo "  $t: $(ls fuzz/corpus/$t | wc -l) inputs replayed"
    else
      tail -n 30 /tmp/planyard-fuzz-$t.log; count 1 "fuzz replay $t"
    fi
  done
else
  tail -n 30 /tmp/planyard-fuzz-build.log; count 1 "fuzz build"
fi

# the web app's end-to-end test (tests/api/test_e2e.py) drives Debian's Chromium with
# playwright-core and axe-core, pinned in tests/e2e/package-lock.json
if [ ! -d tests/e2e/node_modules/playwright-core ] || [ ! -d tests/e2e/node_modules/axe-core ]; then
  npm ci --prefix tests/e2e --no-audit --no-fund >/tmp/planyard-npm.log 2>&1 || tail -n 20 /tmp/planyard-npm.log
fi
echo "== black-box suites (HTTPS, PostgreSQL, ASan+UBSan server)"
api_out=$(mktemp)
$PY tests/run.py 2>&1 | tee "$api_out"
api_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$api_out" | tail -n 1)
if [ -n "$api_line" ]; then
  p=$(echo "$api_line" | sed 's/ passed.*//'); f=$(echo "$api_line" | sed 's/.* passed, \([0-9]*\) failed.*/\1/')
  passed=$((passed + p)); failed=$((failed + f))
  [ "$f" = 0 ] || failures+=("black-box suites")
else
  count 1 "black-box suites (no summary)"
fi
rm -f "$api_out"

echo
echo "make check: $(( $(date +%s) - t_start ))s"
[ ${#failures[@]} -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
