"""Checkpoints, codes, proofs, footage, bundles and the audit of many sites."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from vaultctl import verify
from vaultctl.centre import audit, bundle
from vaultctl.cli import cli
from vaultctl.core.errors import ProofError, RefusedError
from vaultctl.core.model import format_ts, parse_ts
from vaultctl.store import writer
from vaultctl.store.ledger import Vault
from vaultctl.tlog import anchors, checkpoint, merkle, shortcode
from vaultctl.verify import proofs

from .conftest import Site, private_key
from .story import NOW, Story, t


def write_checkpoint(vault, state, signers, head=None):
    """Sign the head of the ledger (or ``head``: size, root) as a checkpoint."""
    if head is None:
        leaves = [raw for raw, complete in vault.lines() if complete]
        head = len(leaves), merkle.root_of(leaves)
    return writer.sign_checkpoint(vault, state, signers, *head)


def signers(*ids: str) -> list[writer.Signer]:
    return [writer.Signer(i, private_key(i)) for i in ids]


def notes_story(tmp: Path, n: int) -> Story:
    """A genesis and n - 1 notes, one a minute from 08:00."""
    story = Story(tmp)
    start = parse_ts(t("08:00"))
    for i in range(1, n):
        story.add(
            "note",
            {"text": f"记录 {i}"},
            format_ts(start + timedelta(minutes=i)),
            ("O-003", "O-004"),
        )
    return story


def to_vault(story: Story, folder: Path) -> Vault:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ledger.jsonl").write_bytes(b"".join(x + b"\n" for x in story.lines))
    return Vault(folder)


def code_of(lines: list[bytes]) -> str:
    size = len(lines)
    return shortcode.short_code(size, merkle.root_of(lines)).replace(" · ", ":")


def run(vault: Vault, *wanted: anchors.Anchor) -> verify.Report:
    return verify.run(vault.lines(), now=NOW, anchors=wanted)


def mismatch(rep: verify.Report) -> list[str]:
    return [f.message for f in rep.integrity if f.code == "checkpoint-mismatch"]


@pytest.fixture(scope="module")
def log500(tmp_path_factory: pytest.TempPathFactory) -> Story:
    return notes_story(tmp_path_factory.mktemp("log500"), 500)


def test_truncated_log_with_fresh_checkpoint_fails_the_nightly_code(
    log500: Story, tmp_path: Path
) -> None:
    nightly = code_of(log500.lines[:400])  # phoned in when the log had 400 entries
    short = Story.__new__(Story)
    short.__dict__.update(log500.__dict__, lines=log500.lines[:300])
    vault = to_vault(short, tmp_path / "v")
    state = writer.load_state(vault)
    write_checkpoint(vault, state, signers("O-001", "O-002"))  # re-signed, 300
    assert run(vault).integrity == []  # on its own the short log looks fine
    rep = run(vault, anchors.from_code(nightly))
    assert rep.exit_code == verify.EXIT_INTEGRITY
    assert "truncated" in mismatch(rep)[0]


def test_rewritten_entry_resigned_fails_against_older_checkpoint(
    log500: Story, tmp_path: Path
) -> None:
    honest = to_vault(log500, tmp_path / "honest")
    old_note = write_checkpoint(
        honest, writer.load_state(honest), signers("O-001", "O-002")
    )[0].read_text("utf-8")
    # the forger rewrites entry 10 and re-signs every entry after it with the
    # same officers' keys: the chain and every signature are valid again
    forged = Story(tmp_path)
    for i, line in enumerate(log500.lines[1:], start=1):
        entry = json.loads(line)
        text = "改写的记录" if i == 10 else entry["body"]["text"]
        forged.add("note", {"text": text}, entry["ts"], ("O-003", "O-004"))
    vault = to_vault(forged, tmp_path / "forged")
    assert run(vault).integrity == []
    rep = run(vault, anchors.from_note(old_note, "centre's copy"))
    assert rep.exit_code == verify.EXIT_INTEGRITY
    assert len(mismatch(rep)) == 1


def test_checkpoint_extended_by_later_entries_passes(tmp_path: Path) -> None:
    story = notes_story(tmp_path, 20)
    vault = to_vault(story, tmp_path / "v")
    note = write_checkpoint(vault, writer.load_state(vault), signers("O-001", "O-002"))
    story.add("note", {"text": "之后"}, t("09:00"), ("O-003", "O-004"))
    vault = to_vault(story, tmp_path / "v")
    rep = run(
        vault,
        anchors.from_note(note[0].read_text("utf-8"), "note"),
        anchors.from_code(code_of(story.lines[:7])),
    )
    assert rep.integrity == [] and len(rep.anchors_ok) == 2


def test_checkpoint_note_format_and_signatures(tmp_path: Path) -> None:
    vault = to_vault(notes_story(tmp_path, 5), tmp_path / "v")
    path, code = write_checkpoint(
        vault, writer.load_state(vault), signers("O-001", "O-002")
    )
    note = path.read_text("utf-8")
    text, sigs = note.split("\n\n")
    origin, size, root = text.split("\n")
    log_id = json.loads(vault.ledger.read_bytes().splitlines()[0])["log"]
    assert (origin, size) == (f"vaultctl/S-TEST-01/{log_id}", "5")
    assert len(__import__("base64").b64decode(root)) == 32 and note.endswith("\n")
    assert code.startswith("5 · ") and len(code.split(" · ")[1]) == 21
    assert [line.split(" ")[1] for line in sigs.splitlines()] == ["O-001", "O-002"]
    assert all(line.startswith("— ") for line in sigs.splitlines())


@pytest.mark.parametrize("attack", ["one-signer", "outsider", "other-log", "edited"])
def signed_note(
    vault: Vault, state, who: tuple[str, ...], size: int | None = None
) -> str:
    """A note over the first ``size`` entries, signed with any keys (a forger's)."""
    lines = [raw for raw, complete in vault.lines() if complete][:size]
    text = checkpoint.Checkpoint(
        origin=checkpoint.make_origin(state.site["id"], state.log),
        size=len(lines),
        root=merkle.root_of(lines),
    ).note_text()
    return checkpoint.sign_note(text, [(i, private_key(i)) for i in who])


@pytest.mark.parametrize(
    "attack", ["one-signer", "outsider", "other-log", "edited", "revoked-before"]
)
def test_bad_checkpoint_notes_are_mismatches(tmp_path: Path, attack: str) -> None:
    story = notes_story(tmp_path, 5)
    if attack == "revoked-before":
        key = story.genesis["officers"][1]["keys"][0]["key"]  # O-002's
        story.add(
            "roster",
            {"action": "revoke-key", "id": "O-002", "key": key, "reason": "遗失"},
            t("09:00"),
            ("O-001", "O-003"),
        )
    vault = to_vault(story, tmp_path / "v")
    state = writer.load_state(vault)
    who = {"one-signer": ("O-001",), "outsider": ("O-001", "O-666")}.get(
        attack, ("O-001", "O-002")
    )
    note = signed_note(vault, state, who)
    if attack == "other-log":
        note = note.replace(state.log, "0" * 32)
    if attack == "edited":
        lines = note.split("\n")
        lines[1] = "4"
        note = "\n".join(lines)
    assert mismatch(run(vault, anchors.from_note(note, "note"))), attack


def test_a_key_revoked_later_still_vouches_for_earlier_checkpoints(
    tmp_path: Path,
) -> None:
    story = notes_story(tmp_path, 5)
    vault = to_vault(story, tmp_path / "v")
    note = signed_note(vault, writer.load_state(vault), ("O-001", "O-002"))
    key = story.genesis["officers"][1]["keys"][0]["key"]
    story.add(
        "roster",
        {"action": "revoke-key", "id": "O-002", "key": key, "reason": "轮换"},
        t("09:00"),
        ("O-001", "O-003"),
    )
    vault = to_vault(story, tmp_path / "v")
    assert run(vault, anchors.from_note(note, "note")).integrity == []


@pytest.mark.parametrize("who", [("O-001", "O-666"), ("O-001", "O-002")])
def test_checkpoint_refuses_signers_who_may_not_sign(tmp_path: Path, who) -> None:
    story = notes_story(tmp_path, 3)
    story.add(
        "roster", {"action": "suspend", "id": "O-002"}, t("09:00"), ("O-001", "O-003")
    )
    vault = to_vault(story, tmp_path / "v")
    with pytest.raises(RefusedError, match="may not co-sign"):
        write_checkpoint(vault, writer.load_state(vault), signers(*who))
    assert vault.checkpoint_files() == []


def test_inclusion_proof_round_trip_and_tamper(tmp_path: Path) -> None:
    story = notes_story(tmp_path, 37)
    vault = to_vault(story, tmp_path / "v")
    note = write_checkpoint(vault, writer.load_state(vault), signers("O-001", "O-002"))[
        0
    ].read_text("utf-8")
    keys = {
        o.id: [k.raw for k in o.keys.values()]
        for o in writer.load_state(vault).roster.officers.values()
    }
    doc = proofs.make(iter(story.lines), 21, note)
    assert "entry 21" in proofs.check(doc, keys)
    assert "signed by O-001 and O-002" in proofs.check(doc, keys)
    bad = dict(doc, leaf=doc["leaf"].replace("记录 21", "记录 22"))
    with pytest.raises(ProofError):
        proofs.check(bad)
    with pytest.raises(ProofError):
        proofs.check(dict(doc, index=20))
    with pytest.raises(ProofError, match="not covered"):
        proofs.make(iter(story.lines), 37, note)


def test_footage_missing_or_altered_is_a_finding(tmp_path: Path) -> None:
    from vaultctl.store import footage

    folder = tmp_path / "footage"
    folder.mkdir()
    (folder / "a.mp4").write_bytes(b"video A" * 1000)
    (folder / "b.mp4").write_bytes(b"video B")
    segs = [
        {
            "file": n,
            "camera": "CAM-1",
            "sha256": footage.sha256_file(folder / n),
            "seq": i,
            "ts": t("08:00"),
            "signers": ["O-002", "O-003"],
        }
        for i, n in enumerate(["a.mp4", "b.mp4"])
    ]
    segs.append({**segs[0], "file": "gone.mp4", "seq": 2})
    assert list(footage.check(segs[:2], folder)) == []
    (folder / "b.mp4").write_bytes(b"video B, edited")
    found = list(footage.check(segs, folder))
    assert [(f.rule, f.seq) for f in found] == [("FOOTAGE", 1), ("FOOTAGE", 2)]
    assert "altered" in found[0].message and "missing" in found[1].message


def test_audit_of_fifty_bundles_finds_exactly_the_three_tampered(
    tmp_path: Path,
) -> None:
    base = notes_story(tmp_path, 12)
    folder = tmp_path / "bundles"
    folder.mkdir()
    tampered = {7, 23, 41}
    for n in range(50):
        vault = to_vault(base, tmp_path / f"site{n}")
        summary = bundle.summary_of(verify.run(vault.lines(), now=NOW))
        bundle.write(vault, folder / f"site{n:02d}{bundle.SUFFIX}", [], summary, 0)
    for n in tampered:  # an edited ledger, a cut-off file, a rewritten member
        path = folder / f"site{n:02d}{bundle.SUFFIX}"
        if n == 7:
            shutil.copy(folder / "site00.vaultctl.tar.gz", path)
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 2])
        else:
            vault = Vault(tmp_path / f"site{n}")
            data = vault.ledger.read_bytes().replace(
                "记录 5".encode(), "记录 9".encode()
            )
            vault.ledger.write_bytes(data)
            path.unlink()
            bundle.write(vault, path, [], summary, 0)
    rows = list(audit.run(audit.bundles_in(folder), jobs=2))
    assert len(rows) == 50
    failing = {int(r["file"][4:6]) for r in rows if r["exit"] >= 3}
    assert failing == tampered
    assert all(r["status"] == "ok" for r in rows if int(r["file"][4:6]) not in tampered)


