"""The audit page: one row per site, worst first, each opening its timeline (pure).

``audit --html`` hands over the row dicts ``audit`` produced and one
:class:`SiteSection` per bundle it could read; the table sorts with a small
inline script (its hash is in the page's Content-Security-Policy).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vaultctl.core.i18n import localise_message
from vaultctl.core.messages import at, placed
from vaultctl.present import render
from vaultctl.present.report import (
    Site,
    h,
    page,
    signature_block,
    site_body,
    tag,
    words,
)
from vaultctl.present.timeline_svg import esc
from vaultctl.tlog import anchors

AUDIT_JS = (
    "document.querySelectorAll('table.sites th').forEach(function(th,i){"
    "th.addEventListener('click',function(){var tb=th.closest('table').tBodies[0];"
    "var rows=Array.from(tb.rows);var asc=th.dataset.asc!=='1';"
    "th.parentNode.querySelectorAll('th').forEach(function(o){"
    "if(o!==th)delete o.dataset.asc;});"
    "th.dataset.asc=asc?'1':'0';rows.sort(function(a,b){"
    "var x=a.cells[i].dataset.v,y=b.cells[i].dataset.v,nx=parseFloat(x),"
    "ny=parseFloat(y),c=(isNaN(nx)||isNaN(ny))?x.localeCompare(y):nx-ny;"
    "return asc?c:-c;});rows.forEach(function(r){tb.appendChild(r);});});});"
    "function openHash(){var id=decodeURIComponent(location.hash.slice(1));"
    "var el=id&&document.getElementById(id);if(el&&el.tagName==='DETAILS'){"
    "el.open=true;el.scrollIntoView();}else if(el){var d=el.closest('details');"
    "if(d){d.open=true;el.scrollIntoView();}}}"
    "window.addEventListener('hashchange',openHash);openHash();"
)
FAILING = 3  # an exit code from here up: integrity, missing, unreadable, failed


@dataclass(slots=True)
class SiteSection:
    """One bundle's part of the audit page, rendered where it was verified."""

    file: str
    anchor: str
    html: str
    per_day: Mapping[str, int]


def policy_words(row: Mapping[str, Any], lang: str = "en") -> list[str]:
    """An audit row's policy as every view of it says it (the CLI's table,
    ``enrol``'s refusal, the page): rules off, rules lowered to warn, looser
    parameters."""
    off, warn = render.value("off", lang), render.value("warn", lang)
    return (
        [f"{x} {off}" for x in row.get("rules_off") or ()]
        + [f"{x} {warn}" for x in row.get("rules_warn") or ()]
        + [str(x) for x in row.get("relaxed") or ()]
    )


# NOTE: how an anchor failed, when it is the place a problem names
HOW = (anchors.ROLLBACK, anchors.FORK, anchors.BAD_NOTE)


def problem_text(problem: str, lang: str) -> str:
    """One problem of an audit row in ``lang`` (a core ``Text``), with how an
    anchor failed named in that language too (``回滚：…``)."""
    found = placed(problem)
    if found is not None and found[0] in HOW:
        problem = at(render.label(found[0], lang), found[1])
    return localise_message(problem, lang)


