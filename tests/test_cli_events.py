"""Every writing subcommand through the CLI: happy paths, refusals, --force.

Each writer is driven through ``Site.run`` (click's CliRunner, passphrases in the
environment). A happy path checks the exit code and the stored entry (the last
ledger line, parsed with json); a refusal checks the one line on stderr and that
the ledger is byte-for-byte unchanged; ``--force`` checks that the entry is
recorded with the rule named on stderr and that ``verify --json`` then reports
that rule (exit 1).

Two prepared vaults, both built through the CLI once per session and copied
into each test's vault:

* ``prepared``: genesis (08:00), three notes (09:00-09:02), then a compliant
  preparation mirroring ``tests/story.py`` ``setup()``: joint inspection,
  keys to their holders, camera on, shift A (O-003 leader, O-004, O-009);
* ``stocked``: the same, then door D1 and cabinet C1 opened and closed, and
  packets P-E01 (seal SL-1) and P-E02 (seal SL-2) received at 10:00.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vaultctl import rules
from vaultctl.cli import cli
from vaultctl.core import keys, times
from vaultctl.core.model import parse_ts
from vaultctl.store import config

from .conftest import GENESIS_AT, OUTSIDER, Site, private_key, site_toml

TZ = ZoneInfo("Asia/Shanghai")
DAY = "2026-06-06"
EXAM = "2026-06-07"
TS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00")


def t(hhmm: str, day: str = DAY) -> str:
    """A time as stored at the test site."""
    return f"{day}T{hhmm}:00+08:00"


def sign(*ids: str) -> list[str]:
    out = []
    for officer_id in ids:
        out += ["--signer", officer_id]
    return out


# --- helpers ------------------------------------------------------------------


def last(site: Site) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(site.lines()[-1])
    return entry


def ok(
    site: Site,
    *args: str,
    input: str | None = None,
    quiet: bool | tuple[str, ...] = True,
) -> dict[str, Any]:
    """Run a writer that must succeed: exit 0, one more line; return that entry.
    ``quiet``: nothing on stderr, or (rule ids) only warnings of those rules."""
    before = len(site.lines())
    result = site.run(*args, input=input)
    assert result.exit_code == 0, result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    if quiet is True:
        assert result.stderr == "", result.stderr
    elif quiet:
        for line in result.stderr.splitlines():
            said = re.match(r"(?:warning|reminder about #\d+): ([A-Z-]+) ", line)
            assert said and said[1] in quiet, result.stderr
    lines = site.lines()
    assert len(lines) == before + 1
    entry: dict[str, Any] = json.loads(lines[-1])
    assert result.stdout.startswith(
        f"#{entry['seq']} {entry['type']} {shown(entry['ts'])} signed by "
    ), result.stdout
    assert TS_RE.fullmatch(entry["ts"]), entry["ts"]
    return entry


def shown(ts: str) -> str:
    """How a confirmation shows a stored ``ts``: site time, offset and zone."""
    return f"{times.show(parse_ts(ts))} (Asia/Shanghai)"


def checkpoint_files(site: Site) -> list[str]:
    folder = site.vault_dir / "checkpoints"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def refused(
    site: Site,
    *args: str,
    input: str | None = None,
    code: int = 1,
    env: dict[str, str] | None = None,
) -> str:
    """Run a writer that must refuse: one error line (then only indented next
    steps), exit code, ledger unchanged (and no checkpoint written)."""
    before = site.ledger.read_bytes() if site.ledger.exists() else None
    checkpoints = checkpoint_files(site)
    result = site.run(*args, input=input, env=env)
    assert result.exit_code == code, (result.exit_code, result.stderr, result.stdout)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("vaultctl: error: "), lines[0]
    assert all(h.startswith("  ") for h in lines[1:]), result.stderr
    if "--force" in result.stderr:  # NOTE: the fix first, --force always last
        assert "--force" in lines[-1] and "--force" not in "".join(lines[:-1])
    assert not result.stdout.startswith("#"), result.stdout
    after = site.ledger.read_bytes() if site.ledger.exists() else None
    assert after == before, "the ledger changed after a refusal"
    assert checkpoint_files(site) == checkpoints
    return "\n".join(lines)


def verify_json(site: Site) -> tuple[int, dict[str, Any]]:
    result = site.run("verify", "--json")
    return result.exit_code, json.loads(result.stdout)


def rules_found(site: Site) -> set[tuple[str, int | None]]:
    _, data = verify_json(site)
    return {(f["rule"], f["seq"]) for f in data["findings"]}


def forced(site: Site, rule: str, *args: str) -> dict[str, Any]:
    """Refused without --force (naming the rule), recorded with it, then reported."""
    line = refused(site, *args)
    assert rule in line, line
    assert "--force" in line, line
    result = site.run(*args, "--force")
    assert result.exit_code == 0, result.stderr
    assert f"recorded with --force: {rule} (" in result.stderr, result.stderr
    entry = last(site)
    assert result.stdout.startswith(f"#{entry['seq']} ")
    code, data = verify_json(site)
    assert code == 1, data
    assert data["integrity"] == []
    hits = [
        f for f in data["findings"] if f["rule"] == rule and f["seq"] == entry["seq"]
    ]
    assert hits, data["findings"]
    assert all(f["level"] == "error" and f["clause"] for f in hits)
    return entry


def new_pub(path: Path, seed: int = 77) -> tuple[Path, str, str]:
    """Write a fresh public key file; return it, its key id and its key line."""
    raw = keys.raw_public(Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))
    line = keys.format_public_key(raw)
    path.write_text(line + " new key\n", "utf-8")
    return path, keys.key_id(raw), line


def key_id_of(officer_id: str) -> str:
    return keys.key_id(keys.raw_public(private_key(officer_id)))


# --- prepared vaults, built through the CLI once ---------------------------------

PREPARE: list[tuple[list[str], tuple[str, str], str]] = [
    (
        [
            "inspect",
            "--room",
            "R1",
            "--result",
            "pass",
            "--item",
            "门窗",
            "--item",
            "报警装置",
        ],
        ("O-201", "O-202"),
        "09:30",
    ),
    (
        ["custody", "assign", "--item", "K-D1", "--to", "O-002"],
        ("O-002", "O-001"),
        "09:31",
    ),
    (
        ["custody", "assign", "--item", "K-D2", "--to", "O-003"],
        ("O-003", "O-002"),
        "09:32",
    ),
    (
        ["custody", "assign", "--item", "K-C1-A", "--to", "O-001"],
        ("O-001", "O-002"),
        "09:33",
    ),
    (
        ["custody", "assign", "--item", "K-C1-B", "--to", "O-002"],
        ("O-002", "O-001"),
        "09:34",
    ),
    (["cctv", "on", "--camera", "CAM-1"], ("O-002", "O-003"), "09:35"),
    (
        [
            "shift",
            "start",
            "--leader",
            "O-003",
            "--member",
            "O-004",
            "--member",
            "O-009",
            "--shift",
            "A",
        ],
        ("O-003", "O-004"),
        "09:40",
    ),
]
STOCK: list[tuple[list[str], tuple[str, str], str]] = [
    (["open", "--door", "D1"], ("O-002", "O-003"), "09:50"),
    (["close", "--door", "D1"], ("O-002", "O-003"), "09:51"),
    (["open", "--cabinet", "C1"], ("O-001", "O-002"), "09:52"),
    (["close", "--cabinet", "C1"], ("O-001", "O-002"), "09:53"),
    (
        [
            "receipt",
            "--from",
            "市考试院 机要车",
            "--packet",
            "P-E01:语文:S-0607-AM:SL-1",
            "--packet",
            "P-E02:语文:S-0607-AM:SL-2",
            "--cctv",
            "on",
        ],
        ("O-005", "O-002"),
        "10:00",
    ),
]
STOCKED_AT = t("10:00")


def _copy_keys(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        target = dst / f.name
        target.write_bytes(f.read_bytes())
        os.chmod(target, 0o600 if f.suffix == ".key" else 0o644)


@pytest.fixture(scope="session")
def built(
    tmp_path_factory: pytest.TempPathFactory, key_cache: Path
) -> dict[str, bytes]:
    """The ledgers of ``prepared`` and ``stocked``, each step checked on the way."""
    site = Site(tmp_path_factory.mktemp("built"))
    _copy_keys(key_cache / "keys", site.key_dir)
    site.config.write_text(site_toml(), "utf-8")
    site.vault_dir.mkdir()
    site.append("genesis", config.load(site.config), GENESIS_AT, ("O-001", "O-002"))
    for i in range(3):
        site.append("note", {"text": f"记录 {i}"}, t(f"09:0{i}"))
    out = {}
    for name, steps in (("prepared", PREPARE), ("stocked", STOCK)):
        for args, signers, at in steps:
            ok(site, *args, *sign(*signers), "--at", t(at))
        code, data = verify_json(site)
        assert code == 0, data
        out[name] = site.ledger.read_bytes()
    return out


def _install(site: Site, ledger: bytes) -> Site:
    site.vault_dir.mkdir(exist_ok=True)
    site.ledger.write_bytes(ledger)
    return site


@pytest.fixture
def prepared(site: Site, built: dict[str, bytes]) -> Site:
    return _install(site, built["prepared"])


@pytest.fixture
def stocked(site: Site, built: dict[str, bytes]) -> Site:
    """P-E01 (SL-1) and P-E02 (SL-2) stored since 10:00 on 06-06, shift A on
    duty (O-003 leads), CAM-1 recording."""
    return _install(site, built["stocked"])


def by_type(site: Site, entry_type: str) -> list[dict[str, Any]]:
    return [e for e in map(json.loads, site.lines()) if e["type"] == entry_type]


def test_preparation_through_the_cli_stores_the_expected_bodies(stocked: Site) -> None:
    [inspection] = by_type(stocked, "inspection")
    assert inspection["body"] == {
        "room": "R1",
        "result": "pass",
        "items": ["门窗", "报警装置"],
    }
    assert [s["by"] for s in inspection["sigs"]] == ["O-201", "O-202"]
    custody = by_type(stocked, "custody")
    assert [c["body"] for c in custody] == [
        {"action": "assign", "item": "K-D1", "to": "O-002"},
        {"action": "assign", "item": "K-D2", "to": "O-003"},
        {"action": "assign", "item": "K-C1-A", "to": "O-001"},
        {"action": "assign", "item": "K-C1-B", "to": "O-002"},
    ]
    [cctv] = by_type(stocked, "cctv")
    assert cctv["body"] == {"action": "on", "camera": "CAM-1"}
    [shift] = by_type(stocked, "shift")
    assert shift["body"] == {
        "action": "start",
        "shift": "A",
        "leader": "O-003",
        "members": ["O-003", "O-004", "O-009"],
    }
    assert [e["body"] for e in by_type(stocked, "open")] == [
        {"door": "D1", "present": []},
        {"cabinet": "C1", "present": []},
    ]
    assert [e["body"] for e in by_type(stocked, "close")] == [
        {"door": "D1"},
        {"cabinet": "C1"},
    ]
    [receipt] = by_type(stocked, "receipt")
    assert receipt["ts"] == STOCKED_AT
    assert receipt["body"] == {
        "from": "市考试院 机要车",
        "room": "R1",
        "count": 2,
        "cctv": True,
        "packets": [
            {
                "id": "P-E01",
                "subject": "语文",
                "session": "S-0607-AM",
                "kind": "paper",
                "seal": "SL-1",
                "intact": True,
            },
            {
                "id": "P-E02",
                "subject": "语文",
                "session": "S-0607-AM",
                "kind": "paper",
                "seal": "SL-2",
                "intact": True,
            },
        ],
    }
    assert [s["by"] for s in receipt["sigs"]] == ["O-005", "O-002"]


# --- every writer: the refusals they all share, and --force ----------------------

Args = Callable[[Path], list[str]]


def _segment_file(tmp: Path) -> str:
    path = tmp / "cam1.mp4"
    path.write_bytes(b"\x00video" * 100)
    return str(path)


def _manifest_file(tmp: Path) -> str:
    path = tmp / "despatch.csv"
    path.write_text(
        "packet,subject,session,kind,seal\nP-M1,语文,S-0607-AM,paper,SM-1\n", "utf-8"
    )
    return str(path)


def _pub_file(tmp: Path) -> str:
    return str(new_pub(tmp / "new.pub")[0])


# Each command as it could be typed in the ``stocked`` vault (its own input
# checks pass); the signers come last.
WRITERS: dict[str, tuple[Args, tuple[str, str]]] = {
    "roster add": (
        lambda d: [
            "roster",
            "add",
            "--id",
            "O-012",
            "--name",
            "钱芳",
            "--role",
            "custodian",
            "--public-key-file",
            _pub_file(d),
            "--trained",
            "2026-05-28",
        ],
        ("O-001", "O-002"),
    ),
    "roster suspend": (
        lambda d: ["roster", "suspend", "--id", "O-006"],
        ("O-001", "O-002"),
    ),
    "roster reinstate": (
        lambda d: ["roster", "reinstate", "--id", "O-006"],
        ("O-001", "O-002"),
    ),
    "roster add-key": (
        lambda d: [
            "roster",
            "add-key",
            "--id",
            "O-006",
            "--public-key-file",
            _pub_file(d),
        ],
        ("O-001", "O-002"),
    ),
    "roster revoke-key": (
        lambda d: [
            "roster",
            "revoke-key",
            "--id",
            "O-006",
            "--key",
            key_id_of("O-006"),
            "--reason",
            "遗失",
        ],
        ("O-001", "O-002"),
    ),
    "roster train": (
        lambda d: ["roster", "train", "--id", "O-006", "--date", "2026-06-01"],
        ("O-001", "O-002"),
    ),
    "roster declare": (
        lambda d: ["roster", "declare", "--id", "O-006", "--no-conflict"],
        ("O-001", "O-002"),
    ),
    "inspect": (
        lambda d: ["inspect", "--room", "R1", "--result", "pass"],
        ("O-201", "O-202"),
    ),
    "custody assign": (
        lambda d: ["custody", "assign", "--item", "K-D2", "--to", "O-005"],
        ("O-005", "O-002"),
    ),
    "custody handover": (
        lambda d: [
            "custody",
            "handover",
            "--item",
            "K-D2",
            "--from",
            "O-003",
            "--to",
            "O-005",
        ],
        ("O-003", "O-005"),
    ),
    "custody return": (
        lambda d: ["custody", "return", "--item", "K-D2", "--from", "O-003"],
        ("O-003", "O-002"),
    ),
    "shift start": (
        lambda d: [
            "shift",
            "start",
            "--leader",
            "O-005",
            "--member",
            "O-006",
            "--member",
            "O-010",
        ],
        ("O-005", "O-006"),
    ),
    "shift handover": (
        lambda d: [
            "shift",
            "handover",
            "--leader",
            "O-005",
            "--member",
            "O-006",
            "--member",
            "O-010",
            "--shift",
            "B",
        ],
        ("O-003", "O-005"),
    ),
    "shift end": (lambda d: ["shift", "end"], ("O-003", "O-004")),
    "presence leave": (
        lambda d: ["presence", "leave", "--member", "O-004", "--reason", "就餐"],
        ("O-003", "O-004"),
    ),
    "presence return": (
        lambda d: ["presence", "return", "--member", "O-004"],
        ("O-003", "O-004"),
    ),
    "access enter": (
        lambda d: [
            "access",
            "enter",
            "--person",
            "电工老李",
            "--approver",
            "O-002",
            "--escort",
            "O-003",
        ],
        ("O-003", "O-009"),
    ),
    "access exit": (
        lambda d: ["access", "exit", "--person", "电工老李"],
        ("O-003", "O-009"),
    ),
    "open": (lambda d: ["open", "--door", "D1"], ("O-002", "O-003")),
    "close": (lambda d: ["close", "--door", "D1"], ("O-002", "O-003")),
    "receipt --packet": (
        lambda d: [
            "receipt",
            "--from",
            "机要车",
            "--packet",
            "P-E03:语文:S-0607-AM:SL-3",
            "--cctv",
            "on",
        ],
        ("O-005", "O-002"),
    ),
    "receipt --manifest": (
        lambda d: [
            "receipt",
            "--from",
            "机要车",
            "--manifest",
            _manifest_file(d),
            "--cctv",
            "on",
        ],
        ("O-005", "O-002"),
    ),
    "issue": (
        lambda d: [
            "issue",
            "--session",
            "S-0607-AM",
            "--exam-room",
            "E01",
            "--to",
            "O-101",
            "--packet",
            "P-E01:SL-1",
            "--count",
            "1",
            "--cctv",
            "on",
        ],
        ("O-002", "O-101"),
    ),
    "return": (
        lambda d: [
            "return",
            "--session",
            "S-0607-AM",
            "--exam-room",
            "E01",
            "--from",
            "O-101",
            "--packet",
            "P-E01:语文:S-0607-AM:SA-1",
            "--count",
            "1",
            "--cctv",
            "on",
        ],
        ("O-101", "O-002"),
    ),
    "dispatch": (
        lambda d: [
            "dispatch",
            "--count",
            "1",
            "--to",
            "外送车",
            "--packet",
            "P-E02:SL-2",
            "--cctv",
            "on",
        ],
        ("O-002", "O-005"),
    ),
    "cctv on": (lambda d: ["cctv", "on", "--camera", "CAM-1"], ("O-002", "O-003")),
    "cctv off": (lambda d: ["cctv", "off", "--camera", "CAM-1"], ("O-002", "O-003")),
    "cctv fault": (
        lambda d: ["cctv", "fault", "--camera", "CAM-1"],
        ("O-002", "O-003"),
    ),
    "cctv segment": (
        lambda d: [
            "cctv",
            "segment",
            "--camera",
            "CAM-1",
            "--file",
            _segment_file(d),
            "--from",
            t("09:35"),
            "--to",
            t("10:00"),
        ],
        ("O-002", "O-003"),
    ),
    "cctv delete-footage": (
        lambda d: [
            "cctv",
            "delete-footage",
            "--camera",
            "CAM-1",
            "--before",
            "2026-06-01",
        ],
        ("O-001", "O-002"),
    ),
    "patrol": (lambda d: ["patrol", "--item", "门锁完好"], ("O-003", "O-009")),
    "incident": (
        lambda d: [
            "incident",
            "--kind",
            "other",
            "--text",
            "停电五分钟",
            "--reported-to",
            "县考试中心",
            "--reported-at",
            t("10:40"),
        ],
        ("O-002", "O-001"),
    ),
    "amend": (lambda d: ["amend", "--seq", "1", "--text", "更正"], ("O-003", "O-004")),
    "note": (lambda d: ["note", "--text", "交班检查无异常"], ("O-003", "O-004")),
}


def test_the_table_names_every_writing_subcommand() -> None:
    # commands that write no ledger entry (checkpoint writes checkpoints/ only)
    readers = {
        "keys",
        "init",
        "log",
        "verify",
        "status",
        "rules",
        "repair",
        "checkpoint",
        "prove",
        "export",
        "audit",
        "report",
        "enrol",
    }
    typed = set()
    for name, command in cli.commands.items():
        subs = getattr(command, "commands", None)
        typed |= {f"{name} {s}" for s in subs} if subs else {name}
    typed -= {f"keys {s}" for s in ("generate", "show", "upgrade")} | readers
    tabled = {w.split(" --")[0] for w in WRITERS}
    assert typed == tabled


@pytest.mark.parametrize("writer", list(WRITERS))
def test_shared_refusals_leave_the_ledger_unchanged(
    stocked: Site, tmp_path: Path, writer: str
) -> None:
    make, signers = WRITERS[writer]
    args = make(tmp_path)
    line = refused(stocked, *args, *sign(OUTSIDER, signers[1]), "--at", t("10:30"))
    assert f"--signer {OUTSIDER}: not on the roster" in line
    line = refused(stocked, *args, "--signer", signers[0], "--at", t("10:30"))
    assert "two officers must sign" in line
    # --force: some of these break a rule here; a wrong passphrase still stops them
    env = {**stocked.env(), keys.passphrase_variable(signers[1]): "错误口令"}
    line = refused(
        stocked, *args, *sign(*signers), "--at", t("10:30"), "--force", env=env
    )
    assert f"{signers[1]}: wrong passphrase" in line
    line = refused(stocked, *args, *sign(*signers), "--at", "明天早上", code=2)
    assert "not a time" in line
    assert "明天早上" in line
    # more than 10 minutes before the previous entry (10:00)
    line = refused(stocked, *args, *sign(*signers), "--at", t("09:49"))
    assert "TIME-ORDER" in line
    assert "time goes back" in line
    assert "--force" in line
    # in the future
    line = refused(stocked, *args, *sign(*signers), "--at", "2099-01-01T09:00")
    assert "TIME-ORDER" in line
    assert "ahead of the clock" in line


@pytest.mark.parametrize("writer", list(WRITERS))
def test_force_records_a_backdated_entry_and_verify_reports_it(
    stocked: Site, tmp_path: Path, writer: str
) -> None:
    make, signers = WRITERS[writer]
    entry = forced(
        stocked, "TIME-ORDER", *make(tmp_path), *sign(*signers), "--at", t("09:00")
    )
    assert entry["ts"] == t("09:00")
    assert [s["by"] for s in entry["sigs"]] == list(signers)


# --- --at -------------------------------------------------------------------------


def test_at_forms_are_stored_in_the_site_time_zone(
    make_vault: Callable[[int], Site],
) -> None:
    site = make_vault(0)  # genesis at 08:00 only
    year = datetime.now(TZ).year
    # --force: the stored form is what is tested here, whatever the clock says
    forms = [
        ("6/6 08:30", f"{year}-06-06T08:30:00+08:00"),
        ("2026-06-06T10:30:00+09:00", "2026-06-06T09:30:00+08:00"),
        ("2026-06-06T01:40:00Z", "2026-06-06T09:40:00+08:00"),
        ("2026-06-06 09:45", "2026-06-06T09:45:00+08:00"),
        ("2026-06-06T09:50:59+08:00", "2026-06-06T09:50:59+08:00"),
    ]
    for typed, stored in forms:
        if typed.startswith("6/6") and year != 2026:
            continue
        entry = ok(
            site,
            "note",
            "--text",
            typed,
            "--signer",
            "O-003",
            "--signer",
            "O-004",
            "--at",
            typed,
            "--force",
            quiet=False,
        )
        assert entry["ts"] == stored, typed
    before = datetime.now(TZ).date()
    entry = ok(
        site,
        "note",
        "--text",
        "今天",
        *sign("O-003", "O-004"),
        "--at",
        "08:30",
        "--force",
        quiet=False,
    )
    after = datetime.now(TZ).date()
    assert entry["ts"] in {f"{d.isoformat()}T08:30:00+08:00" for d in (before, after)}


def test_at_defaults_to_now(vault: Site) -> None:
    start = datetime.now(TZ).replace(microsecond=0)
    entry = ok(vault, "note", "--text", "现在", *sign("O-003", "O-004"))
    stored = datetime.fromisoformat(entry["ts"])
    assert start <= stored <= datetime.now(TZ) + timedelta(seconds=1)
    assert entry["ts"].endswith("+08:00")


def test_time_order_tolerance_is_ten_minutes_back(vault: Site) -> None:
    # the last note is at 09:02
    line = refused(
        vault,
        "note",
        "--text",
        "x",
        *sign("O-003", "O-004"),
        "--at",
        "2026-06-06T08:51:59",
    )
    assert "TIME-ORDER" in line
    assert ok(
        vault,
        "note",
        "--text",
        "x",
        *sign("O-003", "O-004"),
        "--at",
        "2026-06-06T08:52",
    )["ts"] == t("08:52")


def test_time_order_tolerance_is_five_minutes_ahead(vault: Site) -> None:
    now = datetime.now(TZ)
    soon = (now + timedelta(minutes=2)).isoformat(timespec="seconds")
    late = (now + timedelta(minutes=15)).isoformat(timespec="seconds")
    line = refused(vault, "note", "--text", "x", *sign("O-003", "O-004"), "--at", late)
    assert "TIME-ORDER" in line
    assert "ahead of the clock" in line
    ok(vault, "note", "--text", "x", *sign("O-003", "O-004"), "--at", soon)


def test_future_time_forced_is_reported_by_verify(vault: Site) -> None:
    forced(
        vault,
        "TIME-ORDER",
        "note",
        "--text",
        "x",
        *sign("O-003", "O-004"),
        "--at",
        "2099-01-01T00:00",
    )


# --- note, amend -------------------------------------------------------------------


def test_note_and_note_option(vault: Site) -> None:
    entry = ok(
        vault,
        "note",
        "--text",
        "22:00 巡查门锁完好",
        "--note",
        "补记",
        *sign("O-003", "O-004"),
        "--at",
        t("09:10"),
    )
    assert entry["type"] == "note"
    assert entry["body"] == {"text": "22:00 巡查门锁完好", "note": "补记"}
    assert [s["by"] for s in entry["sigs"]] == ["O-003", "O-004"]


def test_amend(vault: Site) -> None:
    entry = ok(
        vault,
        "amend",
        "--seq",
        "2",
        "--text",
        "封条号应为 A-0042",
        *sign("O-003", "O-004"),
        "--at",
        t("09:10"),
    )
    assert entry["type"] == "amend"
    assert entry["body"] == {"seq": 2, "text": "封条号应为 A-0042"}
    assert (
        ok(
            vault,
            "amend",
            "--seq",
            "0",
            "--text",
            "创世更正",
            *sign("O-003", "O-004"),
            "--at",
            t("09:11"),
        )["body"]["seq"]
        == 0
    )


@pytest.mark.parametrize("seq", ["4", "99", "-1"])
def test_amend_of_an_entry_that_does_not_exist(vault: Site, seq: str) -> None:
    line = refused(vault, "amend", "--seq", seq, "--text", "x", *sign("O-003", "O-004"))
    assert f"--seq {seq}: no such entry" in line
    assert "the last is 3" in line


# --- roster ----------------------------------------------------------------------


def test_roster_add_and_the_new_officer_signs(vault: Site) -> None:
    pub = vault.key_dir / f"{OUTSIDER}.pub"
    raw = keys.read_public(vault.key_dir, OUTSIDER)
    entry = ok(
        vault,
        "roster",
        "add",
        "--id",
        OUTSIDER,
        "--name",
        "钱芳",
        "--role",
        "custodian",
        "--role",
        "security",
        "--public-key-file",
        str(pub),
        "--trained",
        "2026-05-28",
        *sign("O-001", "O-002"),
        "--at",
        t("09:10"),
    )
    assert entry["type"] == "roster"
    assert entry["body"] == {
        "action": "add",
        "officer": {
            "id": OUTSIDER,
            "name": "钱芳",
            "roles": ["custodian", "security"],
            "keys": [
                {"key": keys.key_id(raw), "public_key": keys.format_public_key(raw)}
            ],
            "conflict": False,
            "trained": "2026-05-28",
        },
    }
    ok(
        vault,
        "note",
        "--text",
        "新人签名",
        *sign(OUTSIDER, "O-003"),
        "--at",
        t("09:11"),
    )
    assert verify_json(vault)[0] == 0


def test_roster_add_conflict_and_untrained(vault: Site, tmp_path: Path) -> None:
    pub, kid, line = new_pub(tmp_path / "O-013.pub")
    entry = ok(
        vault,
        "roster",
        "add",
        "--id",
        "O-013",
        "--name",
        "赵六",
        "--role",
        "custodian",
        "--public-key-file",
        str(pub),
        "--conflict",
        *sign("O-001", "O-002"),
        "--at",
        t("09:10"),
    )
    assert entry["body"]["officer"] == {
        "id": "O-013",
        "name": "赵六",
        "roles": ["custodian"],
        "conflict": True,
        "keys": [{"key": kid, "public_key": line}],
    }


def test_roster_add_of_an_existing_id(vault: Site) -> None:
    pub = vault.key_dir / "O-003.pub"
    line = refused(
        vault,
        "roster",
        "add",
        "--id",
        "O-003",
        "--name",
        "张伟",
        "--role",
        "custodian",
        "--public-key-file",
        str(pub),
        *sign("O-001", "O-002"),
    )
    assert "O-003 is already on the roster" in line


def test_roster_add_of_an_id_sharing_a_passphrase_variable(
    vault: Site, tmp_path: Path
) -> None:
    # O.003 and O-003 both read VAULTCTL_PASSPHRASE_O_003; init refuses such a
    # pair (spec section 7), and so must a roster change that creates one
    assert keys.passphrase_variable("O.003") == keys.passphrase_variable("O-003")
    pub = new_pub(tmp_path / "x.pub")[0]
    line = refused(
        vault,
        "roster",
        "add",
        "--id",
        "O.003",
        "--name",
        "假张伟",
        "--role",
        "custodian",
        "--public-key-file",
        str(pub),
        *sign("O-001", "O-002"),
        "--at",
        t("09:10"),
    )
    assert "O-003" in line


def test_roster_add_with_an_unreadable_key_file(vault: Site, tmp_path: Path) -> None:
    line = refused(
        vault,
        "roster",
        "add",
        "--id",
        "O-012",
        "--name",
        "钱芳",
        "--role",
        "custodian",
        "--public-key-file",
        str(tmp_path / "missing.pub"),
        *sign("O-001", "O-002"),
    )
    assert "missing.pub" in line
    assert "cannot read" in line
    bad = tmp_path / "bad.pub"
    bad.write_text("ssh-ed25519 AAAA\n", "utf-8")
    line = refused(
        vault,
        "roster",
        "add",
        "--id",
        "O-012",
        "--name",
        "钱芳",
        "--role",
        "custodian",
        "--public-key-file",
        str(bad),
        *sign("O-001", "O-002"),
    )
    assert "bad.pub" in line


def test_roster_add_with_a_malformed_officer_id(vault: Site, tmp_path: Path) -> None:
    pub = new_pub(tmp_path / "x.pub")[0]
    line = refused(
        vault,
        "roster",
        "add",
        "--id",
        "O 012",
        "--name",
        "钱芳",
        "--role",
        "custodian",
        "--public-key-file",
        str(pub),
        *sign("O-001", "O-002"),
        "--at",
        t("09:10"),
    )
    assert "O 012" in line


def test_roster_change_not_cosigned_by_the_site_head_forced(
    vault: Site, tmp_path: Path
) -> None:
    pub = new_pub(tmp_path / "x.pub")[0]
    entry = forced(
        vault,
        "ROSTER-AUTH",
        "roster",
        "add",
        "--id",
        "O-012",
        "--name",
        "钱芳",
        "--role",
        "custodian",
        "--public-key-file",
        str(pub),
        "--trained",
        "2026-05-28",
        *sign("O-002", "O-003"),
        "--at",
        t("09:10"),
    )
    assert entry["body"]["officer"]["id"] == "O-012"


def test_roster_suspend_and_reinstate(vault: Site) -> None:
    entry = ok(
        vault,
        "roster",
        "suspend",
        "--id",
        "O-006",
        "--reason",
        "身体不适",
        *sign("O-001", "O-002"),
        "--at",
        t("09:10"),
    )
    assert entry["type"] == "roster"
    assert entry["body"] == {"action": "suspend", "id": "O-006", "reason": "身体不适"}
    # a suspended officer may not sign (ELIGIBLE)
    forced(
        vault,
        "ELIGIBLE",
        "note",
        "--text",
        "x",
        *sign("O-006", "O-003"),
        "--at",
        t("09:11"),
    )
    entry = ok(
        vault,
        "roster",
        "reinstate",
        "--id",
        "O-006",
        *sign("O-001", "O-002"),
        "--at",
        t("09:12"),
    )
    assert entry["body"] == {"action": "reinstate", "id": "O-006"}
    ok(vault, "note", "--text", "复职", *sign("O-006", "O-003"), "--at", t("09:13"))


@pytest.mark.parametrize(
    "action", ["suspend", "reinstate", "train", "declare", "add-key", "revoke-key"]
)
def test_roster_change_of_an_unknown_officer(
    vault: Site, tmp_path: Path, action: str
) -> None:
    extra = {
        "suspend": [],
        "reinstate": [],
        "train": ["--date", "2026-06-01"],
        "declare": ["--conflict"],
        "add-key": ["--public-key-file", str(new_pub(tmp_path / "x.pub")[0])],
        "revoke-key": ["--key", key_id_of("O-003"), "--reason", "x"],
    }[action]
    line = refused(
        vault, "roster", action, "--id", "O-999", *extra, *sign("O-001", "O-002")
    )
    assert "--id O-999: unknown officer" in line


def test_roster_add_key_then_revoke_the_old_key(vault: Site, tmp_path: Path) -> None:
    pub, kid, line = new_pub(tmp_path / "O-006-new.pub")
    entry = ok(
        vault,
        "roster",
        "add-key",
        "--id",
        "O-006",
        "--public-key-file",
        str(pub),
        *sign("O-001", "O-002"),
        "--at",
        t("09:10"),
    )
    assert entry["body"] == {
        "action": "add-key",
        "id": "O-006",
        "key": {"key": kid, "public_key": line},
    }
    old = key_id_of("O-006")
    entry = ok(
        vault,
        "roster",
        "revoke-key",
        "--id",
        "O-006",
        "--key",
        old,
        "--reason",
        "钥匙盘遗失",
        *sign("O-001", "O-002"),
        "--at",
        t("09:11"),
    )
    assert entry["body"] == {
        "action": "revoke-key",
        "id": "O-006",
        "key": old,
        "reason": "钥匙盘遗失",
    }
    # the revoked key signs nothing any more: an integrity refusal, not forceable
    for extra in ([], ["--force"]):
        line = refused(
            vault,
            "note",
            "--text",
            "x",
            *sign("O-006", "O-003"),
            "--at",
            t("09:12"),
            *extra,
        )
        assert "O-006" in line
        assert "revoked" in line


def test_roster_revoke_key_that_is_not_the_officers(vault: Site) -> None:
    other = key_id_of("O-003")
    line = refused(
        vault,
        "roster",
        "revoke-key",
        "--id",
        "O-006",
        "--key",
        other,
        "--reason",
        "x",
        *sign("O-001", "O-002"),
    )
    assert f"key {other} is not a key of O-006" in line
    assert key_id_of("O-006") in line


def test_roster_train(vault: Site) -> None:
    entry = ok(
        vault,
        "roster",
        "train",
        "--id",
        "O-006",
        "--date",
        "2026-06-10",
        *sign("O-001", "O-002"),
        "--at",
        t("09:10"),
    )
    assert entry["body"] == {"action": "train", "id": "O-006", "date": "2026-06-10"}
    # trained after the entry's date: the officer is not yet eligible to sign
    forced(
        vault,
        "ELIGIBLE",
        "note",
        "--text",
        "x",
        *sign("O-006", "O-003"),
        "--at",
        t("09:11"),
    )
    ok(
        vault,
        "roster",
        "train",
        "--id",
        "O-006",
        "--date",
        "2026-06-01",
        *sign("O-001", "O-002"),
        "--at",
        t("09:12"),
    )
    ok(
        vault,
        "note",
        "--text",
        "培训后签名",
        *sign("O-006", "O-003"),
        "--at",
        t("09:13"),
    )


def test_roster_train_with_a_bad_date(vault: Site) -> None:
    line = refused(
        vault,
        "roster",
        "train",
        "--id",
        "O-006",
        "--date",
        "2026-13-01",
        *sign("O-001", "O-002"),
        "--at",
        t("09:10"),
    )
    assert "2026-13-01" in line
    assert "date" in line


def test_roster_declare(vault: Site) -> None:
    entry = ok(
        vault,
        "roster",
        "declare",
        "--id",
        "O-006",
        "--conflict",
        *sign("O-001", "O-002"),
        "--at",
        t("09:10"),
    )
    assert entry["body"] == {"action": "declare", "id": "O-006", "conflict": True}
    forced(
        vault,
        "ELIGIBLE",
        "note",
        "--text",
        "x",
        *sign("O-006", "O-003"),
        "--at",
        t("09:11"),
    )
    entry = ok(
        vault,
        "roster",
        "declare",
        "--id",
        "O-006",
        "--no-conflict",
        *sign("O-001", "O-002"),
        "--at",
        t("09:12"),
    )
    assert entry["body"] == {"action": "declare", "id": "O-006", "conflict": False}


# --- inspect -------------------------------------------------------------------


def test_inspect_defaults_to_the_only_room(vault: Site) -> None:
    entry = ok(
        vault,
        "inspect",
        "--result",
        "fail",
        "--item",
        "窗户未封闭",
        *sign("O-201", "O-202"),
        "--at",
        t("09:10"),
    )
    assert entry["type"] == "inspection"
    assert entry["body"] == {"room": "R1", "result": "fail", "items": ["窗户未封闭"]}
    # papers may not come into a room whose last inspection failed
    forced(
        vault,
        "INSPECTED",
        "receipt",
        "--from",
        "机要车",
        "--packet",
        "P-1:语文:S-0607-AM:SL-1",
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
        "--at",
        t("09:20"),
    )


def test_inspect_unknown_room(vault: Site) -> None:
    line = refused(
        vault, "inspect", "--room", "R9", "--result", "pass", *sign("O-201", "O-202")
    )
    assert "--room R9: unknown room" in line
    assert "R1" in line


def test_receipt_without_an_inspection_forced(vault: Site) -> None:
    ok(
        vault,
        "cctv",
        "on",
        "--camera",
        "CAM-1",
        *sign("O-002", "O-003"),
        "--at",
        t("09:10"),
    )
    forced(
        vault,
        "INSPECTED",
        "receipt",
        "--from",
        "机要车",
        "--packet",
        "P-1:语文:S-0607-AM:SL-1",
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
        "--at",
        t("09:20"),
    )


# --- custody -------------------------------------------------------------------


def test_custody_handover_and_return(prepared: Site) -> None:
    entry = ok(
        prepared,
        "custody",
        "handover",
        "--item",
        "K-D2",
        "--from",
        "O-003",
        "--to",
        "O-005",
        *sign("O-003", "O-005"),
        "--at",
        t("10:10"),
    )
    assert entry["type"] == "custody"
    assert entry["body"] == {
        "action": "handover",
        "item": "K-D2",
        "from": "O-003",
        "to": "O-005",
    }
    entry = ok(
        prepared,
        "custody",
        "return",
        "--item",
        "K-D2",
        "--from",
        "O-005",
        *sign("O-005", "O-002"),
        "--at",
        t("10:20"),
    )
    assert entry["body"] == {"action": "return", "item": "K-D2", "from": "O-005"}
    status = json.loads(prepared.run("status", "--json").stdout)
    assert status["keys"] == {
        "K-C1-A": "O-001",
        "K-C1-B": "O-002",
        "K-D1": "O-002",
        "K-D2": None,
    }
    entry = ok(
        prepared,
        "custody",
        "assign",
        "--item",
        "K-D2",
        "--to",
        "O-004",
        *sign("O-004", "O-002"),
        "--at",
        t("10:30"),
    )
    assert entry["body"] == {"action": "assign", "item": "K-D2", "to": "O-004"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["assign", "--item", "K-X", "--to", "O-004"],
            "--item K-X: unknown key or code",
        ),
        (["assign", "--item", "K-D2", "--to", "O-999"], "--to O-999: unknown officer"),
        (
            ["handover", "--item", "K-X", "--from", "O-003", "--to", "O-004"],
            "--item K-X: unknown key or code",
        ),
        (
            ["handover", "--item", "K-D2", "--from", "O-999", "--to", "O-004"],
            "--from O-999: unknown officer",
        ),
        (
            ["handover", "--item", "K-D2", "--from", "O-003", "--to", "O-999"],
            "--to O-999: unknown officer",
        ),
        (
            ["return", "--item", "K-X", "--from", "O-003"],
            "--item K-X: unknown key or code",
        ),
        (
            ["return", "--item", "K-D2", "--from", "O-999"],
            "--from O-999: unknown officer",
        ),
    ],
)
def test_custody_unknown_ids(prepared: Site, args: list[str], message: str) -> None:
    line = refused(prepared, "custody", *args, *sign("O-003", "O-004"))
    assert message in line


def test_custody_handover_by_someone_who_does_not_hold_the_key(prepared: Site) -> None:
    # K-D2 is held by O-003
    entry = forced(
        prepared,
        "KEY-TRANSFER",
        "custody",
        "handover",
        "--item",
        "K-D2",
        "--from",
        "O-004",
        "--to",
        "O-005",
        *sign("O-004", "O-005"),
        "--at",
        t("10:10"),
    )
    assert entry["body"]["from"] == "O-004"


def test_custody_return_by_someone_who_does_not_hold_the_key(prepared: Site) -> None:
    line = refused(
        prepared,
        "custody",
        "return",
        "--item",
        "K-D1",
        "--from",
        "O-003",
        *sign("O-003", "O-002"),
        "--at",
        t("10:10"),
    )
    assert "KEY-TRANSFER" in line
    assert "O-002" in line


def test_custody_assign_of_a_held_key(prepared: Site) -> None:
    line = refused(
        prepared,
        "custody",
        "assign",
        "--item",
        "K-D2",
        "--to",
        "O-004",
        *sign("O-004", "O-002"),
        "--at",
        t("10:10"),
    )
    assert "KEY-TRANSFER" in line
    assert "held by O-003" in line


def test_custody_not_signed_by_the_receiver(prepared: Site) -> None:
    forced(
        prepared,
        "KEY-TRANSFER",
        "custody",
        "handover",
        "--item",
        "K-D2",
        "--from",
        "O-003",
        "--to",
        "O-005",
        *sign("O-003", "O-004"),
        "--at",
        t("10:10"),
    )


def test_custody_both_door_keys_to_one_person(vault: Site) -> None:
    ok(
        vault,
        "custody",
        "assign",
        "--item",
        "K-D1",
        "--to",
        "O-002",
        *sign("O-002", "O-001"),
        "--at",
        t("09:10"),
    )
    forced(
        vault,
        "KEY-SPLIT",
        "custody",
        "assign",
        "--item",
        "K-D2",
        "--to",
        "O-002",
        *sign("O-002", "O-001"),
        "--at",
        t("09:11"),
    )


def test_custody_cabinet_key_to_a_custodian(vault: Site) -> None:
    forced(
        vault,
        "CABINET-KEYS",
        "custody",
        "assign",
        "--item",
        "K-C1-A",
        "--to",
        "O-003",
        *sign("O-003", "O-002"),
        "--at",
        t("09:10"),
    )


# --- shifts and presence ----------------------------------------------------------


def test_shift_start_handover_end(prepared: Site) -> None:
    assert checkpoint_files(prepared) == []
    result = prepared.run(
        "shift",
        "handover",
        "--leader",
        "O-005",
        "--member",
        "O-006",
        "--member",
        "O-010",
        "--shift",
        "B",
        *sign("O-003", "O-005"),
        "--at",
        t("16:00"),
    )
    assert result.exit_code == 0, result.stderr
    entry = last(prepared)
    # a handover also anchors the head in a checkpoint co-signed by both leaders
    [cp] = checkpoint_files(prepared)
    assert f"checkpoint {cp}" in result.stdout
    note = (prepared.vault_dir / "checkpoints" / cp).read_text("utf-8")
    assert note.splitlines()[1] == str(entry["seq"] + 1)  # tree size = entries
    assert "— O-003 " in note
    assert "— O-005 " in note
    assert entry["type"] == "shift"
    assert entry["body"] == {
        "action": "handover",
        "shift": "B",
        "leader": "O-005",
        "members": ["O-005", "O-006", "O-010"],
        "from_shift": "A",
        "from_leader": "O-003",
    }
    # the inner-door key goes with the duty (KEY-DUTY): nothing else comes first
    refused(
        prepared, "note", "--text", "接班", *sign("O-005", "O-006"), "--at", t("16:05")
    )
    ok(
        prepared,
        *("custody", "handover", "--item", "K-D2", "--from", "O-003", "--to", "O-005"),
        *sign("O-003", "O-005"),
        *("--at", t("16:00")),
    )
    entry = ok(prepared, "shift", "end", *sign("O-005", "O-006"), "--at", t("17:00"))
    assert entry["body"] == {"action": "end", "shift": "B"}
    entry = ok(
        prepared,
        "shift",
        "start",
        "--leader",
        "O-003",
        "--member",
        "O-004",
        "--member",
        "O-009",
        *sign("O-003", "O-004"),
        "--at",
        t("18:05"),
    )
    # default shift id: SH-<MMDD>-<HHMM> of --at
    assert entry["body"] == {
        "action": "start",
        "shift": "SH-0606-1805",
        "leader": "O-003",
        "members": ["O-003", "O-004", "O-009"],
    }
    assert verify_json(prepared)[0] == 0


@pytest.mark.parametrize("action", ["start", "handover"])
def test_shift_with_an_unknown_member(prepared: Site, action: str) -> None:
    line = refused(
        prepared,
        "shift",
        action,
        "--leader",
        "O-005",
        "--member",
        "O-999",
        *sign("O-003", "O-005"),
    )
    assert "O-999: unknown officer" in line


@pytest.mark.parametrize("action", ["start", "handover"])
def test_shift_with_an_unknown_leader(prepared: Site, action: str) -> None:
    line = refused(
        prepared,
        "shift",
        action,
        "--leader",
        "O-999",
        "--member",
        "O-005",
        *sign("O-003", "O-005"),
    )
    assert "O-999: unknown officer" in line


def test_shift_handover_to_an_overlapping_member_list(prepared: Site) -> None:
    line = refused(
        prepared,
        "shift",
        "handover",
        "--leader",
        "O-005",
        "--member",
        "O-004",
        "--member",
        "O-010",
        *sign("O-003", "O-005"),
        "--at",
        t("16:00"),
    )
    assert "O-004" in line
    assert "HANDOVER" in line
    assert "outgoing and the incoming shift" in line
    assert "--force" in line
    line = refused(
        prepared,
        "shift",
        "handover",
        "--leader",
        "O-003",
        "--member",
        "O-006",
        "--member",
        "O-010",
        *sign("O-003", "O-006"),
        "--at",
        t("16:00"),
    )
    assert "O-003" in line


def test_shift_handover_to_an_overlapping_member_list_forced(prepared: Site) -> None:
    # the refusal offers --force; a forced entry must leave a trace (section 7:
    # "then recorded, and verify reports it")
    result = prepared.run(
        "shift",
        "handover",
        "--leader",
        "O-005",
        "--member",
        "O-004",
        "--member",
        "O-010",
        *sign("O-003", "O-005"),
        "--at",
        t("16:00"),
        "--force",
    )
    assert result.exit_code == 0, result.stderr
    assert last(prepared)["body"]["members"] == ["O-005", "O-004", "O-010"]
    assert "recorded with --force" in result.stderr, result.stderr
    assert verify_json(prepared)[0] == 1


@pytest.mark.parametrize(
    "args",
    [
        ["handover", "--leader", "O-005", "--member", "O-006", "--member", "O-010"],
        ["end"],
    ],
)
def test_shift_handover_or_end_with_no_shift_on_duty(
    vault: Site, args: list[str]
) -> None:
    line = refused(vault, "shift", *args, *sign("O-003", "O-005"))
    assert "no shift is on duty" in line


def test_shift_start_while_a_shift_is_on_duty(prepared: Site) -> None:
    forced(
        prepared,
        "HANDOVER",
        "shift",
        "start",
        "--leader",
        "O-005",
        "--member",
        "O-006",
        "--member",
        "O-010",
        *sign("O-005", "O-006"),
        "--at",
        t("16:00"),
    )


def test_shift_handover_not_signed_by_the_outgoing_leader(prepared: Site) -> None:
    forced(
        prepared,
        "HANDOVER",
        "shift",
        "handover",
        "--leader",
        "O-005",
        "--member",
        "O-006",
        "--member",
        "O-010",
        *sign("O-004", "O-005"),
        "--at",
        t("16:00"),
    )


def test_shift_too_small(vault: Site) -> None:
    forced(
        vault,
        "SHIFT-SIZE",
        "shift",
        "start",
        "--leader",
        "O-003",
        "--member",
        "O-009",
        *sign("O-003", "O-009"),
        "--at",
        t("09:10"),
    )


def test_shift_without_security(vault: Site) -> None:
    forced(
        vault,
        "SHIFT-SECURITY",
        "shift",
        "start",
        "--leader",
        "O-003",
        "--member",
        "O-004",
        "--member",
        "O-005",
        *sign("O-003", "O-004"),
        "--at",
        t("09:10"),
    )


def test_shift_end_with_papers_in_store(stocked: Site) -> None:
    # HANDOVER: a shift does not simply end while papers are stored (the write
    # time check refuses it; verify also reports the uncovered time, DUTY-COVER)
    line = refused(stocked, "shift", "end", *sign("O-003", "O-004"), "--at", t("10:10"))
    assert "HANDOVER" in line


def test_shift_end_with_papers_in_store_is_reported_by_verify(stocked: Site) -> None:
    result = stocked.run(
        "shift", "end", *sign("O-003", "O-004"), "--at", t("10:10"), "--force"
    )
    assert result.exit_code == 0
    found = {rule for rule, _ in rules_found(stocked)}
    assert {"HANDOVER", "DUTY-COVER"} <= found


def test_presence_leave_and_return(prepared: Site) -> None:
    entry = ok(
        prepared,
        "presence",
        "leave",
        "--member",
        "O-004",
        "--reason",
        "就餐",
        *sign("O-003", "O-004"),
        "--at",
        t("12:00"),
    )
    assert entry["type"] == "presence"
    assert entry["body"] == {
        "action": "leave",
        "member": "O-004",
        "kind": "meal",
        "reason": "就餐",
    }
    duty = json.loads(prepared.run("status", "--json").stdout)["on_duty"]
    assert duty["members"] == ["O-003", "O-004", "O-009"]
    assert duty["on_site"] == ["O-003", "O-009"]
    entry = ok(
        prepared,
        "presence",
        "return",
        "--member",
        "O-004",
        *sign("O-003", "O-004"),
        "--at",
        t("12:40"),
    )
    assert entry["body"] == {"action": "return", "member": "O-004"}
    duty = json.loads(prepared.run("status", "--json").stdout)["on_duty"]
    assert duty["on_site"] == ["O-003", "O-004", "O-009"]


@pytest.mark.parametrize("action", ["leave", "return"])
@pytest.mark.parametrize("member", ["O-005", "O-999"])
def test_presence_for_a_non_member(prepared: Site, action: str, member: str) -> None:
    line = refused(
        prepared, "presence", action, "--member", member, *sign("O-003", "O-004")
    )
    assert f"--member {member}: not a member of the shift on duty" in line


def test_presence_with_no_shift_on_duty(vault: Site) -> None:
    line = refused(
        vault, "presence", "leave", "--member", "O-003", *sign("O-003", "O-004")
    )
    assert "--member O-003: not a member of the shift on duty" in line


def test_presence_leaving_fewer_than_two_on_site(prepared: Site) -> None:
    ok(
        prepared,
        "presence",
        "leave",
        "--member",
        "O-004",
        "--reason",
        "如厕",
        *sign("O-003", "O-004"),
        "--at",
        t("12:00"),
    )
    forced(
        prepared,
        "SHIFT-SIZE",
        "presence",
        "leave",
        "--member",
        "O-009",
        "--reason",
        "巡查",
        *sign("O-003", "O-009"),
        "--at",
        t("12:05"),
    )


# --- access, open, close, patrol ---------------------------------------------


def test_access_enter_and_exit(prepared: Site) -> None:
    # nobody enters through a door recorded closed (DOOR-STATE); the refusal
    # names the opening to record
    line = refused(
        prepared,
        *("access", "enter", "--person", "电工老李", "--approver", "O-002"),
        *("--escort", "O-003", *sign("O-003", "O-009"), "--at", t("10:09")),
    )
    assert "DOOR-STATE" in line and "vaultctl open --door D1" in line
    ok(prepared, "open", "--door", "D1", *sign("O-002", "O-003"), "--at", t("10:10"))
    entry = ok(
        prepared,
        "access",
        "enter",
        "--person",
        "电工老李",
        "--approver",
        "O-002",
        "--escort",
        "O-003",
        "--purpose",
        "检修照明",
        *sign("O-003", "O-009"),
        "--at",
        t("10:10"),
    )
    assert entry["type"] == "access"
    assert entry["body"] == {
        "action": "enter",
        "person": "电工老李",
        "room": "R1",
        "approver": "O-002",
        "purpose": "检修照明",
        "escort": "O-003",
    }
    assert json.loads(prepared.run("status", "--json").stdout)["inside"] == ["电工老李"]
    entry = ok(
        prepared,
        "access",
        "exit",
        "--person",
        "电工老李",
        *sign("O-003", "O-009"),
        "--at",
        t("10:40"),
    )
    assert entry["body"] == {"action": "exit", "person": "电工老李", "room": "R1"}
    ok(prepared, "close", "--door", "D1", *sign("O-002", "O-003"), "--at", t("10:41"))
    assert verify_json(prepared)[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["enter", "--person", "O-005", "--approver", "O-999"],
            "--approver O-999: unknown officer",
        ),
        (
            ["enter", "--person", "电工", "--approver", "O-002", "--escort", "O-999"],
            "--escort O-999: unknown officer",
        ),
        (
            ["enter", "--person", "O-005", "--approver", "O-002", "--room", "R9"],
            "--room R9: unknown room",
        ),
        (["exit", "--person", "O-005", "--room", "R9"], "--room R9: unknown room"),
    ],
)
def test_access_unknown_ids(prepared: Site, args: list[str], message: str) -> None:
    assert message in refused(prepared, "access", *args, *sign("O-003", "O-009"))


def test_access_without_approver_forced(prepared: Site) -> None:
    forced(
        prepared,
        "ACCESS",
        "access",
        "enter",
        "--person",
        "O-005",
        *sign("O-003", "O-009"),
        "--at",
        t("10:10"),
    )


def test_access_exit_without_entry_forced(prepared: Site) -> None:
    forced(
        prepared,
        "ACCESS",
        "access",
        "exit",
        "--person",
        "O-005",
        *sign("O-003", "O-009"),
        "--at",
        t("10:10"),
    )


def test_open_and_close(prepared: Site) -> None:
    entry = ok(
        prepared,
        "open",
        "--door",
        "D1",
        "--present",
        "O-009",
        *sign("O-002", "O-003"),
        "--at",
        t("10:10"),
    )
    assert entry["type"] == "open"
    assert entry["body"] == {"door": "D1", "present": ["O-009"]}
    assert json.loads(prepared.run("status", "--json").stdout)["open"] == ["door:D1"]
    entry = ok(
        prepared, "close", "--door", "D1", *sign("O-002", "O-003"), "--at", t("10:11")
    )
    assert entry["type"] == "close"
    assert entry["body"] == {"door": "D1"}
    entry = ok(
        prepared,
        "open",
        "--cabinet",
        "C1",
        "--present",
        "O-003",
        *sign("O-001", "O-002"),
        "--at",
        t("10:12"),
    )
    assert entry["body"] == {"cabinet": "C1", "present": ["O-003"]}
    entry = ok(
        prepared,
        "close",
        "--cabinet",
        "C1",
        *sign("O-001", "O-002"),
        "--at",
        t("10:13"),
    )
    assert entry["body"] == {"cabinet": "C1"}
    assert json.loads(prepared.run("status", "--json").stdout)["open"] == []


@pytest.mark.parametrize("command", ["open", "close"])
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--door", "D9"], "--door D9: unknown door"),
        (["--cabinet", "C9"], "--cabinet C9: unknown cabinet"),
        (["--door", "D1", "--cabinet", "C1"], "give exactly one of --door, --cabinet"),
        ([], "give exactly one of --door, --cabinet"),
    ],
)
def test_open_close_bad_targets(
    prepared: Site, command: str, args: list[str], message: str
) -> None:
    assert message in refused(prepared, command, *args, *sign("O-002", "O-003"))


def test_open_with_an_unknown_present(prepared: Site) -> None:
    line = refused(
        prepared, "open", "--door", "D1", "--present", "O-999", *sign("O-002", "O-003")
    )
    assert "--present O-999: unknown officer" in line


def test_open_without_room_head_or_key_holder_forced(prepared: Site) -> None:
    forced(
        prepared,
        "OPENING",
        "open",
        "--door",
        "D1",
        *sign("O-003", "O-004"),
        "--at",
        t("10:10"),
    )


def test_patrol_with_note(prepared: Site) -> None:
    entry = ok(
        prepared,
        "patrol",
        "--item",
        "门锁完好",
        "--item",
        "封条完好",
        "--note",
        "无异常",
        *sign("O-003", "O-009"),
        "--at",
        t("10:10"),
    )
    assert entry["type"] == "patrol"
    assert entry["body"] == {"items": ["门锁完好", "封条完好"], "note": "无异常"}
    entry = ok(prepared, "patrol", *sign("O-004", "O-009"), "--at", t("10:40"))
    assert entry["body"] == {"items": []}


# --- receipt ------------------------------------------------------------------------


def test_receipt_broken_seal_and_kind(prepared: Site) -> None:
    entry = ok(
        prepared,
        "receipt",
        "--from",
        "机要车",
        "--kind",
        "answer-sheet",
        "--packet",
        "A-E01:语文:S-0607-AM:SA-1:broken",
        "--packet",
        " A-E02 : 语文 : S-0607-AM : SA-2 ",
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
        "--at",
        t("10:10"),
    )
    assert entry["type"] == "receipt"
    assert entry["body"]["packets"] == [
        {
            "id": "A-E01",
            "subject": "语文",
            "session": "S-0607-AM",
            "kind": "answer-sheet",
            "seal": "SA-1",
            "intact": False,
        },
        {
            "id": "A-E02",
            "subject": "语文",
            "session": "S-0607-AM",
            "kind": "answer-sheet",
            "seal": "SA-2",
            "intact": True,
        },
    ]
    assert entry["body"]["count"] == 2


@pytest.mark.parametrize(
    "spec",
    [
        "P1:语文",
        "P1:语文:S-0607-AM:SL:cracked",
        "P1:语文:S-0607-AM",
        "P1::S-0607-AM:SL-1",
        "P1:语文:S-0607-AM:SL-1:broken:x",
        "P 1:语文:S-0607-AM:SL-1",
    ],
)
def test_receipt_malformed_packet(prepared: Site, spec: str) -> None:
    line = refused(
        prepared,
        "receipt",
        "--from",
        "机要车",
        "--packet",
        spec,
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
    )
    assert f"--packet {spec!r}" in line


def test_receipt_unknown_session(prepared: Site) -> None:
    line = refused(
        prepared,
        "receipt",
        "--from",
        "机要车",
        "--packet",
        "P1:语文:S-9999:SL-1",
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
    )
    assert "S-9999: unknown session" in line
    assert "S-0607-AM" in line


def test_receipt_unknown_room(prepared: Site) -> None:
    line = refused(
        prepared,
        "receipt",
        "--from",
        "机要车",
        "--room",
        "R9",
        "--packet",
        "P1:语文:S-0607-AM:SL-1",
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
    )
    assert "--room R9: unknown room" in line


def test_receipt_with_neither_packet_nor_manifest(
    prepared: Site, tmp_path: Path
) -> None:
    line = refused(
        prepared, "receipt", "--from", "机要车", "--cctv", "on", *sign("O-005", "O-002")
    )
    assert "--packet" in line
    assert "--manifest" in line
    line = refused(
        prepared,
        "receipt",
        "--from",
        "机要车",
        "--packet",
        "P1:语文:S-0607-AM:SL-1",
        "--manifest",
        _manifest_file(tmp_path),
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
    )
    assert "--packet" in line
    assert "--manifest" in line
    line = refused(
        prepared,
        "receipt",
        "--from",
        "机要车",
        "--packet",
        "P1:语文:S-0607-AM:SL-1",
        "--scan",
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
    )
    assert "--scan needs --manifest" in line


def test_receipt_of_a_packet_received_before(stocked: Site) -> None:
    line = refused(
        stocked,
        "receipt",
        "--from",
        "机要车",
        "--packet",
        "P-E01:语文:S-0607-AM:SL-1",
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
        "--at",
        t("10:10"),
    )
    assert "INVENTORY" in line
    assert "received twice" in line


def test_receipt_of_the_wrong_subject_forced(prepared: Site) -> None:
    forced(
        prepared,
        "INVENTORY",
        "receipt",
        "--from",
        "机要车",
        "--packet",
        "P-1:数学:S-0607-AM:SL-1",
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
        "--at",
        t("10:10"),
    )


def test_receipt_without_cctv_forced(prepared: Site) -> None:
    forced(
        prepared,
        "HANDLING",
        "receipt",
        "--from",
        "机要车",
        "--packet",
        "P-1:语文:S-0607-AM:SL-1",
        "--cctv",
        "off",
        *sign("O-005", "O-002"),
        "--at",
        t("10:10"),
    )


def test_receipt_with_the_camera_off_forced(prepared: Site) -> None:
    ok(
        prepared,
        "cctv",
        "off",
        "--camera",
        "CAM-1",
        *sign("O-002", "O-003"),
        "--at",
        t("10:05"),
    )
    forced(
        prepared,
        "CCTV",
        "receipt",
        "--from",
        "机要车",
        "--packet",
        "P-1:语文:S-0607-AM:SL-1",
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
        "--at",
        t("10:10"),
    )


MANIFEST = (
    "packet,subject,session,kind,seal\n"
    "P-M1,语文,S-0607-AM,paper,SM-1\n"
    "P-M2,语文,S-0607-AM,answer-sheet,SM-2\n"
    "P-M3,语文,S-0607-AM,,SM-3\n"
)


def test_receipt_from_a_manifest(prepared: Site, tmp_path: Path) -> None:
    csv_file = tmp_path / "despatch.csv"
    csv_file.write_text(MANIFEST, "utf-8")
    entry = ok(
        prepared,
        "receipt",
        "--from",
        "机要车",
        "--manifest",
        str(csv_file),
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
        "--at",
        t("10:10"),
    )
    body = entry["body"]
    assert entry["type"] == "receipt"
    assert body["expected"] == 3
    assert body["count"] == 3
    assert "missing" not in body
    assert [(p["id"], p["kind"], p["seal"]) for p in body["packets"]] == [
        ("P-M1", "paper", "SM-1"),
        ("P-M2", "answer-sheet", "SM-2"),
        ("P-M3", "paper", "SM-3"),
    ]
    assert verify_json(prepared)[0] == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("packet,subject,seal\nP-M1,语文,SM-1\n", "expected columns"),
        ("", "expected columns"),
        (
            "packet,subject,session,kind,seal\nP-M1,语文,S-0607-AM,video,SM-1\n",
            ":2: kind 'video'",
        ),
        ("packet,subject,session,kind,seal\nP-M1,语文,S-0607-AM,paper,\n", ":2:"),
        (
            "packet,subject,session,kind,seal\nP-M1,语文,S-0607-AM,paper,SM-1\n"
            "P-M1,语文,S-0607-AM,paper,SM-2\n",
            "listed twice",
        ),
        (
            "packet,subject,session,kind,seal\nP-M1,语文,S-9999,paper,SM-1\n",
            "S-9999: unknown session",
        ),
    ],
)
def test_receipt_bad_manifest(
    prepared: Site, tmp_path: Path, text: str, message: str
) -> None:
    csv_file = tmp_path / "despatch.csv"
    csv_file.write_text(text, "utf-8")
    line = refused(
        prepared,
        "receipt",
        "--from",
        "机要车",
        "--manifest",
        str(csv_file),
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
    )
    assert message in line


def test_receipt_missing_manifest_file(prepared: Site, tmp_path: Path) -> None:
    line = refused(
        prepared,
        "receipt",
        "--from",
        "机要车",
        "--manifest",
        str(tmp_path / "nope.csv"),
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
    )
    assert "nope.csv" in line
    assert "cannot read" in line


def test_receipt_scan_warns_and_stores_expected_and_missing(
    prepared: Site, tmp_path: Path
) -> None:
    csv_file = tmp_path / "despatch.csv"
    csv_file.write_text(MANIFEST, "utf-8")
    result = prepared.run(
        "receipt",
        "--from",
        "机要车",
        "--manifest",
        str(csv_file),
        "--scan",
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
        "--at",
        t("10:10"),
        input="P-M1\nP-XX\n\nP-M1\nP-M2\n",
    )
    assert result.exit_code == 0, result.stderr
    err = result.stderr.splitlines()
    unknown = next(i for i, s in enumerate(err) if "P-XX" in s)
    again = next(i for i, s in enumerate(err) if "P-M1" in s and "already" in s)
    ok_m2 = next(i for i, s in enumerate(err) if "ok P-M2" in s)
    missing = next(i for i, s in enumerate(err) if s.startswith("missing"))
    # each warning in the order scanned, not collected at the end
    assert unknown < again < ok_m2 < missing
    assert "not on the manifest" in err[unknown]
    assert "P-M3" in err[missing]
    body = last(prepared)["body"]
    assert body["expected"] == 3
    assert body["missing"] == ["P-M3"]
    assert [p["id"] for p in body["packets"]] == ["P-M1", "P-M2"]
    assert body["count"] == 2
    # the shortfall owes an incident: named at once, with its deadline
    assert (
        "owed: an incident report by 2026-06-06 10:40+08:00 (SEAL): "
        "2 packets received, 3 expected"
    ) in result.stdout
    assert "vaultctl incident --kind count-mismatch --ref" in result.stdout


def test_receipt_scan_with_nothing_scanned(prepared: Site, tmp_path: Path) -> None:
    csv_file = tmp_path / "despatch.csv"
    csv_file.write_text(MANIFEST, "utf-8")
    before = prepared.ledger.read_bytes()
    result = prepared.run(
        "receipt",
        "--from",
        "机要车",
        "--manifest",
        str(csv_file),
        "--scan",
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
        input="",
    )
    assert result.exit_code == 1
    assert "no packet received" in result.stderr
    assert prepared.ledger.read_bytes() == before


def test_receipt_scan_warns_at_once_through_a_pipe(
    prepared: Site, tmp_path: Path
) -> None:
    """A real process: the warning for a bad barcode comes before stdin ends."""
    csv_file = tmp_path / "despatch.csv"
    csv_file.write_text(MANIFEST, "utf-8")
    env = {**os.environ, **prepared.env()}
    cmd = [
        sys.executable,
        "-m",
        "vaultctl",
        "--vault",
        str(prepared.vault_dir),
        "--key-dir",
        str(prepared.key_dir),
        "receipt",
        "--from",
        "机要车",
        "--manifest",
        str(csv_file),
        "--scan",
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
        "--at",
        t("10:10"),
    ]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        encoding="utf-8",
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()

    def next_line_with(text: str) -> str:
        while True:
            line = lines.get(timeout=20)
            if text in line:
                return line

    try:
        assert proc.stdin is not None
        for code, expect in (
            ("P-XX", "not on the manifest"),
            ("P-M1", "ok P-M1"),
            ("P-M1", "already scanned"),
        ):
            proc.stdin.write(code + "\n")
            proc.stdin.flush()
            assert expect in next_line_with(code)
            assert proc.poll() is None  # still reading: the warning came at once
        proc.stdin.close()
        assert "P-M2" in next_line_with("missing")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    body = last(prepared)["body"]
    assert body["expected"] == 3
    assert body["missing"] == ["P-M2", "P-M3"]
    assert [p["id"] for p in body["packets"]] == ["P-M1"]


# --- issue, return, dispatch ----------------------------------------------------

ISSUE = [
    *("issue", "--session", "S-0607-AM", "--exam-room", "E01", "--to", "O-101"),
    *("--count", "1"),
]
RETURN = [
    *("return", "--session", "S-0607-AM", "--exam-room", "E01", "--from", "O-101"),
    *("--count", "1"),
]


def test_issue_return_dispatch(stocked: Site) -> None:
    # shift A has been on duty since 09:40 the day before: a warning only
    entry = ok(
        stocked,
        *ISSUE,
        "--packet",
        "P-E01:SL-1",
        "--cctv",
        "on",
        *sign("O-002", "O-101"),
        "--at",
        t("08:30", EXAM),
        quiet=("SHIFT-LONG",),
    )
    assert entry["type"] == "issue"
    assert entry["body"] == {
        "session": "S-0607-AM",
        "exam_room": "E01",
        "to": "O-101",
        "packets": [{"id": "P-E01", "seal": "SL-1"}],
        "count": 1,
        "seal_checked": True,
        "cctv": True,
    }
    entry = ok(
        stocked,
        *RETURN,
        "--packet",
        "P-E01:语文:S-0607-AM:SA-1",
        "--cctv",
        "on",
        *sign("O-101", "O-002"),
        "--at",
        t("11:45", EXAM),
    )
    assert entry["type"] == "return"
    assert entry["body"] == {
        "session": "S-0607-AM",
        "exam_room": "E01",
        "from": "O-101",
        "count": 1,
        "cctv": True,
        "packets": [
            {
                "id": "P-E01",
                "subject": "语文",
                "session": "S-0607-AM",
                "kind": "answer-sheet",
                "seal": "SA-1",
                "intact": True,
            }
        ],
    }
    entry = ok(
        stocked,
        "dispatch",
        "--count",
        "2",
        "--to",
        "外送车",
        "--packet",
        "P-E01:SA-1",
        "--packet",
        "P-E02:SL-2",
        "--cctv",
        "on",
        *sign("O-002", "O-005"),
        "--at",
        t("12:30", EXAM),
    )
    assert entry["type"] == "dispatch"
    assert entry["body"] == {
        "to": "外送车",
        "packets": [{"id": "P-E01", "seal": "SA-1"}, {"id": "P-E02", "seal": "SL-2"}],
        "count": 2,
        "seal_checked": True,
        "cctv": True,
    }
    entry = ok(
        stocked, "shift", "end", *sign("O-003", "O-004"), "--at", t("13:00", EXAM)
    )
    code, data = verify_json(stocked)
    assert code == 0, data["findings"]
    assert data["state"]["stock"] == []
    assert data["state"]["on_duty"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--session", "S-9999", "--exam-room", "E01", "--to", "O-101"],
            "--session S-9999: unknown session",
        ),
        (
            ["--session", "S-0607-AM", "--exam-room", "E09", "--to", "O-101"],
            "--exam-room E09: not an exam room of S-0607-AM",
        ),
        (
            ["--session", "S-0607-AM", "--exam-room", "E01", "--to", "O-999"],
            "--to O-999: unknown officer",
        ),
    ],
)
def test_issue_unknown_ids(stocked: Site, args: list[str], message: str) -> None:
    line = refused(
        stocked,
        "issue",
        *args,
        "--packet",
        "P-E01:SL-1",
        "--count",
        "1",
        "--cctv",
        "on",
        *sign("O-002", "O-101"),
    )
    assert message in line


@pytest.mark.parametrize("spec", ["P 1", ":SL-1", "P-E01/SL-1"])
def test_issue_malformed_packet(stocked: Site, spec: str) -> None:
    line = refused(
        stocked, *ISSUE, "--packet", spec, "--cctv", "on", *sign("O-002", "O-101")
    )
    assert f"--packet {spec!r}" in line


def test_issue_of_a_packet_never_received(stocked: Site) -> None:
    entry = forced(
        stocked,
        "INVENTORY",
        *ISSUE,
        "--packet",
        "P-NEVER:SL-9",
        "--cctv",
        "on",
        *sign("O-002", "O-101"),
        "--at",
        t("08:30", EXAM),
    )
    assert entry["body"]["packets"] == [{"id": "P-NEVER", "seal": "SL-9"}]


def test_issue_to_someone_else_than_the_invigilator(stocked: Site) -> None:
    forced(
        stocked,
        "NO-PROXY",
        "issue",
        "--session",
        "S-0607-AM",
        "--exam-room",
        "E01",
        "--to",
        "O-004",
        "--packet",
        "P-E01:SL-1",
        "--count",
        "1",
        "--cctv",
        "on",
        *sign("O-002", "O-004"),
        "--at",
        t("08:30", EXAM),
    )


def test_issue_too_early(stocked: Site) -> None:
    forced(
        stocked,
        "NO-PROXY",
        *ISSUE,
        "--packet",
        "P-E01:SL-1",
        "--cctv",
        "on",
        *sign("O-002", "O-101"),
        "--at",
        t("07:30", EXAM),
    )


def test_issue_not_signed_by_the_recipient(stocked: Site) -> None:
    forced(
        stocked,
        "HANDLING",
        *ISSUE,
        "--packet",
        "P-E01:SL-1",
        "--cctv",
        "on",
        *sign("O-002", "O-003"),
        "--at",
        t("08:30", EXAM),
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--session", "S-9999", "--exam-room", "E01", "--from", "O-101"],
            "--session S-9999: unknown session",
        ),
        (
            ["--session", "S-0607-AM", "--exam-room", "E09", "--from", "O-101"],
            "--exam-room E09: not an exam room of S-0607-AM",
        ),
        (
            ["--session", "S-0607-AM", "--exam-room", "E01", "--from", "O-999"],
            "--from O-999: unknown officer",
        ),
    ],
)
def test_return_unknown_ids(stocked: Site, args: list[str], message: str) -> None:
    line = refused(
        stocked,
        "return",
        *args,
        "--packet",
        "P-E01:语文:S-0607-AM:SA-1",
        "--count",
        "1",
        "--cctv",
        "on",
        *sign("O-101", "O-002"),
    )
    assert message in line


@pytest.mark.parametrize("spec", ["P-E01:语文", "P-E01:语文:S-0607-AM:SA:cracked"])
def test_return_malformed_packet(stocked: Site, spec: str) -> None:
    line = refused(
        stocked, *RETURN, "--packet", spec, "--cctv", "on", *sign("O-101", "O-002")
    )
    assert f"--packet {spec!r}" in line


def test_return_of_a_packet_not_issued(stocked: Site) -> None:
    forced(
        stocked,
        "INVENTORY",
        *RETURN,
        "--packet",
        "P-E02:语文:S-0607-AM:SA-2",
        "--cctv",
        "on",
        *sign("O-101", "O-002"),
        "--at",
        t("11:45", EXAM),
    )


def test_dispatch_of_a_packet_not_in_stock(stocked: Site) -> None:
    forced(
        stocked,
        "INVENTORY",
        "dispatch",
        "--count",
        "1",
        "--to",
        "外送车",
        "--packet",
        "P-NEVER",
        "--cctv",
        "on",
        *sign("O-002", "O-005"),
        "--at",
        t("12:30", EXAM),
    )


def test_dispatch_without_cctv(stocked: Site) -> None:
    forced(
        stocked,
        "HANDLING",
        "dispatch",
        "--count",
        "1",
        "--to",
        "外送车",
        "--packet",
        "P-E02",
        "--cctv",
        "off",
        *sign("O-002", "O-005"),
        "--at",
        t("12:30", EXAM),
    )


def test_dispatch_malformed_packet(stocked: Site) -> None:
    line = refused(
        stocked,
        "dispatch",
        "--count",
        "1",
        "--to",
        "外送车",
        "--packet",
        "P E02",
        "--cctv",
        "on",
        *sign("O-002", "O-005"),
    )
    assert "--packet 'P E02'" in line


# --- cctv --------------------------------------------------------------------------


def test_cctv_on_off_fault(vault: Site) -> None:
    for i, action in enumerate(["on", "off", "fault"]):
        entry = ok(
            vault,
            "cctv",
            action,
            "--camera",
            "CAM-1",
            *sign("O-002", "O-003"),
            "--at",
            t(f"09:1{i}"),
        )
        assert entry["type"] == "cctv"
        assert entry["body"] == {"action": action, "camera": "CAM-1"}
        cams = json.loads(vault.run("status", "--json").stdout)["cctv"]
        assert cams == {"CAM-1": action}


def test_cctv_fault_without_an_incident_is_reported(vault: Site) -> None:
    ok(
        vault,
        "cctv",
        "fault",
        "--camera",
        "CAM-1",
        *sign("O-002", "O-003"),
        "--at",
        t("09:10"),
    )
    assert ("CCTV", 4) in rules_found(vault)


def test_cctv_fault_with_an_incident(vault: Site) -> None:
    fault = ok(
        vault,
        "cctv",
        "fault",
        "--camera",
        "CAM-1",
        *sign("O-002", "O-003"),
        "--at",
        t("09:10"),
    )
    entry = ok(
        vault,
        "incident",
        "--kind",
        "cctv-fault",
        "--ref",
        str(fault["seq"]),
        "--text",
        "CAM-1 无信号，已报修",
        "--reported-to",
        "县考试中心",
        "--reported-at",
        "6/6 09:20",
        *sign("O-002", "O-001"),
        "--at",
        t("09:15"),
    )
    assert entry["body"]["kind"] == "cctv-fault"
    assert entry["body"]["refs"] == [4]
    assert verify_json(vault)[0] == 0


def test_cctv_off_with_papers_in_the_room(stocked: Site) -> None:
    forced(
        stocked,
        "CCTV",
        "cctv",
        "off",
        "--camera",
        "CAM-1",
        *sign("O-002", "O-003"),
        "--at",
        t("10:10"),
    )


@pytest.mark.parametrize("action", ["on", "off", "fault", "segment", "delete-footage"])
def test_cctv_unknown_camera(vault: Site, tmp_path: Path, action: str) -> None:
    extra = {
        "segment": [
            "--file",
            _segment_file(tmp_path),
            "--from",
            t("09:00"),
            "--to",
            t("09:05"),
        ],
        "delete-footage": ["--before", "2026-06-01"],
    }.get(action, [])
    line = refused(
        vault, "cctv", action, "--camera", "CAM-9", *extra, *sign("O-002", "O-003")
    )
    assert "--camera CAM-9: unknown camera" in line
    assert "CAM-1" in line


def test_cctv_segment_records_hash_and_size_of_a_large_file(
    vault: Site, tmp_path: Path
) -> None:
    video = tmp_path / "cam1-0606.mp4"
    chunk = hashlib.sha256(b"seed").digest() * 2048  # 64 KiB
    with video.open("wb") as f:
        for i in range(96):  # 6 MiB
            f.write(bytes([i]) + chunk[1:])
    expected = hashlib.sha256(video.read_bytes()).hexdigest()
    size = video.stat().st_size
    tracemalloc.start()
    try:
        entry = ok(
            vault,
            "cctv",
            "segment",
            "--camera",
            "CAM-1",
            "--file",
            str(video),
            "--from",
            "6/6 08:00",
            "--to",
            "2026-06-06T09:00:00+08:00",
            *sign("O-002", "O-003"),
            "--at",
            t("09:10"),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert entry["type"] == "cctv"
    assert entry["body"] == {
        "action": "segment",
        "camera": "CAM-1",
        "file": "cam1-0606.mp4",
        "sha256": expected,
        "size": size,
        "from": f"{datetime.now(TZ).year}-06-06T08:00:00+08:00",
        "to": t("09:00"),
    }
    assert size == 6 * 1024 * 1024
    assert peak < size // 2, f"peak {peak} bytes: the file was not streamed"


def test_cctv_segment_refusals(vault: Site, tmp_path: Path) -> None:
    line = refused(
        vault,
        "cctv",
        "segment",
        "--camera",
        "CAM-1",
        "--file",
        str(tmp_path / "gone.mp4"),
        "--from",
        t("09:00"),
        "--to",
        t("09:05"),
        *sign("O-002", "O-003"),
    )
    assert "gone.mp4" in line
    assert "cannot read" in line
    line = refused(
        vault,
        "cctv",
        "segment",
        "--camera",
        "CAM-1",
        "--file",
        _segment_file(tmp_path),
        "--from",
        t("09:05"),
        "--to",
        t("09:00"),
        *sign("O-002", "O-003"),
    )
    assert "--from is after --to" in line


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (
            ["cctv", "segment", "--camera", "CAM-1", "--to", t("09:05"), "--from"],
            "--from",
        ),
        (
            ["cctv", "segment", "--camera", "CAM-1", "--from", t("09:00"), "--to"],
            "--to",
        ),
        (["cctv", "delete-footage", "--camera", "CAM-1", "--before"], "--before"),
        (
            [
                "incident",
                "--kind",
                "other",
                "--text",
                "x",
                "--reported-to",
                "县考试中心",
                "--reported-at",
            ],
            "--reported-at",
        ),
    ],
)
def test_unparsable_times_name_their_option(
    vault: Site, tmp_path: Path, command: list[str], option: str
) -> None:
    if command[1] == "segment":
        command = [*command[:4], "--file", _segment_file(tmp_path), *command[4:]]
    line = refused(
        vault, *command, "明天早上", *sign("O-002", "O-003"), "--at", t("09:10"), code=2
    )
    assert "明天早上" in line
    assert "not a time" in line
    assert f"{option} '明天早上'" in line, line


def test_cctv_delete_footage(vault: Site) -> None:
    entry = ok(
        vault,
        "cctv",
        "delete-footage",
        "--camera",
        "CAM-1",
        "--before",
        "2026-06-01",
        *sign("O-001", "O-002"),
        "--at",
        t("09:10"),
    )
    assert entry["body"] == {
        "action": "delete-footage",
        "camera": "CAM-1",
        "before": "2026-06-01T00:00:00+08:00",
    }


def test_cctv_delete_footage_too_early(vault: Site) -> None:
    forced(
        vault,
        "FOOTAGE",
        "cctv",
        "delete-footage",
        "--camera",
        "CAM-1",
        "--before",
        "2026-06-08",
        *sign("O-001", "O-002"),
        "--at",
        t("09:10"),
    )


# --- incident -------------------------------------------------------------------------


def test_incident_after_a_broken_seal(stocked: Site) -> None:
    broken = ok(
        stocked,
        "receipt",
        "--from",
        "机要车",
        "--packet",
        "P-E03:语文:S-0607-AM:SL-3:broken",
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
        "--at",
        t("10:10"),
    )
    entry = ok(
        stocked,
        "incident",
        "--kind",
        "seal-broken",
        "--ref",
        str(broken["seq"]),
        "--ref",
        "1",
        "--text",
        "P-E03 封条破损，已封存现场",
        "--reported-to",
        "县考试中心 王主任",
        "--reported-at",
        "2026-06-06T10:20",
        *sign("O-002", "O-001"),
        "--at",
        t("10:15"),
    )
    assert entry["type"] == "incident"
    assert entry["body"] == {
        "kind": "seal-broken",
        "refs": [broken["seq"], 1],
        "text": "P-E03 封条破损，已封存现场",
        "reported_to": "县考试中心 王主任",
        "reported_at": t("10:20"),
    }
    assert verify_json(stocked)[0] == 0
    status = json.loads(stocked.run("status", "--json").stdout)
    assert status["incidents"][-1]["seq"] == entry["seq"]


def test_broken_seal_without_an_incident_is_reported(stocked: Site) -> None:
    broken = ok(
        stocked,
        "receipt",
        "--from",
        "机要车",
        "--packet",
        "P-E03:语文:S-0607-AM:SL-3:broken",
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
        "--at",
        t("10:10"),
    )
    assert ("SEAL", broken["seq"]) in rules_found(stocked)


@pytest.mark.parametrize("ref", ["99", "4", "-1"])
def test_incident_ref_to_a_seq_that_does_not_exist(vault: Site, ref: str) -> None:
    line = refused(
        vault,
        "incident",
        "--kind",
        "other",
        "--ref",
        "1",
        "--ref",
        ref,
        "--text",
        "x",
        "--reported-to",
        "县考试中心",
        "--reported-at",
        t("09:10"),
        *sign("O-002", "O-001"),
        "--at",
        t("09:10"),
    )
    assert f"--ref {ref}: no such entry" in line


def test_incident_reported_late(vault: Site) -> None:
    forced(
        vault,
        "REPORTED",
        "incident",
        "--kind",
        "leak",
        "--occurred-at",
        t("09:05"),
        "--text",
        "疑似泄密",
        "--reported-to",
        "县考试中心",
        "--reported-at",
        t("11:00"),
        *sign("O-002", "O-001"),
        "--at",
        t("09:10"),
    )


# --- status, rules, verify --lang --------------------------------------------


def test_status_after_receipt_and_issue(stocked: Site) -> None:
    ok(
        stocked,
        "presence",
        "leave",
        "--member",
        "O-004",
        "--reason",
        "办事:取文件",
        *sign("O-003", "O-004"),
        "--at",
        t("10:10"),
    )
    ok(
        stocked,
        *ISSUE,
        "--packet",
        "P-E01:SL-1",
        "--cctv",
        "on",
        *sign("O-002", "O-101"),
        "--at",
        t("08:30", EXAM),
        quiet=("SHIFT-LONG", "AWAY-LONG"),  # O-004 never came back
    )
    head = last(stocked)
    result = stocked.run("status", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["stock"] == [
        {"subject": "语文", "session": "S-0607-AM", "kind": "paper", "packets": 1}
    ]
    assert data["out"] == ["P-E01"]
    assert data["keys"] == {
        "K-C1-A": "O-001",
        "K-C1-B": "O-002",
        "K-D1": "O-002",
        "K-D2": "O-003",
    }
    assert data["on_duty"]["shift"] == "A"
    assert data["on_duty"]["leader"] == "O-003"
    assert data["on_duty"]["members"] == ["O-003", "O-004", "O-009"]
    assert data["on_duty"]["on_site"] == ["O-003", "O-009"]
    assert data["cctv"] == {"CAM-1": "on"}
    assert data["seq"] == head["seq"]
    assert data["head"] == head["hash"]
    assert data["last_ts"] == t("08:30", EXAM)
    assert data["site"] == "S-TEST-01"

    text = stocked.run("status")
    assert text.exit_code == 0
    out = text.stdout
    assert re.search(r"语文\s+S-0607-AM\s+paper\s+1", out), out
    assert "P-E01" in out
    for key, holder in data["keys"].items():
        assert re.search(rf"{key}\s+{holder}", out), (key, out)
    assert re.search(r"leader\s+O-003", out)
    assert re.search(r"on site\s+O-003 O-009", out)
    assert re.search(r"CAM-1\s+on", out)
    assert f"#{head['seq']} {head['ts']}" in out
    assert head["hash"] in out


def test_rules_list_every_rule_with_levels(stocked: Site, tmp_path: Path) -> None:
    result = stocked.run("rules", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert len(data) == 31 == len(rules.REGISTRY)
    levels = {r["id"]: r["level"] for r in data}
    assert levels["PATROL"] == "off"
    warn = {"OPEN-LONG", "AWAY-LONG", "SHIFT-LONG"}  # issue 20: warnings
    assert {rid for rid, lv in levels.items() if lv == "warn"} == warn
    assert {lv for rid, lv in levels.items() if rid not in {"PATROL", *warn}} == {
        "error"
    }
    assert all(r["clause"] and r["title"] and r["title_zh"] for r in data)
    assert next(r for r in data if r["id"] == "TIME-ORDER")["params"] == {
        "time_back_minutes": 10,
        "time_ahead_minutes": 5,
    }
    text = stocked.run("rules").stdout
    for rid in rules.REGISTRY:
        assert rid in text
    assert re.search(r"^PATROL .*\boff\s*$", text, re.M), text
    assert len(re.findall(r"\berror\s*$", text, re.M)) == 27
    # with no vault, the defaults
    nowhere = stocked.runner.invoke(
        cli,
        ["--vault", str(tmp_path / "none"), "rules", "--json"],
    )
    assert nowhere.exit_code == 0
    assert {r["id"]: r["level"] for r in json.loads(nowhere.stdout)} == levels


def _broken_vault(stocked: Site) -> None:
    forced(
        stocked,
        "CCTV",
        "cctv",
        "off",
        "--camera",
        "CAM-1",
        *sign("O-002", "O-003"),
        "--at",
        t("10:10"),
    )


def test_verify_lang_zh(stocked: Site) -> None:
    _broken_vault(stocked)
    en = stocked.run("--lang", "en", "verify")
    zh = stocked.run("--lang", "zh", "verify")
    assert en.exit_code == zh.exit_code == 1
    for heading in (
        "Summary",
        "Integrity findings",
        "Compliance findings",
        "State at the end",
    ):
        assert heading in en.stdout
        assert heading not in zh.stdout
    for heading in ("概要", "完整性问题", "合规问题", "期末状态"):
        assert heading in zh.stdout
    assert "CAM-1 switched off with papers in the room" in en.stdout
    assert "试卷在库时关闭了 CAM-1" in zh.stdout
    assert "switched off" not in zh.stdout
    # the forced write explained itself in the chosen language too
    assert "CCTV" in zh.stdout
    assert "四.四" in zh.stdout


def test_verify_lang_zh_translates_table_headers(stocked: Site) -> None:
    _broken_vault(stocked)
    zh = stocked.run("--lang", "zh", "verify").stdout
    for english in ("explanation", "officers", "entries", "subject", "holder"):
        assert not re.search(rf"\b{english}\b", zh), f"{english!r} in:\n{zh}"


def test_force_message_in_chinese(stocked: Site) -> None:
    result = stocked.run(
        "--lang",
        "zh",
        "cctv",
        "off",
        "--camera",
        "CAM-1",
        *sign("O-002", "O-003"),
        "--at",
        t("10:10"),
        "--force",
    )
    assert result.exit_code == 0
    assert "已用 --force 记录：CCTV（四.四）：试卷在库时关闭了 CAM-1" in result.stderr


# --- found while probing -----------------------------------------------------------


def test_receipt_of_the_same_packet_twice_in_one_entry(stocked: Site) -> None:
    # INVENTORY: "packets are received once"; a manifest listing a packet twice is
    # refused, the same packet typed twice with --packet must be too
    line = refused(
        stocked,
        "receipt",
        "--from",
        "机要车",
        "--packet",
        "P-9:语文:S-0607-AM:SL-9",
        "--packet",
        "P-9:语文:S-0607-AM:SL-9",
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
        "--at",
        t("10:10"),
    )
    assert "P-9" in line


def test_issue_of_the_same_packet_twice_in_one_entry(stocked: Site) -> None:
    line = refused(
        stocked,
        *ISSUE,
        "--packet",
        "P-E01:SL-1",
        "--packet",
        "P-E01:SL-1",
        "--cctv",
        "on",
        *sign("O-002", "O-101"),
        "--at",
        t("08:30", EXAM),
    )
    assert "P-E01" in line


@pytest.mark.parametrize("at", ["0001-01-01T00:00+09:00", "9999-12-31T23:00-05:00"])
def test_out_of_range_times_are_bad_input_not_a_crash(
    stocked: Site, tmp_path: Path, at: str
) -> None:
    line = refused(
        stocked, "note", "--text", "x", *sign("O-003", "O-004"), "--at", at, code=2
    )
    assert at in line
    assert "internal error" not in line
    line = refused(
        stocked,
        "cctv",
        "segment",
        "--camera",
        "CAM-1",
        "--file",
        _segment_file(tmp_path),
        "--from",
        at,
        "--to",
        t("10:00"),
        *sign("O-002", "O-003"),
        "--at",
        t("10:10"),
        code=2,
    )
    assert at in line
    assert "internal error" not in line


def test_an_owed_incident_reminds_but_does_not_block_later_entries(
    stocked: Site,
) -> None:
    broken = ok(
        stocked,
        "receipt",
        "--from",
        "机要车",
        "--packet",
        "P-E03:语文:S-0607-AM:SL-3:broken",
        "--cctv",
        "on",
        *sign("O-005", "O-002"),
        "--at",
        t("10:10"),
    )
    result = stocked.run(
        "note", "--text", "巡查", *sign("O-003", "O-004"), "--at", t("11:00")
    )
    assert result.exit_code == 0, result.stderr
    assert f"reminder about #{broken['seq']}: SEAL" in result.stderr
    assert ("SEAL", broken["seq"]) in rules_found(stocked)


def test_a_broken_seal_names_the_incident_owed_and_status_lists_it(
    stocked: Site,
) -> None:
    args = [
        "receipt",
        "--from",
        "机要车",
        "--packet",
        "P-E03:语文:S-0607-AM:SL-3:broken",
    ]
    result = stocked.run(
        *args, "--cctv", "on", *sign("O-005", "O-002"), "--at", t("10:10")
    )
    assert result.exit_code == 0, result.stderr
    seq = json.loads(stocked.lines()[-1])["seq"]
    lines = result.stdout.splitlines()
    assert lines[1] == (
        "owed: an incident report by 2026-06-06 10:40+08:00 (SEAL): P-E03 seal broken"
    )
    assert lines[2] == (
        f"  vaultctl incident --kind seal-broken --ref {seq} "
        '--text "<what happened>" --reported-to "<reported to whom>" '
        '--reported-at "<when reported>" --signer O-005 --signer O-002'
    )
    shown = stocked.run("status").stdout.splitlines()
    assert shown[0] == "Owed now (earliest first):"
    assert shown[1] == "  " + lines[1]
    owed = json.loads(stocked.run("status", "--json").stdout)["owed"]
    assert owed[0]["kind"] == "seal-broken" and owed[0]["refs"] == [seq]
    zh = stocked.run("--lang", "zh", "status").stdout.splitlines()
    assert zh[1] == (
        "  须报告事件：截止 2026-06-06 10:40+08:00（SEAL）：P-E03 密封破损"
    )
    ok(
        stocked,
        "incident",
        "--kind",
        "seal-broken",
        "--ref",
        str(seq),
        "--text",
        "封条破损，已封存",
        "--reported-to",
        "县考试中心",
        "--reported-at",
        t("10:20"),
        *sign("O-002", "O-001"),
        "--at",
        t("10:15"),
    )
    assert json.loads(stocked.run("status", "--json").stdout)["owed"] == []


def test_cctv_off_with_papers_stored_names_the_camera_to_restart(
    stocked: Site,
) -> None:
    result = stocked.run(
        "cctv", "off", "--camera", "CAM-1", *sign("O-003", "O-004"), "--force"
    )
    assert "owed at once: recording back on (CCTV)" in result.stdout
    assert "  vaultctl cctv on --camera CAM-1 --signer O-003 --signer O-004" in (
        result.stdout
    )