def test_shift_handover_writes_a_checkpoint(vault: Site) -> None:
    run_ = vault.run
    assert (
        run_(
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
            "--at",
            "2026-06-06T09:30",
        ).exit_code
        == 0
    )
    result = run_(
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
    notes = list((vault.vault_dir / "checkpoints").glob("*.note"))
    assert len(notes) == 1 and "checkpoint" in result.stdout
    assert run_("verify").exit_code == 0
    assert "1 checkpoint or code confirmed" in run_("verify").stdout


def test_cli_checkpoint_prove_export_audit(vault: Site, tmp_path: Path) -> None:
    result = vault.run("checkpoint", "--signer", "O-001", "--signer", "O-002")
    assert result.exit_code == 0, result.stderr
    code = result.stdout.splitlines()[1]
    assert vault.run("verify", "--code", code.replace(" · ", ":")).exit_code == 0
    wrong = f"4:AAAA-AAAA-AAAA-AAAA-{shortcode.check_symbol(4, 'A' * 16)}"
    assert vault.run("verify", "--code", wrong).exit_code == 3
    assert vault.run("verify", "--code", "4:AAAA-AAAA-AAAA-AAAA").exit_code == 2
    proof = vault.run("prove", "2")
    assert proof.exit_code == 0
    (tmp_path / "p.json").write_text(proof.stdout, "utf-8")
    checked = vault.run("prove", "--check", str(tmp_path / "p.json"))
    assert checked.exit_code == 0 and "entry 2 (note" in checked.stdout
    out = tmp_path / "b"
    out.mkdir()
    assert vault.run("export", str(out / "s1")).exit_code == 0
    audited = vault.run("audit", str(out), "--json", "--jobs", "1")
    rows = json.loads(audited.stdout)
    assert audited.exit_code == 0 and rows[0]["status"] == "ok"
    assert rows[0]["last_checkpoint"] == 4
    assert vault.run("audit", str(out), "--csv").stdout.startswith("file,site,")


def test_nightly_script(vault: Site, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    script = Path(__file__).parent.parent / "examples" / "nightly.sh"
    env = {
        **os.environ,
        "VAULTCTL_VAULT": str(vault.vault_dir),
        "REPORT_DIR": str(tmp_path / "reports"),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }

    def nightly() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(script)], env=env, capture_output=True, text=True, timeout=120
        )

    first = nightly()
    assert first.returncode == 0, first.stderr
    assert "tonight's code to phone in: 4 · " in first.stdout
    assert len(list((tmp_path / "reports").glob("verify-*.json"))) == 1
    lines = vault.lines()
    vault.write_lines(lines[:-1])  # the tail cut off after the code was phoned in
    second = nightly()
    assert second.returncode == 3
    assert "INTEGRITY FAILURE: checkpoint-mismatch" in second.stderr
    assert "code to phone in:" not in second.stdout
    assert "no code to phone in tonight" in second.stdout
    codes = (tmp_path / "reports" / "codes.txt").read_text().splitlines()
    assert len(codes) == 1  # a failing night's code is not kept as an anchor


