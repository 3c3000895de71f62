"""The vault on disk: line reading, the tail, the lock, concurrent writers."""

from __future__ import annotations

import io
import multiprocessing
from pathlib import Path

import pytest

from vaultctl import verify
from vaultctl.core.errors import LedgerError, LockTimeoutError, RefusedError
from vaultctl.store import ledger, writer
from vaultctl.store.ledger import Vault

from .conftest import Site, private_key
from .test_tamper import entries


def test_read_lines_marks_the_torn_tail() -> None:
    data = io.BytesIO(b'{"a":1}\n{"b":2}\n{"c"')
    assert list(ledger.read_lines(data)) == [
        (b'{"a":1}', True),
        (b'{"b":2}', True),
        (b'{"c"', False),
    ]


def test_read_lines_never_loads_an_over_long_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ledger, "MAX_LINE", 8)
    data = io.BytesIO(b"x" * 30 + b"\n" + b"ok\n")
    got = list(ledger.read_lines(data))
    assert got[0][1] is True and got[0][0] != b"x" * 30
    assert got[1] == (b"ok", True)


def test_tail_finds_last_line_and_torn_bytes(vault: Site) -> None:
    last = vault.lines()[-1].rstrip(b"\n")
    assert vault.vault.tail() == ledger.Tail(last, b"")
    with vault.ledger.open("ab") as f:
        f.write(b"torn")
    assert vault.vault.tail() == ledger.Tail(last, b"torn")


def test_lock_times_out(vault: Site) -> None:
    with (
        vault.vault.locked(),
        pytest.raises(LockTimeoutError),
        Vault(vault.vault_dir).locked(timeout=0.2),
    ):
        pass


def test_bad_lock_timeout_variable(
    vault: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAULTCTL_LOCK_TIMEOUT", "soon")
    with pytest.raises(LedgerError, match="not a number"):
        ledger.lock_timeout()


def test_append_refuses_a_newline(vault: Site) -> None:
    with pytest.raises(LedgerError):
        vault.vault.append_line(b"a\nb")


def test_genesis_only_first(vault: Site) -> None:
    body = entries(vault)[0].body
    before = vault.ledger.read_bytes()
    with pytest.raises(RefusedError, match="genesis"):
        vault.append("genesis", body, "2026-06-06T12:00:00+08:00", ("O-001", "O-002"))
    assert vault.ledger.read_bytes() == before


def test_writer_refuses_an_invalid_body(vault: Site) -> None:
    before = vault.ledger.read_bytes()
    with pytest.raises(RefusedError, match="body: missing field 'text'"):
        vault.append("note", {"txt": "x"}, "2026-06-06T12:00:00+08:00")
    assert vault.ledger.read_bytes() == before


def _writer(args: tuple[str, int, int]) -> None:
    vault_dir, worker, count = args
    signers = [
        writer.Signer("O-003", private_key("O-003")),
        writer.Signer("O-004", private_key("O-004")),
    ]
    for i in range(count):
        writer.append(
            Vault(Path(vault_dir)),
            "note",
            {"text": f"w{worker}-{i}"},
            "2026-06-06T12:00:00+08:00",
            signers,
        )


def test_concurrent_writers_queue_and_lose_nothing(vault: Site) -> None:
    workers, count = 4, 8
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        pool.map(_writer, [(str(vault.vault_dir), w, count) for w in range(workers)])
    report = verify.run(vault.vault.lines())
    assert report.integrity == []
    assert report.entries == 4 + workers * count
    texts = {e.body.get("text") for e in entries(vault)}
    assert {f"w{w}-{i}" for w in range(workers) for i in range(count)} <= texts


def test_writer_refuses_after_a_line_from_another_log(vault: Site) -> None:
    lines = vault.lines()
    foreign = lines[-1].replace(lines[0][lines[0].index(b'"log":"') :][7:39], b"f" * 32)
    vault.write_lines([*lines, foreign])
    before = vault.ledger.read_bytes()
    with pytest.raises(LedgerError, match=r"line 5 fails verification \(wrong-log"):
        vault.append("note", {"text": "x"}, "2026-06-06T12:00:00+08:00")
    assert vault.ledger.read_bytes() == before


def test_writer_refuses_to_build_on_a_forged_roster_line(vault: Site) -> None:
    """A roster change signed with keys that do not count (here: an outsider's)
    must not become the roster the writer checks the next entry against."""
    import json

    from vaultctl.core import canonical
    from vaultctl.rules.state import replay

    from .conftest import OUTSIDER

    state = replay(entries(vault))
    forged = writer.build(
        state,
        "2026-06-06T10:00:00+08:00",
        "roster",
        {"action": "suspend", "id": "O-002"},
        vault.signers(OUTSIDER, "O-003"),
    )
    vault.write_lines([*vault.lines(), canonical.encode(forged.to_dict()) + b"\n"])
    before = vault.ledger.read_bytes()
    with pytest.raises(LedgerError, match=r"line 5 fails verification \(unknown-s"):
        vault.append("note", {"text": "x"}, "2026-06-06T12:00:00+08:00")
    assert vault.ledger.read_bytes() == before
    assert json.loads(vault.lines()[-1])["type"] == "roster"
