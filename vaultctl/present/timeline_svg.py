"""Draw a :class:`~vaultctl.verify.timeline.Timeline` as one inline SVG (pure).

One lane per concern, one row per door, key, camera, subject and session…;
every text from the ledger goes through :func:`esc`. Dense rows are
aggregated by pixel so a 100k-entry log still draws a few thousand shapes:
marks become a histogram, spans merge where they touch, steps keep the last
value per pixel.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vaultctl.core.i18n import localise_message
from vaultctl.rules import Finding
from vaultctl.verify.timeline import Mark, Span, Step, Timeline

WIDTH, LABEL, RIGHT = 1200, 200, 12
LABEL_CHARS = 26  # a longer row label is cut, in full in its <title>
PLOT = WIDTH - LABEL - RIGHT
ROW, GAP, HEAD, AXIS = 15, 3, 17, 30
DENSE_MARKS = 240  # more marks in a row than this: a histogram
DENSE_SPANS = 400  # more spans in a row than this: binned by pixel
BIN = 4.0  # pixels per histogram bin
MAX_ROWS = 40  # rows per lane; the rest are counted
GUIDES = 60  # up to this many findings, a line through every lane
LANES = (
    "findings",
    "activity",
    "duty",
    "site",
    "open",
    "stock",
    "keys",
    "cctv",
    "events",
)
ROW_ORDER = {
    "duty": ("shifts", "handovers"),
    "site": ("on duty", "presence", "visitors"),
    "events": ("patrols", "incidents", "notes"),
    "stock": ("moves",),
}
PALETTE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2",
    "#edc948", "#ff9da7", "#9c755f", "#8cd17d", "#a0cbe8",
)  # fmt: skip
FILL = {
    "door": "#4e79a7", "cabinet": "#b07aa1", "visit": "#f28e2b",
    "on": "#59a14f", "off": "#bab0ac", "fault": "#e15759",
    "error": "#d1242f", "warn": "#d4a017",
    "patrol": "#59a14f", "incident": "#e15759", "note": "#9c9c9c",
    "handover": "#333333", "leave": "#e15759", "return": "#59a14f",
    "receipt": "#4e79a7", "issue": "#f28e2b", "dispatch": "#9c755f",
    "paper": "#4e79a7", "answer-sheet": "#59a14f", "activity": "#8896a8",
    "duty": "#6f8fb3", "short": "#e15759",
}  # fmt: skip

Say = Callable[[str], str]


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def clip(text: str, width: int) -> str:
    """At most ``width`` columns (a CJK character takes two), else cut with …"""
    used = 0
    for i, c in enumerate(text):
        used += 2 if ord(c) >= 0x2E80 else 1
        if used > width:
            return text[: max(i - 1, 0)] + "…"
    return text


class Canvas:
    """The time axis of one timeline and the shapes drawn so far."""

    def __init__(self, t0: datetime, t1: datetime, prefix: str) -> None:
        self.t0, self.t1 = t0, t1
        self.span = max((t1 - t0).total_seconds(), 1.0)
        self.prefix = prefix
        self.out: list[str] = []
        self.y = AXIS
        self.colours: dict[str, str] = {}
        self.activity: list[tuple[datetime, int]] = []
        self.moments: list[datetime] = []  # of each finding
        self.say: Say | None = None  # the page's words (bar labels)
        self.lang = "en"

    def words(self, title: str) -> str:
        """A title (a core ``Text``, or text from the log) in the page's language."""
        return localise_message(title, self.lang)

    def x(self, t: datetime) -> float:
        return LABEL + (t - self.t0).total_seconds() / self.span * PLOT

    def colour(self, name: str) -> str:
        if name not in self.colours:
            self.colours[name] = PALETTE[len(self.colours) % len(PALETTE)]
        return self.colours[name]

    def rect(
        self, x0: float, x1: float, fill: str, title: str, y: float, h: float
    ) -> None:
        w = max(x1 - x0, 1.0)
        self.out.append(
            f'<rect x="{x0:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'fill="{fill}"><title>{esc(self.words(title))}</title></rect>'
        )


