#!/usr/bin/env bash
# Runs ferry's engine and the reference (npm jsonata 2.2.2 under Node) on the same mappings and
# inputs, one after the other on the same machine, and prints a table. Needs the build
# (build/bench/jsonata_eval) and installs the reference here with npm the first time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-3}
[ -d "$here/node_modules/jsonata" ] || (cd "$here" && npm install --no-audit --no-fund --silent >/dev/null)
ferry=$("$here/../../build/bench/jsonata_eval" "$here" "$seconds")
reference=$(node "$here/reference.js" "$seconds")
printf '%-26s %14s %14s %8s\n' mapping "ferry eval/s" "jsonata-js/s" ratio
while read -r name rate; do
  ref=$(echo "$reference" | awk -v n="$name" '$1 == n {print $2}')
  printf '%-26s %14s %14s %7.1fx\n' "$name" "$rate" "$ref" "$(echo "$rate / $ref" | bc -l)"
done <<< "$ferry"
