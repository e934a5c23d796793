#!/usr/bin/env bash
# Rewrites the documentation generated from the schemas: the manifest's keys in docs/manifest.md
# and every shipped plugin's config keys in docs/plugin-reference.md. Run after changing a schema;
# tests/docs/check_generated_docs.sh fails until you do.
#   bash scripts/update-docs.sh [FERRY_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
ferry=${1:-build/bin/ferry}
bash tests/docs/check_generated_docs.sh . "$ferry" --write
