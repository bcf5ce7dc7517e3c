#!/usr/bin/env bash
# Source rules: no unbounded or error-prone string functions in the C sources.
set -uo pipefail
cd "$(dirname "$0")/.."
bad=$(grep -nE '\b(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|atoi|atol|gets)\s*\(' \
      $(git ls-files 'src/*.c' 'src/*.h' 'src/**/*.c' 'src/**/*.h' 'tools/*.c' 'fuzz/*.c' 2>/dev/null) || true)
if [ -n "$bad" ]; then
  echo "forbidden functions (use snprintf, buf_*, memcpy with lengths, strtol):"
  echo "$bad"
  exit 1
fi
echo "  no forbidden functions"
