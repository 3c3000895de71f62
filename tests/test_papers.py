"""What the papers went through (issue 21), through the real CLI.

Each probe of the issue is built as officers would type it: refused without
--force (naming the rule), recorded with it, and reported by verify; the
compliant counterparts give no finding. Evidence bound with --attach is
checked by verify at the site and by audit at the centre.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from vaultctl.store import evidence

from . import test_cli_events as events
from .conftest import Site
from .test_audit import audit_cli, export
from .test_cli_events import (
    EXAM,
    built,  # noqa: F401 - the session fixture
    forced,
    last,
    ok,
    refused,
    sign,
    t,
    verify_json,
)

stocked = events.stocked  # the fixture: papers in store, shift A on duty

ISSUE = ("issue", "--session", "S-0607-AM", "--exam-room", "E01", "--to", "O-101")
RETURN = ("return", "--session", "S-0607-AM", "--exam-room", "E01")


def findings(site: Site) -> list[tuple[str, int | None]]:
    _, data = verify_json(site)
    assert data["integrity"] == [], data["integrity"]
    return sorted((f["rule"], f["seq"]) for f in data["findings"])


def issued(site: Site, *extra: str, count: str = "1") -> dict:
    return ok(
        site,
        *ISSUE,
        *extra,
        *("--count", count, "--cctv", "on"),
        *sign("O-002", "O-101"),
        *("--at", t("08:30", EXAM)),
        quiet=("SHIFT-LONG",),
    )


# --- 1. seal and count are what was checked ---------------------------------------


def test_a_packet_leaving_without_its_seal_read_is_refused(stocked: Site) -> None:
    entry = forced(
        stocked,
        "HANDLING",
        *ISSUE,
        *("--packet", "P-E01", "--count", "1", "--cctv", "on"),
        *sign("O-002", "O-101"),
        *("--at", t("08:30", EXAM)),
    )
    assert entry["body"]["seal_checked"] is False
    _, data = verify_json(stocked)
    said = [f["message"] for f in data["findings"] if f["rule"] == "HANDLING"]
    assert said == ["P-E01: leaves without its seal serial read and compared"]


def test_a_seal_read_is_compared(stocked: Site) -> None:
    entry = issued(stocked, "--packet", "P-E01:SL-1")
    assert entry["body"]["seal_checked"] is True
    assert entry["body"]["packets"] == [{"id": "P-E01", "seal": "SL-1"}]
    assert [r for r, _ in findings(stocked)] == ["SHIFT-LONG"]  # A since 09:40


def test_a_count_is_typed_and_a_wrong_one_owes_an_incident(stocked: Site) -> None:
    result = stocked.run(*ISSUE, "--packet", "P-E01:SL-1", *sign("O-002", "O-101"))
    assert result.exit_code == 2 and "--count" in result.stderr  # never computed
    result = stocked.run(
        *ISSUE,
        *("--packet", "P-E01:SL-1", "--count", "2", "--cctv", "on"),
        *sign("O-002", "O-101"),
        *("--at", t("08:30", EXAM)),
    )
    assert result.exit_code == 0, result.stderr
    assert "vaultctl incident --kind count-mismatch" in result.stdout
    seq = last(stocked)["seq"]
    assert last(stocked)["body"]["count"] == 2
    ok(
        stocked,
        "note",
        "--text",
        "x",
        *sign("O-003", "O-004"),
        "--at",
        t("09:10", EXAM),
        quiet=("SEAL",),
    )
    assert ("SEAL", seq) in findings(stocked)


# --- 2. returns match their issue --------------------------------------------------


def test_a_packet_comes_back_by_someone_else(stocked: Site) -> None:
    issued(stocked, "--packet", "P-E01:SL-1")
    entry = forced(
        stocked,
        "RETURN-MATCH",
        *RETURN,
        *("--from", "O-004", "--packet", "P-E01:语文:S-0607-AM:SA-1"),
        *("--count", "1", "--cctv", "on", *sign("O-004", "O-002")),
        *("--at", t("11:45", EXAM)),
    )
    assert entry["type"] == "return"


def test_the_invigilator_brings_it_back(stocked: Site) -> None:
    issued(stocked, "--packet", "P-E01:SL-1")
    ok(
        stocked,
        *RETURN,
        *("--from", "O-101", "--packet", "P-E01:语文:S-0607-AM:SA-1"),
        *("--count", "1", "--cctv", "on", *sign("O-101", "O-002")),
        *("--at", t("11:45", EXAM)),
    )
    assert findings(stocked) == [("SHIFT-LONG", 10)]  # one shift since 09:40


# --- 3. when it happened -------------------------------------------------------------


INTRUSION = (
    *("incident", "--kind", "intrusion", "--text", "夜间有人闯入，已驱离"),
    *("--reported-to", "县考试中心"),
)


def test_an_intrusion_reported_the_next_morning(stocked: Site) -> None:
    line = refused(
        stocked,
        *INTRUSION,
        *("--reported-at", t("10:00", EXAM)),
        *sign("O-003", "O-004"),
        *("--at", t("10:00", EXAM)),
    )
    assert "--occurred-at" in line
    line = refused(
        stocked,
        *INTRUSION,
        *("--occurred-at", t("10:05", EXAM), "--reported-at", t("10:00", EXAM)),
        *sign("O-003", "O-004"),
        *("--at", t("10:00", EXAM)),
    )
    assert "after the time of the entry" in line
    entry = forced(
        stocked,
        "REPORTED",
        *INTRUSION,
        *("--occurred-at", t("22:00"), "--reported-at", t("10:00", EXAM)),
        *sign("O-003", "O-004"),
        *("--at", t("10:00", EXAM)),
    )
    assert entry["body"]["occurred_at"] == t("22:00")


def test_an_intrusion_reported_at_once(stocked: Site) -> None:
    ok(
        stocked,
        *INTRUSION,
        *("--occurred-at", t("22:00"), "--reported-at", t("22:15")),
        *sign("O-003", "O-004"),
        *("--at", t("22:20")),
        quiet=("SHIFT-LONG",),
    )
    assert [r for r, _ in findings(stocked)] == ["SHIFT-LONG"]


# --- 4. inspection -------------------------------------------------------------------


def test_a_failed_inspection_with_papers_inside(stocked: Site) -> None:
    forced(
        stocked,
        "INSPECTED",
        *("inspect", "--result", "fail", "--item", "报警装置失灵"),
        *sign("O-201", "O-202"),
        *("--at", t("11:00")),
    )
    line = refused(
        stocked, "open", "--door", "D1", *sign("O-002", "O-003"), "--at", t("11:30")
    )
    assert "INSPECTED" in line and "vaultctl inspect --room R1 --result pass" in line
    ok(
        stocked,
        *("inspect", "--result", "pass", "--item", "报警装置已修复"),
        *sign("O-201", "O-202"),
        *("--at", t("12:00")),
    )
    ok(stocked, "open", "--door", "D1", *sign("O-002", "O-003"), "--at", t("12:10"))


# --- 5. cameras cover storage --------------------------------------------------------


def test_no_camera_records_for_an_hour(stocked: Site) -> None:
    ok(
        stocked,
        "cctv",
        "fault",
        "--camera",
        "CAM-1",
        *sign("O-003", "O-004"),
        "--at",
        t("11:00"),
    )
    fault = last(stocked)["seq"]
    ok(
        stocked,
        *("incident", "--kind", "cctv-fault", "--ref", str(fault), "--text", "停电"),
        *("--reported-to", "县考试中心", "--reported-at", t("11:10")),
        *sign("O-003", "O-004"),
        *("--at", t("11:10")),
    )
    ok(
        stocked,
        "cctv",
        "on",
        "--camera",
        "CAM-1",
        *sign("O-003", "O-004"),
        "--at",
        t("12:00"),
        quiet=("CCTV",),  # reminded of the gap at once
    )
    assert findings(stocked) == [("CCTV", fault)]


def test_status_says_until_when_footage_is_kept(stocked: Site) -> None:
    assert "2026-12-08" in stocked.run("status").stdout  # exam end + 6 months
    data = json.loads(stocked.run("status", "--json").stdout)
    assert data["keep_footage_until"] == "2026-12-08"


# --- 6. evidence bound to the log ----------------------------------------------------


def photo(tmp: Path, data: bytes = b"\xff\xd8 a photo of seal SL-2 \xff\xd9") -> Path:
    path = tmp / "封条.jpg"
    path.write_bytes(data)
    return path


def attach_note(site: Site, path: Path, at: str = "11:00", *extra: str) -> dict:
    return ok(
        site,
        *("note", "--text", "已拍照封存", "--attach", str(path), *extra),
        *sign("O-003", "O-004"),
        *("--at", t(at)),
    )


def test_an_attached_photo_is_bound_and_kept(stocked: Site, tmp_path: Path) -> None:
    path = photo(tmp_path)
    entry = attach_note(stocked, path)
    [att] = entry["body"]["attachments"]
    digest = evidence.hashlib.sha256(path.read_bytes()).hexdigest()
    assert att == {"name": "封条.jpg", "size": path.stat().st_size, "sha256": digest}
    kept = stocked.vault_dir / "evidence" / digest
    assert kept.read_bytes() == path.read_bytes()
    path.write_bytes(b"changed later")  # the original may change; the copy is bound
    assert findings(stocked) == []


def test_an_altered_photo_is_caught_at_the_site_and_the_centre(
    stocked: Site, tmp_path: Path
) -> None:
    entry = attach_note(stocked, photo(tmp_path))
    kept = stocked.vault_dir / "evidence" / entry["body"]["attachments"][0]["sha256"]
    os.chmod(kept, 0o644)
    kept.write_bytes(b"\xff\xd8 another photo \xff\xd9")
    code, data = verify_json(stocked)
    assert code == 3
    assert [(f["code"], f["seq"]) for f in data["integrity"]] == [
        ("bad-evidence", entry["seq"])
    ]
    assert "was altered" in data["integrity"][0]["message"]
    # a lost photo fails verify but stops nobody's work
    ok(stocked, "note", "--text", "照常", *sign("O-003", "O-004"), "--at", t("11:10"))
    export(stocked, tmp_path / "b", "S-TEST-01")
    status, rows = audit_cli(stocked, tmp_path / "b")
    assert status == 3 and rows[0]["integrity"] == {"bad-evidence": 1}


def test_a_missing_photo_is_caught(stocked: Site, tmp_path: Path) -> None:
    entry = attach_note(stocked, photo(tmp_path))
    (
        stocked.vault_dir / "evidence" / entry["body"]["attachments"][0]["sha256"]
    ).unlink()
    code, data = verify_json(stocked)
    assert code == 3 and "is missing" in data["integrity"][0]["message"]
    export(stocked, tmp_path / "b", "S-TEST-01")
    status, rows = audit_cli(stocked, tmp_path / "b")
    assert rows[0]["integrity"] == {"bad-evidence": 1}


def test_the_centre_gets_the_photo_in_the_bundle(stocked: Site, tmp_path: Path) -> None:
    attach_note(stocked, photo(tmp_path))
    export(stocked, tmp_path / "b", "S-TEST-01")
    status, rows = audit_cli(stocked, tmp_path / "b")
    assert rows[0]["integrity"] == {}


def test_attach_refuses_what_is_not_a_plain_small_file(
    stocked: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stocked.ledger.read_bytes()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link.jpg"
    link.symlink_to(photo(tmp_path))
    for bad, said in (
        (fifo, "not a regular file"),
        (link, "cannot read"),
        (tmp_path / "none.jpg", "cannot read"),
    ):
        line = refused(
            stocked,
            *("note", "--text", "x", "--attach", str(bad)),
            *sign("O-003", "O-004"),
            code=2,
        )
        assert said in line
    monkeypatch.setattr(evidence, "MAX_BYTES", 10)
    line = refused(
        stocked,
        *("note", "--text", "x", "--attach", str(photo(tmp_path))),
        *sign("O-003", "O-004"),
        code=2,
    )
    assert "more than" in line and "smaller" in line
    assert stocked.ledger.read_bytes() == before


# --- 7. stock at every handover ------------------------------------------------------


HANDOVER = (
    *("shift", "handover", "--leader", "O-005", "--member", "O-006"),
    *("--member", "O-010", "--shift", "B"),
)


def test_a_handover_counts_the_stock(stocked: Site) -> None:
    line = refused(stocked, *HANDOVER, *sign("O-003", "O-005"), "--at", t("16:00"))
    assert "STOCK-COUNT" in line and "--stock" in line
    forced(
        stocked,
        "STOCK-COUNT",
        *HANDOVER,
        "--stock",
        "1",
        *sign("O-003", "O-005"),
        *("--at", t("16:00")),
    )
    _, data = verify_json(stocked)
    said = [f["message"] for f in data["findings"] if f["rule"] == "STOCK-COUNT"]
    assert said == [
        "1 packet(s) counted at the handover, the log has 2",
        "1 packet(s) counted at the handover, the log has 2, and no incident "
        "reported",  # the verifier's clock is long past the 30 minutes
    ]
    status = json.loads(stocked.run("status", "--json").stdout)
    assert [o["kind"] for o in status["owed"]] == ["count-mismatch"]


def test_a_handover_with_the_right_count(stocked: Site) -> None:
    ok(stocked, *HANDOVER, "--stock", "2", *sign("O-003", "O-005"), "--at", t("16:00"))
    ok(
        stocked,
        *("custody", "handover", "--item", "K-D2", "--from", "O-003", "--to", "O-005"),
        *sign("O-003", "O-005"),
        *("--at", t("16:00")),
    )
    assert findings(stocked) == []


def test_attach_never_follows_a_planted_evidence_link(
    stocked: Site, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (stocked.vault_dir / "evidence").symlink_to(elsewhere)
    line = refused(
        stocked,
        *("note", "--text", "x", "--attach", str(photo(tmp_path))),
        *sign("O-003", "O-004"),
        code=2,
    )
    assert "not a folder" in line
    assert list(elsewhere.iterdir()) == []
