"""Presence proven, not claimed (issue 20), through the real CLI.

Each probe of the issue is built as the officers would type it: refused
without --force (naming the rule, and where there is one the command that
puts it right), recorded with it, and reported by verify. The compliant
counterparts give no finding.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vaultctl.cli import cli
from vaultctl.core.errors import RefusedError
from vaultctl.store import config, writer

from . import test_cli_events as events
from .conftest import Site
from .test_cli_events import (
    built,  # noqa: F401 - the session fixture
    forced,
    ok,
    refused,
    sign,
    t,
    verify_json,
)

stocked = events.stocked  # the fixture: papers in store, shift A on duty


def findings(site: Site) -> list[tuple[str, str]]:
    _, data = verify_json(site)
    assert data["integrity"] == [], data["integrity"]
    return sorted((f["rule"], f["level"]) for f in data["findings"])


# --- openings: signatures, not names ---


def test_a_room_head_only_named_present_does_not_open_the_door(stocked: Site) -> None:
    entry = forced(
        stocked,
        "OPENING",
        *("open", "--door", "D1", "--present", "O-002"),
        *sign("O-005", "O-006"),
        "--at",
        t("11:00"),
    )
    assert entry["body"]["present"] == ["O-002"]
    _, data = verify_json(stocked)
    said = " ".join(f["message"] for f in data["findings"] if f["rule"] == "OPENING")
    assert "room head signing (O-002 only named present)" in said
    assert "K-D1's holder O-002 signing" in said


def test_the_room_head_and_the_key_holder_sign_with_a_witness(stocked: Site) -> None:
    ok(
        stocked,
        *("open", "--door", "D1", "--present", "O-004"),
        *sign("O-002", "O-003"),
        "--at",
        t("11:00"),
    )
    ok(stocked, "close", "--door", "D1", *sign("O-002", "O-003"), "--at", t("11:10"))
    assert findings(stocked) == []


def test_three_can_sign_an_opening(stocked: Site) -> None:
    entry = ok(
        stocked,
        *("open", "--cabinet", "C1"),
        *sign("O-001", "O-002", "O-003"),
        "--at",
        t("11:00"),
    )
    assert [s["by"] for s in entry["sigs"]] == ["O-001", "O-002", "O-003"]
    ok(stocked, "close", "--cabinet", "C1", *sign("O-001", "O-002"), "--at", t("11:05"))
    assert findings(stocked) == []


def test_opening_a_door_whose_key_nobody_holds_names_custody_assign(
    stocked: Site,
) -> None:
    ok(
        stocked,
        *("custody", "return", "--item", "K-D1", "--from", "O-002"),
        *sign("O-002", "O-001"),
        "--at",
        t("10:30"),
    )
    line = refused(
        stocked, "open", "--door", "D1", *sign("O-002", "O-003"), "--at", t("11:00")
    )
    assert "OPENING" in line
    assert "put it right first: vaultctl custody assign --item K-D1" in line


# --- eligibility of everyone named ---


def declare(site: Site, officer: str, at: str) -> None:
    ok(
        site,
        *("roster", "declare", "--id", officer, "--conflict"),
        *sign("O-001", "O-002"),
        "--at",
        at,
    )


def test_an_officer_with_a_conflict_cannot_serve_on_a_shift(stocked: Site) -> None:
    declare(stocked, "O-006", t("10:30"))
    forced(
        stocked,
        "ELIGIBLE",
        *("shift", "handover", "--leader", "O-005", "--member", "O-006"),
        *("--member", "O-010", "--shift", "B", "--stock", "2"),
        *sign("O-003", "O-005"),
        "--at",
        t("16:00"),
    )
    _, data = verify_json(stocked)
    said = [f["message"] for f in data["findings"] if f["rule"] == "ELIGIBLE"]
    assert said == [
        "O-006 (named as shift member) declared an immediate relative sitting this exam"
    ]


def test_an_officer_with_a_conflict_cannot_enter_the_room(stocked: Site) -> None:
    declare(stocked, "O-006", t("10:30"))
    ok(stocked, "open", "--door", "D1", *sign("O-002", "O-003"), "--at", t("11:00"))
    forced(
        stocked,
        "ELIGIBLE",
        *("access", "enter", "--person", "O-006", "--approver", "O-002"),
        *sign("O-002", "O-003"),
        "--at",
        t("11:01"),
    )


def test_a_named_witness_must_be_eligible_too(stocked: Site) -> None:
    declare(stocked, "O-006", t("10:30"))
    forced(
        stocked,
        "ELIGIBLE",
        *("open", "--door", "D1", "--present", "O-006"),
        *sign("O-002", "O-003"),
        "--at",
        t("11:00"),
    )


# --- keys by role and by duty ---


def test_the_inner_door_key_cannot_go_to_an_invigilator(stocked: Site) -> None:
    forced(
        stocked,
        "KEY-ROLE",
        *("custody", "handover", "--item", "K-D2", "--from", "O-003"),
        *("--to", "O-101", *sign("O-003", "O-101"), "--at", t("11:00")),
    )


HANDOVER = (
    *("shift", "handover", "--leader", "O-005", "--member", "O-006"),
    *("--member", "O-010", "--shift", "B", "--stock", "2"),
)


def test_the_off_duty_leader_cannot_keep_the_inner_door_key(stocked: Site) -> None:
    ok(stocked, *HANDOVER, *sign("O-003", "O-005"), "--at", t("16:00"))
    line = refused(
        stocked, "note", "--text", "接班", *sign("O-005", "O-006"), "--at", t("16:10")
    )
    assert "KEY-DUTY" in line and "still holds K-D2" in line
    assert (
        "put it right first: vaultctl custody handover --item K-D2 --from O-003 "
        "--to O-005" in line
    )
    forced(
        stocked,
        "KEY-DUTY",
        "note",
        "--text",
        "接班",
        *sign("O-005", "O-006"),
        "--at",
        t("16:10"),
    )


def test_keys_handed_over_with_the_shift_are_compliant(stocked: Site) -> None:
    ok(stocked, *HANDOVER, *sign("O-003", "O-005"), "--at", t("16:00"))
    ok(
        stocked,
        *("custody", "handover", "--item", "K-D2", "--from", "O-003"),
        *("--to", "O-005", *sign("O-003", "O-005"), "--at", t("16:00")),
    )
    ok(stocked, "note", "--text", "接班", *sign("O-005", "O-006"), "--at", t("16:10"))
    assert findings(stocked) == []


# --- doors and cabinets ---


def test_a_door_closed_twice(stocked: Site) -> None:
    ok(stocked, "open", "--door", "D1", *sign("O-002", "O-003"), "--at", t("11:00"))
    ok(stocked, "close", "--door", "D1", *sign("O-002", "O-003"), "--at", t("11:05"))
    forced(
        stocked,
        "DOOR-STATE",
        *("close", "--door", "D1", *sign("O-002", "O-003"), "--at", t("11:06")),
    )


def test_a_visitor_through_a_closed_door(stocked: Site) -> None:
    line = refused(
        stocked,
        *("access", "enter", "--person", "电工老李", "--approver", "O-002"),
        *("--escort", "O-003", *sign("O-002", "O-003"), "--at", t("11:00")),
    )
    assert "DOOR-STATE" in line and "vaultctl open --door D1" in line
    forced(
        stocked,
        "DOOR-STATE",
        *("access", "enter", "--person", "电工老李", "--approver", "O-002"),
        *("--escort", "O-003", *sign("O-002", "O-003"), "--at", t("11:00")),
    )


def test_doors_left_open_from_17_00(stocked: Site) -> None:
    ok(stocked, "open", "--door", "D1", *sign("O-002", "O-003"), "--at", t("17:00"))
    ok(stocked, "open", "--door", "D2", *sign("O-002", "O-003"), "--at", t("17:00"))
    result = stocked.run(
        "note", "--text", "夜间巡查", *sign("O-003", "O-004"), "--at", t("23:00")
    )
    assert result.exit_code == 0  # a warning does not refuse
    assert "OPEN-LONG" in result.stderr
    assert findings(stocked) == [
        ("DOOR-STATE", "error"),  # open at the end, papers stored
        ("OPEN-LONG", "warn"),
        ("OPEN-LONG", "warn"),
        ("SHIFT-LONG", "warn"),  # shift A since 09:40
    ]


def test_a_handover_with_a_door_open(stocked: Site) -> None:
    ok(stocked, "open", "--door", "D1", *sign("O-002", "O-003"), "--at", t("15:50"))
    line = refused(stocked, *HANDOVER, *sign("O-003", "O-005"), "--at", t("16:00"))
    assert "DOOR-STATE" in line and "vaultctl close --door D1" in line


# --- duty ---


def test_going_home_on_duty_is_refused(stocked: Site) -> None:
    forced(
        stocked,
        "DUTY-HOME",
        *("presence", "leave", "--member", "O-004", "--reason", "回家"),
        *sign("O-003", "O-004"),
        "--at",
        t("11:00"),
    )
    ok(
        stocked,
        *("note", "--text", "巡查", *sign("O-003", "O-009"), "--at", t("12:30")),
        quiet=("AWAY-LONG",),
    )
    assert ("AWAY-LONG", "warn") in findings(stocked)


def test_a_meal_break_is_fine_and_the_reason_must_be_a_kind(stocked: Site) -> None:
    line = refused(
        stocked,
        *("presence", "leave", "--member", "O-004", "--reason", "出去一下"),
        *sign("O-003", "O-004"),
        "--at",
        t("11:00"),
        code=2,
    )
    assert "就餐" in line and "回家" in line
    entry = ok(
        stocked,
        *("presence", "leave", "--member", "O-004", "--reason", "办事：取快递"),
        *sign("O-003", "O-004"),
        "--at",
        t("11:00"),
    )
    assert entry["body"]["kind"] == "errand"
    ok(
        stocked,
        *("presence", "return", "--member", "O-004"),
        *sign("O-003", "O-004"),
        "--at",
        t("11:40"),
    )
    assert findings(stocked) == []


def test_a_shift_on_duty_for_48_hours(stocked: Site) -> None:
    result = stocked.run(
        "note",
        "--text",
        "仍是A班",
        *sign("O-003", "O-004"),
        "--at",
        t("10:00", "2026-06-08"),
    )
    assert result.exit_code == 0 and "SHIFT-LONG" in result.stderr
    assert ("SHIFT-LONG", "warn") in findings(stocked)


# --- the site file and the genesis ---


ONE_KEY_CABINET = '\n[[cabinets]]\nid = "C9"\nroom = "R1"\nkeys = ["K-C9"]\n'
ONE_DOOR_ROOM = """
[[rooms]]
id = "R2"
name = "备用室"
doors = [ { id = "D9", keys = ["K-D9"] } ]
"""


def test_init_refuses_a_room_two_people_cannot_keep_apart(site: Site) -> None:
    for extra, said in ((ONE_KEY_CABINET, "cabinet C9"), (ONE_DOOR_ROOM, "room R2")):
        site.config.write_text(site.config.read_text("utf-8") + extra, "utf-8")
        line = refused(
            site, "init", "--config", str(site.config), *sign("O-001", "O-002")
        )
        assert "SITE-SETUP" in line and said in line
        text = site.config.read_text("utf-8")
        site.config.write_text(text.replace(extra, ""), "utf-8")
    site.config.write_text(site.config.read_text("utf-8") + ONE_KEY_CABINET, "utf-8")
    result = site.run(
        "init", "--config", str(site.config), *sign("O-001", "O-002"), "--force"
    )
    assert result.exit_code == 0, result.stderr
    assert [r for r, _ in findings(site)] == ["SITE-SETUP"]


def test_a_genesis_written_around_init_is_a_finding(site: Site) -> None:
    """The library writer refuses it too; written anyway, verify reports it."""
    site.vault_dir.mkdir()
    body = config.load(site.config)
    signers = site.signers("O-003", "O-004")  # two custodians
    with pytest.raises(RefusedError, match="SITE-SETUP"):
        writer.append(site.vault, "genesis", body, "2026-06-06T08:00:00+08:00", signers)
    writer.append(
        site.vault,
        "genesis",
        body,
        "2026-06-06T08:00:00+08:00",
        signers,
        force=True,
    )
    code, data = verify_json(site)
    assert code == 1
    assert sorted(f["message"] for f in data["findings"]) == [
        "the genesis is not signed by the room head",
        "the genesis is not signed by the site head",
    ]


def test_help_of_presence_leave_lists_the_kinds() -> None:
    from click.testing import CliRunner

    text = CliRunner().invoke(cli, ["presence", "leave", "--help"]).stdout
    for kind in ("meal", "toilet", "patrol", "errand", "home", "other"):
        assert kind in text


def test_the_demo_site_file_allows_two_person_control() -> None:
    import tomllib

    from vaultctl.rules.room import lock_problems

    path = Path(__file__).parent.parent / "examples" / "site.toml"
    body = tomllib.loads(path.read_text("utf-8"))
    for cab in body["cabinets"]:
        cab.setdefault("codes", [])
    assert lock_problems(body) == []
    body["cabinets"][0]["keys"] = body["cabinets"][0]["keys"][:1]
    assert [en for en, _ in lock_problems(body)] == [
        "cabinet C1 has 1 key(s) and 0 code(s): it needs two keys, or a key and a code"
    ]


def test_a_fix_names_one_command_a_line_whatever_the_log_says(
    stocked: Site,
) -> None:
    """A value from the log (here an id with a line break, as a hostile
    genesis could declare) never makes a next-step line of its own."""
    from vaultctl.rules import Finding
    from vaultctl.store import writer

    f = Finding(
        rule="KEY-DUTY",
        level="error",
        seq=1,
        ts="2026-06-06T16:00:00+08:00",
        officers=(),
        message="m",
        message_zh="m",
        clause="c",
        fix=("vaultctl custody handover --item K\nrm -rf / --from O-003",),
    )
    error = writer.refusal([f])
    assert len(error.hints) == 2  # the fix, then --force: never three
    assert error.hints[0].startswith("put it right first: vaultctl custody")
