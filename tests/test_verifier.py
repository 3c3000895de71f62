"""One Verifier (issue 22): every command that judges a log goes through
:class:`vaultctl.verify.Verifier`, and each drift the copies had is closed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from vaultctl.cli import cli
from vaultctl.core import canonical
from vaultctl.rules.state import State
from vaultctl.store import snapshot, writer

from .conftest import Site, private_key
from .story import Story

PKG = Path(__file__).parent.parent / "vaultctl"


def test_one_per_line_verification_loop() -> None:
    """Nothing but the Verifier builds a chain verifier or feeds it lines."""
    makers = {
        str(p.relative_to(PKG))
        for p in PKG.rglob("*.py")
        if re.search(r"\bChainVerifier\(\)", p.read_text("utf-8"))
    }
    assert makers == {"verify/__init__.py"}


def bad_genesis_vault(tmp: Path) -> Path:
    story = Story(tmp)
    body = json.loads(story.lines[0])["body"]
    body["site"]["timezone"] = "Mars/Olympus"
    signers = [writer.Signer(i, private_key(i)) for i in ("O-001", "O-002")]
    entry = writer.build(State(), "2026-06-06T07:00:00+08:00", "genesis", body, signers)
    vault = tmp / "v"
    vault.mkdir()
    (vault / "ledger.jsonl").write_bytes(canonical.encode(entry.to_dict()) + b"\n")
    return vault


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_verify_json_message_is_english_whatever_the_language(
    tmp_path: Path, lang: str
) -> None:
    vault = bad_genesis_vault(tmp_path)
    result = CliRunner().invoke(
        cli, ["--vault", str(vault), "--lang", lang, "verify", "--json"]
    )
    [item] = json.loads(result.stdout)["integrity"]
    assert item["message"] == (
        "genesis: site.timezone: unknown time zone 'Mars/Olympus'"
    )
    assert item["message_zh"] == "genesis：site.timezone：未知时区 'Mars/Olympus'"


def test_a_snapshot_written_by_other_code_is_replayed_not_decoded(
    vault: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade (a new rule, a field added to State) used to crash every
    writer with exit 70 until someone deleted ~/.cache/vaultctl."""
    vault.append("note", {"text": "写下快照"}, "2026-06-06T10:00:00+08:00")
    monkeypatch.setattr(snapshot, "_LAYOUT", ["code of another version"])
    result = vault.run(
        "note", "--text", "升级后", "--signer", "O-003", "--signer", "O-004"
    )
    assert result.exit_code == 0, result.stderr


def test_a_snapshot_that_does_not_fit_the_classes_is_replayed(
    vault: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault.append("note", {"text": "写下快照"}, "2026-06-06T10:00:00+08:00")

    def stale(data: bytes) -> object:
        raise AttributeError("'State' object has no attribute 'evidence'")

    monkeypatch.setattr(snapshot, "loads", stale)
    result = vault.run(
        "note", "--text", "照常", "--signer", "O-003", "--signer", "O-004"
    )
    assert result.exit_code == 0, result.stderr


def test_rules_lists_the_policy_of_a_rolled_back_vault(vault: Site) -> None:
    assert (
        vault.run("checkpoint", "--signer", "O-003", "--signer", "O-004").exit_code == 0
    )
    vault.write_lines(vault.lines()[:2])
    assert vault.run("verify").exit_code == 3
    result = vault.run("rules", "--json")
    assert result.exit_code == 0, result.stderr
    assert {r["id"] for r in json.loads(result.stdout)} >= {"OPENING", "KEY-DUTY"}


@pytest.mark.parametrize(
    "policy", [[], "strict", {"params": []}, {"levels": ["OPENING"]}, {"params": 7}]
)
def test_rules_shows_the_defaults_over_a_genesis_policy_of_the_wrong_shape(
    vault: Site, policy: object
) -> None:
    lines = vault.lines()
    genesis = canonical.parse(lines[0].rstrip(b"\n"))
    genesis["body"]["policy"] = policy
    vault.write_lines([canonical.encode(genesis) + b"\n", *lines[1:]])
    result = vault.run("rules", "--json")
    assert result.exit_code == 0, result.stderr
    levels = {r["id"]: r["level"] for r in json.loads(result.stdout)}
    assert levels["OPEN-LONG"] == "warn" and levels["OPENING"] == "error"


def test_a_verifier_resumes_from_its_parts_on_the_new_clock(vault: Site) -> None:
    """The writer's resume is the Verifier's own: built from ``parts()``,
    judging against the resuming writer's clock; parts out of step (a tree
    at another line than the chain) are not consistent and mean a replay."""
    from datetime import datetime, timedelta

    from vaultctl.tlog.merkle import TreeBuilder
    from vaultctl.verify import Parts, Verifier

    then = datetime.fromisoformat("2026-06-06T10:00:00+08:00")
    first = Verifier(then, refuse=True)
    for line in vault.lines():
        first.feed(line.rstrip(b"\n"))
    later = then + timedelta(days=1)
    resumed = Verifier(later, refuse=True, parts=first.parts())
    assert resumed.chain is first.chain and resumed.tree is first.tree
    assert resumed.engine.now == later
    assert {r.now for r in resumed.engine.rules} == {later}
    assert resumed.verdict().entries == len(vault.lines())
    assert first.parts().consistent()
    stepped = first.parts()
    stepped.tree = TreeBuilder()
    assert not stepped.consistent()
    assert not Parts(*(["junk"] * 4)).consistent()  # type: ignore[arg-type]


def test_log_reads_each_line_once_and_still_lists_a_tampered_one(
    vault: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``log`` used to parse the ledger a second time for display; the
    Verifier lists each parsed line, sound or not (the unsound are marked)."""
    from vaultctl.core.model import Entry

    vault.append("note", {"text": "第一条"}, "2026-06-06T10:00:00+08:00")
    vault.append("note", {"text": "第二条"}, "2026-06-06T11:00:00+08:00")
    lines = vault.lines()
    lines[-1] = lines[-1].replace("第二条".encode(), "改过了".encode())
    vault.write_lines(lines)
    made = []
    real = Entry.from_dict.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Entry], obj: object) -> Entry:
        made.append(obj)
        return real(cls, obj)  # type: ignore[no-any-return]

    monkeypatch.setattr(Entry, "from_dict", classmethod(counted))
    result = vault.run("log", "--json")
    assert result.exit_code == 0
    assert len(made) == len(lines)
    shown = [json.loads(x) for x in result.stdout.splitlines()]
    assert [e["body"].get("text") for e in shown][-2:] == ["第一条", "改过了"]
    assert "FAILS verification" in result.stderr
