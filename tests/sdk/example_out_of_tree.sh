#!/usr/bin/env bash
# Installs the SDK alone to a temporary prefix, builds sdk/examples/stamp against it out of tree,
# then has the host load the result and run its transform.
set -euo pipefail
source_dir=$1 build_dir=$2 ferry=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --component sdk --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/include/ferry/ferry_plugin.h"
test -f "$work/prefix/lib/cmake/ferry_sdk/ferry_sdkConfig.cmake"

# Copy the example so that nothing of the ferry tree is reachable from its build.
cp -r "$source_dir/sdk/examples/stamp" "$work/stamp"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$work/stamp" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" "${launcher[@]}" >/dev/null
cmake --build "$work/build" >/dev/null
test -f "$work/build/stamp.so"

listing=$(env -u FERRY_PLUGIN_PATH "$ferry" plugins --json --plugin-path "$work/build")
echo "$listing" | grep -q "\"path\":\"$work/build/stamp.so\"" || { echo "the out-of-tree stamp.so was not loaded: $listing"; exit 1; }
echo "$listing" | grep -q '"name":"stamp.fields"' || { echo "stamp.fields is not listed: $listing"; exit 1; }

output=$(echo '{"id": 7}' | env -u FERRY_PLUGIN_PATH "$ferry" transform stamp.fields --plugin-path "$work/build" \
  --config '{"fields": {"channel": "web"}}' 2>/dev/null)
expected='{"stream":"record","key":"cli:1","version":1,"payload":{"id":7,"channel":"web"}}'
[ "$output" = "$expected" ] || { echo "unexpected output: $output"; exit 1; }
echo "out-of-tree example built against the installed SDK, loaded and run"
