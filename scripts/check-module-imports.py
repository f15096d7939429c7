#!/usr/bin/env python3
"""Each target's dependencies in Package.swift are exactly the project modules its files import.

docs/ARCHITECTURE.md draws the module map from Package.swift; a dependency declared but unused
would draw an arrow the code does not have, and an import the package does not declare works
only by accident (through another target). Also: no module linked into `baton` imports
Foundation (ICU, a third more idle memory) or Dispatch (its overlay links the string-processing
and regex libraries, about 1 MB resident), as docs/ARCHITECTURE.md's rules say.
Prints each difference and exits 1.
"""
import glob
import re
import sys

package = open("Package.swift").read()
targets = {}
kinds = {}
for match in re.finditer(r'\.(target|executableTarget|testTarget)\(\s*name:\s*"([^"]+)"(.*?)\)\s*,\s*\n', package, re.S):
    kind, name, body = match.groups()
    deps = re.search(r"dependencies:\s*\[(.*?)\]", body, re.S)
    path = re.search(r'path:\s*"([^"]+)"', body)
    default = ("Tests/" if kind == "testTarget" else "Sources/") + name
    targets[name] = (set(re.findall(r'"([^"]+)"', deps.group(1))) if deps else set(), path.group(1) if path else default)
    kinds[name] = kind

known = set(targets) | {"CSQLite", "CSodium", "CCurl", "CLinux"}
# Not linked into `baton`: test targets and their support (under Tests/), the build plugin's
# generator and the load tools.
not_shipped = {"BatonEmbed", "baton-bench"}
banned = {"Foundation", "FoundationEssentials", "FoundationNetworking", "Dispatch", "_StringProcessing", "RegexBuilder"}
problems = []
for name, (deps, path) in sorted(targets.items()):
    imports = set()
    for file in glob.glob(path + "/**/*.swift", recursive=True):
        for line in open(file):
            found = re.match(
                r"\s*(?:@\w+(?:\([^)]*\))?\s+)*import\s+"
                r"(?:(?:struct|class|enum|protocol|typealias|func|var|let)\s+)?(\w+)",
                line,
            )
            if found and found.group(1) in known:
                imports.add(found.group(1))
            if found and found.group(1) in banned and not path.startswith("Tests/") and name not in not_shipped:
                problems.append(f"{file}: imports {found.group(1)}, which no module linked into baton may")
    for module in sorted(imports - deps - {name}):
        problems.append(f"{name}: imports {module}, which Package.swift does not declare")
    for module in sorted(deps - imports):
        problems.append(f"{name}: declares {module}, which none of its files imports")
for line in problems:
    print(line, file=sys.stderr)
sys.exit(1 if problems else 0)
