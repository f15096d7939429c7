#!/usr/bin/env bash
# Installs the Debian packages Baton needs and that are missing: the three C libraries it links
# (and pkg-config, which SwiftPM uses to find them), plus, with --test, the tools its tests call (and the pinned agent CLIs), with --bench, those the benchmarks call.
set -euo pipefail

packages=(libsqlite3-dev libsodium-dev libcurl4-openssl-dev pkg-config)
if [ "${1:-}" = "--bench" ]; then
  # wrk drives the HTTP benchmarks; hyperfine times commands; nginx-light is bench/peers.sh's
  # nginx (the Hummingbird peer is built from source by that script).
  packages+=(wrk hyperfine procps nginx-light)
fi
if [ "${1:-}" = "--test" ]; then
  # promtool checks /metrics; python3 runs the loopback fixture servers; curl for smoke checks;
  # headless chromium loads the docs page, and drives the dashboard through chromium-driver
  # (WebDriver; the selenium package goes into .build/browser-venv, see scripts/browser-test.sh).
  packages+=(prometheus python3 python3-venv curl chromium chromium-driver git)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ! command -v swift >/dev/null 2>&1; then
  echo "install-deps: the Swift toolchain (6.0 or newer) is not on PATH; install it from swift.org first." >&2
  exit 1
fi

# The real agent CLIs the tests drive (README "Running real agents"), pinned so a new release
# cannot change what CI runs without a change here: codex-cli from openai-codex-cli-bin, Claude
# Code from the wheel of claude-agent-sdk. Installed into a virtual environment under .build/,
# with the two binaries linked as .build/agents/codex and .build/agents/claude.
install_agents() {
  local root venv bin
  root="$(cd "$(dirname "$0")/.." && pwd)"
  venv="$root/.build/agents-venv"
  bin="$root/.build/agents"
  local want="openai-codex-cli-bin==0.163.0 claude-agent-sdk==0.2.190"
  if [ -x "$bin/codex" ] && [ -x "$bin/claude" ] && [ "$(cat "$bin/.pins" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  echo "install-deps: installing the agent CLIs ($want) into .build/agents-venv"
  mkdir -p "$root/.build"
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $want
  local site
  site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  mkdir -p "$bin"
  ln -sf "$(ls "$site"/codex_cli_bin/bin/codex)" "$bin/codex"
  ln -sf "$site/claude_agent_sdk/_bundled/claude" "$bin/claude"
  "$bin/codex" --version >/dev/null && "$bin/claude" --version >/dev/null
  echo "$want" >"$bin/.pins"
}

# selenium for the dashboard's browser test, pinned like the agents, in a venv of its own.
install_selenium() {
  local root venv want="selenium==4.38.0"
  root="$(cd "$(dirname "$0")/.." && pwd)"
  venv="$root/.build/browser-venv"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.pins" 2>/dev/null)" = "$want" ]; then return 0; fi
  echo "install-deps: installing $want into .build/browser-venv"
  mkdir -p "$root/.build"
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$want"
  echo "$want" >"$venv/.pins"
}

# graphql-core for the test that validates every GraphQL document Baton sends against Linear's
# schema (Vendor/linear/schema.graphql, scripts/validate-graphql.py), pinned, in a venv of its own.
install_graphql() {
  local root venv want="graphql-core==3.3.2"
  root="$(cd "$(dirname "$0")/.." && pwd)"
  venv="$root/.build/graphql-venv"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.pins" 2>/dev/null)" = "$want" ]; then return 0; fi
  echo "install-deps: installing $want into .build/graphql-venv"
  mkdir -p "$root/.build"
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$want"
  echo "$want" >"$venv/.pins"
}

if [ ${#missing[@]} -eq 0 ]; then
  if [ "${1:-}" = "--test" ]; then install_agents; install_selenium; install_graphql; fi
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ "${1:-}" = "--test" ]; then install_agents; install_selenium; install_graphql; fi
