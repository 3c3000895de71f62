"""Findings of the adversarial review of issues 9 and 10, each shown closed.

Each test names the finding; the reproducers were run against the code
before the fix and succeeded there.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from vaultctl.core import canonical, keys
from vaultctl.rules.state import replay
from vaultctl.store import check, writer
from vaultctl.tlog import shortcode

from .conftest import Site, private_key
from .test_audit import audit_cli, code_csv, csv_file, export
from .test_tamper import append_unchecked, codes_at, entries, weak_ref
from .test_tlog import write_checkpoint
from .test_twins import negate, scalar, sign_as


def test_1_an_officer_cannot_hold_a_and_minus_a_to_survive_revocation(
    vault: Site,
) -> None:
    """HIGH: `roster add` with keys [A, -A], then `revoke-key A`, then sign
    with -A: writer and verify used to accept it."""
    real = keys.raw_public(private_key("O-666"))
    twin = {
        "id": "O-777",
        "name": "双钥",
        "roles": ["custodian"],
        "conflict": False,
        "trained": "2026-05-01",
        "keys": [weak_ref(real), weak_ref(negate(real))],
    }
    roster = replay(entries(vault)).roster
    assert "listed twice" in (roster.problem({"action": "add", "officer": twin}) or "")
    append_unchecked(
        vault, "roster", {"action": "add", "officer": twin}, ("O-001", "O-002")
    )
    assert (5, "bad-schema") in codes_at(vault)


def signed_by_minus_a(vault: Site) -> bytes:
    """A note signed by O-003's key A and, as O-777, by -A (same scalar)."""
    state = replay(entries(vault))
    draft = writer.build(state, "2026-06-06T11:00:00+08:00", "note", {"text": "x"}, [])
    real = keys.raw_public(private_key("O-003"))
    signers = [
        {"by": "O-003", "key": keys.key_id(real)},
        {"by": "O-777", "key": keys.key_id(negate(real))},
    ]
    data = canonical.signing_input(draft.to_dict(), signers)
    unsigned = draft.to_dict()
    unsigned["sigs"] = [
        {
            **signers[0],
            "sig": base64.b64encode(private_key("O-003").sign(data)).decode(),
        },
        {
            **signers[1],
            "sig": base64.b64encode(sign_as(-scalar("O-003"), data)[1]).decode(),
        },
    ]
    unsigned["hash"] = canonical.entry_hash(unsigned)
    return canonical.encode(unsigned) + b"\n"


def test_2_enrol_pins_only_a_verified_bundle_and_writes_real_csv(
    vault: Site, tmp_path: Path
) -> None:
    """MEDIUM: a hostile genesis site id with a comma and a newline used to
    add a second pins line for another site."""
    path, _ = export(vault, tmp_path / "b", "ok")
    good = vault.run("enrol", str(path))
    assert good.exit_code == 0 and good.stdout.count("\n") == 1
    lines = vault.lines()
    lines[0] = lines[0].replace(
        b'"S-TEST-01"', b'"S-NEW,' + b"1" * 64 + b'\\nS-VICTIM"'
    )
    vault.write_lines(lines)
    bad = tmp_path / "bad"
    bad.mkdir()
    result = vault.run("export", str(bad / "evil"))
    assert result.exit_code == 0
    refused = vault.run("enrol", str(bad / "evil.vaultctl.tar.gz"))
    assert refused.exit_code == 3 and refused.stdout == ""
    assert "not ok" in refused.stderr


def test_3_a_code_for_a_site_with_no_bundle_is_a_missing_row(
    vault: Site, tmp_path: Path
) -> None:
    """MEDIUM: codes whose site matched no bundle (case, U+200B) were dropped
    and a rolled-back site passed."""
    _, code = export(vault, tmp_path / "b", "S-TEST-01")
    codes = csv_file(tmp_path / "c.csv", "site,code", f"s-test-01,{code}")
    status, rows = audit_cli(vault, tmp_path / "b", "--codes", str(codes))
    assert status == 3
    assert [(r["site"], r["status"]) for r in rows] == [
        ("S-TEST-01", "ok"),
        ("s-test-01", "missing"),
    ]
    invisible = csv_file(tmp_path / "z.csv", "site,code", f"S-TEST-01\u200b,{code}")
    status, err = audit_cli(vault, tmp_path / "b", "--codes", str(invisible))
    assert status == 2 and "is not a site id" in err


