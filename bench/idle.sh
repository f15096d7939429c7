#!/usr/bin/env bash
# An idle coordinator (issue 22, SPEC §6.7): `baton serve` with one embedded worker and no
# traffic for a while, measured after it has settled. Prints, for the measured window: bytes
# written to the database and its WAL (the kernel's write_bytes for the process, and the files'
# growth), database commits, CPU time used, and context switches per second across its threads
# (each one a wake-up of some thread). Targets: no WAL growth, under 1 s of CPU in ten minutes.
# Usage: bench/idle.sh [seconds] [settle-seconds]   (defaults 600 and 20)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
settle="${2:-20}"

swift build -c release --product baton >/dev/null
bindir="$(swift build -c release --show-bin-path)"
data="$(mktemp -d /tmp/baton-idle-XXXXXX)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bindir/baton" serve --port "$port" --data-dir "$data/data" --no-access-log >"$data/serve.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data" "$data/data-workspaces"' EXIT
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
key="$(tr -d '\n' <"$data/data/admin.key")"
sleep "$settle"

# One sample: write_bytes, CPU ticks (utime+stime), context switches of every thread, commits,
# database and WAL sizes.
sample() {
    local io cpu switches commits
    io=$(sed -n 's/^write_bytes: //p' "/proc/$pid/io")
    cpu=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    switches=$(cat /proc/"$pid"/task/*/status | awk '/ctxt_switches/ {n += $2} END {print n}')
    commits=$(curl -sf -H "Authorization: Bearer $key" "http://127.0.0.1:$port/metrics" |
        awk '/^baton_db_commits_total / {print $2}')
    echo "$io $cpu $switches ${commits:-0} $(stat -c %s "$data/data/baton.db") $(stat -c %s "$data/data/baton.db-wal" 2>/dev/null || echo 0)"
}
read -r io0 cpu0 sw0 commits0 db0 wal0 < <(sample)
sleep "$seconds"
read -r io1 cpu1 sw1 commits1 db1 wal1 < <(sample)
# The two /metrics reads are one commit-free request each; subtract nothing.
hz=$(getconf CLK_TCK)
threads=$(ls "/proc/$pid/task" | wc -l)
echo "idle coordinator with one embedded worker, ${seconds} s after ${settle} s to settle ($threads threads):"
echo "  bytes written (write_bytes):  $((io1 - io0))"
echo "  database commits:             $((commits1 - commits0))"
echo "  baton.db growth:              $((db1 - db0)) bytes"
echo "  WAL growth:                   $((wal1 - wal0)) bytes (now $wal1)"
awk -v t=$((cpu1 - cpu0)) -v hz="$hz" 'BEGIN {printf "  CPU time:                     %.2f s\n", t / hz}'
awk -v n=$((sw1 - sw0)) -v s="$seconds" 'BEGIN {printf "  context switches per second:  %.1f\n", n / s}'
