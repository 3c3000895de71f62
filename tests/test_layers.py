"""The core never imports the edges: no click, dateutil, ledger or rendering."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).parent.parent / "vaultctl"
CORE = [
    "canonical",
    "model",
    "schema",
    "roster",
    "chain",
    "merkle",
    "checkpoint",
    "anchors",
    "proofs",
    "state",
    "verify",
    "rules/__init__",
    "rules/people",
    "rules/keys",
    "rules/duty",
    "rules/papers",
    "rules/watch",
    "rules/room",
    "times",
]
FORBIDDEN = (
    "click",
    "dateutil",
    "tabulate",
    "vaultctl.ledger",
    "vaultctl.render",
    "vaultctl.cli",
    "vaultctl.writer",
    "vaultctl.bundle",
    "os",
    "pathlib",
    "subprocess",
)


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", CORE)
def test_core_module_does_no_io(module: str) -> None:
    found = imports(PKG / f"{module}.py")
    bad = sorted(n for n in found for f in FORBIDDEN if n == f or n.startswith(f + "."))
    assert bad == [], f"{module} imports {bad}"


@pytest.mark.parametrize("path", sorted(PKG.rglob("*.py")), ids=lambda p: p.name)
def test_every_module_says_what_it_holds(path: Path) -> None:
    assert ast.get_docstring(ast.parse(path.read_text("utf-8"))), path
