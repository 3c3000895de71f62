"""The exam centre's audit: anchored in what the centre holds, one row per site."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vaultctl import centre, verify
from vaultctl.centre import audit, bundle
from vaultctl.cli import cli
from vaultctl.core import keys
from vaultctl.tlog import checkpoint, merkle
from vaultctl.verify import proofs

from .conftest import Site, private_key
from .story import NOW, Story, t


def export(site: Site, folder: Path, name: str) -> tuple[Path, str]:
    """Export the vault as ``folder/name``; return the path and the code printed."""
    folder.mkdir(parents=True, exist_ok=True)
    result = site.run("export", str(folder / name))
    assert result.exit_code == 0, result.stderr
    code = result.stdout.splitlines()[1].split(" entries · ")[1]
    return folder / f"{name}{bundle.SUFFIX}", code


def audit_cli(site: Site, folder: Path, *args: str, **env: str) -> tuple[int, Any]:
    result = site.runner.invoke(
        cli,
        ["audit", str(folder), "--json", "--jobs", "2", *args],
        env=env or None,
        catch_exceptions=False,
    )
    rows = json.loads(result.stdout) if result.stdout.startswith("[") else None
    return result.exit_code, rows if rows is not None else result.stderr


def csv_file(path: Path, header: str, *lines: str) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", "utf-8")
    return path


def genesis(site: Site) -> str:
    return str(json.loads(site.lines()[0])["hash"])


def code_csv(tmp: Path, code: str) -> Path:
    return csv_file(
        tmp / "codes.csv", "site,code,date,taken_by", f"S-TEST-01,{code},6/6,王"
    )


def test_a_clean_bundle_against_every_record_is_ok(vault: Site, tmp_path: Path) -> None:
    vault.run("checkpoint", "--signer", "O-001", "--signer", "O-002")
    notes = tmp_path / "centre-notes"
    notes.mkdir()
    for n in (vault.vault_dir / "checkpoints").iterdir():
        (notes / n.name).write_bytes(n.read_bytes())
    first, code = export(vault, tmp_path / "june", "S-TEST-01")
    vault.append("note", {"text": "夜间巡查"}, "2026-06-06T20:00:00+08:00")
    export(vault, tmp_path / "july", "S-TEST-01")
    pins = csv_file(
        tmp_path / "pins.csv", "site,genesis", f"S-TEST-01,{genesis(vault)}"
    )
    status, rows = audit_cli(
        vault,
        tmp_path / "july",
        "--pins",
        str(pins),
        "--codes",
        str(code_csv(tmp_path, code)),
        "--checkpoints",
        str(notes),
        "--previous",
        str(tmp_path / "june"),
    )
    assert status == 0, rows
    (row,) = rows
    assert (row["status"], row["exit"], row["entries"]) == ("ok", 0, 5)
    assert row["anchors"] == 2 and row["integrity"] == {} and row["problems"] == []
    assert row["genesis"] == genesis(vault) and row["last_checkpoint"] == 4
    assert set(row) == set(audit.COLUMNS)
    state = json.loads(vault.run("status", "--json").stdout)
    assert state["genesis"] == genesis(vault)


def test_tail_rollback_with_recomputed_manifest_fails_against_the_code(
    vault: Site, tmp_path: Path
) -> None:
    _, code = export(vault, tmp_path / "old", "S-TEST-01")
    vault.write_lines(vault.lines()[:-1])  # the last entry dropped; export recomputes
    export(vault, tmp_path / "new", "S-TEST-01")
    assert audit_cli(vault, tmp_path / "new")[0] == 0  # the manifest vouches nothing
    status, rows = audit_cli(
        vault, tmp_path / "new", "--codes", str(code_csv(tmp_path, code))
    )
    assert status == 3
    assert rows[0]["status"] == "INTEGRITY"
    assert rows[0]["integrity"] == {"checkpoint-mismatch": 1}
    (failed,) = rows[0]["anchors_failed"]
    assert failed.startswith("rollback: codes.csv:2 code 4 · ")
    assert "(date 6/6, taken_by 王)" in failed
    status, rows = audit_cli(
        vault, tmp_path / "new", "--previous", str(tmp_path / "old")
    )
    assert status == 3 and rows[0]["integrity"] == {"previous-mismatch": 1}
    assert rows[0]["problems"][0].startswith("rollback: does not extend")


def test_a_fork_signed_by_two_insiders_fails_against_the_code(
    vault: Site, tmp_path: Path
) -> None:
    assert (
        vault.run("checkpoint", "--signer", "O-001", "--signer", "O-002").exit_code == 0
    )
    kept = tmp_path / "kept"
    kept.mkdir()
    for note in (vault.vault_dir / "checkpoints").iterdir():
        note.rename(kept / note.name)  # the centre keeps it; the site "loses" it
    _, code = export(vault, tmp_path / "old", "S-TEST-01")
    vault.write_lines(vault.lines()[:-1])
    vault.append("note", {"text": "记录 2（改）"}, "2026-06-06T09:02:00+08:00")
    export(vault, tmp_path / "new", "S-TEST-01")
    assert vault.run("verify").exit_code == 0  # validly signed by O-003 and O-004
    status, rows = audit_cli(vault, tmp_path / "new", "--checkpoints", str(kept))
    assert status == 3 and rows[0]["integrity"] == {"checkpoint-mismatch": 1}
    assert rows[0]["anchors_failed"][0].startswith("fork: centre ")
    status, rows = audit_cli(
        vault, tmp_path / "new", "--codes", str(code_csv(tmp_path, code))
    )
    assert status == 3
    assert rows[0]["anchors_failed"][0].startswith("fork: codes.csv:2 code 4 · ")
    assert rows[0]["problems"][0].startswith("fork: codes.csv:2")
    assert "rewritten or forked" in rows[0]["problems"][0]
    status, rows = audit_cli(
        vault, tmp_path / "new", "--previous", str(tmp_path / "old")
    )
    assert status == 3 and rows[0]["problems"][0].startswith("fork: does not extend")


def test_a_rebuilt_log_fails_against_the_pin(
    make_vault: Callable[[int], Site], tmp_path: Path
) -> None:
    site = make_vault(3)
    pins = csv_file(tmp_path / "pins.csv", "site,genesis", f"S-TEST-01,{genesis(site)}")
    site.ledger.unlink()
    make_vault(3)  # the same site id and keys, a new genesis
    export(site, tmp_path / "b", "S-TEST-01")
    status, rows = audit_cli(site, tmp_path / "b", "--pins", str(pins))
    assert status == 3 and rows[0]["integrity"] == {"genesis-mismatch": 1}
    assert "rebuilt from scratch" in rows[0]["problems"][0]


def test_an_unpinned_site_fails_and_a_pinned_site_without_bundle_is_missing(
    vault: Site, tmp_path: Path
) -> None:
    export(vault, tmp_path / "b", "S-TEST-01")
    pins = csv_file(tmp_path / "pins.csv", "site,genesis", f"S-TEST-99,{'a' * 64}")
    status, rows = audit_cli(vault, tmp_path / "b", "--pins", str(pins))
    assert status == 3
    assert [(r["site"], r["status"], r["exit"]) for r in rows] == [
        ("S-TEST-01", "INTEGRITY", 3),
        ("S-TEST-99", "missing", 3),
    ]
    assert rows[0]["integrity"] == {"unpinned-site": 1}
    assert rows[1]["problems"] == ["no bundle, but the centre holds: pin"]


def test_enrol_prints_the_pins_line(vault: Site, tmp_path: Path) -> None:
    path, _ = export(vault, tmp_path / "b", "S-TEST-01")
    result = vault.run("enrol", "--header", str(path))
    assert result.stdout == f"site,genesis\nS-TEST-01,{genesis(vault)}\n"


def test_a_mistyped_code_is_a_row_naming_the_line_and_the_rest_is_audited(
    vault: Site, tmp_path: Path
) -> None:
    """Issue 23: one misheard code used to stop the whole national audit."""
    _, code = export(vault, tmp_path / "b", "S-TEST-01")
    misheard = code[:-3] + ("A" if code[-3] != "A" else "B") + code[-2:]
    codes = csv_file(
        tmp_path / "c.csv", "site,code", f"S-TEST-01,{code}", f"S-TEST-01,{misheard}"
    )
    status, rows = audit_cli(vault, tmp_path / "b", "--codes", str(codes))
    assert status == 2
    ok, bad = rows
    assert (ok["site"], ok["status"], ok["anchors"]) == ("S-TEST-01", "ok", 1)
    assert (bad["file"], bad["site"], bad["status"]) == (
        "c.csv:3",
        "S-TEST-01",
        "bad-record",
    )
    [problem] = bad["problems"]
    assert "check symbol does not match" in problem and "not a forgery" in problem
    result = vault.run("verify", "--code", misheard)
    assert result.exit_code == 2 and "ask the site to read it again" in result.stderr


def test_a_code_without_check_symbol_is_refused_as_mistyped(
    vault: Site, tmp_path: Path
) -> None:
    _, code = export(vault, tmp_path / "b", "S-TEST-01")
    status, rows = audit_cli(
        vault, tmp_path / "b", "--codes", str(code_csv(tmp_path, code[:-2]))
    )
    assert status == 2
    assert [r["status"] for r in rows] == ["ok", "bad-record"]


@pytest.mark.parametrize(
    "written",
    [
        "第{size}条 {g0} {g1} {g2} {g3} {sym}",  # as spoken
        "{size} · {g0}-{g1}-{g2}-{g3}-{sym}",  # as printed
        "{size}:{lower}",  # lower case, no dashes
        "{wide}",  # full-width, as an IME writes it
    ],
)
def test_codes_are_read_as_people_say_and_write_them(
    vault: Site, tmp_path: Path, written: str
) -> None:
    _, code = export(vault, tmp_path / "b", "S-TEST-01")
    size, chars = code.split(" · ")
    groups = chars.split("-")
    plain = f"{size}：{''.join(groups)}"
    text = written.format(
        size=size,
        g0=groups[0],
        g1=groups[1],
        g2=groups[2],
        g3=groups[3],
        sym=groups[4],
        lower="".join(groups).lower(),
        wide="".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in plain),
    )
    status, rows = audit_cli(
        vault, tmp_path / "b", "--codes", str(code_csv(tmp_path, text))
    )
    assert status == 0, rows
    assert rows[0]["anchors"] == 1


@pytest.mark.parametrize(
    ("policy", "off", "warn", "relaxed"),
    [
        ('levels = { SHIFT-SIZE = "off" }', ["SHIFT-SIZE"], [], []),
        ('levels = { TIME-ORDER = "warn" }', [], ["TIME-ORDER"], []),
        (
            "duty_gap_minutes = 30\nshift_min_members = 2",
            [],
            [],
            ["duty_gap_minutes=30 (default 0)", "shift_min_members=2 (default 3)"],
        ),
    ],
    ids=["off", "warn", "relaxed"],
)
def test_a_relaxed_policy_is_never_plain_ok(
    tmp_path: Path, policy: str, off: list[str], warn: list[str], relaxed: list[str]
) -> None:
    story = Story(tmp_path, policy=policy)
    story.add("note", {"text": "记录"}, t("08:00"), ("O-003", "O-004"))
    story.add("note", {"text": "补记"}, t("07:30"), ("O-003", "O-004"))  # 30 min back
    path = _bundle_of(story, tmp_path)
    row = audit.audit_one(path, now=NOW)
    assert (row["rules_off"], row["rules_warn"], row["relaxed"]) == (off, warn, relaxed)
    assert row["exit"] == 1 and row["status"] in ("relaxed", "findings")
    if warn:
        assert row["warnings"] == {"TIME-ORDER": 1} and row["status"] == "relaxed"
    else:
        assert row["findings"] == {"TIME-ORDER": 1}


def _bundle_of(story: Story, tmp: Path, name: str = "s") -> Path:
    from vaultctl.store.ledger import Vault

    folder = tmp / f"vault-{name}"
    folder.mkdir()
    (folder / "ledger.jsonl").write_bytes(b"".join(x + b"\n" for x in story.lines))
    vault = Vault(folder)
    path = tmp / f"{name}{bundle.SUFFIX}"
    rep = verify.run(vault.lines(), now=NOW)
    bundle.write(vault, path, [], bundle.summary_of(rep), 0)
    return path


def test_an_empty_folder_is_its_own_error(vault: Site, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = vault.run("audit", str(tmp_path / "empty"))
    assert result.exit_code == 4 and "no *.vaultctl.tar.gz bundles" in result.stderr


def test_a_killed_worker_costs_one_failed_row(vault: Site, tmp_path: Path) -> None:
    export(vault, tmp_path / "b", "S-TEST-01")
    export(vault, tmp_path / "b", "S-TEST-02")
    for jobs in ("1", "2"):
        status, rows = audit_cli(
            vault,
            tmp_path / "b",
            "--jobs",
            jobs,
            **{audit.KILL_ENV: f"S-TEST-01{bundle.SUFFIX}"},
        )
        assert status == 3
        assert [(r["status"], r["exit"]) for r in rows] == [("failed", 4), ("ok", 0)]
        assert rows[0]["problems"] == ["the worker died (signal 9)"]


def test_records_files_are_checked(tmp_path: Path) -> None:
    bad = csv_file(tmp_path / "p.csv", "site,hash", "S-1,abc")
    with pytest.raises(centre.RecordsError, match="missing genesis"):
        centre.load_pins(bad)
    bad = csv_file(tmp_path / "p.csv", "site,genesis", "S-1,abc")
    with pytest.raises(centre.RecordsError, match="line 2: genesis must be 64 hex"):
        centre.load_pins(bad)


def test_one_type_per_field_in_every_kind_of_row(vault: Site, tmp_path: Path) -> None:
    export(vault, tmp_path / "b", "S-TEST-01")
    (tmp_path / "b" / f"junk{bundle.SUFFIX}").write_bytes(b"not a bundle")
    pins = csv_file(
        tmp_path / "pins.csv",
        "site,genesis",
        f"S-TEST-01,{genesis(vault)}",
        f"S-X,{'b' * 64}",
    )
    status, rows = audit_cli(vault, tmp_path / "b", "--pins", str(pins), "--jobs", "1")
    assert [r["status"] for r in rows] == ["ok", "unreadable", "missing"]
    for column in audit.COLUMNS:
        assert len({type(r[column]) for r in rows}) == 1, column
    table = vault.run("audit", str(tmp_path / "b"), "--pins", str(pins))
    assert "junk.vaultctl.tar.gz: not a readable bundle" in table.stdout
    assert vault.run("audit", str(tmp_path / "b"), "--csv").stdout.startswith(
        ",".join(audit.COLUMNS)
    )


def test_prove_check_needs_signers_in_force_and_the_claimed_log(
    vault: Site, tmp_path: Path
) -> None:
    assert (
        vault.run("checkpoint", "--signer", "O-001", "--signer", "O-002").exit_code == 0
    )
    proof = tmp_path / "p.json"
    proof.write_text(vault.run("prove", "1").stdout, "utf-8")
    path, _ = export(vault, tmp_path / "b", "S-TEST-01")
    elsewhere = ["--vault", str(tmp_path / "nowhere"), "prove", "--check", str(proof)]
    ok = vault.runner.invoke(
        cli, [*elsewhere, "--bundle", str(path), "--genesis", genesis(vault)]
    )
    assert ok.exit_code == 0 and "signed by O-001 and O-002" in ok.stdout
    wrong = vault.runner.invoke(
        cli, [*elsewhere, "--bundle", str(path), "--genesis", "c" * 64]
    )
    assert wrong.exit_code == 1 and "is not the pinned" in wrong.stderr
    doc = json.loads(proof.read_text("utf-8"))
    edited = {**doc, "origin": doc["origin"].rsplit("/", 1)[0] + "/" + "0" * 32}
    proof.write_text(json.dumps(edited), "utf-8")
    result = vault.runner.invoke(cli, [*elsewhere, "--bundle", str(path)])
    assert result.exit_code == 1 and "is not the signed note's" in result.stderr


def test_prove_check_refuses_a_checkpoint_by_a_revoked_key(
    vault: Site, tmp_path: Path
) -> None:
    cosign = ("--signer", "O-003", "--signer", "O-004")
    assert vault.run("checkpoint", *cosign).exit_code == 0
    proof = tmp_path / "p.json"
    proof.write_text(vault.run("prove", "1").stdout, "utf-8")
    origin = json.loads(proof.read_text("utf-8"))["origin"]
    revoked = keys.key_id(keys.raw_public(private_key("O-004")))
    result = vault.run(
        *("roster", "revoke-key", "--id", "O-004", "--key", revoked),
        *("--reason", "lost", "--signer", "O-001", "--signer", "O-002"),
    )
    assert result.exit_code == 0, result.stderr
    # signed while the key was in force: still good
    assert vault.run("prove", "--check", str(proof)).exit_code == 0
    # a note made after the revocation, with the revoked key
    lines = [line.rstrip(b"\n") for line in vault.lines()]
    head = checkpoint.Checkpoint(
        origin=origin, size=len(lines), root=merkle.root_of(lines)
    )
    note = checkpoint.sign_note(
        head.note_text(), [(i, private_key(i)) for i in ("O-003", "O-004")]
    )
    proof.write_text(json.dumps(proofs.make(iter(lines), 1, note)), "utf-8")
    result = vault.run("prove", "--check", str(proof))
    assert result.exit_code == 1
    assert "with the keys in force at size 5" in result.stderr
    # a roster.json alone: the revoked key does not count either
    bundled, _ = export(vault, tmp_path / "b", "S-TEST-01")
    roster = tmp_path / "roster.json"
    roster.write_bytes(bundle.read(bundled).members["roster.json"])
    result = vault.run("prove", "--check", str(proof), "--roster", str(roster))
    assert result.exit_code == 1 and "too few cosigners" in result.stderr


def test_the_centres_records_speak_chinese_under_zh(
    make_vault: Callable[[int], Site], tmp_path: Path
) -> None:
    """The problems an audit finds in the centre's records are core messages
    (``Text``): rendered in Chinese under zh, English in ``--json``."""
    site = make_vault(3)
    pins = csv_file(
        tmp_path / "pins.csv",
        "site,genesis",
        f"S-TEST-01,{genesis(site)}",
        f"S-TEST-99,{'a' * 64}",
    )
    site.ledger.unlink()
    make_vault(3)  # the same site id and keys, a new genesis
    export(site, tmp_path / "b", "S-TEST-01")
    result = site.runner.invoke(
        cli, ["--lang", "zh", "audit", str(tmp_path / "b"), "--pins", str(pins)]
    )
    assert result.exit_code == 3
    lines = result.stdout.splitlines()
    (rebuilt,) = [x for x in lines if x.startswith("S-TEST-01.vaultctl.tar.gz: ")]
    assert rebuilt.startswith("S-TEST-01.vaultctl.tar.gz: 创世记录 ")
    assert rebuilt.endswith("（日志被推倒重建）")
    (missing,) = [x for x in lines if x.startswith("S-TEST-99: ")]
    assert "no bundle" not in missing
    assert "rebuilt" not in result.stdout
    status, rows = audit_cli(site, tmp_path / "b", "--pins", str(pins))
    assert "rebuilt from scratch" in rows[0]["problems"][0]


def test_every_code_an_audit_row_carries_is_one_enum_with_a_chinese_name() -> None:
    from vaultctl.core import codes, i18n, messages
    from vaultctl.tlog import chain

    assert set(chain.CODES) | set(codes.AUDIT) == set(codes.Code)
    assert set(codes.Code) == set(messages.CODES)
    for code in codes.Code:
        assert i18n.translate_for("zh", messages.CODES[code]) != messages.CODES[code]
    with pytest.raises(ValueError, match="unknown integrity code"):
        chain.Integrity(line=1, seq=1, code="genesis-mismatch", message="x")
    made = chain.Integrity(line=1, seq=1, code="bad-json", message="x")
    assert made.code is codes.Code.BAD_JSON
