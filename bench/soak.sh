#!/usr/bin/env bash
# Soak: a bounded mixed load against a real `baton serve` (release build, a throw-away data dir,
# embedded workers running the dry-run provider): job creates, signed Linear webhooks (new issues,
# each starting an attempt, and each moved to Done SOAK_CLOSE_AFTER seconds later), readers (one
# job, the job list), an SSE client checking event ids for gaps, and a /health probe. Retention
# runs at minutes (SOAK_RETENTION seconds for every kind) and an operator's `baton audit prune`
# every SOAK_AUDIT_PRUNE seconds keeping SOAK_RETENTION, so the database reaches a plateau the
# settings set. Every 30 s it prints RSS, open fds, database and WAL size,
# workspace count, /health p99 and SSE gaps; after the load it watches the idle server for
# SOAK_COOLDOWN seconds, then prints growth per hour (RSS from 5 minutes in), errors and 5xx.
# Exits 1 when an SSE id was skipped, any request got a 5xx or no answer, the server died, or the
# audit chain does not verify.
# Usage: bench/soak.sh [seconds] [job-creates-per-s] [webhooks-per-s] [reads-per-s]
# Environment: SOAK_WORKERS (embedded workers, 2), SOAK_CAPACITY (slots each, 16), SOAK_INTERVAL
# (30), SOAK_WARMUP (300), SOAK_COOLDOWN (60), SOAK_RETENTION (seconds every kind of finished work
# is kept, 120; 0 leaves the server's defaults, a month and more), SOAK_AUDIT_PRUNE (seconds
# between audit prunes, 300; 0 never), SOAK_CLOSE_AFTER (30; 0 leaves every issue open),
# SOAK_CONFIG (JSON members added to the server's config, e.g. '"storage": {...}'), SOAK_WRAP (a command to run the server under, e.g.
# `heaptrack -o /tmp/soak`; the server's own process is watched), SOAK_KEEP=1 keeps the data
# directory and prints its path. The server inherits the environment: with BATON_PROFILE_WRITER=1
# (and SOAK_KEEP=1) its serve.log ends with the writer's busy share and costliest statements.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-1800}"
jobs="${2:-100}"
webhooks="${3:-50}"
reads="${4:-50}"
workers="${SOAK_WORKERS:-2}"
capacity="${SOAK_CAPACITY:-16}"
keep="${SOAK_RETENTION:-120}"
prune_every="${SOAK_AUDIT_PRUNE:-300}"
extra="${SOAK_CONFIG:+, $SOAK_CONFIG}"
if [ "$keep" -gt 0 ]; then
    extra=", \"retention\": {\"events_s\": $keep, \"jobs_s\": $keep, \"webhook_deliveries_s\": $keep, \"attempt_prompts_s\": $keep, \"issues_s\": $keep, \"interval_s\": 15}$extra"
fi

swift build -c release --product baton >/dev/null
swift build -c release --product baton-bench >/dev/null
bindir="$(swift build -c release --show-bin-path)"
secret="soak-webhook-secret-0123456789"
data="$(mktemp -d)"
pruner=""
cleanup() {
    [ -z "$pruner" ] || kill "$pruner" 2>/dev/null || true
    # The server itself, so a wrapper such as heaptrack sees it end and finishes its output.
    kill "${server:-$pid}" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ "${SOAK_KEEP:-0}" = 1 ]; then echo "soak: data kept in $data"; else rm -rf "$data"; fi
}
pid=""
server=""
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Rate limits far above the load, so the limiter is not what is measured; room for every issue.
cat >"$data/baton.json" <<JSON
{"server": {"rate_limits": {"read": 1000000, "write": 1000000, "webhook": 1000000}},
 "local_workers": {"count": $workers, "capacity": $capacity}, "agent": {"max_concurrent": 1000}$extra}
JSON
printf '%s' "$secret" | "$bindir/baton" secrets set linear_webhook_secret --data-dir "$data/db" >/dev/null
${SOAK_WRAP:-} "$bindir/baton" serve --port "$port" --data-dir "$data/db" --config "$data/baton.json" --no-access-log \
    >"$data/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    [ -s "$data/db/admin.key" ] && curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
    sleep 0.1
done
[ -s "$data/db/admin.key" ] || { echo "soak: serve did not start:" >&2; cat "$data/serve.log" >&2; exit 1; }
sleep 2  # the embedded workers' first heartbeats
server="$pid"
if [ -n "${SOAK_WRAP:-}" ]; then
    server="$(pgrep -n -f "^$bindir/baton serve --port $port ")" || { echo "soak: no server process" >&2; exit 1; }
fi
# The operator's audit prune, as a cron job would run it: entries older than SOAK_RETENTION go.
if [ "$prune_every" -gt 0 ] && [ "$keep" -gt 0 ]; then
    (
        while sleep "$prune_every"; do
            before=$(date -u -d "@$(($(date +%s) - keep))" +%Y-%m-%dT%H:%M:%S.000Z)
            "$bindir/baton" audit prune --before "$before" --data-dir "$data/db" >>"$data/audit-prune.log" 2>&1 \
                || echo "soak: audit prune failed (see $data/audit-prune.log)" >&2
        done
    ) &
    pruner=$!
fi
echo "soak: retention ${keep} s (0: the defaults), audit prune every ${prune_every} s, issues closed after ${SOAK_CLOSE_AFTER:-30} s"
"$bindir/baton-bench" soak --url "http://127.0.0.1:$port" --key "$(cat "$data/db/admin.key")" --secret "$secret" \
    --pid "$server" --data-dir "$data/db" --workspaces "$data/db-workspaces" --seconds "$seconds" \
    --jobs-per-s "$jobs" --webhooks-per-s "$webhooks" --reads-per-s "$reads" \
    --interval "${SOAK_INTERVAL:-30}" --close-after "${SOAK_CLOSE_AFTER:-30}" --warmup "${SOAK_WARMUP:-300}" --cooldown "${SOAK_COOLDOWN:-60}" | tee "$data/soak.out"
[ -z "$pruner" ] || { kill "$pruner" 2>/dev/null || true; pruner=""; }
# A prune the loop had started goes on without it: let it finish before the verify below.
while pgrep -f "baton audit prune .*--data-dir $data/db" >/dev/null; do sleep 0.2; done
status=0
if [ -s "$data/audit-prune.log" ]; then echo "audit prunes: $(grep -c '^pruned' "$data/audit-prune.log") ($(tail -1 "$data/audit-prune.log"))"; fi
if ! "$bindir/baton" audit verify --data-dir "$data/db" >"$data/audit-verify.out" 2>&1; then
    echo "soak: audit verify failed after the load:" >&2; cat "$data/audit-verify.out" >&2; status=1
else
    echo "audit verify: $(cat "$data/audit-verify.out")"
fi
grep -qE '^SSE: .* 0 gaps' "$data/soak.out" || status=1
grep -qE '^errors: .* 0 of them 5xx; 0 requests without an answer' "$data/soak.out" || status=1
kill -0 "$server" 2>/dev/null || { echo "soak: the server is no longer running" >&2; status=1; }
if grep -qiE 'fatal|panic' "$data/serve.log"; then echo "soak: the server log reports:" >&2; grep -iE 'fatal|panic' "$data/serve.log" | head -5 >&2; status=1; fi
exit "$status"
