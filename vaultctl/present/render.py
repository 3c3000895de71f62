"""Human output: tabulate tables (Chinese text aligned by display width)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from tabulate import tabulate

from vaultctl.core.i18n import integrity_message, translate_for, translation
from vaultctl.core.model import Entry
from vaultctl.core.schema import INCIDENT_KINDS
from vaultctl.rules import REGISTRY, Finding, params_in_force
from vaultctl.verify import Report

SUMMARY_WIDTH = 60
WORDS = {
    "summary": ("Summary", "概要"),
    "integrity": ("Integrity findings", "完整性问题"),
    "findings": ("Compliance findings", "合规问题"),
    "state": ("State at the end", "期末状态"),
    "stock": ("Stock in the room", "在库试卷"),
    "out": ("Out in exam rooms", "已发出未回收"),
    "keys": ("Keys and codes", "钥匙与密码"),
    "duty": ("On duty", "值班"),
    "cctv": ("Cameras", "监控"),
    "incidents": ("Incidents", "事件"),
    "intact": ("intact", "完整"),
    "broken": ("BROKEN", "已损坏"),
    "none": ("none", "无"),
    "nobody": ("nobody", "无人"),
    "off": ("rules off", "未启用规则"),
}


LABELS_ZH = {
    "seq": "序号",
    "ts": "时间",
    "time": "时间",
    "type": "类型",
    "signed by": "签名",
    "what": "内容",
    "rule": "规则",
    "level": "级别",
    "officers": "人员",
    "explanation": "说明",
    "clause": "条款",
    "subject": "科目",
    "session": "场次",
    "kind": "类别",
    "packets": "袋数",
    "key/code": "钥匙/密码",
    "holder": "保管人",
    "shift": "班次",
    "leader": "班长",
    "members": "成员",
    "on site": "在场",
    "since": "起始",
    "text": "内容",
    "site": "考点",
    "log": "日志",
    "entries": "条目",
    "head": "末条哈希",
    "code": "校验码",
    "problem": "问题类别",
    "warnings": "警告",
    "policy": "策略",
    # how an anchor failed
    "rollback": "回滚",
    "fork": "分叉",
    "bad-note": "无效检查点",
    "integrity": "完整性",
    "anchors": "锚点",
    "compliance": "合规",
    "exit": "退出码",
    "line": "行",
    "message": "说明",
    "title": "名称",
    "parameters": "参数",
    "last entry": "最后条目",
    "keep footage until": "监控视频保存至",
    "file": "文件",
    "status": "状态",
    "findings": "合规问题",
    "last_checkpoint": "最近检查点",
}


# NOTE: an audit row's status, in the CLI table and on the audit page alike
STATUS_ZH = {
    "ok": "无问题",
    "findings": "有合规问题",
    "relaxed": "放宽策略",
    "INTEGRITY": "完整性不通过",
    "missing": "缺失",
    "unreadable": "无法读取",
    "failed": "核验失败",
    "bad-record": "记录有误",
}

# NOTE: levels and states; a camera's on/off/fault from the catalog (Word)
STATES_ZH = {
    "error": "错误",
    "warn": "警告",
    "paper": "试卷",
    "answer-sheet": "答题卡",
    "unknown": "未知",
    **{w: translate_for("zh", w) for w in ("on", "off", "fault")},
}


def value(text: str, lang: str) -> str:
    """A state or level word (``paper``, ``error``, ``on``…) in ``lang``."""
    if lang != "zh":
        return text
    return STATES_ZH.get(text) or VALUES_ZH.get(text, text)


def status(text: str, lang: str) -> str:
    """An audit row's status (``ok``, ``INTEGRITY``…) in ``lang``."""
    return STATUS_ZH.get(text, text) if lang == "zh" else text


def word(key: str, lang: str) -> str:
    en, zh = WORDS[key]
    return zh if lang == "zh" else en


def label(text: str, lang: str) -> str:
    return LABELS_ZH.get(text, text) if lang == "zh" else text


# NOTE: C0/C1 controls, DEL, and the bidi and invisible format characters that
# could redraw a terminal or reorder what it shows ("Trojan Source")
_UNSAFE_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)

_JSON_UNSAFE_RE = re.compile(
    "[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)


def safe(value: Any) -> str:
    """``value`` as text for a terminal: every control or bidi character that
    came from a ledger line shown as ``\\uXXXX``, never obeyed."""
    return _UNSAFE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(value))


