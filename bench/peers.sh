#!/usr/bin/env bash
# Baton's hot path side by side with two peers, in one run on one machine (issue 22):
#   1. GET /health on Baton vs GET /hello on Hummingbird 2 (a throwaway hello-world package in
#      bench/peers/hummingbird/hello-world, built here into .build-peers/; not a dependency of Baton);
#   2. GET /health on Baton with one event loop vs nginx with one worker (Debian's nginx-light, a
#      config written to a temp dir, answering /health with a small body): like with like, one
#      thread serving each; Baton on its default loops against nginx is printed too;
#   3. an authenticated GET /api/jobs/:id (admin key, one job created first) vs Baton's own /health;
#   4. Baton with server.event_loops 1 vs 2, servers and wrk pinned apart with taskset: GET /health,
#      and an authenticated GET /metrics, which is rendered on the connection's loop and costs the
#      server far more than it costs wrk, so the second loop is not starved by wrk's CPU.
# Every measure is `wrk -t1 -c64` for SECONDS, repeated for ROUNDS rounds whose order alternates,
# so a drift of the machine (other load, frequency) falls on every side alike. Baton runs its
# release build as `baton serve --local-workers 0` with the access log off and rate limits far
# above the load. Prints each round, then the ratios of the means with the issue's targets.
# Usage: bench/peers.sh [seconds] [rounds]   (defaults 4 and 3)
# PEERS_CHECK=1 starts everything and checks each answer without load. PEERS_BATON_LOOPS sets
# server.event_loops for parts 1-3 (default: Baton's own default, the usable CPUs).
# PEERS_BATON_BIN measures that baton binary instead of building this tree (before/after).
# Pinning for part 4: PEERS_WRK_CPUS, PEERS_ONE_LOOP_CPUS, PEERS_TWO_LOOP_CPUS (taskset lists);
# defaults: wrk on the last CPU, the servers on the first one or two.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
seconds="${1:-4}"
rounds="${2:-3}"
connections=64

for tool in wrk nginx taskset curl python3; do
    command -v "$tool" >/dev/null || {
        echo "bench: $tool is missing (scripts/install-deps.sh --bench installs wrk and nginx-light)" >&2
        exit 1
    }
done

tmp="$(mktemp -d /tmp/baton-peers-XXXXXX)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

echo "== building (release): baton, and the Hummingbird peer into .build-peers/"
if [ -n "${PEERS_BATON_BIN:-}" ]; then
    bin="$PEERS_BATON_BIN"
else
    swift build -c release --product baton >/dev/null
    bin="$(swift build -c release --show-bin-path)/baton"
