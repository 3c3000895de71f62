"""Human output: tabulate tables (Chinese text aligned) and short summaries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from vaultctl.model import Entry
from vaultctl.verify import Report

SUMMARY_WIDTH = 60
HEADINGS = {
    "en": {"summary": "Summary", "integrity": "Integrity findings",
           "findings": "Compliance findings", "state": "State at the end",
           "intact": "intact", "broken": "BROKEN", "none": "none"},
    "zh": {"summary": "概要", "integrity": "完整性问题", "findings": "合规问题",
           "state": "期末状态", "intact": "完整", "broken": "已损坏", "none": "无"},
}


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    return tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)


def clip(text: str, width: int = SUMMARY_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def summarize(entry: Entry) -> str:
    """One line saying what an entry records."""
    body = entry.body
    if "text" in body:
        return clip(str(body["text"]))
    if entry.type == "genesis":
        site = body["site"]
        return clip(f"{site['name']} · {site['exam']}")
    parts = [f"{k}={_short(v)}" for k, v in body.items() if k != "note"]
    return clip(" ".join(parts))


def _short(value: Any) -> str:
    if isinstance(value, list):
        return f"[{len(value)}]" if len(value) > 3 else ",".join(map(_short, value))
    if isinstance(value, dict):
        return "{…}"
    return str(value)


def entries_table(entries: Sequence[Entry]) -> str:
    rows = [(e.seq, e.ts, e.type, " ".join(e.signers), summarize(e)) for e in entries]
    return table(rows, ["seq", "ts", "type", "signed by", "what"])


def report(rep: Report, lang: str = "en") -> str:
    """The human verify report: summary, findings, state at the end."""
    h = HEADINGS[lang]
    status = h["broken"] if rep.integrity else h["intact"]
    summary = [("site", rep.state.site.get("id", "?")), ("log", rep.log or "?"),
               ("entries", rep.entries), ("head", rep.head or "?"),
               ("integrity", status), ("compliance findings", len(rep.findings)),
               ("exit", rep.exit_code)]
    out = [h["summary"], tabulate(summary, tablefmt="plain", disable_numparse=True), ""]
    out.append(h["integrity"])
    if rep.integrity:
        rows = [(f.line, "" if f.seq is None else f.seq, f.code, f.message)
                for f in rep.integrity]
        out.append(table(rows, ["line", "seq", "code", "message"]))
    else:
        out.append(h["none"])
    return "\n".join(out)
