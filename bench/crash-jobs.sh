#!/usr/bin/env bash
# Crash safety of job creation: load POST /api/jobs, kill -9 the server in the middle, restart it,
# and read back every job whose POST was acknowledged with a 2xx. Prints created (attempted),
# acknowledged and found; exits 1 if any acknowledged job is missing.
# Usage: bench/crash-jobs.sh [seconds-before-kill] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
before_kill="${1:-4}"
connections="${2:-64}"

swift build -c release --product baton >/dev/null
swift build -c release --product baton-bench >/dev/null
bindir="$(swift build -c release --show-bin-path)"
data="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$data/baton.json" <<JSON
{"server": {"rate_limits": {"read": 1000000, "write": 1000000}}, "local_workers": {"count": 0}}
JSON
serve() {
    "$bindir/baton" serve --port "$port" --data-dir "$data/db" --config "$data/baton.json" --no-access-log \
        >>"$data/serve.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=0.2)" 2>/dev/null && return
        sleep 0.1
    done
    echo "bench: the server did not start" >&2; cat "$data/serve.log" >&2; exit 1
}
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
serve
key="$(cat "$data/db/admin.key")"
url="http://127.0.0.1:$port"

"$bindir/baton-bench" create --url "$url" --key "$key" --connections "$connections" --seconds 60 \
    --ack-file "$data/acked" &
load=$!
sleep "$before_kill"
kill -9 "$pid"
echo "killed the server with SIGKILL after ${before_kill}s of load"
wait "$load" || true
serve
"$bindir/baton-bench" verify --url "$url" --key "$key" --ack-file "$data/acked"