fi
peer=(--package-path bench/peers/hummingbird/hello-world --scratch-path "$root/.build-peers/hummingbird")
# Its dependencies warn about files they do not declare; shown only if the build fails.
swift build -c release "${peer[@]}" --product hello >"$tmp/peer-build.log" 2>&1 || {
    cat "$tmp/peer-build.log" >&2
    exit 1
}
hello="$(swift build -c release "${peer[@]}" --show-bin-path 2>/dev/null)/hello"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { # url
    for _ in $(seq 1 200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done
    echo "bench: nothing answers $1" >&2
    exit 1
}

# Baton: rate limits at their maximum so wrk measures the server, not its limiter (a read bucket
# holds 1,000,000 requests; the run stops with an error if any answer is not a 2xx).
cat >"$tmp/baton.json" <<JSON
{"server": {"rate_limits": {"read": 1000000, "write": 1000000}}, "local_workers": {"count": 0}}
JSON
start_baton() { # name loops cpus(or "") -> sets baton_port
    local name="$1" loops="$2" cpus="$3" port
    port=$(free_port)
    local run=("$bin" serve --port "$port" --data-dir "$tmp/$name" --config "$tmp/baton.json" --no-access-log
        --local-workers 0)
    if [ -n "$cpus" ]; then run=(taskset -c "$cpus" "${run[@]}"); fi
    # No count: server.event_loops keeps its default (the usable CPUs).
    if [ -n "$loops" ]; then run=(env BATON_SERVER__EVENT_LOOPS="$loops" "${run[@]}"); fi
    "${run[@]}" >"$tmp/$name.log" 2>&1 &
    pids+=($!)
    wait_up "http://127.0.0.1:$port/health"
    baton_port=$port
}

start_baton main "${PEERS_BATON_LOOPS:-}" ""
baton="http://127.0.0.1:$baton_port"
# One loop, unpinned: the like-for-like peer of nginx's one worker.
start_baton single 1 ""
single="http://127.0.0.1:$baton_port"
key="$(tr -d '\n' <"$tmp/main/admin.key")"
# The loops it started with: one baton_http_loop_connections sample each.
default_loops=$(curl -sf -H "Authorization: Bearer $key" "$baton/metrics" | grep -c '^baton_http_loop_connections{' || true)
job=$(curl -sf -X POST -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
    -d '{"prompt":"Summarize this document","input":"...","provider":"claude","model":"haiku","priority":"normal","tier":"medium","tags":["summarize"]}' \
    "$baton/api/jobs" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
curl -sf -o /dev/null -H "Authorization: Bearer $key" "$baton/api/jobs/$job"

hb_port=$(free_port)
"$hello" "$hb_port" >"$tmp/hummingbird.log" 2>&1 &
pids+=($!)
wait_up "http://127.0.0.1:$hb_port/hello"

# nginx: one worker, no logs, everything it writes inside the temp dir; /health answers a body
# the size of Baton's.
health_body=$(curl -sf "$baton/health")
ng_port=$(free_port)
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    server {
        listen 127.0.0.1:$ng_port;
        location = /health { default_type application/json; return 200 '$health_body'; }
    }
}
CONF
nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" >"$tmp/nginx.log" 2>&1 &
pids+=($!)
wait_up "http://127.0.0.1:$ng_port/health"

if [ "${PEERS_CHECK:-}" = 1 ]; then
    # Set-up only, no load: every server answers what wrk would ask.
    curl -sf "$baton/health" && echo
    curl -sf -H "Authorization: Bearer $key" "$baton/api/jobs/$job" | head -c 120 && echo
    curl -sf "http://127.0.0.1:$hb_port/hello" && echo
    curl -sf "http://127.0.0.1:$ng_port/health" && echo
    echo "check: baton ($default_loops event loops), hummingbird and nginx answer"
    exit 0
fi

# One wrk run; prints requests/s. Refuses a run with errors or non-2xx answers: its rate would
# not be the server's.
measure() { # label url [wrk options...]
    local label="$1" url="$2"
    shift 2
    local out="$tmp/wrk.out"
    ${WRK_PREFIX:-} wrk -t1 -c"$connections" -d"${seconds}s" "$@" "$url" >"$out"
    if grep -qE "Non-2xx|Socket errors" "$out"; then
        echo "bench: $label had errors:" >&2
        cat "$out" >&2
        exit 1
    fi
    awk '/Requests\/sec/ {print $2}' "$out"
}

auth=(-H "Authorization: Bearer $key")
names=(baton_health hummingbird nginx baton_job baton_one)
declare -A total
for n in "${names[@]}"; do total[$n]=0; done
echo "== ratios: wrk -t1 -c$connections -d${seconds}s, $rounds rounds (baton: $default_loops event loops)"
printf "%-6s %14s %14s %14s %14s %14s\n" round "baton /health" "hummingbird" "nginx" "baton job" "1-loop /health"
for r in $(seq 1 "$rounds"); do
    order=("${names[@]}")
    if [ $((r % 2)) -eq 0 ]; then order=(baton_one baton_job nginx hummingbird baton_health); fi
    declare -A rps
    for n in "${order[@]}"; do
        case $n in
            baton_health) rps[$n]=$(measure "$n" "$baton/health") ;;
            hummingbird) rps[$n]=$(measure "$n" "http://127.0.0.1:$hb_port/hello") ;;
            nginx) rps[$n]=$(measure "$n" "http://127.0.0.1:$ng_port/health") ;;
            baton_job) rps[$n]=$(measure "$n" "$baton/api/jobs/$job" "${auth[@]}") ;;
            baton_one) rps[$n]=$(measure "$n" "$single/health") ;;
        esac
        total[$n]=$(awk -v a="${total[$n]}" -v b="${rps[$n]}" 'BEGIN {print a + b}')
    done
    printf "%-6s %14s %14s %14s %14s %14s\n" "$r" "${rps[baton_health]}" "${rps[hummingbird]}" "${rps[nginx]}" \
        "${rps[baton_job]}" "${rps[baton_one]}"