def test_nightly_script_without_vaultctl_on_path(vault: Site, tmp_path: Path) -> None:
    """Issue 23: under cron, vaultctl is often not on PATH: say so (in the
    locale's language), exit 4, and leave no empty report behind."""
    import os
    import subprocess

    script = Path(__file__).parent.parent / "examples" / "nightly.sh"
    reports = tmp_path / "reports"
    for lang, said in (("C.UTF-8", "not on PATH"), ("zh_CN.UTF-8", "找不到 vaultctl")):
        env = {
            "VAULTCTL_VAULT": str(vault.vault_dir),
            "REPORT_DIR": str(reports),
            "PATH": "/usr/bin:/bin",
            "LANG": lang,
            "HOME": os.environ.get("HOME", "/tmp"),
        }
        done = subprocess.run(
            ["bash", str(script)], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 4 and said in done.stderr
        assert not reports.exists() or list(reports.iterdir()) == []


def test_prove_check_needs_public_keys_and_the_right_log(
    vault: Site, tmp_path: Path
) -> None:
    import tarfile

    assert (
        vault.run("checkpoint", "--signer", "O-001", "--signer", "O-002").exit_code == 0
    )
    proof = tmp_path / "p.json"
    proof.write_text(vault.run("prove", "1").stdout, "utf-8")
    elsewhere = ["--vault", str(tmp_path / "nowhere")]
    nokeys = vault.runner.invoke(cli, [*elsewhere, "prove", "--check", str(proof)])
    assert nokeys.exit_code == 1 and "without public keys" in nokeys.stderr
    assert vault.run("export", str(tmp_path / "b")).exit_code == 0
    with tarfile.open(tmp_path / f"b{bundle.SUFFIX}") as tar:
        tar.extract("roster.json", tmp_path, filter="data")
    ok = vault.runner.invoke(
        cli,
        [
            *elsewhere,
            "prove",
            "--check",
            str(proof),
            "--roster",
            str(tmp_path / "roster.json"),
        ],
    )
    assert ok.exit_code == 0 and "signed by O-001 and O-002" in ok.stdout
    doc = json.loads(proof.read_text("utf-8"))
    for bad in (
        {**doc, "origin": doc["origin"].rsplit("/", 1)[0] + "/" + "0" * 32},
        {**doc, "leaf": "[1]"},
        {**doc, "leaf": "not json"},
    ):
        proof.write_text(json.dumps(bad), "utf-8")
        result = vault.run("prove", "--check", str(proof))
        assert result.exit_code == 1 and "Traceback" not in result.stderr, bad


def _bundle_with(path: Path, members: dict[str, bytes]) -> None:
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize(
    "members",
    [
        {"manifest.json": b"[]"},
        {
            "manifest.json": json.dumps(
                {"format": bundle.FORMAT, "files": {"ledger.jsonl": "x"}}
            ).encode(),
            "ledger.jsonl": b"{}\n",
        },
        {"manifest.json": b"{}", "../etc/passwd": b"x"},
        {"manifest.json": b"{}", "ledger.jsonl": bytes(bundle.MAX_TOTAL + 1)},
        {"manifest.json": b"{}", "checkpoints/a.note": bytes(bundle.MAX_NOTE + 1)},
    ],
    ids=["manifest-list", "files-not-objects", "traversal", "bomb", "big-note"],
)
def test_a_malformed_bundle_is_one_unreadable_row(tmp_path: Path, members) -> None:
    path = tmp_path / f"bad{bundle.SUFFIX}"
    _bundle_with(path, members)
    row = audit.audit_one(path)
    assert row["status"] == "unreadable" and row["exit"] == verify.EXIT_UNREADABLE


def test_a_manifest_that_disagrees_with_the_content_fails_its_row(
    tmp_path: Path,
) -> None:
    story = notes_story(tmp_path, 3)
    vault = to_vault(story, tmp_path / "v")
    bundle.write(
        vault, tmp_path / f"b{bundle.SUFFIX}", [], {"entries": 3, "code": 5}, 0
    )
    row = audit.audit_one(tmp_path / f"b{bundle.SUFFIX}")
    assert (row["status"], row["exit"]) == ("INTEGRITY", 3)
    assert row["integrity"] == {"manifest-mismatch": 4}  # site, log, head, code
    assert "manifest code 5 is not" in " ".join(row["problems"])


def test_export_into_a_missing_folder_is_one_clear_line(
    vault: Site, tmp_path: Path
) -> None:
    result = vault.run("export", str(tmp_path / "nowhere" / "x"))
    assert result.exit_code == 1 and "no such folder" in result.stderr


def test_checkpoint_of_a_broken_log_is_refused_before_any_passphrase(
    vault: Site,
) -> None:
    lines = vault.lines()
    vault.write_lines([*lines[:2], lines[3]])  # an entry deleted
    result = vault.run("checkpoint", "--signer", "O-001", "--signer", "O-002", env={})
    assert result.exit_code == 1 and "fails verification" in result.stderr
    assert "passphrase" not in result.stderr
    assert not (vault.vault_dir / "checkpoints").exists()