@dataclass(frozen=True, slots=True)
class Broken:
    """An integrity failure on the timeline: where it sits (the time of the
    last sound entry at or before its line), what it says, the row it links to."""

    at: datetime
    title: str
    target: str


def draw(
    tl: Timeline,
    findings: Sequence[Finding],
    ids: Sequence[str],
    say: Say,
    prefix: str,
    broken: Sequence[Broken] = (),
) -> str:
    """The whole SVG; ``ids[i]`` is the row id that finding ``i`` links to;
    ``broken``: integrity failures, a row of their own in the findings lane."""
    if tl.first is None or tl.last is None:
        return f'<p class="empty">{esc(say("no-entries"))}</p>'
    t0 = tl.first.replace(minute=0, second=0)
    t1 = tl.last.replace(minute=0, second=0) + timedelta(hours=1)
    cv = Canvas(t0, t1, prefix)
    cv.say = say
    cv.lang = getattr(say, "lang", "en")
    cv.activity = sorted(tl.per_hour.items())
    cv.moments = [_moment(f, tl.last) for f in findings]
    body: list[str] = []
    for lane in LANES:
        rows = _rows(tl, lane, findings)
        if lane == "findings" and broken:
            rows = {"integrity": list(broken), **rows}
        if not rows:
            continue
        body.append(_lane(cv, lane, rows, say, findings, ids))
    height = cv.y + 6
    grid = _grid(cv, tl, height)
    if len(findings) <= GUIDES:
        grid += "".join(
            f'<line class="guide {esc(f.level)}" x1="{cv.x(at):.1f}" '
            f'x2="{cv.x(at):.1f}" y1="{AXIS}" y2="{height}"/>'
            for f, at in zip(findings, cv.moments, strict=True)
        )
    if len(broken) <= GUIDES:
        grid += "".join(
            f'<line class="guide broken" x1="{cv.x(b.at):.1f}" '
            f'x2="{cv.x(b.at):.1f}" y1="{AXIS}" y2="{height}"/>'
            for b in broken
        )
    return (
        f'<svg class="timeline" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="11">'
        f"<title>{esc(say('timeline'))}</title>{grid}{''.join(body)}</svg>"
    )


def _moment(f: Finding, last: datetime) -> datetime:
    try:
        return datetime.fromisoformat(f.ts) if f.ts else last
    except ValueError:
        return last


def _rows(tl: Timeline, lane: str, findings: Sequence[Finding]) -> dict[str, list[Any]]:
    if lane == "findings":
        return {"findings": list(findings)} if findings else {}
    if lane == "activity":
        return {"entries": []}
    rows = {k: v for k, v in tl.lanes.get(lane, {}).items() if v or lane == "keys"}
    if lane == "stock":  # NOTE: by session id, which sorts by day and half-day
        rows = dict(sorted(rows.items(), key=lambda kv: kv[0].rsplit(" ", 1)[-1]))
    order = ROW_ORDER.get(lane, ())
    known = [r for r in order if r in rows]
    return {r: rows[r] for r in [*known, *(r for r in rows if r not in order)]}


