"""Issue 10: what vaultctl shows or co-signs has been verified, and one append.

Each test reproduces one hole found by an adversarial review of the code
before this change, and shows it closed.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
from pathlib import Path
from unittest import mock

import pytest

from vaultctl.core import canonical
from vaultctl.core.errors import RefusedError
from vaultctl.store import check, footage, writer
from vaultctl.store.ledger import Vault

from .conftest import Site
from .test_tamper import edit
from .test_tlog import write_checkpoint

NOTE = ("note", "--signer", "O-003", "--signer", "O-004", "--text")


def forge_line(vault: Site, index: int, text: str = "伪造") -> bytes:
    """Line ``index`` with its text changed and its hash recomputed: the chain
    and hash hold, the signatures do not."""
    lines = vault.lines()
    lines[index] = edit(lines[index], lambda o: o["body"].update(text=text), True)
    vault.write_lines(lines)
    return vault.ledger.read_bytes()


# --- writers never build on what does not verify ----------------------------


@pytest.mark.parametrize("index", [2, 3], ids=["middle", "last"])
def test_writers_refuse_to_append_after_a_forged_line(vault: Site, index: int) -> None:
    before = forge_line(vault, index)
    result = vault.run(*NOTE, "之后的记录")
    assert result.exit_code == 1
    assert f"line {index + 1} fails verification (bad-signature" in result.stderr
    assert vault.ledger.read_bytes() == before


def test_the_library_append_refuses_too(vault: Site) -> None:
    before = forge_line(vault, 2)
    with pytest.raises(Exception, match="line 3 fails verification"):
        vault.append("note", {"text": "x"}, "2026-06-06T11:00:00+08:00")
    assert vault.ledger.read_bytes() == before


def test_force_is_off_by_default_in_the_library(vault: Site) -> None:
    """``writer.append`` used to default to force=True."""
    before = vault.ledger.read_bytes()
    with pytest.raises(RefusedError, match="ROSTER-AUTH"):
        vault.append(
            "roster",
            {"action": "train", "id": "O-005", "date": "2026-05-02"},
            "2026-06-06T11:00:00+08:00",
            ("O-003", "O-004"),  # not co-signed by the site head
        )
    assert vault.ledger.read_bytes() == before


# --- status and log say so at the top ---------------------------------------


def test_status_and_log_say_first_that_the_log_fails(vault: Site) -> None:
    forge_line(vault, 2, "伪造的巡查记录")
    status = vault.run("status")
    assert status.stdout.startswith("WARNING: this log FAILS verification")
    assert "line 3 bad-signature" in status.stdout.splitlines()[0]
    log = vault.run("log")
    assert log.stdout.startswith("WARNING: this log FAILS verification")
    assert "✗2" in log.stdout  # the forged entry is marked
    as_json = vault.run("status", "--json")
    doc = json.loads(as_json.stdout)
    assert doc["verified"] is False and doc["integrity"][0]["line"] == 3
    lines = vault.run("log", "--json")
    assert "FAILS verification" in lines.stderr
    assert all(json.loads(x) for x in lines.stdout.splitlines())


def test_status_of_an_honest_log_has_no_warning(vault: Site) -> None:
    assert not vault.run("status").stdout.startswith("WARNING")
    assert json.loads(vault.run("status", "--json").stdout)["verified"] is True


# --- checkpoint co-signs only a log that verifies with its anchors ------------


def test_checkpoint_refuses_a_truncated_log(vault: Site) -> None:
    """It used to verify without the stored checkpoints and co-sign the cut log."""
    write_checkpoint(
        vault.vault, writer.load_state(vault.vault), vault.signers("O-001", "O-002")
    )
    vault.write_lines(vault.lines()[:3])
    result = vault.run("checkpoint", "--signer", "O-001", "--signer", "O-002")
    assert result.exit_code == 1 and "fails verification" in result.stderr
    assert "checkpoint-mismatch" in result.stderr
    assert len(list((vault.vault_dir / "checkpoints").glob("*.note"))) == 1


SHIFT_START = (
    "shift",
    "start",
    "--leader",
    "O-003",
    "--member",
    "O-004",
    "--member",
    "O-009",
    "--signer",
    "O-003",
    "--signer",
    "O-004",
)
HANDOVER = (
    "shift",
    "handover",
    "--leader",
    "O-005",
    "--member",
    "O-006",
    "--member",
    "O-010",
    "--signer",
    "O-003",
    "--signer",
    "O-005",
)


def test_no_entry_and_no_handover_on_a_truncated_log(vault: Site) -> None:
    assert vault.run(*SHIFT_START, "--at", "2026-06-06T09:30").exit_code == 0
    write_checkpoint(
        vault.vault, writer.load_state(vault.vault), vault.signers("O-001", "O-002")
    )
    cut = vault.lines()[:4]
    vault.write_lines(cut)
    result = vault.run(*HANDOVER, "--at", "2026-06-06T16:00")
    assert result.exit_code == 1 and "checkpoint-mismatch" in result.stderr
    assert "truncated" in result.stderr
    assert vault.lines() == cut
    assert len(list((vault.vault_dir / "checkpoints").glob("*.note"))) == 1


def test_a_junk_file_blocks_no_one(vault: Site) -> None:
    """It anchors nothing: entries and co-signing go on (verify reports it)."""
    (vault.vault_dir / "checkpoints").mkdir()
    (vault.vault_dir / "checkpoints" / "junk.note").write_text("junk")
    assert vault.run(*NOTE, "照常记录").exit_code == 0
    result = vault.run("checkpoint", "--signer", "O-001", "--signer", "O-002")
    assert result.exit_code == 0, result.stderr
    rep = check.verify_vault(vault.vault)
    assert [f.code for f in rep.integrity] == ["bad-checkpoint"]
    assert len(rep.anchors_ok) == 1


def lock_is_held(vault: Vault) -> bool:
    fd = os.open(vault.lock_path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        return e.errno in (errno.EAGAIN, errno.EACCES)
    finally:
        os.close(fd)
    return False


def test_a_handover_checkpoint_is_signed_under_the_same_lock(vault: Site) -> None:
    seen: list[bool] = []
    real = writer.sign_checkpoint

    def spy(v: Vault, *args: object) -> tuple[Path, str]:
        seen.append(lock_is_held(v))
        return real(v, *args)  # type: ignore[arg-type]

    shift = ("shift", "start", "--leader", "O-003", "--member", "O-004")
    assert (
        vault.run(
            *shift,
            "--member",
            "O-009",
            "--signer",
            "O-003",
            "--signer",
            "O-004",
            "--at",
            "2026-06-06T09:30",
        ).exit_code
        == 0
    )
    with mock.patch.object(writer, "sign_checkpoint", spy):
        result = vault.run(
            "shift",
            "handover",
            "--leader",
            "O-005",
            "--member",
            "O-006",
            "--member",
            "O-010",
            "--signer",
            "O-003",
            "--signer",
            "O-005",
            "--at",
            "2026-06-06T16:00",
        )
    assert result.exit_code == 0, result.stderr
    assert seen == [True]
    rep = check.verify_vault(vault.vault)
    assert rep.integrity == [] and len(rep.anchors_ok) == 1
    note = next((vault.vault_dir / "checkpoints").glob("*.note")).read_text()
    assert note.splitlines()[1] == str(rep.entries)  # the head including it


# --- checkpoints/ junk, CRLF notes ----------------------------------------


def test_a_junk_file_in_checkpoints_is_its_own_finding_never_a_fork(
    vault: Site,
) -> None:
    folder = vault.vault_dir / "checkpoints"
    folder.mkdir()
    state = writer.load_state(vault.vault)
    origin = f"vaultctl/{state.site['id']}/{state.log}"
    (folder / "0000000003-junk.note").write_text(
        f"{origin}\n3\n{'A' * 43}=\n\n— O-001 AAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
    )
    rep = check.verify_vault(vault.vault)
    assert [f.code for f in rep.integrity] == ["bad-checkpoint"]
    assert "forked" not in rep.integrity[0].message
    assert "anchors nothing" in rep.integrity[0].message
    result = vault.run("verify")
    assert "bad-checkpoint" in result.stdout and "forked" not in result.stdout


def test_a_genuine_note_still_anchors_beside_the_junk(vault: Site) -> None:
    write_checkpoint(
        vault.vault, writer.load_state(vault.vault), vault.signers("O-001", "O-002")
    )
    (vault.vault_dir / "checkpoints" / "zz.note").write_bytes(b"\x00junk")
    rep = check.verify_vault(vault.vault)
    assert [f.code for f in rep.integrity] == ["bad-checkpoint"]
    assert len(rep.anchors_ok) == 1


def test_a_crlf_note_is_malformed(vault: Site, tmp_path: Path) -> None:
    path, _ = write_checkpoint(
        vault.vault, writer.load_state(vault.vault), vault.signers("O-001", "O-002")
    )
    assert check.verify_vault(vault.vault).integrity == []
    crlf = path.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(crlf)
    rep = check.verify_vault(vault.vault)
    assert [f.code for f in rep.integrity] == ["bad-checkpoint"]
    given = tmp_path / "centre.note"
    given.write_bytes(crlf)
    path.unlink()
    result = vault.run("verify", "--checkpoint", str(given))
    assert result.exit_code == 2 and "not a checkpoint note" in result.stderr


# --- footage stays inside its folder ------------------------------------------


@pytest.mark.parametrize(
    "name", ["../secret.mp4", "/etc/hostname", "sub/../../secret.mp4", "link.mp4"]
)
def test_footage_opens_only_regular_files_inside_the_folder(
    tmp_path: Path, name: str
) -> None:
    folder, outside = tmp_path / "footage", tmp_path / "secret.mp4"
    folder.mkdir()
    outside.write_bytes(b"not yours")
    (folder / "link.mp4").symlink_to(outside)
    (folder / "ok.mp4").write_bytes(b"video")
    assert footage.inside(folder, name) is None
    assert footage.inside(folder, "ok.mp4") == (folder / "ok.mp4").resolve()
    segment = {
        "file": name,
        "camera": "CAM-1",
        "sha256": "0" * 64,
        "seq": 3,
        "ts": "2026-06-06T10:00:00+08:00",
        "signers": ["O-003", "O-004"],
    }
    with mock.patch.object(footage, "sha256_file") as hashed:
        found = list(footage.check([segment], folder))
    hashed.assert_not_called()
    assert (
        len(found) == 1 and "not a file inside the footage folder" in found[0].message
    )


# --- no terminal escape from a ledger line reaches the screen ----------------


ESCAPES = "\x1b[2J\x1b[H\u202eintact\x9b31m\u2066"


def test_escapes_from_a_line_are_shown_not_obeyed(vault: Site) -> None:
    forge_line(vault, 2, ESCAPES)
    for args in (("log",), ("verify",), ("status",), ("log", "--json")):
        out = vault.run(*args)
        text = out.stdout + out.stderr
        for char in "\x1b\u202e\x9b\u2066":
            assert char not in text, (args, char)
    assert "\\u001b[2J" in vault.run("log").stdout
    line = vault.run("log", "--json").stdout.splitlines()[2]
    assert json.loads(line)["body"]["text"] == ESCAPES  # still exact as JSON


def test_an_error_quoting_a_line_is_escaped(vault: Site) -> None:
    lines = vault.lines()
    lines[2] = b'{"\x1b[2Jx": 1}\n'
    vault.write_lines(lines)
    result = vault.run(*NOTE, "x")
    assert result.exit_code != 0 and "\x1b" not in result.stderr


# --- export, OS errors ------------------------------------------------------


def test_export_never_follows_a_planted_symlink(vault: Site, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "site.vaultctl.tar.gz"
    with mock.patch("secrets.token_hex", return_value="fixed"):
        planted = out.with_name(f".{out.name}.fixed.tmp")
        planted.symlink_to(victim)
        result = vault.run("export", str(out))
    assert result.exit_code != 0 and "Traceback" not in result.stderr
    assert victim.read_text() == "keep me" and not out.exists()
    out.symlink_to(victim)
    assert vault.run("export", str(out)).exit_code != 0
    assert victim.read_text() == "keep me"


def test_a_read_only_vault_is_one_line_not_an_internal_error(vault: Site) -> None:
    before = vault.ledger.read_bytes()
    err = OSError(errno.EROFS, "Read-only file system", str(vault.ledger))
    with mock.patch.object(Vault, "append_line", side_effect=err):
        result = vault.run(*NOTE, "x")
    assert result.exit_code == 4
    assert result.stderr.strip().splitlines() == [
        f"vaultctl: error: {vault.ledger}: Read-only file system"
    ]
    assert vault.ledger.read_bytes() == before


def test_the_signed_bytes_name_their_signers(vault: Site) -> None:
    """The format change, as docs/format.md states it."""
    line = json.loads(vault.lines()[1])
    data = canonical.EntryBytes(line).signed
    assert data.startswith(b"vaultctl/entry/v2\n")
    assert b'"signers":[{"by":"O-003","key":"' in data
