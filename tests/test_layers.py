"""Layers: a subpackage imports only those below it; the pure core does no I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).parent.parent / "vaultctl"
CORE = [
    "core/canonical",
    "core/model",
    "core/schema",
    "core/roster",
    "core/times",
    "tlog/chain",
    "tlog/merkle",
    "tlog/checkpoint",
    "tlog/anchors",
    "rules/__init__",
    "rules/state",
    "rules/genesis",
    "rules/people",
    "rules/keys",
    "rules/duty",
    "rules/papers",
    "rules/watch",
    "rules/room",
    "verify/__init__",
    "verify/proofs",
]
# NOTE: each subpackage imports only those before it (and itself)
LAYERS = ["core", "rules", "tlog", "verify", "store", "present", "centre", "cli"]
FORBIDDEN = (
    "click",
    "dateutil",
    "tabulate",
    "vaultctl.store.ledger",
    "vaultctl.present.render",
    "vaultctl.cli",
    "vaultctl.store.writer",
    "vaultctl.centre.bundle",
    "os",
    "pathlib",
    "subprocess",
)


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module == "vaultctl":
            names |= {f"vaultctl.{a.name}" for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", CORE)
def test_core_module_does_no_io(module: str) -> None:
    found = imports(PKG / f"{module}.py")
    bad = sorted(n for n in found for f in FORBIDDEN if n == f or n.startswith(f + "."))
    assert bad == [], f"{module} imports {bad}"


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_the_layers_below_it(layer: str) -> None:
    above = LAYERS[LAYERS.index(layer) + 1 :]
    bad = sorted(
        f"{path.relative_to(PKG)}: {name}"
        for path in (PKG / layer).rglob("*.py")
        for name in imports(path)
        if name.split(".")[:2] in [["vaultctl", a] for a in above]
    )
    assert bad == [], bad


def test_every_module_is_in_a_layer() -> None:
    flat = sorted(p.name for p in PKG.glob("*.py"))
    assert flat == ["__init__.py", "__main__.py"]
    assert sorted(p.name for p in PKG.iterdir() if (p / "__init__.py").exists()) == (
        sorted(LAYERS)
    )


@pytest.mark.parametrize("path", sorted(PKG.rglob("*.py")), ids=lambda p: p.name)
def test_every_module_says_what_it_holds(path: Path) -> None:
    assert ast.get_docstring(ast.parse(path.read_text("utf-8"))), path