def _lane(
    cv: Canvas,
    lane: str,
    rows: dict[str, list[Any]],
    say: Say,
    findings: Sequence[Finding],
    ids: Sequence[str],
) -> str:
    start = len(cv.out)
    top = cv.y
    cv.out.append(
        f'<rect class="lane" x="0" y="{top}" width="{WIDTH}" height="{HEAD}"/>'
        f'<text class="lane-title" x="6" y="{top + 12}">'
        f"{esc(say('lane-' + lane))}</text>"
    )
    cv.y += HEAD + GAP
    names = list(rows)
    for name in names[:MAX_ROWS]:
        kind, sep, ident = name.partition(":")
        if name in _FIXED:
            label = say("row-" + name)
        elif sep and kind in ("door", "cabinet"):
            label = f"{say('row-' + kind)} {ident}"  # "门 D1" under zh
        else:
            label = name
        short = clip(label, LABEL_CHARS)
        y = cv.y
        cv.out.append(
            f'<text class="row-label" x="{LABEL - 6}" y="{y + ROW - 4}" '
            f'text-anchor="end">{esc(short)}<title>{esc(label)}</title></text>'
            f'<line class="row-line" x1="{LABEL}" x2="{LABEL + PLOT}" '
            f'y1="{y + ROW}" y2="{y + ROW}"/>'
        )
        items = rows[name]
        if lane == "findings" and name == "integrity":
            _broken(cv, items, y)
        elif lane == "findings":
            _findings(cv, findings, ids, y)
        elif lane == "activity":
            _activity(cv, y)
        elif items and isinstance(items[0], Step):
            _steps(cv, items, y)
        elif items and isinstance(items[0], Mark):
            _marks(cv, items, y)
        else:
            _spans(cv, items, y, lane)
        cv.y += ROW + GAP
    if len(names) > MAX_ROWS:
        more = say("more-rows").format(n=len(names) - MAX_ROWS)
        cv.out.append(
            f'<text class="row-label" x="{LABEL}" y="{cv.y + 10}">{esc(more)}</text>'
        )
        cv.y += ROW
    cv.y += GAP
    group = "".join(cv.out[start:])
    del cv.out[start:]
    return f'<g class="lane-{lane}">{group}</g>'


_FIXED = {
    "integrity", "findings", "entries", "shifts", "handovers", "on duty", "presence",
    "visitors", "patrols", "incidents", "notes", "moves",
}  # fmt: skip


def _spans(cv: Canvas, items: list[Span], y: float, lane: str) -> None:
    if len(items) > DENSE_SPANS:
        _binned_spans(cv, items, y)
        return
    last: list[Any] | None = None  # x0, x1, fill, title, label, n
    merged: list[list[Any]] = []
    for s in items:
        x0, x1 = cv.x(s.start), cv.x(s.end or cv.t1)
        fill = FILL.get(s.kind) or cv.colour(s.kind)
        if last is not None and x0 <= last[1] + 0.5 and fill == last[2]:
            last[1], last[5] = max(last[1], x1), last[5] + 1
            continue
        last = [x0, x1, fill, s.title, s.label, 1]
        merged.append(last)
    for x0, x1, fill, title, label, n in merged:
        if n > 1:
            title, label = f"{n} × {cv.words(title)}", ""
        label = _bar_label(cv, label)
        cv.rect(x0, x1, fill, title, y + 1, ROW - 2)
        if label and x1 - x0 > 7 * len(label) + 6:
            cv.out.append(
                f'<text class="in-bar" x="{x0 + 3:.1f}" y="{y + ROW - 4}">'
                f"{esc(label)}</text>"
            )


def _bar_label(cv: Canvas, label: str) -> str:
    """A camera's state in the page's words; any other label as it is."""
    if label in ("on", "off", "fault") and cv.say is not None:
        return cv.say("bar-" + label)
    return label


