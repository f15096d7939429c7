#!/usr/bin/env bash
# Node API figures: the whole catalog analysed for one /api/v1/models/top request (baton-bench fit),
# then wrk against GET /api/v1/models/top on a running `baton node` (API only, no coordinator).
# Usage: bench/node.sh [seconds-of-wrk] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
connections="${2:-64}"

command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
swift build -c release --product baton >/dev/null
swift build -c release --product baton-bench >/dev/null
bindir="$(swift build -c release --show-bin-path)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bindir/baton-bench" fit --requests 200
"$bindir/baton" node --port "$port" >/tmp/baton-node-bench.log 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
echo "GET /api/v1/models/top with wrk -t1 -c$connections -d${duration}s:"
wrk -t1 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$port/api/v1/models/top" |
    grep -E "Requests/sec|Non-2xx|50%|99%|requests in"