def json_text(value: Any, indent: int | None = 1) -> str:
    """JSON for stdout: UTF-8 text, with bidi and format characters escaped
    (``\\uXXXX`` is valid JSON, so nothing changes for a parser)."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    # NOTE: json escapes C0 controls itself; newlines here are its indentation
    return _JSON_UNSAFE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_chunks(value: Any, indent: int | None = 1) -> Iterator[str]:
    """:func:`json_text` piece by piece, as encoded (a long report is never
    one string in memory); pieces end at token boundaries, so the escaping
    is the same."""
    encoder = json.JSONEncoder(ensure_ascii=False, indent=indent)
    for piece in encoder.iterencode(value):
        yield _JSON_UNSAFE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", piece)


def json_line(value: Any) -> str:
    """One JSON Lines record (see :func:`json_text`)."""
    return json_text(value, indent=None)


def table(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str],
    lang: str = "en",
    escaped: bool = False,
) -> str:
    """A table; every cell escaped with :func:`safe` unless the caller already
    did (``escaped``, e.g. to colour the escaped text)."""
    return tabulate(
        [list(row) if escaped else [safe(c) for c in row] for row in rows],
        headers=[label(h, lang) for h in headers],
        tablefmt="simple",
        disable_numparse=True,
    )


def pairs(rows: Sequence[tuple[str, Any]], lang: str = "en") -> str:
    cells = [(label(k, lang), safe(v)) for k, v in rows]
    return tabulate(cells, tablefmt="plain", disable_numparse=True)


def clip(text: str, width: int = SUMMARY_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# NOTE: the words of a body as `log` shows them in Chinese (issue 23); ids and
# free text stay as written
FIELDS_ZH = {
    "action": "动作",
    "item": "物品",
    "to": "交给",
    "from": "来自",
    "member": "人员",
    "reason": "原因",
    "kind": "类别",
    "camera": "摄像头",
    "door": "门",
    "cabinet": "柜",
    "present": "在场",
    "person": "人员",
    "room": "保密室",
    "approver": "批准人",
    "escort": "陪同",
    "purpose": "事由",
    "session": "场次",
    "exam_room": "考场",
    "shift": "班次",
    "leader": "班长",
    "members": "成员",
    "from_shift": "交班班次",
    "from_leader": "交班班长",
    "stock": "清点",
    "result": "结果",
    "items": "项目",
    "cctv": "监控",
    "seal_checked": "核对封条",
    "refs": "涉及",
    "reported_to": "上报对象",
    "reported_at": "上报时间",
    "occurred_at": "发生时间",
    "id": "编号",
    "attachments": "附件",
}
VALUES_ZH = {
    "assign": "交付",
    "handover": "交接",
    "return": "交回",
    "start": "开始",
    "end": "结束",
    "leave": "离开",
    "enter": "进入",
    "exit": "离开",
    "on": "开",
    "off": "关",
    "fault": "故障",
    "segment": "录像段",
    "pass": "合格",
    "fail": "不合格",
    "meal": "就餐",
    "toilet": "如厕",
    "patrol": "巡查",
    "errand": "办事",
    "home": "回家",
    "other": "其他",
    # NOTE: incident kinds from the catalog (messages.WORDS), as the pages show them
    **{k: translate_for("zh", k) for k in INCIDENT_KINDS if k != "other"},
}


def summarize(entry: Entry, lang: str = "en") -> str:
    """One line saying what an entry records (field names and their fixed
    words in Chinese with ``lang`` zh; ids and free text as written)."""
    body = entry.body
    if "text" in body:
        return clip(str(body["text"]))
    if entry.type == "genesis":
        site = body["site"]
        return clip(f"{site['name']} · {site['exam']}")

    def pair(k: str, v: Any) -> str:
        shown = _short(v)
        if lang == "zh":
            return f"{FIELDS_ZH.get(k, k)}={VALUES_ZH.get(shown, shown)}"
        return f"{k}={shown}"

    if "packets" in body:
        ids = [p["id"] for p in body["packets"]]
        rest = {k: v for k, v in body.items() if k not in ("packets", "note", "count")}
        packets = f"{len(ids)} 袋" if lang == "zh" else f"{len(ids)} packets"
        return clip(
            " ".join(pair(k, v) for k, v in rest.items())
            + f" · {packets}: {','.join(ids)}"
        )
    return clip(" ".join(pair(k, v) for k, v in body.items() if k != "note"))


def _short(value: Any) -> str:
    if isinstance(value, list):
        return f"[{len(value)}]" if len(value) > 3 else ",".join(map(_short, value))
    if isinstance(value, dict):
        return "{…}"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def entries_table(entries: Sequence[tuple[bool, Entry]], lang: str = "en") -> str:
    """Entries as a table; those marked True fail verification (``✗``)."""
    rows = [
        (
            f"✗{e.seq}" if bad else e.seq,
            e.ts,
            e.type,
            " ".join(e.signers),
            summarize(e, lang),
        )
        for bad, e in entries
    ]
    return table(rows, ["seq", "ts", "type", "signed by", "what"], lang)


def findings_table(findings: Sequence[Finding], lang: str) -> str:
    ordered = sorted(
        findings, key=lambda f: (f.rule, f.seq if f.seq is not None else -1)
    )
    rows = [
        (
            f.rule,
            value(f.level, lang),
            "" if f.seq is None else f.seq,
            (f.ts or "")[5:16],
            " ".join(f.officers),
            f.text(lang),
            f.clause,
        )
        for f in ordered
    ]
    return table(
        rows,
        ["rule", "level", "seq", "time", "officers", "explanation", "clause"],
        lang,
    )


def state_tables(summary: Mapping[str, Any], lang: str) -> str:
    """Stock per subject and session, out, key holders, duty, cameras, incidents."""
    nobody = word("nobody", lang)
    stock = [
        (s["subject"], s["session"], value(s["kind"], lang), s["packets"])
        for s in summary["stock"]
    ]
    keys = [(k, v or nobody) for k, v in summary["keys"].items()]
    duty = summary["on_duty"]
    duty_rows = (
        [
            ("shift", duty["shift"]),
            ("leader", duty["leader"]),
            ("members", " ".join(duty["members"])),
            ("on site", " ".join(duty["on_site"])),
            ("since", duty["since"]),
        ]
        if duty
        else [("shift", nobody)]
    )
    parts = [
        word("stock", lang),
        table(stock, ["subject", "session", "kind", "packets"], lang)
        if stock
        else word("none", lang),
        "",
        f"{word('out', lang)}: {' '.join(summary['out']) or word('none', lang)}",
        "",
        word("keys", lang),
        table(keys, ["key/code", "holder"], lang),
        "",
        word("duty", lang),
        pairs(duty_rows, lang),
        "",
        word("cctv", lang),
        pairs([(c, value(v, lang)) for c, v in summary["cctv"].items()]),
        "",
    ]
    if summary["incidents"]:
        rows = [
            (i["seq"], i["ts"][5:16], value(i["kind"], lang), clip(i["text"], 40))
            for i in summary["incidents"][-5:]
        ]
        parts += [
            word("incidents", lang),
            table(rows, ["seq", "time", "kind", "text"], lang),
        ]
    return "\n".join(parts).rstrip()


def _anchors(n: int, lang: str) -> str:
    text = translation(lang).ngettext(
        "{n} checkpoint or code confirmed", "{n} checkpoints or codes confirmed", n
    )
    return text.format(n=n)


def _compliance(errors: int, warnings: int, lang: str) -> str:
    t = translation(lang)
    return t.gettext("{errors}, {warnings}").format(
        errors=t.ngettext("{n} error", "{n} errors", errors).format(n=errors),
        warnings=t.ngettext("{n} warning", "{n} warnings", warnings).format(n=warnings),
    )


def report(rep: Report, lang: str = "en") -> str:
    """The human verify report: summary, findings, state at the end."""
    status = word("broken" if rep.integrity else "intact", lang)
    errors = sum(f.level == "error" for f in rep.findings)
    summary = [
        ("site", rep.state.site.get("id", "?")),
        ("log", rep.log or "?"),
        ("entries", rep.entries),
        ("head", rep.head or "?"),
        ("code", rep.code),
        ("integrity", status),
        ("anchors", _anchors(len(rep.anchors_ok), lang)),
        ("compliance", _compliance(errors, len(rep.findings) - errors, lang)),
        (word("off", lang), " ".join(rep.rules_off) or word("none", lang)),
        ("exit", rep.exit_code),
    ]
    omitted = {**rep.integrity_dropped, **rep.findings_dropped}
    if omitted:
        summary.append(
            ("omitted", ", ".join(f"{k} +{n}" for k, n in sorted(omitted.items())))
        )
    out = [word("summary", lang), pairs(summary, lang), "", word("integrity", lang)]
    if rep.integrity:
        rows = [
            (
                f.line,
                "" if f.seq is None else f.seq,
                f.code,
                integrity_message(f.code, f.message, lang),
            )
            for f in rep.integrity
        ]
        # NOTE: "problem", not "code": in Chinese 校验码 is the phoned-in code
        out.append(table(rows, ["line", "seq", "problem", "message"], lang))
    else:
        out.append(word("none", lang))
    out += [
        "",
        word("findings", lang),
        findings_table(rep.findings, lang) if rep.findings else word("none", lang),
    ]
    if rep.state.genesis is not None:
        out += ["", word("state", lang), state_tables(rep.state.summary(), lang)]
    return "\n".join(out)


def rules_table(levels: Mapping[str, str], policy: Mapping[str, Any], lang: str) -> str:
    rows = []
    for rid, cls in sorted(REGISTRY.items()):
        in_force = params_in_force(cls, policy)
        values = " ".join(f"{k}={v}" for k, v in in_force.items())
        rows.append(
            (
                rid,
                cls.title_zh if lang == "zh" else cls.title,
                cls.clause,
                values,
                value(levels[rid], lang),
            )
        )
    return table(rows, ["rule", "title", "clause", "parameters", "level"], lang)
