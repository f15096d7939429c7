#!/usr/bin/env python3
"""Each target's dependencies in Package.swift are exactly the project modules its files import.

docs/ARCHITECTURE.md draws the module map from Package.swift; a dependency declared but unused
would draw an arrow the code does not have, and an import the package does not declare works
only by accident (through another target). Prints each difference and exits 1.
"""
import glob
import re
import sys

package = open("Package.swift").read()
targets = {}
for match in re.finditer(r'\.(target|executableTarget|testTarget)\(\s*name:\s*"([^"]+)"(.*?)\)\s*,\s*\n', package, re.S):
    kind, name, body = match.groups()
    deps = re.search(r"dependencies:\s*\[(.*?)\]", body, re.S)
    path = re.search(r'path:\s*"([^"]+)"', body)
    default = ("Tests/" if kind == "testTarget" else "Sources/") + name
    targets[name] = (set(re.findall(r'"([^"]+)"', deps.group(1))) if deps else set(), path.group(1) if path else default)

known = set(targets) | {"CSQLite", "CSodium", "CCurl", "CLinux"}
problems = []
for name, (deps, path) in sorted(targets.items()):
    imports = set()
    for file in glob.glob(path + "/**/*.swift", recursive=True):
        for line in open(file):
            found = re.match(r"\s*(?:@testable\s+|@_exported\s+)?import\s+(\w+)", line)
            if found and found.group(1) in known:
                imports.add(found.group(1))
    for module in sorted(imports - deps - {name}):
        problems.append(f"{name}: imports {module}, which Package.swift does not declare")
    for module in sorted(deps - imports):
        problems.append(f"{name}: declares {module}, which none of its files imports")
for line in problems:
    print(line, file=sys.stderr)
sys.exit(1 if problems else 0)