def test_4_audit_output_escapes_what_a_bundle_says(vault: Site, tmp_path: Path) -> None:
    """MEDIUM: file names and site ids reached the terminal and the CSV raw."""
    folder = tmp_path / "b"
    export(vault, folder, "x\x1b]0;PWNED\x07\u202e=cmd")
    for args in (["--csv"], ["--json"], []):
        result = vault.runner.invoke(
            __import__("vaultctl.cli", fromlist=["cli"]).cli,
            ["audit", str(folder), "--jobs", "1", *args],
        )
        for char in "\x1b\x07\u202e":
            assert char not in result.stdout, (args, char)
    csv_out = vault.runner.invoke(
        __import__("vaultctl.cli", fromlist=["cli"]).cli,
        ["audit", str(folder), "--jobs", "1", "--csv"],
    ).stdout
    assert "\\u001b]0;PWNED" in csv_out


def test_5_export_never_bundles_a_symlink_out_of_the_vault(
    vault: Site, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the head's private notes")
    (vault.vault_dir / "checkpoints").mkdir()
    (vault.vault_dir / "checkpoints" / "0000000004-x.note").symlink_to(secret)
    path, _ = export(vault, tmp_path / "b", "S-TEST-01")
    import tarfile

    with tarfile.open(path) as tar:
        assert not [n for n in tar.getnames() if n.startswith("checkpoints/")]
        for m in tar.getmembers():
            data = tar.extractfile(m)
            assert data is None or b"private notes" not in data.read()


def test_6_a_cut_past_a_note_by_a_later_officer_fails_verify(vault: Site) -> None:
    """MEDIUM-LOW: a note past the end signed by someone who joined after the
    cut. Since issue 19 a note past the end is evidence of a rollback only
    when two officers in force at the log's end signed it (one key and one
    the log does not know could be anyone), so it is ``bad-checkpoint``:
    verify still fails on it, naming the note, but it stops no writer."""
    new = keys.raw_public(private_key("O-666"))
    officer = {
        "id": "O-666",
        "name": "新人",
        "roles": ["custodian"],
        "conflict": False,
        "trained": "2026-05-01",
        "keys": [weak_ref(new)],
    }
    append_unchecked(
        vault, "roster", {"action": "add", "officer": officer}, ("O-001", "O-002")
    )
    vault.append("note", {"text": "y"}, "2026-06-06T10:30:00+08:00")
    write_checkpoint(
        vault.vault, writer.load_state(vault.vault), vault.signers("O-666", "O-001")
    )
    vault.write_lines(vault.lines()[:4])
    rep = check.verify_vault(vault.vault)
    assert [f.code for f in rep.integrity] == ["bad-checkpoint"]
    assert rep.exit_code == 3
    assert "in force at the end of the log" in rep.integrity[0].message
    result = vault.run("note", "--text", "z", "--signer", "O-003", "--signer", "O-004")
    assert result.exit_code == 0


def test_7_a_size_0_anchor_anchors_nothing(vault: Site) -> None:
    empty = shortcode.short_code(0, bytes(32)).replace(" · ", ":")
    result = vault.run("verify", "--code", empty)
    assert result.exit_code == 2 and "size 0 anchors nothing" in result.stderr


def test_10_a_fifo_in_checkpoints_does_not_hang_anyone(vault: Site) -> None:
    (vault.vault_dir / "checkpoints").mkdir()
    os.mkfifo(vault.vault_dir / "checkpoints" / "0000000002-fifo.note")
    rep = check.verify_vault(vault.vault)
    assert [f.code for f in rep.integrity] == ["bad-checkpoint"]
    assert "not a regular file" in rep.integrity[0].message
    assert (
        vault.run(
            "note", "--text", "照常", "--signer", "O-003", "--signer", "O-004"
        ).exit_code
        == 0
    )


def test_12_a_huge_manifest_value_is_not_echoed_whole(
    vault: Site, tmp_path: Path
) -> None:
    import io
    import tarfile

    path, _ = export(vault, tmp_path / "b", "S-TEST-01")
    with tarfile.open(path) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    manifest = json.loads(members["manifest.json"])
    manifest["code"] = "X" * 500_000
    members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    _, rows = audit_cli(vault, tmp_path / "b")
    assert all(len(p) < 400 for p in rows[0]["problems"])


def test_minus_a_signature_really_verifies_for_the_record(vault: Site) -> None:
    """The review's premise holds: without the roster check this note would
    carry two valid signatures by one person."""
    line = json.loads(signed_by_minus_a(vault))
    data = canonical.EntryBytes(line).signed
    real = keys.raw_public(private_key("O-003"))
    sig = base64.b64decode(line["sigs"][1]["sig"])
    assert keys.verify(negate(real), sig, data)
    assert code_csv  # the shared helpers stay importable
