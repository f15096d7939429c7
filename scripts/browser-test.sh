#!/usr/bin/env bash
# Runs scripts/browser-test.py with selenium from a venv under .build (made the first time) and the
# debug `baton` binary, which must be built. Extra arguments go to the script (e.g. --screenshots DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/browser-venv
want="selenium==4.38.0"
if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$want" ] || [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "$want"
    echo "$want" >"$venv/.pins"
fi
bin="$(swift build --show-bin-path)/baton"
[ -x "$bin" ] || { echo "browser-test: build baton first (swift build --product baton)" >&2; exit 1; }
exec "$venv/bin/python" scripts/browser-test.py --baton "$bin" "$@"
