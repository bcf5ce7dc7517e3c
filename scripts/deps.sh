#!/usr/bin/env bash
# Installs the Debian packages that building, running or testing Planyard needs, when missing.
# Usage: scripts/deps.sh build|run|check
#   build: compiler and libraries; run: plus PostgreSQL; check: plus everything the tests use.
set -euo pipefail

want=(build-essential clang pkg-config openssl ca-certificates
      libmicrohttpd-dev libgnutls28-dev libpq-dev libjansson-dev libssl-dev libcurl4-openssl-dev
      libcrypt-dev libcrack2-dev cracklib-runtime libqrencode-dev libxlsxwriter-dev zlib1g-dev)
case "${1:-build}" in
  build) ;;
  run)   want+=(postgresql-15 postgresql-contrib pgbackrest) ;;
  check) want+=(postgresql-15 postgresql-contrib libcmocka-dev python3 python3-aiosmtpd chromium
                python3-openpyxl python3-cryptography oathtool wrk postgresql-15-pgtap libclang-rt-14-dev pgbouncer pgbackrest strace) ;;
  *) echo "usage: $0 build|run|check" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# PostgreSQL's package may start a cluster of its own; Planyard runs a private one and needs none.
