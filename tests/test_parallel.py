"""``verify --jobs N`` reports exactly what one process reports.

Chunks of four lines, so every edge case sits at a chunk edge: tampered lines
at k*chunk-1, k*chunk and k*chunk+1, roster changes that add or revoke a key
used later in the same chunk, forged lines and forged roster lines. Also: the
C-encoder fast path agrees with the exact encoder on every line it accepts.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from vaultctl import verify
from vaultctl.core import canonical, keys
from vaultctl.rules.state import State
from vaultctl.store import config, writer
from vaultctl.verify import parallel

from .conftest import OUTSIDER, private_key, site_toml

CHUNK = 4
NOW = datetime.fromisoformat("2026-06-07T00:00:00+08:00")
NEW_KEY = Ed25519PrivateKey.from_private_bytes(bytes([77]) * 32)


def ts(i: int) -> str:
    return f"2026-06-06T{9 + i // 60:02d}:{i % 60:02d}:00+08:00"


def key_ref(private: Ed25519PrivateKey) -> dict[str, str]:
    raw = keys.raw_public(private)
    return {"key": keys.key_id(raw), "public_key": keys.format_public_key(raw)}


class Log:
    """Entries built in one pass with writer.build (no checks: a forger's tool)."""

    def __init__(self, tmp: Path) -> None:
        (tmp / "site.toml").write_text(site_toml(), "utf-8")
        self.state = State()
        self.lines: list[bytes] = []
        self.add("genesis", config.load(tmp / "site.toml"), ("O-001", "O-002"))

    def add(
        self,
        kind: str,
        body: dict[str, Any],
        ids: tuple[str, ...] = ("O-003", "O-004"),
        private: dict[str, Ed25519PrivateKey] | None = None,
        apply: bool = True,
    ) -> None:
        signers = [
            writer.Signer(i, (private or {}).get(i) or private_key(i)) for i in ids
        ]
        entry = writer.build(self.state, ts(len(self.lines)), kind, body, signers)
        if apply:
            self.state.apply(entry)
        self.lines.append(canonical.encode(entry.to_dict()))

    def notes(self, n: int) -> None:
        for _ in range(n):
            self.add("note", {"text": f"记录 {len(self.lines)}"})


def feed(lines: list[bytes]) -> list[tuple[bytes, bool]]:
    return [(line, True) for line in lines]


def same_report(
    lines: list[tuple[bytes, bool]], monkeypatch: pytest.MonkeyPatch
) -> Any:
    monkeypatch.setattr(parallel, "CHUNK", CHUNK)
    one = verify.run(lines, now=NOW).to_dict()
    two = verify.run(lines, now=NOW, jobs=2).to_dict()
    assert two == one
    return one


def codes(report: dict[str, Any]) -> list[tuple[int, str]]:
    return [(f["line"], f["code"]) for f in report["integrity"]]


def test_clean_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = Log(tmp_path)
    log.notes(14)
    report = same_report(feed(log.lines), monkeypatch)
    assert report["exit"] == 0 and report["entries"] == 15


def flip(line: bytes) -> bytes:
    obj = json.loads(line)
    obj["body"]["text"] += "!"
    return canonical.encode(obj)


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_tampered_line_at_chunk_edges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, k: int, offset: int
) -> None:
    log = Log(tmp_path)
    log.notes(16)
    at = k * CHUNK + offset  # 0-based index of the line
    log.lines[at] = flip(log.lines[at])
    report = same_report(feed(log.lines), monkeypatch)
    assert (at + 1, "hash-mismatch") in codes(report)


def test_key_added_and_used_in_the_same_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = Log(tmp_path)
    log.notes(4)  # lines 1-5; line 6 (index 5) is in the second chunk
    log.add(
        "roster",
        {"action": "add-key", "id": "O-003", "key": key_ref(NEW_KEY)},
        ("O-001", "O-002"),
    )
    log.add("note", {"text": "新钥匙"}, private={"O-003": NEW_KEY})
    log.notes(6)
    report = same_report(feed(log.lines), monkeypatch)
    assert report["exit"] == 0


def test_key_revoked_and_used_in_the_same_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = Log(tmp_path)
    log.notes(5)
    revoked = key_ref(private_key("O-003"))["key"]
    log.add(
        "roster",
        {"action": "revoke-key", "id": "O-003", "key": revoked, "reason": "丢失"},
        ("O-001", "O-002"),
    )
    log.add("note", {"text": "已吊销的钥匙"})  # signed with the revoked key
    log.notes(5)
    report = same_report(feed(log.lines), monkeypatch)
    assert (8, "revoked-key") in codes(report)


