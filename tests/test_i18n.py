"""Every message has a Chinese translation, the catalog is built, and shown."""

from __future__ import annotations

import pickle

from click.testing import CliRunner

from tools import catalog
from vaultctl.cli import cli
from vaultctl.core import i18n
from vaultctl.core.i18n import N_
from vaultctl.core.messages import Text, at

from .conftest import Site

SIGN = ("--signer", "O-003", "--signer", "O-004")


def test_every_message_has_a_chinese_translation() -> None:
    messages = {m.msgid: m for m in catalog.read_po(catalog.PO)}
    wanted = catalog.wanted()
    missing = [i for i in wanted if i not in messages or not all(messages[i].strs)]
    assert missing == [], f"run `make i18n` and translate: {missing[:5]}"
    fuzzy = [i for i, m in messages.items() if "fuzzy" in m.flags]
    assert fuzzy == []


def test_the_compiled_catalog_is_up_to_date() -> None:
    assert catalog.MO.read_bytes() == catalog.compile_mo(catalog.read_po(catalog.PO))


def test_the_catalog_is_package_data() -> None:
    text = (catalog.PACKAGE.parent / "pyproject.toml").read_text("utf-8")
    assert '"locale/*/LC_MESSAGES/*.mo"' in text


def test_placeholders_survive_translation() -> None:
    import re

    for m in catalog.read_po(catalog.PO):
        if not m.msgid:
            continue
        src = set(re.findall(r"\{[^{}]*\}", m.msgid + (m.plural or "")))
        assert set(re.findall(r"\{[^{}]*\}", "".join(m.strs))) <= src, m.msgid


def test_the_language_is_chosen_before_help() -> None:
    assert i18n.choose(["--lang", "zh", "note", "--help"], {}) == "zh"
    assert i18n.choose(["--lang=en"], {"LANG": "zh_CN.UTF-8"}) == "en"
    assert i18n.choose([], {"LC_ALL": "", "LC_MESSAGES": "zh_TW", "LANG": "C"}) == "zh"
    assert i18n.choose([], {"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"


NOTE_HELP_ZH = """\
用法： vaultctl note [OPTIONS]

  在值班记录中加一条备注（所见、所做或所拒）。

  示例：
    vaultctl note --text "22:00 巡查门锁完好" --signer O-003 --signer O-004

选项:
  --text TEXT    备注内容，按值班记录的写法。  [必填]
  --signer ID    签名的工作人员（至少两人，按输入口令的先后顺序）。  [必填]
  --at TIME      发生时间，除注明时差外均为考点时间：2026-06-06 14:05（或
                 2026-06-06T14:05+08:00）、6/6 14:05、6月6日 14:05、14:05（今天）、今天/昨天
                 14:05；全角数字和冒号也可以。默认：当前时间。
  --note TEXT    记入本条的备注。
  --force        即使违反合规规则也如实记录。
  --attach FILE  与本条绑定的照片或扫描件（可重复）：按其 SHA-256 复制到记录库的 evidence/ 目录。
  -h, --help     显示本帮助并退出。
"""


def test_chinese_help_exactly() -> None:
    result = CliRunner().invoke(
        cli, ["--lang", "zh", "note", "--help"], prog_name="vaultctl"
    )
    assert result.stdout == NOTE_HELP_ZH
    english = CliRunner().invoke(
        cli, ["note", "--help"], env={"LANG": "C"}, prog_name="vaultctl"
    )
    assert english.stdout.startswith("Usage: vaultctl note [OPTIONS]")


def test_chinese_from_the_locale() -> None:
    result = CliRunner().invoke(cli, ["note"], env={"LANG": "zh_CN.UTF-8"})
    assert result.exit_code == 2
    assert "错误：缺少选项 '--text'" in result.stderr


def test_a_chinese_refusal_exactly(vault: Site) -> None:
    result = vault.run("--lang", "zh", "note", "--text", "x", *SIGN, "--at", "3.40")
    assert result.exit_code == 2  # a usage error, like click's own
    assert result.stderr == (
        "vaultctl：错误：--at '3.40' 不是有效时间；是不是 03:40？\n"
    )


def test_a_chinese_confirmation(vault: Site) -> None:
    result = vault.run(
        "--lang",
        "zh",
        "note",
        "--text",
        "交班检查无异常",
        *SIGN,
        "--at",
        "2026-06-06 10:00",
        "--force",
    )
    assert result.stdout.startswith(
        "#4 note 2026-06-06 10:00+08:00 (Asia/Shanghai) 签名：O-003, O-004 · "
    )


def test_core_messages_are_translated_at_the_edge() -> None:
    revoked = Text(N_("key {key} of {by} was revoked"), key="ab12", by="O-003")
    assert revoked == "key ab12 of O-003 was revoked"  # NOTE: English, a str
    assert i18n.localise_message(revoked, "zh") == "O-003 的密钥 ab12 已吊销"
    placed = at("line 3", Text(N_("{by} is not on the roster"), by="O-9"))
    assert placed == "line 3: O-9 is not on the roster"
    assert i18n.localise_message(placed, "zh") == "line 3：O-9 不在工作人员名册中"
    assert i18n.integrity_message("bad-json", "Expecting value", "zh") == (
        "不是有效的 JSON：Expecting value"
    )
    assert i18n.integrity_message("revoked-key", revoked, "zh") == (
        "O-003 的密钥 ab12 已吊销"
    )
    assert i18n.localise_message(revoked, "en") == "key ab12 of O-003 was revoked"


def test_english_text_is_never_parsed_back() -> None:
    """Only a Text is rendered in another language; a plain string that reads
    like a template (a value a log could carry) is shown as it is."""
    plain = "key ab12 of O-003 was revoked"
    assert i18n.localise_message(plain, "zh") == plain
    # NOTE: a value with braces is put in, never formatted again
    odd = Text(N_("{by} is not on the roster"), by="{key}")
    assert i18n.localise_message(odd, "zh") == "{key} 不在工作人员名册中"


def test_a_text_survives_a_worker_process() -> None:
    sent = at("b.tar.gz", Text(N_("{by} is not on the roster"), by="O-9"))
    back = pickle.loads(pickle.dumps(sent))  # noqa: S301 - our own bytes
    assert isinstance(back, Text)
    assert i18n.localise_message(back, "zh") == "b.tar.gz：O-9 不在工作人员名册中"


def test_every_integrity_code_has_a_chinese_name() -> None:
    from vaultctl.core import messages
    from vaultctl.tlog import chain

    assert set(chain.CODES) <= set(messages.CODES)
