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
from vaultctl.rules.state import Dispatched
from vaultctl.store import head, snapshot, writer

from .conftest import OUTSIDER, Site
from .story import Story, packet, setup, t

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


# --- issue 24: a state that does not grow with the log ------------------------


def _weeks(tmp_path: Path, n: int) -> Story:
    """The compliant day's setup, then ``n`` packets received and dispatched."""
    story = Story(tmp_path)
    setup(story)
    story.open_close("door", "D1", t("09:50"), ("O-002", "O-003"))
    for i in range(n):
        at = t(f"{10 + i // 30:02d}:{i % 30 * 2:02d}")
        story.receipt(at, [packet(f"P-{i}")])
        story.dispatch(at, f"P-{i}")
    return story


def test_dispatched_packets_are_kept_as_ids(tmp_path: Path) -> None:
    state = _weeks(tmp_path, 40).state
    assert state.packets == {} and len(state.closed) == 40
    assert all(type(x) is int and x < 2**64 for x in state.closed)
    assert state.packet("P-7") == Dispatched("P-7")
    assert state.packet("P-99") is None
    # NOTE: plain JSON in the snapshot: one value, not 40 walked ones; read
    # back, the digests still find the packets
    body = json.loads(snapshot.dumps(state))
    closed = next(v for k, v in body["a"].items() if k == "closed")
    assert sorted(closed["ps"]) == sorted(state.closed)
    again = snapshot.loads(snapshot.dumps(state))
    assert again.packet("P-7") == Dispatched("P-7") and again.packet("P-99") is None


def test_a_dispatched_packet_is_still_known_to_the_rules(tmp_path: Path) -> None:
    story = _weeks(tmp_path, 2)
    again = story.preview(
        "receipt",
        {"from": "O-005", "room": "R1", "packets": [packet("P-1")], "count": 1,
         "cctv": True},
        t("12:00"),
        ("O-005", "O-002"),
    )  # fmt: skip
    assert any("received twice" in f.message for f in again)
    issued = story.preview(
        "issue",
        {"session": "S-0607-AM", "exam_room": "E01", "to": "O-101",
         "packets": [{"id": "P-0", "seal": "SL-1"}], "count": 1,
         "seal_checked": True, "cctv": True},
        t("12:00"),
        ("O-002", "O-101"),
    )  # fmt: skip
    assert any("not in stock (dispatched)" in f.message for f in issued)


def test_a_preview_leaves_the_shared_parts_alone(tmp_path: Path) -> None:
    """The preview copies the append-only parts shallowly: what it appends
    (a dispatch, an incident, an attachment) must not reach the engine."""
    story = _weeks(tmp_path, 3)
    story.receipt(t("12:00"), [packet("P-X")])
    state = story.state
    before = (set(state.closed), list(state.incidents), list(state.evidence))
    story.preview("dispatch", _dispatch("P-X"), t("12:10"), ("O-002", "O-005"))
    story.preview(
        "incident",
        {"kind": "other", "refs": [], "text": "演练", "reported_to": "主考",
         "reported_at": t("12:11"),
         "attachments": [{"name": "a.jpg", "size": 1, "sha256": "0" * 64}]},
        t("12:11"),
        ("O-003", "O-001"),
    )  # fmt: skip
    assert (state.closed, state.incidents, state.evidence) == before
    assert "P-X" in state.packets


def _dispatch(pid: str) -> dict[str, object]:
    return {"to": "外送车", "packets": [{"id": pid, "seal": "SA-1"}], "count": 1,
            "seal_checked": True, "cctv": True}  # fmt: skip


def test_a_plain_value_holding_objects_is_refused() -> None:
    data = json.dumps({"$i": 0, "p": {"a": {"$i": 1, "o": "x:Y", "a": {}}}})
    with pytest.raises(snapshot.SnapshotError):
        snapshot.loads(data.encode())


# --- issue 24: a handover's checkpoint does not cost a full replay -----------


def _size(vault: Site) -> int:
    return len(vault.lines())


def test_a_note_at_the_head_is_checked_without_a_replay(
    vault: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .test_tlog import signers, write_checkpoint

    engine = writer.load_engine(vault.vault, NOW)
    write_checkpoint(vault.vault, engine.state, signers("O-003", "O-004"))
    seen = fed(monkeypatch)
    writer.load_engine(vault.vault, NOW)
    assert seen == []  # resumed: the new note compared at the head
    writer.load_engine(vault.vault, NOW)
    assert seen == []  # and stored with the snapshot


def test_a_forged_note_at_the_head_still_stops_the_writers(
    vault: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two officers in force sign another root at the head's size: the
    resumed writer compares it at once and refuses, as a full replay does."""
    from .test_evidence import plant_note

    writer.load_engine(vault.vault, NOW)
    plant_note(vault, _size(vault), ("O-003", "O-004"), bytes(32))
    seen = fed(monkeypatch)
    with pytest.raises(LedgerError, match="fails verification"):
        writer.load_engine(vault.vault, NOW)
    assert seen == []
    monkeypatch.setattr(snapshot, "load", _absent)
    with pytest.raises(LedgerError, match="fails verification"):
        writer.load_engine(vault.vault, NOW)


def test_a_note_for_an_earlier_size_means_a_replay(
    vault: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .test_evidence import plant_note

    writer.load_engine(vault.vault, NOW)
    plant_note(vault, _size(vault) - 1, ("O-003", "O-004"), bytes(32))
    seen = fed(monkeypatch)
    with pytest.raises(LedgerError, match="fails verification"):
        writer.load_engine(vault.vault, NOW)
    assert len(seen) >= 1  # no root kept for that size: replayed


def test_the_state_keeps_the_latest_incidents_only(tmp_path: Path) -> None:
    from vaultctl.rules.state import KEEP_INCIDENTS

    story = _weeks(tmp_path, 0)
    seqs = [
        story.add(
            "incident",
            {
                "kind": "other",
                "refs": [],
                "text": f"演练 {i}",
                "reported_to": "主考",
                "reported_at": t(f"11:{i:02d}"),
            },
            t(f"11:{i:02d}"),
            ("O-003", "O-001"),
        )  # fmt: skip
        for i in range(KEEP_INCIDENTS + 5)
    ]
    kept = [i["seq"] for i in story.state.summary()["incidents"]]
    assert kept == seqs[-KEEP_INCIDENTS:]
    assert story.state.incidents == story.state.summary()["incidents"]
