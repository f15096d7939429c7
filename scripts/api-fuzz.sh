#!/usr/bin/env bash
# `make api-fuzz`: schemathesis against a live `baton serve` (built here, throw-away data dir,
# rate limits lifted), driven by the spec the server serves: every check (`--checks all`) in
# every phase (examples, coverage, fuzzing and the stateful phase, which follows the document's
# links). bench/schemathesis.toml allows only what the document declares. Installs schemathesis
# into a venv under .build the first time (with $API_FUZZ_PYTHON, else the first Python new
# enough of python3, python3.13, python3.12 and pyenv's). Prints schemathesis' summary; exits
# non-zero on any failure or error.
# Usage: scripts/api-fuzz.sh [max-examples] [more schemathesis options]
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-30}"
venv=.build/fuzz-venv
# CPython before 3.11.8 (and 3.12 before 3.12.2) raises "SystemError: AST constructor recursion
# depth mismatch" (gh-106905) when hypothesis describes a filter deep in schemathesis' coverage
# phase, which ends the run with an error: the venv needs a later Python.
fixed() { "$1" -c 'import sys; v = sys.version_info[:3]; sys.exit(0 if v >= (3, 12, 2) or (3, 11, 8) <= v < (3, 12) else 1)' 2>/dev/null; }
if [ -x "$venv/bin/python" ] && ! fixed "$venv/bin/python"; then rm -rf "$venv"; fi
if [ ! -x "$venv/bin/st" ] || [ ! -x "$venv/bin/openapi-spec-validator" ]; then
    python=""
    for candidate in ${API_FUZZ_PYTHON:-} python3 python3.13 python3.12 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
        if fixed "$candidate"; then python="$candidate"; break; fi
    done
    [ -n "$python" ] || { echo "api-fuzz: needs Python 3.11.8 or later (set API_FUZZ_PYTHON)" >&2; exit 1; }
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==4.32.5" "openapi-spec-validator==0.7.2"
fi
# The document first: it must be valid OpenAPI before it drives anything.
"$venv/bin/openapi-spec-validator" openapi/openapi.json
"$venv/bin/openapi-spec-validator" openapi/node.json
swift build --product baton >/dev/null
bin="$(swift build --show-bin-path)/baton"
data="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo '{"server": {"rate_limits": {"read": 1000000, "write": 1000000, "webhook": 1000000, "anonymous": 1000000}}}' >"$data/baton.json"
"$bin" serve --port "$port" --data-dir "$data/db" --config "$data/baton.json" --no-access-log >"$data/serve.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do [ -s "$data/db/admin.key" ] && curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
key="$(cat "$data/db/admin.key")"
# An issue to act on: the document's examples name ENG-123, so the issue operations reach a real
# issue rather than 404s. `webhook send` signs the delivery with the vault's webhook secret,
# which it makes, so the webhook route verifies signatures instead of answering 503.
"$bin" webhook send issue ENG-123 --title "Fuzz the API" --url "http://127.0.0.1:$port" --data-dir "$data/db" >/dev/null
# Left out, and why: the event stream never ends; revoking keys could revoke the fuzzer's own
# once it has made another admin; overlay writes and raising the killswitch change the rules for
# every later request (public metrics, limits, refused jobs), so their own tests cover them.
# Reading the overlay and the killswitch, and clearing it, are fuzzed like the rest.
status=0
"$venv/bin/st" --config-file bench/schemathesis.toml run "http://127.0.0.1:$port/api/v1/openapi.json" \
    -H "Authorization: Bearer $key" --max-examples "$examples" --request-timeout 40 -w 2 \
    --checks all --phases examples,coverage,fuzzing,stateful \
    --exclude-operation-id streamEvents --exclude-operation-id revokeKey \
    --exclude-operation-id replaceConfigOverlay --exclude-operation-id deleteConfigOverlayPath \
    --exclude-operation-id setKillswitch \
    "${@:2}" || status=$?
if grep -q "Fatal error" "$data/serve.log"; then echo "api-fuzz: the server crashed:" >&2; tail -20 "$data/serve.log" >&2; status=1; fi
kill -0 "$pid" 2>/dev/null || { echo "api-fuzz: the server is gone" >&2; status=1; }
exit $status
