#!/usr/bin/env bash
# `make fuzz` and the fuzz smoke of `make test`: builds the libFuzzer targets in fuzz/ and runs
# each for a while, then prints runs, coverage (cov: edges, ft: features) and corpus size per
# target. Exits non-zero if any target crashed, leaked, timed out or ran out of memory; the input
# is kept under .build/libfuzzer/artifacts/ (replay: .build/libfuzzer/targets/<target> <file>).
#
# Usage: scripts/fuzz.sh [--smoke] [seconds-per-target] [target...]
#   Without --smoke, each target grows its working corpus in .build/libfuzzer/corpus/<target>
#   (seeded from fuzz/corpus/<target>, which it never writes). With --smoke, it starts from the
#   seeds alone and keeps nothing.
#
# How it builds, without any package dependency: SwiftPM builds the modules the targets need in
# a build directory of their own, with AddressSanitizer and libFuzzer's coverage instrumentation
# (not -sanitize=fuzzer, whose main() would replace that of the build-tool plugin); then swiftc
# links each fuzz/<target>.swift against those object files with -sanitize=fuzzer,address.
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=0
if [ "${1:-}" = "--smoke" ]; then
    smoke=1
    shift
fi
seconds="${1:-600}"
[ $# -gt 0 ] && shift
all=(http_request http_chunked json template linear_webhook config)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")

root=.build/libfuzzer
bin="$root/release"
mkdir -p "$root/targets" "$root/artifacts" "$root/logs"

# The modules each target links, in dependency order.
modules() {
    local core="BatonJSON BatonPlatform BatonCrypto BatonStore BatonWorkerProtocol BatonCore"
    case "$1" in
    http_request | http_chunked) echo "BatonJSON BatonPlatform BatonHTTP" ;;
    json) echo "BatonJSON" ;;
    config) echo "$core" ;;
    template) echo "$core BatonTemplates" ;;
    linear_webhook) echo "$core BatonJobs BatonTemplates BatonIssues" ;;
    *)
        echo "fuzz: unknown target $1 (targets: ${all[*]})" >&2
        return 1
        ;;
    esac
}
# Sources besides fuzz/<target>.swift.
support() {
    case "$1" in
    http_*) echo "fuzz/support/HTTPFeeding.swift" ;;
    esac
}

# 1. The instrumented modules (incremental after the first time).
coverage=edge,indirect-calls,trace-cmp,inline-8bit-counters,pc-table
for top in BatonHTTP BatonIssues; do
    if ! swift build -c release --build-path "$root" --sanitize=address \
        -Xswiftc -sanitize-coverage="$coverage" --target "$top" >"$root/logs/build-$top.log" 2>&1; then
        grep -E "error:" "$root/logs/build-$top.log" | head -20 >&2 || tail -20 "$root/logs/build-$top.log" >&2
        echo "fuzz: building $top failed (log: $root/logs/build-$top.log)" >&2
        exit 1
    fi
done

# 2. One executable per target, relinked when it, what it links or this script changed. The target files
# themselves are built without optimisation: a failed precondition then says which one and why.
for t in "${targets[@]}"; do
    objects=()
    for m in $(modules "$t"); do objects+=("$bin/$m.build"/*.o); done
    sources=("fuzz/$t.swift")
    for s in $(support "$t"); do sources+=("$s"); done
    exe="$root/targets/$t"
    if [ -x "$exe" ] && [ -z "$(find "$0" "${sources[@]}" "${objects[@]}" -newer "$exe" 2>/dev/null | head -1)" ]; then
        continue
    fi
    # ld.gold warns once per ASan check symbol it cannot export: shown only when linking fails.
    if ! swiftc -Onone -g -parse-as-library -module-name "Fuzz_$t" -sanitize=fuzzer,address \
        -I "$bin/Modules" -I Sources/CLinux -I Sources/CCurl -I Sources/CSQLite -I Sources/CSodium \
        "${sources[@]}" "${objects[@]}" -o "$exe" >"$root/logs/link-$t.log" 2>&1; then
        grep -v "Cannot export local symbol" "$root/logs/link-$t.log" | head -30 >&2 || true
        echo "fuzz: building the $t target failed (log: $root/logs/link-$t.log)" >&2
        exit 1
    fi
done

# 3. Run each. The Swift runtime's own crash backtracer would wait on a crashed target; libFuzzer
# reports crashes itself.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
failed=()
printf '%-16s %10s %8s %8s %8s %s\n' target runs cov ft corpus result
for t in "${targets[@]}"; do
    if [ "$smoke" = 1 ]; then
        work="$(mktemp -d)"
    else
        work="$root/corpus/$t"
        mkdir -p "$work"
    fi
    dict=()
    [ -f "fuzz/dict/$t.dict" ] && dict=("-dict=fuzz/dict/$t.dict")
    log="$root/logs/$t.log"
    status=0
    "$root/targets/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$root/artifacts/$t-" "${dict[@]}" \
        "$work" "fuzz/corpus/$t" >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    done_line=$(grep -E "^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)" "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
    corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$done_line")
    result=ok
    if [ "$status" -ne 0 ]; then
        result="FAILED (exit $status; log $log)"
        failed+=("$t")
    fi
    printf '%-16s %10s %8s %8s %8s %s\n' "$t" "${runs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
    [ "$smoke" = 1 ] && rm -rf "$work"
done
if [ ${#failed[@]} -gt 0 ]; then
    for t in "${failed[@]}"; do
        echo "--- $t ($root/logs/$t.log):" >&2
        grep -iE "^(==[0-9]+==|SUMMARY|Fatal error|.*precondition|artifact_prefix|Test unit written)" \
            "$root/logs/$t.log" | head -20 >&2 || tail -30 "$root/logs/$t.log" >&2
    done
    exit 1
fi
