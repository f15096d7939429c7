#!/usr/bin/env bash
# Installs the Debian packages Baton needs and that are missing: the three C libraries it links
# (and pkg-config, which SwiftPM uses to find them), plus, with --test, the tools its tests call.
set -euo pipefail

packages=(libsqlite3-dev libsodium-dev libcurl4-openssl-dev pkg-config)
if [ "${1:-}" = "--test" ]; then
  # promtool checks /metrics; python3 runs the loopback fixture servers; curl for smoke checks;
  # headless chromium loads the docs page.
  packages+=(prometheus python3 curl chromium git)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ! command -v swift >/dev/null 2>&1; then
  echo "install-deps: the Swift toolchain (6.0 or newer) is not on PATH; install it from swift.org first." >&2
  exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
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
