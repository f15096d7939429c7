#!/usr/bin/env bash
# Webhook figures: signed Linear deliveries → job assigned (one at a time, with a worker online),
# and ingestion throughput on many connections with the webhook rate limit lifted.
# Builds release, starts `baton serve` on free ports in throw-away data dirs, measures, stops.
# Usage: bench/webhooks.sh [deliveries] [connections] [latency-samples]
set -euo pipefail
cd "$(dirname "$0")/.."
deliveries="${1:-20000}"
connections="${2:-16}"
samples="${3:-300}"

swift build -c release --product baton >/dev/null
swift build -c release --product baton-bench >/dev/null
bindir="$(swift build -c release --show-bin-path)"
secret="bench-webhook-secret-0123456789"
pids=()
dirs=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "${dirs[@]}"' EXIT

# Starts serve with CONFIG-JSON; sets $url and $key.
start() {
    local data port
    data="$(mktemp -d)"
    dirs+=("$data")
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    echo "$1" >"$data/baton.json"
    printf '%s' "$secret" | "$bindir/baton" secrets set linear_webhook_secret --data-dir "$data/db" >/dev/null
    "$bindir/baton" serve --port "$port" --data-dir "$data/db" --config "$data/baton.json" --no-access-log \
        >"$data/serve.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do [ -s "$data/db/admin.key" ] && curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
    [ -s "$data/db/admin.key" ] || { echo "bench: serve did not start:" >&2; cat "$data/serve.log" >&2; exit 1; }
    key="$(cat "$data/db/admin.key")"
    url="http://127.0.0.1:$port"
}

limits='"server": {"rate_limits": {"read": 1000000, "write": 1000000, "webhook": 1000000}}'
# Latency: one embedded worker with room for every job, so assignment never waits for a slot.
start "{$limits, \"local_workers\": {\"count\": 1, \"capacity\": 64}, \"agent\": {\"max_concurrent\": 1000}}"
"$bindir/baton-bench" webhook-latency --url "$url" --key "$key" --secret "$secret" --count "$samples"
# Ingestion: no worker, so the figure is receiving, storing and processing deliveries.
start "{$limits, \"local_workers\": {\"count\": 0}, \"agent\": {\"max_concurrent\": 1000}}"
"$bindir/baton-bench" webhook-ingest --url "$url" --key "$key" --secret "$secret" --deliveries "$deliveries" \
    --connections "$connections"
sleep 2
processed=$(curl -s -H "Authorization: Bearer $key" "$url/api/v1/state" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_issues"])')
echo "issues known 2 s after the last delivery: $processed of $deliveries"
