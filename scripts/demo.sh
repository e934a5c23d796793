#!/usr/bin/env bash
# The sandbox demo, from nothing: installs what is needed, builds, starts the emulated Shopify
# and SYSPRO and `ferry run` with examples/sandbox/ferry.jsonc on the embedded SQLite store, sends
# a burst of orders, and shows what happened. Ends cleanly; with --keep-running it leaves both
# running and says how to stop them.
#
#   bash scripts/demo.sh [--keep-running] [--orders N]
#
# Environment: FERRY_DEMO_DIR (default ./demo-run, emptied first), FERRY_DEMO_PORT (ferry's
# port, default 8480).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

keep_running=false
orders=24
while [ $# -gt 0 ]; do
  case "$1" in
    --keep-running) keep_running=true ;;
    --orders) orders="$2"; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$orders" in
  ''|*[!0-9]*) echo "demo: --orders takes a number" >&2; exit 2 ;;
esac
[ "$orders" -ge 2 ] || { echo "demo: --orders must be at least 2 (one of them has an unknown SKU)" >&2; exit 2; }

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
say() { printf '  %s\n' "$*"; }
fail() { printf '\ndemo: %s\n' "$*" >&2; exit 1; }

bold "1. Installing packages and building (the first time takes a few minutes)"
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target ferry ferry-sandbox shopify syspro mapping

demo_dir=${FERRY_DEMO_DIR:-$root/demo-run}
rm -rf "$demo_dir"
mkdir -p "$demo_dir"
port=${FERRY_DEMO_PORT:-8480}

sandbox_pid=
ferry_pid=
stop_all() {
  if [ -n "$ferry_pid" ] && kill -0 "$ferry_pid" 2>/dev/null; then kill -TERM "$ferry_pid"; wait "$ferry_pid" 2>/dev/null || true; fi
  if [ -n "$sandbox_pid" ] && kill -0 "$sandbox_pid" 2>/dev/null; then kill -TERM "$sandbox_pid"; wait "$sandbox_pid" 2>/dev/null || true; fi
}
trap 'stop_all' EXIT

# Waits until a command succeeds, for at most $1 seconds.
wait_for() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

bold "2. Starting the sandbox: an emulated Shopify shop and SYSPRO company (examples/sandbox/seed.json)"
build/bin/ferry-sandbox --seed examples/sandbox/seed.json --ready-file "$demo_dir/sandbox.json" \
  >"$demo_dir/sandbox.log" 2>&1 &
sandbox_pid=$!
wait_for 20 test -s "$demo_dir/sandbox.json" || fail "the sandbox did not start; see $demo_dir/sandbox.log"
shopify_url=$(jq -r .shopify "$demo_dir/sandbox.json")
syspro_url=$(jq -r .syspro "$demo_dir/sandbox.json")
say "Shopify  $shopify_url   (control routes: $shopify_url/_sandbox/, sandbox/shopify.md)"
say "SYSPRO   $syspro_url   (control routes: $syspro_url/_sandbox/, sandbox/syspro.md)"

# What the manifest reads from the environment; kept in a file so that `ferry status` and
# `ferry dlq` can be run by hand afterwards.
cat >"$demo_dir/demo.env" <<EOF
export FERRY_DEMO_DIR='$demo_dir'
export FERRY_DEMO_LISTEN='127.0.0.1:$port'
export FERRY_DEMO_SHOPIFY_URL='$shopify_url'
export FERRY_DEMO_SYSPRO_URL='$syspro_url'
export SHOPIFY_ACCESS_TOKEN='shpat_sandbox_demo'
export SHOPIFY_WEBHOOK_SECRET='sandbox-webhook-secret'
export SYSPRO_OPERATOR_PASSWORD='sandbox-operator-password'
EOF
# shellcheck disable=SC1091
source "$demo_dir/demo.env"
manifest=examples/sandbox/ferry.jsonc
ferry() { "$root/build/bin/ferry" "$@"; }

bold "3. Starting ferry with $manifest"
ferry validate "$manifest" || fail "the demo manifest does not validate"
build/bin/ferry run "$manifest" >"$demo_dir/ferry.log" 2>&1 &
ferry_pid=$!
wait_for 20 curl -fsS "http://127.0.0.1:$port/readyz" ||
  fail "ferry did not become ready on 127.0.0.1:$port (is the port taken? set FERRY_DEMO_PORT); see $demo_dir/ferry.log"
say "ferry    http://127.0.0.1:$port   (log: $demo_dir/ferry.log)"
for topic in orders/create orders/updated orders/cancelled orders/paid customers/create; do
  curl -fsS -X POST "$shopify_url/_sandbox/webhooks" \
    -d "{\"topic\": \"$topic\", \"address\": \"http://127.0.0.1:$port/webhooks/shop\", \"name\": \"ferry\"}" >/dev/null
done
say "the shop sends orders/create, orders/updated, orders/cancelled, orders/paid and customers/create to ferry"

bold "4. A burst of $orders orders in the shop, one of them with a SKU SYSPRO does not know"
curl -fsS -X POST "$shopify_url/_sandbox/orders" \
  -d "{\"count\": $((orders - 1)), \"paid\": true, \"shipping\": true, \"tax_rate\": 0.1}" >/dev/null
curl -fsS -X POST "$shopify_url/_sandbox/orders" \
  -d '{"count": 1, "paid": true, "shipping": true, "unknown_sku": true}' >/dev/null
say "$orders orders created; each fires orders/create and orders/paid, signed as Shopify signs them"

