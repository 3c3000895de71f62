"""Input as officers type it (issue 23): ids in another case or width get a
"did you mean", full-width colons in packets, empty texts refused, a bad time
is a usage error (exit 2), click never suggests --force, and the Chinese
messages carry no English word for an id's kind."""

from __future__ import annotations

import pytest

from . import test_cli_events as events
from .conftest import Site
from .test_cli_events import (
    built,  # noqa: F401 - the session fixture
    ok,
    refused,
    sign,
    t,
    verify_json,
)

stocked = events.stocked  # the fixture: papers in store, shift A on duty


@pytest.mark.parametrize("typed", ["o-003", "Ｏ－００３", "O-0O3"])
def test_a_signer_typed_otherwise_gets_did_you_mean(vault: Site, typed: str) -> None:
    line = refused(vault, "note", "--text", "x", "--signer", typed, "--signer", "O-004")
    assert "not on the roster (did you mean O-003?)" in line


def test_an_unknown_item_in_chinese_has_no_english_kind(vault: Site) -> None:
    result = vault.run(
        *("--lang", "zh", "custody", "assign", "--item", "k-d1", "--to", "O-002"),
        *sign("O-002", "O-001"),
    )
    assert result.exit_code == 1
    assert "未知的钥匙或密码（是不是 K-D1？）" in result.stderr
    assert "item" not in result.stderr.replace("--item", "")


def test_a_packet_with_a_full_width_colon(stocked: Site) -> None:
    entry = ok(
        stocked,
        *("issue", "--session", "S-0607-AM", "--exam-room", "E01", "--to", "O-101"),
        *("--packet", "P-E01：SL-1", "--count", "1", "--cctv", "on"),
        *sign("O-002", "O-101"),
        *("--at", t("08:30", events.EXAM)),
        quiet=("SHIFT-LONG",),
    )
    assert entry["body"]["packets"] == [{"id": "P-E01", "seal": "SL-1"}]
    assert verify_json(stocked)[1]["integrity"] == []


@pytest.mark.parametrize(
    "args",
    [
        ["note", "--text", ""],
        ["note", "--text", "   "],
        ["amend", "--seq", "1", "--text", "\u3000"],
    ],
)
def test_an_empty_text_is_refused(vault: Site, args: list[str]) -> None:
    before = vault.ledger.read_bytes()
    result = vault.run(*args, *sign("O-003", "O-004"))
    assert result.exit_code == 2 and "empty" in result.stderr
    assert vault.ledger.read_bytes() == before


def test_click_never_suggests_force(vault: Site) -> None:
    result = vault.run("roster", "train", "--officer", "O-003", *sign("O-001", "O-002"))
    assert result.exit_code == 2
    assert "--force" not in result.stderr
    assert "No such option" in result.stderr


def test_a_bad_time_is_a_usage_error(vault: Site) -> None:
    line = refused(
        vault, "note", "--text", "x", *sign("O-003", "O-004"), "--at", "3.40", code=2
    )
    assert "did you mean 03:40?" in line


def test_three_wrong_passphrases_name_the_next_step(
    vault: Site, clean_env: None
) -> None:
    before = vault.ledger.read_bytes()
    result = vault.runner.invoke(
        __import__("vaultctl.cli", fromlist=["cli"]).cli,
        [
            *("--vault", str(vault.vault_dir), "--key-dir", str(vault.key_dir)),
            *("note", "--text", "x", *sign("O-003", "O-004")),
        ],
        input="错1\n错2\n错3\n",
    )
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert "wrong passphrase" in lines[-3]
    assert "Caps Lock" in lines[-2] and "roster revoke-key --id O-003" in lines[-1]
    assert "GetPassWarning" not in result.stderr and "echoed" not in result.stderr
    assert vault.ledger.read_bytes() == before


