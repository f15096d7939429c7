#!/usr/bin/env bash
# Throughput, latency, memory and start-up time of `baton serve` answering GET /health.
# Builds release, starts the server on a free port in a throw-away data dir, measures, stops it.
# The embedded worker is off (--local-workers 0): the figures are the server's own, as in issue 2.
# Usage: bench/http.sh [duration-seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
connections="${2:-64}"

command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
swift build -c release --product baton >/dev/null
bin="$(swift build -c release --show-bin-path)/baton"
data="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT

# Start-up: from exec to the first 200 from /health, polled on a raw socket every 0.5 ms.
start_ms=$(python3 - "$bin" "$data" <<'PY'
import os, socket, subprocess, sys, time
bin, data = sys.argv[1], sys.argv[2]
port_sock = socket.socket(); port_sock.bind(("127.0.0.1", 0)); port = port_sock.getsockname()[1]; port_sock.close()
# First run creates and migrates the database; measure a restart, the common case.
p = subprocess.Popen([bin, "serve", "--port", str(port), "--data-dir", data + "/warm", "--no-access-log", "--local-workers", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def wait_ok(deadline):
    while time.monotonic() < deadline:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=0.5)
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            if s.recv(64).startswith(b"HTTP/1.1 200"):
                s.close(); return True
            s.close()
        except OSError:
            time.sleep(0.0005)
    return False
wait_ok(time.monotonic() + 10); p.terminate(); p.wait()
t0 = time.monotonic()
p = subprocess.Popen([bin, "serve", "--port", str(port), "--data-dir", data + "/warm", "--no-access-log", "--local-workers", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
ok = wait_ok(t0 + 10)
elapsed = (time.monotonic() - t0) * 1000
p.terminate(); p.wait()
print(f"{elapsed:.1f}" if ok else "failed")
PY
)

"$bin" serve --port 0 --data-dir "$data/run" --no-access-log --local-workers 0 >"$data/out" 2>"$data/err" &
pid=$!
for _ in $(seq 1 200); do
  grep -q 'listening on' "$data/out" 2>/dev/null && break
  sleep 0.05
done
url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$data/out")
[ -n "$url" ] || { echo "bench: server did not start:" >&2; cat "$data/err" >&2; exit 1; }
curl -fsS "$url/health" >/dev/null
sleep 1
idle_kb=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)

echo "== wrk -t1 -c$connections -d${duration}s --latency $url/health"
wrk -t1 -c"$connections" -d"${duration}s" --latency "$url/health" | tee "$data/wrk"
loaded_kb=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)

rps=$(awk '/Requests\/sec/ {print $2}' "$data/wrk")
p50=$(awk '$1=="50%" {print $2}' "$data/wrk")
p99=$(awk '$1=="99%" {print $2}' "$data/wrk")
echo
echo "== summary"
echo "requests/s:          $rps"
echo "latency p50 / p99:   $p50 / $p99"
echo "idle RSS:            $((idle_kb / 1024)) MiB ($idle_kb KiB)"
echo "RSS after load:      $((loaded_kb / 1024)) MiB ($loaded_kb KiB)"
echo "start to first 200:  $start_ms ms"