# Every order either reached SYSPRO or is in the dead-letter queue with its reason.
settled() {
  local imported dead
  imported=$(curl -fsS "$syspro_url/_sandbox/orders" | jq length)
  dead=$(ferry dlq list "$manifest" --pipeline orders-to-syspro 2>/dev/null | grep -c '^[0-9]' || true)
  [ $((imported + dead)) -ge "$orders" ]
}
started=$SECONDS
wait_for 90 settled || fail "orders did not settle within 90 s; see $demo_dir/ferry.log"
say "settled in $((SECONDS - started)) s"

bold "5. SYSPRO ships three orders (dispatch notes with UPS tracking), and the shop cancels one"
mapfile -t sales_orders < <(curl -fsS "$syspro_url/_sandbox/orders" | jq -r '.[] | select(.status != "S") | .sales_order' | head -4)
for so in "${sales_orders[@]:0:3}"; do
  curl -fsS -X POST "$syspro_url/_sandbox/orders/$so/dispatch" \
    -d "{\"carrier\": \"UPS\", \"tracking_number\": \"1Z999AA10$so\"}" >/dev/null
done
cancel_po=$(curl -fsS "$syspro_url/_sandbox/orders/${sales_orders[3]}" | jq -r .customer_po_number)
curl -fsS -X POST "$shopify_url/_sandbox/orders/${cancel_po#\#}/cancel" -d '{"reason": "customer"}' >/dev/null
shipped() { [ "$(curl -fsS "$shopify_url/_sandbox/orders" | jq '[.orders[] | select(.fulfillments | length > 0)] | length')" -ge 3 ]; }
cancelled() { [ "$(curl -fsS "$syspro_url/_sandbox/orders/${sales_orders[3]}" | jq -r .status)" = '\' ]; }
wait_for 60 shipped || fail "the dispatches did not reach the shop within 60 s; see $demo_dir/ferry.log"
wait_for 60 cancelled || fail "the cancellation did not reach SYSPRO within 60 s; see $demo_dir/ferry.log"
# Shop stock at Main Warehouse equals SYSPRO's available in WEBS less the safety stock, for every SKU.
stock_in_step() {
  jq -en --argjson s "$(curl -fsS "$syspro_url/_sandbox/stock")" --argjson i "$(curl -fsS "$shopify_url/_sandbox/inventory")" '
    all($s[]; . as $item | ([$i.levels[] | select(.sku == $item.stock_code and .location == "Main Warehouse")][0].quantities.available)
                          == ([($item.warehouses.WEBS.available - 2), 0] | max))'
}
wait_for 60 stock_in_step || fail "SYSPRO stock did not reach the shop within 60 s; see $demo_dir/ferry.log"

bold "What happened"
echo
echo "Orders: shop order -> SYSPRO sales order (the number is written back as a tag and a metafield)"
curl -fsS "$shopify_url/_sandbox/orders" | jq -r '
  .orders | sort_by(.order_number) | .[] |
  [.name, (.email // "guest"), ((.tag_list // []) | map(select(startswith("syspro:"))) | join(" ") | if . == "" then "-" else . end),
   (if .cancelled_at then "cancelled" elif (.fulfillments | length) > 0 then "fulfilled " + (.fulfillments[0].tracking_number // "") else "open" end)]
  | @tsv' | column -t -s $'\t' | sed 's/^/  /'
echo
echo "SYSPRO sales orders"
curl -fsS "$syspro_url/_sandbox/orders" | jq -r '.[] | [.sales_order, .customer_po_number, .customer,
  ({"1": "open", "4": "in warehouse", "8": "to invoice", "9": "complete", "S": "suspense", "\\": "cancelled"}[.status] // ("status " + .status)),
  ((.lines | map(select(.type == "stock")) | length | tostring) + " lines")] | @tsv' | column -t -s $'\t' | sed 's/^/  /'
echo
echo "Payments posted to SYSPRO (ARSTPY): $(curl -fsS "$syspro_url/_sandbox/payments" | jq length)"
echo
echo "Stock: SYSPRO available (WEBS) -> shop available at Main Warehouse (safety stock 2 held back)"
syspro_stock=$(curl -fsS "$syspro_url/_sandbox/stock")
shop_stock=$(curl -fsS "$shopify_url/_sandbox/inventory")
jq -rn --argjson s "$syspro_stock" --argjson i "$shop_stock" '
  $s[] | .stock_code as $sku |
  [$sku, (.warehouses.WEBS.available | tostring),
   ([$i.levels[] | select(.sku == $sku and .location == "Main Warehouse")][0].quantities.available | tostring)] | @tsv' |
  column -t -s $'\t' | sed 's/^/  /'
echo
echo "Dead letters (records ferry could not deliver, with the reason):"
ferry dlq list "$manifest" | sed 's/^/  /'
echo
echo "ferry status:"
ferry status "$manifest" | sed 's/^/  /'

bold "Where to look next"
say "source $demo_dir/demo.env    # then, from $root:"
say "build/bin/ferry status $manifest"
say "build/bin/ferry dlq show $manifest ID     # the record, the reason, the full trace"
say "build/bin/ferry dlq retry $manifest ID    # after fixing the cause (docs/operations.md)"
say "curl http://127.0.0.1:$port/metrics         # Prometheus metrics"
say "docs/getting-started.md walks through this demo and then a real shop and SYSPRO"

if $keep_running; then
  trap - EXIT
  bold "Still running"
  say "ferry (pid $ferry_pid) on http://127.0.0.1:$port; sandbox (pid $sandbox_pid) at $shopify_url and $syspro_url"
  say "stop them with: kill $ferry_pid $sandbox_pid"
else
  stop_all
  trap - EXIT
  bold "Stopped ferry and the sandbox. Run with --keep-running to explore them live."
fi