def _binned_spans(cv: Canvas, items: list[Span], y: float) -> None:
    """Per bin, the share of time of each state; the bin shows the largest."""
    bins: dict[int, dict[tuple[str, str], float]] = {}
    for s in items:
        x0, x1 = cv.x(s.start) - LABEL, cv.x(s.end or cv.t1) - LABEL
        what = (FILL.get(s.kind) or cv.colour(s.kind), s.label or s.kind)
        for b in range(int(x0 // BIN), int(x1 // BIN) + 1):
            share = min(x1, (b + 1) * BIN) - max(x0, b * BIN)
            cell = bins.setdefault(b, {})
            cell[what] = cell.get(what, 0.0) + max(share, 0.01)
    for b, shares in sorted(bins.items()):
        total = sum(shares.values())
        ranked = sorted(shares.items(), key=lambda kv: -kv[1])
        fill = ranked[0][0][0]
        start = cv.t0 + timedelta(seconds=b * BIN / PLOT * cv.span)
        parts = " · ".join(
            f"{_bar_label(cv, label)} {100 * v / total:.0f}%"
            for (_, label), v in ranked[:4]
        )
        x0 = LABEL + b * BIN
        cv.rect(x0, x0 + BIN, fill, f"{start:%m-%d %H:%M} {parts}", y + 1, ROW - 2)


def _steps(cv: Canvas, items: list[Step], y: float) -> None:
    top = max((s.value + s.extra for s in items), default=1) or 1
    kept: dict[int, tuple[Step, float]] = {}
    for i, s in enumerate(items):
        x1 = cv.x(items[i + 1].at) if i + 1 < len(items) else cv.x(cv.t1)
        kept[int(cv.x(s.at))] = (s, x1)  # NOTE: per pixel, the last value wins
    h = ROW - 2
    for s, x1 in kept.values():
        x0 = cv.x(s.at)
        if s.value:
            hp = h * s.value / top
            cv.rect(x0, x1, FILL[s.kind], s.title, y + 1 + h - hp, hp)
        if s.extra:
            he = h * s.extra / top
            base = y + 1 + h - h * s.value / top
            cv.rect(x0, x1, FILL["answer-sheet"], s.title, base - he, he)
        if not s.value and not s.extra:
            cv.rect(x0, x1, "#eeeeee", s.title, y + ROW - 2, 1)


def _marks(cv: Canvas, items: list[Mark], y: float) -> None:
    if len(items) > DENSE_MARKS:
        fill = FILL.get(items[0].kind, "#888888")
        _histogram(cv, [(m.at, 1) for m in items], y, fill)
        return
    for m in items:
        x = cv.x(m.at)
        fill = FILL.get(m.kind, "#666666")
        title = f"<title>#{m.seq} {esc(cv.words(m.title))}</title>"
        if m.kind == "incident":
            h = ROW / 2
            cv.out.append(
                f'<path class="incident" d="M{x:.1f} {y}l6 {h}l-6 {h}l-6 -{h}z" '
                f'fill="{fill}" stroke="#7a1212">{title}</path>'
            )
        else:
            cv.out.append(
                f'<rect class="mark" x="{x - 1.5:.1f}" y="{y + 2}" width="3" '
                f'height="{ROW - 4}" fill="{fill}">{title}</rect>'
            )


def _histogram(
    cv: Canvas, counts: Sequence[tuple[datetime, int]], y: float, fill: str
) -> None:
    bins: Counter[int] = Counter()
    for t, n in counts:
        bins[int((cv.x(t) - LABEL) // BIN)] += n
    if not bins:
        return
    top = max(bins.values())
    for b, n in sorted(bins.items()):
        h = max((ROW - 2) * n / top, 1.0)
        x0 = LABEL + b * BIN
        start = cv.t0 + timedelta(seconds=b * BIN / PLOT * cv.span)
        title = f"{n} · {start:%m-%d %H:%M}"
        cv.rect(x0, x0 + BIN - 0.5, fill, title, y + ROW - 1 - h, h)


def _activity(cv: Canvas, y: float) -> None:
    _histogram(cv, cv.activity, y, FILL["activity"])


def _findings(
    cv: Canvas, findings: Sequence[Finding], ids: Sequence[str], y: float
) -> None:
    at = cv.moments
    if len(findings) > DENSE_MARKS:
        bins: dict[tuple[int, str], list[int]] = {}
        for i, f in enumerate(findings):
            b = int((cv.x(at[i]) - LABEL) // BIN)
            bins.setdefault((b, f.level), []).append(i)
        for (b, level), members in sorted(bins.items()):
            x = LABEL + b * BIN + BIN / 2
            first = members[0]
            title = f"{len(members)} × {findings[first].rule} …"
            cv.out.append(_finding_mark(x, y, level, title, ids[first]))
        return
    for i, f in enumerate(findings):
        x = cv.x(at[i])
        title = f"#{f.seq} {f.rule} ({f.clause}): {f.text(cv.lang)}"
        cv.out.append(_finding_mark(x, y, f.level, title, ids[i]))


def _broken(cv: Canvas, items: Sequence[Broken], y: float) -> None:
    """A dark-red cross per integrity failure, linking to its row."""
    h = ROW / 2 - 2
    for b in items:
        x, mid = cv.x(b.at), y + ROW / 2
        cv.out.append(
            f'<a href="#{esc(b.target)}"><path class="broken" '
            f'd="M{x - h:.1f} {mid - h:.1f}l{2 * h:.1f} {2 * h:.1f}'
            f'm0 {-2 * h:.1f}l{-2 * h:.1f} {2 * h:.1f}" stroke="#8b0000" '
            f'stroke-width="3"><title>{esc(b.title)}</title></path></a>'
        )


def _finding_mark(x: float, y: float, level: str, title: str, target: str) -> str:
    fill = FILL.get(level, "#d1242f")
    r = ROW / 2 - 1
    return (
        f'<a href="#{esc(target)}"><circle class="finding" cx="{x:.1f}" '
        f'cy="{y + ROW / 2}" r="{r}" fill="{fill}" stroke="#fff">'
        f"<title>{esc(title)}</title></circle></a>"
    )


def _grid(cv: Canvas, tl: Timeline, height: int) -> str:
    out = []
    for start, end, label in tl.sessions:
        if end < cv.t0 or start > cv.t1:
            continue
        x0, x1 = cv.x(max(start, cv.t0)), cv.x(min(end, cv.t1))
        out.append(
            f'<rect class="session" x="{x0:.1f}" y="{AXIS - 12}" '
            f'width="{max(x1 - x0, 1):.1f}" '
            f'height="{height - AXIS + 12}"><title>{esc(label)}</title></rect>'
        )
        # NOTE: the subject and session written on the band, not only in its
        # tooltip (issue 23), where the band is wide enough to hold it
        if x1 - x0 > 24:
            out.append(
                f'<text class="axis small session-label" x="{x0 + 2:.1f}" '
                f'y="{height - 4}">{esc(clip(label, int((x1 - x0) // 6)))}</text>'
            )
    days = (cv.t1 - cv.t0).days + 1
    step = max(1, days // 14)
    day = cv.t0.replace(hour=0)
    if day < cv.t0 and cv.x(day + timedelta(days=1)) - cv.x(cv.t0) > 60:
        # NOTE: the first day has a date too, even with no midnight in view
        # (a one-day report showed only "12" and "18": issue 23)
        out.append(
            f'<text class="axis" x="{cv.x(cv.t0) + 3:.1f}" '
            f'y="{AXIS - 18}">{cv.t0:%m-%d}</text>'
        )
    n = 0
    while day <= cv.t1:
        if day >= cv.t0:
            x = cv.x(day)
            out.append(
                f'<line class="day" x1="{x:.1f}" x2="{x:.1f}" '
                f'y1="{AXIS - 14}" y2="{height}"/>'
            )
            if n % step == 0:
                out.append(
                    f'<text class="axis" x="{x + 3:.1f}" '
                    f'y="{AXIS - 18}">{day:%m-%d}</text>'
                )
        if days <= 8:
            for hour in (6, 12, 18):
                t = day + timedelta(hours=hour)
                if cv.t0 <= t <= cv.t1:
                    x = cv.x(t)
                    out.append(
                        f'<line class="hour" x1="{x:.1f}" x2="{x:.1f}" '
                        f'y1="{AXIS - 6}" y2="{height}"/><text class="axis small" '
                        f'x="{x + 2:.1f}" y="{AXIS - 6}">{hour:02d}:00</text>'
                    )
        day += timedelta(days=1)
        n += 1
    return "".join(out)
