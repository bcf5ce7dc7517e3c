#!/usr/bin/env bash
# Supply-chain and secret checks of the committed tree, runnable offline (make check runs them).
#   scripts/scan.sh secrets [DIR]   fail when a tracked file holds something shaped like a live
#                                   credential (private keys, cloud, payment, code-host, chat
#                                   and registry tokens); a line may opt out with "scan:allow"
#   scripts/scan.sh deps [DIR]      fail unless every npm dependency is pinned to an exact
#                                   version and locked with an integrity hash; then npm audit
#                                   (high and critical) when the registry's audit service answers
#                                   (when it does not: a loud NOT AUDITED, and a failure with
#                                   PLANYARD_REQUIRE_NPM_AUDIT=1, as CI sets)
# Debian packages git-secrets, but it knows only AWS key formats: the formats are listed here.
set -uo pipefail
cd "$(dirname "$0")/.."

secrets() {
  local dir=${1:-.}
  local patterns=(
    '-----BEGIN ([A-Z]+ )?PRIVATE KEY-----'
    'AKIA[0-9A-Z]{16}'
    '(sk|rk)_live_[0-9a-zA-Z]{16,}'
    'whsec_[0-9a-zA-Z]{32,}'
    'gh[pousr]_[A-Za-z0-9]{36}'
    'github_pat_[A-Za-z0-9_]{40,}'
    'glpat-[A-Za-z0-9_-]{20}'
    'xox[abprs]-[A-Za-z0-9-]{10,}'
    'AIza[0-9A-Za-z_-]{35}'
    'npm_[A-Za-z0-9]{36}'
    'SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}'
  )
  local args=()
  for p in "${patterns[@]}"; do args+=(-e "$p"); done
  local hits
  hits=$(cd "$dir" && git ls-files -z | xargs -0 -r grep -I -n -H -E "${args[@]}" -- 2>/dev/null | grep -v 'scan:allow')
  if [ -n "$hits" ]; then
    echo "secret-looking strings in tracked files (remove them, rotate them, or mark a test value scan:allow):"
    printf '%s\n' "$hits" | cut -c1-200
    return 1
  fi
  echo "no secret-looking strings in $(cd "$dir" && git ls-files | wc -l) tracked files"
}

deps() {
  local dir=${1:-tests/e2e}
  node - "$dir" <<'JS' || return 1
const fs = require('fs'), path = require('path');
const dir = process.argv[2];
const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
let lock;
try { lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8')); }
catch (e) { console.log(`${dir}: no readable package-lock.json`); process.exit(1); }
const bad = [];
const wanted = { ...(pkg.dependencies || {}), ...(pkg.devDependencies || {}) };
for (const [name, range] of Object.entries(wanted)) {
  if (!/^\d+\.\d+\.\d+$/.test(range)) bad.push(`${name}: "${range}" is not an exact version`);
  const locked = (lock.packages || {})[`node_modules/${name}`];
  if (!locked) bad.push(`${name}: not in the lockfile`);
  else if (locked.version !== range) bad.push(`${name}: lockfile has ${locked.version}, package.json ${range}`);
}
if (lock.lockfileVersion < 2) bad.push('lockfileVersion 1: no per-package integrity to check');
for (const [where, p] of Object.entries(lock.packages || {})) {
  if (where === '' || p.link) continue;
  if (!/^sha512-[A-Za-z0-9+/]{86}==$/.test(p.integrity || '')) bad.push(`${where}: no sha512 integrity hash`);
}
if (bad.length) { console.log(bad.join('\n')); process.exit(1); }
console.log(`${Object.keys(lock.packages).length - 1} locked packages, each pinned with a sha512 integrity hash`);
JS
  local out rc
  out=$(cd "$dir" && timeout 60 npm audit --audit-level=high --omit=dev 2>&1); rc=$?
  if [ $rc = 0 ]; then
    echo "npm audit: no high or critical advisories"
  elif [ $rc = 124 ] || printf '%s' "$out" | grep -q -E 'audit endpoint returned an error|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|network'; then
    # no answer is not "no advisories": say so loudly, with the registry's own words; where
    # the audit service must answer (CI: PLANYARD_REQUIRE_NPM_AUDIT=1) it fails the check
    echo "npm audit: NOT AUDITED - the registry's audit service gave no verdict:"
    printf '%s\n' "$out" | grep -E 'npm (warn|error|ERR)' | grep -v 'complete log' | head -n 5 | sed 's/^/  /'
    if [ "${PLANYARD_REQUIRE_NPM_AUDIT:-0}" = 1 ]; then return 1; fi
  else
    printf '%s\n' "$out" | tail -n 40
    return 1
  fi
}

case "${1:-}" in
  secrets) secrets "${2:-}" ;;
  deps) deps "${2:-}" ;;
  *) echo "usage: scripts/scan.sh secrets|deps [DIR]" >&2; exit 2 ;;
esac
