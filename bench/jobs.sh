#!/usr/bin/env bash
# Jobs and dispatch figures: the router among 10,000 workers, end-to-end create → lease →
# complete over HTTP with 50 simulated workers, and sustained POST /api/jobs with wrk.
# Builds release, starts `baton serve` on a free port in a throw-away data dir, measures, stops it.
# Usage: bench/jobs.sh [seconds-of-wrk] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
connections="${2:-64}"

command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
swift build -c release --product baton >/dev/null
swift build -c release --product baton-bench >/dev/null
bindir="$(swift build -c release --show-bin-path)"
data="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Rate limits far above the load, so the figures measure Baton rather than its limiter.
cat >"$data/baton.json" <<JSON
{"server": {"rate_limits": {"read": 1000000, "write": 1000000}}, "local_workers": {"count": 0}}
JSON
"$bindir/baton" serve --port "$port" --data-dir "$data/db" --config "$data/baton.json" --no-access-log \
    >"$data/serve.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do [ -s "$data/db/admin.key" ] && break; sleep 0.1; done
key="$(cat "$data/db/admin.key")"
url="http://127.0.0.1:$port"

"$bindir/baton-bench" router --workers 10000 --decisions 2000
"$bindir/baton-bench" e2e --url "$url" --key "$key" --workers 50 --jobs 20000

# Sustained creation: wrk posting the reference job body.
cat >"$data/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"prompt":"Summarize this document","input":"...","provider":"claude","model":"haiku","priority":"normal","tier":"medium","tags":["summarize"]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
LUA
echo "POST /api/jobs with wrk -t2 -c$connections -d${duration}s:"
wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$data/post.lua" "$url/api/jobs" |
    grep -E "Requests/sec|Non-2xx|50%|99%|requests in"
echo "rss after load: $(awk '/VmRSS/ {print $2/1024 " MiB"}' /proc/$pid/status)"