def test_a_short_new_passphrase_is_said_before_it_is_repeated(
    tmp_path, clean_env: None
) -> None:
    from click.testing import CliRunner

    from vaultctl.cli import cli

    result = CliRunner().invoke(
        cli,
        ["--key-dir", str(tmp_path), "--lang", "zh", "keys", "generate", "O-042"],
        input="短\n口令口令\n口令口令\n",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("再输入一次") == 1  # repeated once, the good one
    assert "口令太短" in result.stderr and "at least" not in result.stderr


def test_a_fresh_vault_lists_the_first_day_in_order(vault: Site) -> None:
    """Issue 23: status of a fresh vault says what is still to be done before
    papers can arrive, each with its command; in Chinese too."""
    import json

    data = json.loads(vault.run("status", "--json").stdout)
    steps = [s["step"] for s in data["setup"]]
    assert steps[0] == "joint inspection of R1"
    assert steps[1:5] == [
        f"a holder for {k}" for k in ("K-C1-A", "K-C1-B", "K-D1", "K-D2")
    ]
    assert steps[-2:] == ["CAM-1 recording", "the first shift on duty"]
    assert data["setup"][0]["command"].startswith("vaultctl inspect --room R1")
    text = vault.run("--lang", "zh", "status").stdout
    assert text.startswith(
        "接收试卷前尚需办理：\n  R1 的联合检查验收\n    vaultctl inspect"
    )


def test_the_setup_list_is_gone_once_papers_are_stored(stocked: Site) -> None:
    import json

    assert json.loads(stocked.run("status", "--json").stdout)["setup"] == []
    assert "Still to do" not in stocked.run("status").stdout


def test_demo_keys_are_published_cheap_and_refused_by_a_real_site(
    tmp_path, clean_env: None
) -> None:
    """Issue 23: `make demo` uses demo keys (a cheap KDF, derived from the
    officer id by a published rule); a real site's roster refuses them."""
    from click.testing import CliRunner

    from vaultctl.cli import cli
    from vaultctl.core import keyfile, keys

    from .conftest import OFFICERS, private_key, site_toml

    env = {keys.passphrase_variable(o): "演示口令演示口令" for o, _n, _r in OFFICERS}
    kd = tmp_path / "k"
    for officer, _name, _roles in OFFICERS:
        r = CliRunner().invoke(
            cli, ["--key-dir", str(kd), "keys", "generate", "--demo", officer], env=env
        )
        assert r.exit_code == 0, r.stderr
    pem = (kd / "O-003.key").read_bytes()
    assert keyfile._kdf(pem) == ("scrypt", {"n": 2**10, "r": 8, "p": 1})
    raw = keys.read_public(kd, "O-003")
    assert keys.is_demo_key("O-003", raw)
    assert "DEMO KEY" in (kd / "O-003.pub").read_text("utf-8")
    text = site_toml()
    for officer, _name, _roles in OFFICERS:
        real = keys.format_public_key(keys.raw_public(private_key(officer)))
        demo = keys.format_public_key(keys.read_public(kd, officer))
        text = text.replace(real, demo)
    real_site = tmp_path / "real.toml"
    real_site.write_text(text, "utf-8")
    args = ["--key-dir", str(kd), "--vault", str(tmp_path / "v"), "init"]
    args += ["--config", str(real_site), *sign("O-001", "O-002")]
    refused_run = CliRunner().invoke(cli, args, env=env)
    assert refused_run.exit_code == 1
    assert "published demo key" in refused_run.stderr
    demo_site = tmp_path / "demo.toml"
    demo_site.write_text(
        text.replace(
            'exam_end = "2026-06-08"\n', 'exam_end = "2026-06-08"\ndemo = true\n'
        ),
        "utf-8",
    )
    args[args.index(str(real_site))] = str(demo_site)
    ok_run = CliRunner().invoke(cli, args, env=env)
    assert ok_run.exit_code == 0, ok_run.stderr


def test_a_roster_change_may_not_bring_in_a_demo_key(vault: Site) -> None:
    from vaultctl.core import keys

    demo = keys.raw_public(keys.demo_private("O-003"))
    body = {
        "action": "add-key",
        "id": "O-003",
        "key": {"key": keys.key_id(demo), "public_key": keys.format_public_key(demo)},
    }
    from vaultctl.rules.state import replay

    from .test_tamper import entries

    roster = replay(entries(vault)).roster
    assert "published demo key" in (roster.problem(body) or "")


def test_the_audit_table_in_chinese(vault: Site, tmp_path) -> None:
    """Issue 23: the audit table's headers and statuses in Chinese."""
    from .test_audit import export

    export(vault, tmp_path / "b", "S-TEST-01")
    result = vault.run("--lang", "zh", "audit", str(tmp_path / "b"), "--jobs", "1")
    header = result.stdout.splitlines()[0]
    for english in ("warnings", "policy", "file", "status"):
        assert english not in header
    assert "无问题" in result.stdout.splitlines()[2]


def test_log_in_chinese_shows_no_english_field_words(stocked: Site) -> None:
    """Issue 23: `log` showed `action=assign item=…` under zh."""
    result = stocked.run("--lang", "zh", "log")
    assert result.exit_code == 0
    assert "动作=交付 物品=K-D1 交给=O-002" in result.stdout
    for english in ("action=", "item=", " packets:", "=assign"):
        assert english not in result.stdout
    assert "action=assign item=K-D1 to=O-002" in stocked.run("log").stdout


@pytest.mark.parametrize(
    ("args", "chinese"),
    [
        (["verify", "--code", "12:ABC"], "校验码：收到 3 个字符"),
        (["verify", "--code", "4:AAAA-BBBB-CCCC-DDDD"], "只有 16 个字符"),
        (["prove", "999"], "第 999 条不在最新检查点范围内"),
    ],
)
def test_code_and_proof_errors_in_chinese(
    vault: Site, args: list[str], chinese: str
) -> None:
    """Issue 23: these came out in English under zh."""
    assert vault.run("checkpoint", *sign("O-003", "O-004")).exit_code == 0
    result = vault.run("--lang", "zh", *args)
    assert result.exit_code != 0
    assert chinese in result.stderr
    assert "short code" not in result.stderr and "entry" not in result.stderr