def audit_page(
    rows: Sequence[Mapping[str, Any]], sections: Mapping[str, SiteSection], lang: str
) -> str:
    """The table of sites, worst first, each row opening its site's section."""
    say = words(lang)
    ordered = sorted(rows, key=_badness, reverse=True)
    columns = (
        "status",
        "site",
        "file",
        "entries",
        "findings",
        "integrity",
        "anchors",
        "policy",
        "code",
    )
    heads = [say(f"col-{k}") for k in (*columns, "activity")]
    body = []
    for r in ordered:
        sec = sections.get(str(r.get("file", "")))
        status = str(r.get("status", "?"))
        n = _count(r.get("findings"))
        site = str(r.get("site") or "?")
        problems = "; ".join(
            [_findings_text(r["integrity"])] * bool(r.get("integrity"))
            + [problem_text(p, lang) for p in r.get("problems") or ()]
        )
        link = f'<a href="#{esc(sec.anchor)}">{esc(site)}</a>' if sec else esc(site)
        policy = "; ".join(policy_words(r, lang))
        anchors = str(r.get("anchors") or 0)
        cells = [
            (
                str(_exit(r)),
                esc(render.status(status, lang)),
                f"st st-{esc(status)}",
            ),
            (site, link, "nowrap"),
            (str(r.get("file", "")), esc(r.get("file", "")), "nowrap"),
            (str(r.get("entries") or 0), esc(r.get("entries", "")), "num"),
            (str(n), esc(_findings_text(r.get("findings"))), "num"),
            (problems, esc(problems), "problems"),
            (anchors, esc(anchors), "num"),
            (policy, esc(policy), ""),
            (str(r.get("code", "")), esc(r.get("code", "")), "code"),
            (
                str(sum(sec.per_day.values()) if sec else 0),
                sparkline(sec.per_day) if sec else "",
                "",
            ),
        ]
        body.append(
            "<tr>"
            + "".join(
                f'<td class="{c}" data-v="{esc(v)}">{h}</td>' for v, h, c in cells
            )
            + "</tr>"
        )
    counts = Counter(min(_exit(r), FAILING) for r in rows)
    total = say("sites").format(
        n=len(rows), ok=counts[0], f=counts[1], bad=counts[FAILING]
    )
    head = "".join(f"<th>{esc(x)}</th>" for x in heads)
    table = tag(
        "table", tag("thead", tag("tr", head)) + tag("tbody", "".join(body)), "sites"
    )
    details = "".join(
        sections[str(r.get("file"))].html
        for r in ordered
        if str(r.get("file")) in sections
    )
    title = say("audit-title")
    inner = (
        h("h1", title)
        + h("p", total)
        + table
        + details
        + signature_block(say, "sign-auditor")
    )
    main = tag("main", inner)
    return page(title, main, lang, AUDIT_JS)


def audit_section(
    site: Site,
    file: str,
    anchor: str,
    lang: str,
    per_day: Mapping[str, int] | None = None,
) -> SiteSection:
    """One site's collapsible section of the audit page; ``per_day`` counts every
    line (default: the sound entries only)."""
    say = words(lang)
    state = site.report.state
    head = f"{state.site.get('id', '?')} {state.site.get('name', '')} · {file}"
    html = (
        f'<details class="site" id="{esc(anchor)}"><summary>{esc(head)}</summary>'
        + site_body(site, say, f"{anchor}-", cap=100)
        + "</details>"
    )
    days = site.timeline.per_day if per_day is None else per_day
    return SiteSection(file, anchor, html, dict(days))


def sparkline(per_day: Mapping[str, int], width: int = 120, height: int = 22) -> str:
    """Entries per day as small bars, one per calendar day seen."""
    if not per_day:
        return ""
    days = sorted(per_day)
    top = max(per_day.values())
    w = width / len(days)
    bars = "".join(
        f'<rect x="{i * w:.1f}" y="{height - max(height * per_day[d] / top, 1):.1f}" '
        f'width="{max(w - 1, 0.8):.1f}" '
        f'height="{max(height * per_day[d] / top, 1):.1f}">'
        f"<title>{esc(d)}: {per_day[d]}</title></rect>"
        for i, d in enumerate(days)
    )
    return (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" fill="#4e79a7">{bars}</svg>'
    )


def _count(findings: Any) -> int:
    if isinstance(findings, Mapping):
        return sum(v for v in findings.values() if isinstance(v, int))
    return findings if isinstance(findings, int) else 0


def _findings_text(findings: Any) -> str:
    if isinstance(findings, Mapping):
        return " ".join(f"{k}:{v}" for k, v in findings.items()) or "0"
    return str(findings)


def _exit(row: Mapping[str, Any]) -> int:
    code = row.get("exit")
    return code if isinstance(code, int) else FAILING


def _badness(row: Mapping[str, Any]) -> tuple[int, int, str]:
    """Worst first: the exit code audit gave, then the number of findings."""
    return (_exit(row), _count(row.get("findings")), str(row.get("site")))