def test_forged_roster_line_cannot_lend_its_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forged roster line names the outsider's key by its true id, so the
    workers verify later signatures with it; the roster in force never got it."""
    log = Log(tmp_path)
    log.notes(2)
    outsider = private_key(OUTSIDER)
    log.add(
        "roster",
        {"action": "add-key", "id": "O-003", "key": key_ref(outsider)},
        (OUTSIDER, "O-004"),
        apply=True,
    )
    log.add("note", {"text": "伪造"}, private={"O-003": outsider})
    log.notes(3)
    report = same_report(feed(log.lines), monkeypatch)
    assert (4, "unknown-signer") in codes(report)
    assert (5, "unknown-key") in codes(report)


def test_forged_line_and_slow_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = Log(tmp_path)
    log.notes(3)
    log.add("note", {"text": "冒名"}, private={"O-003": private_key(OUTSIDER)})
    log.notes(3)
    log.add("note", {"text": "emoji 😀 and \u0065\u0301"})
    log.notes(3)
    lines = feed(log.lines)
    lines[2] = (lines[2][0].replace(b'"v":2', b'"v": 2'), True)  # non-canonical
    lines[6] = (b'{"v":2,"v":2}', True)  # bad json
    lines.append((b'{"torn', False))
    report = same_report(lines, monkeypatch)
    found = codes(report)
    assert (5, "bad-signature") in found or (5, "unknown-key") in found
    assert (3, "non-canonical") in found and (7, "bad-json") in found
    assert found[-1] == (13, "torn-line")


def test_verdicts_keep_memory_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader is never more than 2 * jobs chunks ahead of the parent."""
    monkeypatch.setattr(parallel, "CHUNK", CHUNK)
    read = []

    def lines() -> Any:
        for i in range(100):
            read.append(i)
            yield b"{}", True

    stream = parallel.verdicts(lines(), 2)
    next(stream)
    assert len(read) <= 4 * CHUNK + CHUNK


# --- the fast path agrees with the exact encoder ---------------------------------

leaves = st.one_of(
    st.integers(-(2**53) + 1, 2**53 - 1), st.booleans(), st.text(max_size=8)
)
bodies = st.dictionaries(
    st.text(max_size=6),
    st.recursive(
        leaves,
        lambda c: (
            st.lists(c, max_size=3)
            | st.dictionaries(st.text(max_size=4), c, max_size=3)
        ),
        max_leaves=8,
    ),
    max_size=5,
)


@given(bodies)
def test_fast_line_agrees_with_the_exact_path(body: dict[str, Any]) -> None:
    entry = {
        "v": 2,
        "log": "a" * 32,
        "seq": 1,
        "prev": "b" * 64,
        "ts": "2026-06-06T09:00:00+08:00",
        "type": "note",
        "body": body,
        "sigs": [{"by": "O-1", "key": "c" * 16, "sig": "A" * 86 + "=="}],
        "hash": "d" * 64,
    }
    try:
        line = canonical.encode(entry)
    except canonical.CanonicalError:
        return
    fast = canonical.FastLine.check(line)
    exact = canonical.EntryBytes(canonical.parse(line))
    if fast is not None:
        assert canonical.first_non_nfc(entry) is None
        assert fast.line == exact.line
        assert fast.hash == exact.hash and fast.signed == exact.signed
    # a re-ordered or re-spaced line is never taken as canonical
    spaced = line.replace(b":", b": ", 1)
    assert canonical.FastLine.check(spaced) is None


def test_findings_beyond_the_cap_are_counted_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = Log(tmp_path)
    log.notes(9)
    for at in (2, 4, 6, 8):
        log.lines[at] = flip(log.lines[at])
    monkeypatch.setattr(parallel, "CHUNK", CHUNK)
    report = verify.run(feed(log.lines), now=NOW, cap=2).to_dict()
    assert verify.run(feed(log.lines), now=NOW, cap=2, jobs=2).to_dict() == report
    hashes = [c for c in codes(report) if c[1] == "hash-mismatch"]
    assert hashes == [(3, "hash-mismatch"), (5, "hash-mismatch")]
    assert report["integrity_dropped"]["hash-mismatch"] == 2
    # a line past the cap is still not sound: nothing after it is trusted more
    assert report["exit"] == verify.EXIT_INTEGRITY


# --- start-up: commands are imported when used -------------------------------


def test_the_lazy_command_table_lists_every_command() -> None:
    import importlib
    from pathlib import Path as P

    from vaultctl import cli as cli_pkg

    here = P(cli_pkg.__file__).parent
    modules = {p.stem for p in here.glob("*.py")} - {"__init__", "common", "localise"}
    assert set(cli_pkg.MODULES) == modules
    found = {}
    for module in cli_pkg.MODULES:
        mod = importlib.import_module(f"vaultctl.cli.{module}")
        for command in mod.COMMANDS:
            attr = next(a for a, v in vars(mod).items() if v is command)
            found[command.name] = (module, attr)
    assert found == cli_pkg.LAZY


def test_version_imports_no_command_module() -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom vaultctl.cli import cli\n"
        "try:\n    cli.main(['--version'], prog_name='vaultctl')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('vaultctl.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()[-1]
    # NOTE: the language is chosen before anything (i18n, localise: light);
    # no command module, no verifier, no tabulate
    assert out == str(
        [
            "vaultctl.cli",
            "vaultctl.cli.localise",
            "vaultctl.core",
            "vaultctl.core.errors",
            "vaultctl.core.i18n",
        ]
    )


def test_a_body_of_the_wrong_shape_is_judged_by_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker also checks the body's shape (issue 24: the parent then reads
    the entry without checking it again); a line whose body is wrong, with
    its hash recomputed, gets the same findings with and without workers."""
    log = Log(tmp_path)
    log.notes(6)
    obj = json.loads(log.lines[3])
    obj["body"]["colour"] = "red"
    obj["hash"] = canonical.entry_hash(obj)
    log.lines[3] = canonical.encode(obj)
    report = same_report(feed(log.lines), monkeypatch)
    assert codes(report)[0] == (4, "bad-schema")


def test_an_entry_read_back_equals_the_entry_checked(tmp_path: Path) -> None:
    from vaultctl.core.model import Entry

    log = Log(tmp_path)
    log.notes(3)
    for line in log.lines:
        obj = json.loads(line)
        assert Entry.checked(obj) == Entry.from_dict(obj)
        assert Entry.checked(obj).moment == Entry.from_dict(obj).moment
