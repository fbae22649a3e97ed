"""Library code never prints: only the CLI writes to the terminal (a CI check)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "cargotrace"
CLI = ROOT / "cli"  # the command line package: the terminal is its to write to

offenders = []
for path in sorted(ROOT.rglob("*.py")):
    if CLI in path.parents:
        continue
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
            offenders.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}")
if offenders:
    sys.exit("library code must not print (use logging or return values): " + ", ".join(offenders))
