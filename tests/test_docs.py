"""The generated docs are up to date, and the README keeps its promises."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import docs
from vaultctl import rules

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("name", sorted(docs.FILES))
def test_generated_docs_are_not_stale(name: str) -> None:
    committed = (ROOT / "docs" / name).read_text("utf-8")
    assert committed == docs.FILES[name](), f"docs/{name} is stale: run `make docs`"


def test_every_rule_is_documented_with_examples() -> None:
    text = docs.rules_md()
    for rid, cls in rules.REGISTRY.items():
        assert f"## {rid}\n" in text
        assert cls.example_ok and cls.example_bad, rid
        assert cls.title_zh and cls.clause, rid


def test_readme_gives_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "make demo" in readme and "make test" in readme
