"""The command line end to end: round trips, refusals, help texts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from wcwidth import wcswidth

from vaultctl.cli import cli
from vaultctl.core import keys
from vaultctl.store.ledger import Vault

from .conftest import OUTSIDER, Site, passphrase

SIGN = ["--signer", "O-003", "--signer", "O-004"]


def init(site: Site) -> None:
    result = site.run(
        "init",
        "--config",
        str(site.config),
        "--signer",
        "O-001",
        "--signer",
        "O-002",
        "--at",
        "2026-06-06T08:00",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("#0 genesis 2026-06-06 08:00+08:00 (Asia/Shanghai)")


def test_round_trip_through_cli(site: Site) -> None:
    init(site)
    for i, at in enumerate(
        ["6/6 09:00", "2026-06-06T09:30:00+08:00", "2026-06-06 10:00"]
    ):
        result = site.run("note", "--text", f"交接班记录 {i}", *SIGN, "--at", at)
        assert result.exit_code == 0, result.stderr
    result = site.run("verify")
    assert result.exit_code == 0, result.stdout
    assert "intact" in result.stdout
    data = json.loads(site.run("verify", "--json").stdout)
    assert data["ok"] is True and data["exit"] == 0 and data["entries"] == 4
    assert (
        data["integrity"] == [] and data["head"] == json.loads(site.lines()[-1])["hash"]
    )
    stored = [json.loads(line)["ts"] for line in site.lines()]
    assert stored[1:] == [
        "2026-06-06T09:00:00+08:00",
        "2026-06-06T09:30:00+08:00",
        "2026-06-06T10:00:00+08:00",
    ]


def test_keys_generate_and_show_through_cli(tmp_path: Path, clean_env: None) -> None:
    runner = CliRunner()
    args = ["--key-dir", str(tmp_path / "k"), "keys", "generate", "O-042"]
    result = runner.invoke(cli, args, input="秘密口令\n秘密口令\n")
    assert result.exit_code == 0, result.stderr
    assert "秘密口令" not in result.stdout + result.stderr  # never echoed
    key_file = tmp_path / "k" / "O-042.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    again = runner.invoke(cli, args, input="x\nx\n")
    assert again.exit_code == 1 and "already exists" in again.stderr
    shown = runner.invoke(
        cli, ["--key-dir", str(tmp_path / "k"), "keys", "show", "O-042"]
    )
    raw = keys.read_public(tmp_path / "k", "O-042")
    assert shown.stdout.strip() == f"{keys.key_id(raw)} {keys.format_public_key(raw)}"
    assert keys.load_private(tmp_path / "k", "O-042", "秘密口令")


def test_keys_generate_mismatched_confirmation(tmp_path: Path, clean_env: None) -> None:
    result = CliRunner().invoke(
        cli,
        ["--key-dir", str(tmp_path), "keys", "generate", "O-042"],
        input="aaaaaaaaaa\nbbbbbbbbbb\naaaaaaaaaa\naaaaaaaaaa\n",
    )
    assert result.exit_code == 0
    assert keys.load_private(tmp_path, "O-042", "aaaaaaaaaa")


def test_keys_generate_refuses_a_short_passphrase_three_times(
    tmp_path: Path, clean_env: None
) -> None:
    result = CliRunner().invoke(
        cli,
        ["--key-dir", str(tmp_path), "keys", "generate", "O-042"],
        input="123456789\n123456789\n口令口令\n口令口令\n",
    )
    assert result.exit_code == 0, result.output
    assert "too short" in result.stderr and "try again" in result.stderr
    assert keys.load_private(tmp_path, "O-042", "口令口令")
    given_up = CliRunner().invoke(
        cli,
        ["--key-dir", str(tmp_path), "keys", "generate", "O-043"],
        input="short\nshort\n" * 3,
    )
    assert given_up.exit_code == 1 and "too short" in given_up.stderr
    assert given_up.stderr.count("try again") == 2
    assert not (tmp_path / "O-043.key").exists()


def test_passphrase_prompted_when_not_in_environment(site: Site) -> None:
    init(site)
    before = site.ledger.read_bytes()
    result = site.run(
        "note",
        "--text",
        "提示输入口令",
        *SIGN,
        env={},
        input=f"{passphrase('O-003')}\n{passphrase('O-004')}\n",
    )
    assert result.exit_code == 0, result.stderr
    assert "O-003 张伟: passphrase" in result.stderr
    assert passphrase("O-003") not in result.stderr + result.stdout
    assert site.ledger.read_bytes().startswith(before)


def test_real_subprocess_round_trip(site: Site) -> None:
    env = {
        **os.environ,
        **site.env(),
        "VAULTCTL_VAULT": str(site.vault_dir),
        "VAULTCTL_KEY_DIR": str(site.key_dir),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "vaultctl", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert (
        run(
            "init",
            "--config",
            str(site.config),
            "--signer",
            "O-001",
            "--signer",
            "O-002",
            "--at",
            "2026-06-06T08:00",
        ).returncode
        == 0
    )
    assert (
        run("note", "--text", "子进程", *SIGN, "--at", "2026-06-06T09:00").returncode
        == 0
    )
    done = run("verify", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["entries"] == 2
    site.ledger.write_bytes(
        site.ledger.read_bytes().replace("子进程".encode(), "子进城".encode())
    )
    broken = run("verify")
    assert broken.returncode == 3
    assert "hash-mismatch" in broken.stdout


def refused(
    site: Site, *args: str, env: dict[str, str] | None = None, code: int | None = None
) -> str:
    """Run a command that must fail: one error line on stderr (then only
    indented next steps), ledger unchanged."""
    before = site.ledger.read_bytes() if site.ledger.exists() else None
    result = site.run(*args, env=env)
    assert result.exit_code != 0
    if code is not None:
        assert result.exit_code == code
    lines = result.stderr.strip().splitlines()
    assert all(h.startswith("  ") for h in lines[1:]), result.stderr  # next steps
    assert "Traceback" not in result.stderr
    after = site.ledger.read_bytes() if site.ledger.exists() else None
    assert after == before
    return "\n".join(lines)


def test_wrong_passphrase(vault: Site) -> None:
    env = {**vault.env(), keys.passphrase_variable("O-004"): "错误"}
    line = refused(vault, "note", "--text", "x", *SIGN, env=env)
    assert "O-004: wrong passphrase" in line


def test_missing_key_file(vault: Site) -> None:
    (vault.key_dir / "O-004.key").unlink()
    assert "no key file for officer O-004" in refused(
        vault, "note", "--text", "x", *SIGN
    )


def test_key_file_too_open(vault: Site) -> None:
    os.chmod(vault.key_dir / "O-004.key", 0o644)
    assert "too open" in refused(vault, "note", "--text", "x", *SIGN)


def test_unknown_signer(vault: Site) -> None:
    line = refused(
        vault, "note", "--text", "x", "--signer", OUTSIDER, "--signer", "O-004"
    )
    assert f"--signer {OUTSIDER}: not on the roster" in line


def test_one_signer_is_not_enough(vault: Site) -> None:
    assert "two officers" in refused(vault, "note", "--text", "x", "--signer", "O-003")


def test_same_signer_twice(vault: Site) -> None:
    assert "twice" in refused(
        vault, "note", "--text", "x", "--signer", "O-003", "--signer", "O-003"
    )


def test_unparsable_time(vault: Site) -> None:
    assert "not a time" in refused(
        vault, "note", "--text", "x", *SIGN, "--at", "明天早上"
    )


def test_vault_missing(site: Site) -> None:
    line = refused(site, "note", "--text", "x", *SIGN, code=4)
    assert "no vault here" in line
    assert "no vault here" in refused(site, "verify", code=4)
    assert refused(site, "log", code=4)


def test_ledger_unreadable(vault: Site) -> None:
    if os.geteuid() == 0:
        vault.ledger.unlink()  # root reads anything: test the missing ledger instead
        assert "no ledger.jsonl in" in refused(vault, "verify", code=4)
    else:
        os.chmod(vault.ledger, 0)
        assert "permission denied" in refused(vault, "verify", code=4)


def test_second_writer_holding_the_lock(vault: Site) -> None:
    env = {**vault.env(), "VAULTCTL_LOCK_TIMEOUT": "0.3"}
    with Vault(vault.vault_dir).locked():
        line = refused(vault, "note", "--text", "x", *SIGN, env=env)
    assert "another writer" in line


def test_init_refuses_a_non_empty_ledger(vault: Site) -> None:
    assert "not empty" in refused(
        vault,
        "init",
        "--config",
        str(vault.config),
        "--signer",
        "O-001",
        "--signer",
        "O-002",
    )


def test_init_must_be_signed_by_the_heads(site: Site) -> None:
    line = refused(site, "init", "--config", str(site.config), *SIGN)
    assert "SITE-SETUP" in line and "not signed by the site head" in line
    assert not site.ledger.exists()


def test_init_reports_config_errors(site: Site) -> None:
    site.config.write_text(
        site.config.read_text("utf-8").replace(
            'exam_rooms = { E01 = "O-101" }', 'exam_rooms = { E01 = "O-109" }'
        ),
        "utf-8",
    )
    line = refused(
        site,
        "init",
        "--config",
        str(site.config),
        "--signer",
        "O-001",
        "--signer",
        "O-002",
    )
    assert "sessions[0].exam_rooms.E01: unknown officer 'O-109'" in line


def test_writer_refuses_after_a_torn_line(vault: Site) -> None:
    with vault.ledger.open("ab") as f:
        f.write(b'{"body":{"te')
    assert "torn" in refused(vault, "note", "--text", "x", *SIGN)


def test_repair_moves_the_torn_bytes_aside(vault: Site) -> None:
    torn = b'{"body":{"text":"half'
    with vault.ledger.open("ab") as f:
        f.write(torn)
    declined = vault.run("repair", input="n\n")
    assert declined.exit_code == 1 and vault.ledger.read_bytes().endswith(torn)
    result = vault.run("repair", "--yes")
    assert result.exit_code == 0, result.stderr
    moved = list((vault.vault_dir / "torn").iterdir())
    assert len(moved) == 1 and moved[0].read_bytes() == torn
    assert vault.run("verify").exit_code == 0
    again = vault.run("repair")
    assert again.exit_code == 0 and "nothing to repair" in again.stdout


def test_log_filters_and_json(vault: Site) -> None:
    result = vault.run("log", "--type", "note", "--since", "2026-06-06T09:01", "--json")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["body"]["text"] for r in rows] == ["记录 1", "记录 2"]
    assert vault.run("log", "--officer", "O-001", "--json").stdout.count("\n") == 1
    assert (
        vault.run("log", "--until", "2026-06-06T09:00", "--json").stdout.count("\n")
        == 2
    )


def test_tables_align_chinese_text_by_display_width() -> None:
    from vaultctl.present import render

    text = render.table(
        [("王建国", "签"), ("AB", "x"), ("试卷保密室负责人", "y")], ["name", "z"]
    )
    columns = set()
    for line in text.splitlines()[2:]:
        last = line.rstrip()[-1]
        columns.add(wcswidth(line[: line.rindex(last)]))
    assert len(columns) == 1, text


def test_verify_json_reports_integrity_findings(vault: Site) -> None:
    lines = vault.lines()
    del lines[2]
    vault.write_lines(lines)
    result = vault.run("verify", "--json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["exit"] == 3
    assert {(f["line"], f["code"]) for f in data["integrity"]} == {
        (3, "seq-gap"),
        (3, "prev-mismatch"),
    }
    assert set(data) >= {
        "ok",
        "exit",
        "entries",
        "log",
        "head",
        "integrity",
        "findings",
        "state",
    }


def all_commands() -> list[list[str]]:
    found = []
    for name, command in cli.commands.items():
        sub = getattr(command, "commands", None)
        if sub:
            found += [[name, s] for s in sub]
        found.append([name])
    return found


@pytest.mark.parametrize("path", all_commands(), ids=" ".join)
def test_every_command_has_help_with_an_example(path: list[str]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert "vaultctl " in result.stdout.split("Example", 1)[1]


def test_a_mistyped_passphrase_can_be_typed_again(vault: Site) -> None:
    before = vault.ledger.read_bytes()
    typed = f"错的\n{passphrase('O-003')}\n{passphrase('O-004')}\n"
    result = vault.run("note", "--text", "重输口令", *SIGN, env={}, input=typed)
    assert result.exit_code == 0, result.stderr
    assert "wrong passphrase for O-003, try again (2 left)" in result.stderr
    assert vault.ledger.read_bytes().startswith(before)
    three_wrong = "a\nb\nc\n"
    failed = vault.run("note", "--text", "x", *SIGN, env={}, input=three_wrong)
    assert failed.exit_code == 1 and "O-003: wrong passphrase" in failed.stderr
    assert len(vault.lines()) == len(before.splitlines()) + 1


def test_refusals_speak_chinese_with_lang_zh(vault: Site) -> None:
    args = ["note", "--text", "x", *SIGN, "--at", "2026-06-06T08:00"]  # back in time
    line = refused(vault, "--lang", "zh", *args)
    assert "拒绝记录，将违反 TIME-ORDER" in line and "时间倒退" in line
    assert "refused, it would break TIME-ORDER" in refused(vault, "--lang", "en", *args)