done
ratio() { awk -v a="${total[$1]}" -v b="${total[$2]}" 'BEGIN {printf "%.2f", a / b}'; }
meets() { awk -v r="$1" -v t="$2" 'BEGIN {print (r >= t) ? "yes" : "no"}'; }
h_hb=$(ratio baton_health hummingbird)
h_ng=$(ratio baton_one nginx)
d_ng=$(ratio baton_health nginx)
j_h=$(ratio baton_job baton_health)
echo
echo "baton /health ÷ hummingbird hello:     $h_hb  (target ≥ 1.5: $(meets "$h_hb" 1.5))"
echo "baton /health ÷ nginx /health:         $h_ng  (one loop against one worker; target ≥ 0.7: $(meets "$h_ng" 0.7))"
echo "   (baton on $default_loops loops ÷ nginx: $d_ng; with two cores wrk shares them with every loop)"
echo "baton GET /api/jobs/:id ÷ its /health: $j_h  (target ≥ 0.5: $(meets "$j_h" 0.5))"

# Part 4: one loop vs two, each server and wrk pinned.
cpus=$(python3 -c 'import os; print(" ".join(str(c) for c in sorted(os.sched_getaffinity(0))))')
read -r -a cpu_list <<<"$cpus"
last=${cpu_list[$((${#cpu_list[@]} - 1))]}
wrk_cpus="${PEERS_WRK_CPUS:-$last}"
one_cpus="${PEERS_ONE_LOOP_CPUS:-${cpu_list[0]}}"
two_cpus="${PEERS_TWO_LOOP_CPUS:-${cpu_list[0]},${cpu_list[1]:-${cpu_list[0]}}}"
start_baton one 1 "$one_cpus"
one="http://127.0.0.1:$baton_port"
one_key="$(tr -d '\n' <"$tmp/one/admin.key")"
start_baton two 2 "$two_cpus"
two="http://127.0.0.1:$baton_port"
two_key="$(tr -d '\n' <"$tmp/two/admin.key")"
echo
scale() { # path label auth(0/1)
    local path="$1" label="$2" use_auth="$3" t1=0 t2=0 a b
    local one_auth=() two_auth=()
    if [ "$use_auth" = 1 ]; then
        one_auth=(-H "Authorization: Bearer $one_key")
        two_auth=(-H "Authorization: Bearer $two_key")
    fi
    echo
    echo "== event loops: $label, wrk on CPUs $wrk_cpus; 1 loop on CPUs $one_cpus, 2 loops on CPUs $two_cpus"
    if [ "${#cpu_list[@]}" -lt 3 ]; then
        echo "   (only ${#cpu_list[@]} CPUs: the two-loop server shares a CPU with wrk)"
    fi
    printf "%-6s %14s %14s\n" round "1 loop" "2 loops"
    for r in $(seq 1 "$rounds"); do
        if [ $((r % 2)) -eq 1 ]; then
            a=$(WRK_PREFIX="taskset -c $wrk_cpus" measure one "$one$path" "${one_auth[@]}")
            b=$(WRK_PREFIX="taskset -c $wrk_cpus" measure two "$two$path" "${two_auth[@]}")
        else
            b=$(WRK_PREFIX="taskset -c $wrk_cpus" measure two "$two$path" "${two_auth[@]}")
            a=$(WRK_PREFIX="taskset -c $wrk_cpus" measure one "$one$path" "${one_auth[@]}")
        fi
        t1=$(awk -v t="$t1" -v x="$a" 'BEGIN {print t + x}')
        t2=$(awk -v t="$t2" -v x="$b" 'BEGIN {print t + x}')
        printf "%-6s %14s %14s\n" "$r" "$a" "$b"
    done
    awk -v a="$t1" -v b="$t2" -v n="$rounds" -v l="$label" \
        'BEGIN {printf "mean: 1 loop %.0f, 2 loops %.0f req/s; %s, 2 loops ÷ 1 loop: %.2f\n", a / n, b / n, l, b / a}'
}
scale /health "GET /health" 0
# /metrics renders the registry on the connection's loop (~140 µs of server CPU a request against
# a few µs of wrk's), so wrk leaves most of the shared CPU to the second loop.
scale /metrics "GET /metrics (authenticated)" 1
