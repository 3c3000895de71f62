"""The writer's snapshot: resumed only when the ledger's bytes still match, and
never able to make a writer accept a line it has not verified."""

from __future__ import annotations

import json
import stat
from datetime import datetime
from pathlib import Path

import pytest

from vaultctl.core import canonical
from vaultctl.core.errors import LedgerError
from vaultctl.store import head, snapshot, writer

from .conftest import OUTSIDER, Site

NOW = datetime.fromisoformat("2026-06-06T12:00:00+08:00")


def fed(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Record every line the head verifies and replays."""
    seen: list[bytes] = []
    real = head.feed

    def spy(h: head.Head, raw: bytes, vault: object) -> object:
        seen.append(raw)
        return real(h, raw, vault)  # type: ignore[arg-type]

    monkeypatch.setattr(head, "feed", spy)
    return seen


def test_resumes_from_the_snapshot(
    vault: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault.append("note", {"text": "a"}, "2026-06-06T11:00:00+08:00")
    seen = fed(monkeypatch)
    warm = writer.load_engine(vault.vault, NOW)
    assert seen == []  # nothing replayed: the snapshot covers the whole ledger
    monkeypatch.setattr(snapshot, "load", _absent)
    cold = writer.load_engine(vault.vault, NOW)
    assert len(seen) == 5
    assert warm.state.summary() == cold.state.summary()
    assert snapshot.dumps(warm.state) == snapshot.dumps(cold.state)


def _absent(*args: object) -> object:
    raise snapshot.SnapshotError("none")


def test_lines_added_by_another_writer_are_verified(
    vault: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer.load_engine(vault.vault, NOW)
    forged = writer.build(
        writer.load_state(vault.vault),
        "2026-06-06T11:00:00+08:00",
        "note",
        {"text": "冒名"},
        vault.signers(OUTSIDER, "O-003"),
    )
    vault.write_lines([*vault.lines(), canonical.encode(forged.to_dict()) + b"\n"])
    seen = fed(monkeypatch)
    with pytest.raises(LedgerError, match="line 5 fails verification"):
        writer.load_engine(vault.vault, NOW)
    assert len(seen) == 1  # only the new line: the prefix still hashed the same


def test_an_edited_earlier_line_discards_the_snapshot(vault: Site) -> None:
    writer.load_engine(vault.vault, NOW)
    lines = vault.lines()
    lines[2] = lines[2].replace("记录".encode(), "修改".encode())  # same size
    vault.write_lines(lines)
    with pytest.raises(LedgerError, match="line 3"):
        vault.append("note", {"text": "b"}, "2026-06-06T11:00:00+08:00")


def test_an_edited_snapshot_is_refused(vault: Site) -> None:
    writer.load_engine(vault.vault, NOW)
    (path,) = snapshot.cache_dir().glob("*.json")
    data = path.read_bytes()
    path.write_bytes(data.replace(b'"seq":', b'"seq": ', 1))
    log = json.loads(vault.lines()[0])["log"]
    with pytest.raises(snapshot.SnapshotError, match="HMAC"):
        snapshot.load(vault.ledger, log)
    writer.load_engine(vault.vault, NOW)  # falls back to a full replay


def test_the_cache_is_private(vault: Site) -> None:
    writer.load_engine(vault.vault, NOW)
    folder = snapshot.cache_dir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for f in folder.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


@pytest.mark.parametrize(
    "forged",
    [
        {"$i": 0, "o": "os:system", "a": {}},
        {"$i": 0, "o": "vaultctl.rules.state:Path", "a": {}},
        {"$i": 0, "o": "subprocess:Popen", "a": {}},
    ],
)
def test_a_snapshot_builds_only_vaultctl_state_classes(forged: dict) -> None:
    with pytest.raises(snapshot.SnapshotError):
        snapshot.loads(json.dumps(forged).encode())


def test_round_trip_keeps_shared_objects_shared(tmp_path: Path) -> None:
    shared = {"a": [1, 2]}
    value = snapshot.loads(snapshot.dumps([shared, shared, (b"x", {3})]))
    assert value[0] is value[1] and value[0] == shared
    assert value[2] == (b"x", {3})


def test_a_new_checkpoint_file_discards_the_snapshot(
    vault: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot is used only with the checkpoint files it was compared with."""
    writer.load_engine(vault.vault, NOW)
    vault.vault.checkpoints.mkdir(exist_ok=True)
    (vault.vault.checkpoints / "9-junk.note").write_text("not a note\n")
    seen = fed(monkeypatch)
    writer.load_engine(vault.vault, NOW)
    assert len(seen) == 4  # replayed in full
