#!/usr/bin/env bash
# Checks that the test layout mirrors the source layout (docs/ARCHITECTURE.md, "Tests"):
# a test file Tests/<Module>Tests/<dir>/<Name>Tests.swift tests Sources/<Module>/<dir>/<Name>.swift,
# and <Name>+<Aspect>Tests.swift tests one aspect of that same file. Tests/BatonCLITests tests
# Sources/baton. A Swift file with no @Test and no @Suite in it is a helper of its target and is
# not checked; folders of Tests/ whose name does not end in "Tests" (BatonTestSupport,
# BatonCoreFixtures) are support targets, not checked either. Prints each file that names no source
# file and exits 1 if there is one. Run from anywhere; no arguments.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

offending=0
while IFS= read -r -d '' file; do
  target="${file#Tests/}"
  target="${target%%/*}"
  case "$target" in
    *Tests) ;;
    *) continue ;;
  esac
  grep -qE '@(Test|Suite)\b' "$file" || continue

  module="${target%Tests}"
  [ "$target" = "BatonCLITests" ] && module="baton"
  relative="${file#Tests/$target/}"
  dir="$(dirname "$relative")"
  [ "$dir" = "." ] && dir="" || dir="$dir/"
  name="$(basename "$relative" .swift)"

  reason=""
  if [ ! -d "Sources/$module" ]; then
    reason="no module Sources/$module"
  elif [ "${name%Tests}" = "$name" ]; then
    reason="holds tests but is not named <Source>Tests.swift"
  else
    source="${name%Tests}"
    if [ ! -f "Sources/$module/$dir$source.swift" ] \
      && { [ "${source%%+*}" = "$source" ] || [ ! -f "Sources/$module/$dir${source%%+*}.swift" ]; }; then
      reason="no Sources/$module/$dir$source.swift"
      [ "${source%%+*}" != "$source" ] && reason="$reason nor Sources/$module/$dir${source%%+*}.swift"
    fi
  fi
  if [ -n "$reason" ]; then
    echo "$file: $reason" >&2
    offending=$((offending + 1))
  fi
done < <(find Tests -name '*.swift' -print0 | sort -z)

if [ "$offending" -gt 0 ]; then
  echo "check-test-layout: $offending test file(s) name no source file (docs/ARCHITECTURE.md, \"Tests\")" >&2
  exit 1
fi
