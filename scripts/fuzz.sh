#!/usr/bin/env bash
# scripts/fuzz.sh SECONDS TARGET...: fuzzes each target for SECONDS (make fuzz, make
# fuzz-long), then merges what it found into fuzz/corpus/<target>/ (the minimal set that keeps
# the coverage) and writes build/fuzz/report.md: executions, coverage and corpus per target.
# A crash stops at once and leaves its input in build/fuzz/crash-<target>-*: add it to the
# corpus once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=$1
shift
report=build/fuzz/report.md
mkdir -p build/fuzz
{
  echo "# Fuzzing, $(date -u '+%Y-%m-%d %H:%M UTC'), ${secs}s per target, $(nproc) cores"
  echo
  echo "| target | executions | exec/s | coverage (edges) | features | corpus before → after |"
  echo "|---|---|---|---|---|---|"
} >"$report"
for t in "$@"; do
  work=build/fuzz/work-$t
  rm -rf "$work" && mkdir -p "$work" fuzz/corpus/"$t"
  before=$(ls fuzz/corpus/"$t" | wc -l)
  log=build/fuzz/$t.log
  echo "fuzzing $t for ${secs}s"
  build/fuzz/fuzz_"$t" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix=build/fuzz/crash-"$t"- "$work" fuzz/corpus/"$t" >"$log" 2>&1 || {
    tail -n 40 "$log"
    echo "fuzz_$t failed: see $log and build/fuzz/crash-$t-*" >&2
    exit 1
  }
  build/fuzz/fuzz_"$t" -merge=1 fuzz/corpus/"$t" "$work" >>"$log" 2>&1
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | head -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | head -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  echo "| $t | ${execs:-?} | ${rate:-?} | ${cov:-?} | ${ft:-?} | $before → $(ls fuzz/corpus/"$t" | wc -l) |" >>"$report"
done
cat "$report"
