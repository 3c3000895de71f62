"""Issue 23: under ``--lang zh`` every message is Chinese, from one catalog.

Each command's output on a day at the site, the pages, a tampered log, the
centre's audit and the error paths an officer or a clerk can hit are read for
English words (:mod:`tests.english`: ids, rule ids, integrity codes, command
and option names, entry types and file names are allowed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from vaultctl.cli import cli

from .conftest import Site
from .english import english, text_of_page
from .story import compliant_story, t
from .test_report_browser import write_vault

SIGN = ("--signer", "O-003", "--signer", "O-004")


def zh(*args: str) -> str:
    result = CliRunner().invoke(cli, ["--lang", "zh", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The compliant day, then a member's break, a broken seal reported in
    time, a late incident (a finding) and a note."""
    tmp = tmp_path_factory.mktemp("zh")
    story = compliant_story(tmp)
    day2 = "2026-06-07"
    story.add(
        "presence",
        {"action": "leave", "member": "O-009", "kind": "meal"},
        t("12:00", day2),
        ("O-009", "O-003"),
    )
    story.add(
        "presence",
        {"action": "return", "member": "O-009"},
        t("12:20", day2),
        ("O-009", "O-003"),
    )
    story.add(
        "incident",
        {
            "kind": "intrusion",
            "refs": [],
            "text": "窗外有人",
            "reported_to": "考点主考",
            "reported_at": t("13:30", day2),
        },
        t("13:30", day2),
        ("O-003", "O-001"),
    )
    story.add("note", {"text": "一切正常"}, t("13:40", day2), ("O-003", "O-004"))
    return write_vault(story, tmp / "vault")


def test_a_day_at_the_site_and_its_pages_are_chinese(day: Path, tmp_path: Path) -> None:
    said = {}
    for command in (["status"], ["log"], ["verify"], ["rules"], ["report"]):
        said[command[0]] = zh("--vault", str(day), *command)
    zh("--vault", str(day), "report", "--html", str(tmp_path / "r.html"))
    said["page"] = text_of_page((tmp_path / "r.html").read_text("utf-8"))
    assert "窗外有人" in said["page"] and "闯入" in said["page"]
    bundles = tmp_path / "b"
    bundles.mkdir()
    said["export"] = zh("--vault", str(day), "export", str(bundles / "S-TEST-01"))
    lines = (day / "ledger.jsonl").read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b"07:20", b"07:25")
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    (tampered / "ledger.jsonl").write_bytes(b"".join(lines))
    for command in (["verify"], ["status"], ["log"]):
        said[f"tampered {command[0]}"] = zh("--vault", str(tampered), *command)
    said["tampered export"] = zh(
        "--vault", str(tampered), "export", str(bundles / "S-TEST-02")
    )
    said["audit"] = zh("audit", str(bundles), "--html", str(tmp_path / "a.html"))
    said["audit page"] = text_of_page((tmp_path / "a.html").read_text("utf-8"))
    assert "完整性不通过" in said["audit"]
    leaks = [f"{k}: {w}" for k, v in said.items() for w in english(v)]
    assert leaks == [], "\n".join(leaks)


def _errors(site: Site, tmp: Path) -> list[list[str]]:
    empty = tmp / "empty"
    empty.mkdir()
    junk = tmp / "junk.vaultctl.tar.gz"
    junk.write_bytes(b"not a bundle")
    codes = tmp / "codes.csv"
    codes.write_text("site,code\nS-TEST-01,12 ABCD\n", "utf-8")
    pins = tmp / "pins.csv"
    pins.write_text("site,genesis\nS-TEST-01,xyz\n", "utf-8")
    return [
        ["open", "--door", "D1", "--signer", "O-002", "--signer", "O-003"],
        ["note", "--text", "交班", "--signer", "o-003", "--signer", "O-004"],
        ["note", "--text", "", *SIGN],
        ["note", "--text", "交班", "--at", "明天早上", *SIGN],
        ["custody", "assign", "--item", "K-X9", "--to", "O-003", *SIGN],
        ["verify", "--code", "12:ABCD"],
        ["verify", "--checkpoint", str(tmp / "none.note")],
        ["prove", "99"],
        ["init", "--config", str(site.config)],
        ["roster", "train", "--officer", "O-003"],
        ["keys", "generate", "O-003"],
        ["incident", "--kind", "fire", "--text", "x", *SIGN],
        ["log", "--type", "memo"],
        ["audit", str(empty)],
        ["audit", str(tmp), "--codes", str(codes)],
        ["audit", str(tmp), "--pins", str(pins)],
        ["enrol", str(junk)],
        ["no-such-command"],
    ]


def test_every_error_path_is_chinese(vault: Site, tmp_path: Path) -> None:
    leaks = []
    for args in _errors(vault, tmp_path):
        result = vault.run("--lang", "zh", *args)
        assert result.exit_code != 0, args
        leaks += [f"{args[0]}: {w}" for w in english(result.stdout + result.stderr)]
    assert leaks == [], "\n".join(leaks)
