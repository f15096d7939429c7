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

# The same with wrk as the load (the bench tool signs on the same two cores; wrk replays bodies
# signed in advance, each with a fresh Linear-Delivery id).
if command -v wrk >/dev/null; then
    start "{$limits, \"local_workers\": {\"count\": 0}, \"agent\": {\"max_concurrent\": 1000}}"
    python3 - "$secret" "$deliveries" >"${dirs[-1]}/bodies.lua" <<'PY'
import hashlib, hmac, json, sys, time
secret, count = sys.argv[1].encode(), int(sys.argv[2])
now = int(time.time() * 1000)
print("bodies = {}; signatures = {}")
for n in range(count):
    body = json.dumps({"action": "create", "type": "Issue", "webhookTimestamp": now, "data": {
        "id": f"wrk-{n}", "identifier": f"WRK-{n + 1}", "title": f"Benchmark {n}", "priority": 3,
        "state": {"name": "Todo"}, "labels": [], "team": {"key": "WRK"}}}, separators=(",", ":"))
    sig = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
    print(f"bodies[{n + 1}] = {json.dumps(body)}; signatures[{n + 1}] = \"{sig}\"")
PY
    cat >>"${dirs[-1]}/bodies.lua" <<'LUA'
local n = 0
local thread_id = 0
setup = function(thread) thread:set("id", thread_id); thread_id = thread_id + 1 end
request = function()
    n = n + 1
    local i = (n * 2 + id) % #bodies + 1
    return wrk.format("POST", "/webhooks/linear", {
        ["Content-Type"] = "application/json", ["Linear-Signature"] = signatures[i],
        ["Linear-Delivery"] = "wrk-" .. id .. "-" .. n }, bodies[i])
end
LUA
    echo "POST /webhooks/linear with wrk -t2 -c$connections -d5s (pre-signed bodies):"
    wrk -t2 -c"$connections" -d5s --latency -s "${dirs[-1]}/bodies.lua" "$url/webhooks/linear" |
        grep -E "Requests/sec|Non-2xx|50%|99%|requests in"
fi
