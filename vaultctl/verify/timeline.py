"""The exam period as lanes of spans and marks, collected while verify replays (pure).

:class:`Timeline` is handed to :func:`vaultctl.verify.run` as ``observe``: it
sees every sound entry with the state right after it, and keeps what the
report draws — shifts, who is on site, openings, stock per subject and
session, key holders, cameras, patrols, incidents, notes — as plain data.
Nothing here knows about HTML.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vaultctl.core.i18n import N_
from vaultctl.core.messages import Text, Word
from vaultctl.core.model import Entry
from vaultctl.rules import REGISTRY, params_in_force
from vaultctl.rules.state import State, target_of


@dataclass(slots=True)
class Span:
    """Something true from ``start`` until ``end`` (None: still at the end)."""

    start: datetime
    end: datetime | None
    label: str
    title: str
    kind: str
    seq: int


@dataclass(slots=True)
class Mark:
    """Something that happened at one moment."""

    at: datetime
    title: str
    kind: str
    seq: int


@dataclass(slots=True)
class Step:
    """A count that holds from ``at`` until the next step of its row."""

    at: datetime
    value: int
    extra: int  # a second, stacked count (answer sheets above papers)
    title: str
    kind: str = "paper"  # the colour of ``value``: paper | duty | short


Row = list[Any]  # Span | Mark | Step, in time order


@dataclass(slots=True)
class Timeline:
    """Lanes -> rows -> items; plus an index of every entry for the report."""

    lanes: dict[str, dict[str, Row]] = field(default_factory=dict)
    index: dict[int, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)
    per_day: Counter[str] = field(default_factory=Counter)
    per_hour: Counter[datetime] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None
    sessions: list[tuple[datetime, datetime, str]] = field(default_factory=list)
    _open: dict[tuple[str, str], Span] = field(default_factory=dict)
    _where: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    _stock: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def __call__(self, entry: Entry, state: State) -> None:
        self.index[entry.seq] = (entry.ts, entry.type, entry.signers)
        self.per_day[entry.ts[:10]] += 1
        moment = entry.moment
        self.per_hour[moment.replace(minute=0, second=0)] += 1
        self.first = moment if self.first is None else min(self.first, moment)
        self.last = moment if self.last is None else max(self.last, moment)
        handler = getattr(self, "_on_" + entry.type, None)
        if handler is not None:
            handler(entry, entry.body, state)

    # --- building ----------------------------------------------------------
    def row(self, lane: str, name: str) -> Row:
        return self.lanes.setdefault(lane, {}).setdefault(name, [])

    def begin(self, lane: str, name: str, span: Span, row: str = "") -> None:
        """Open a span on ``row`` (default: ``name``), closing ``name``'s last one."""
        self.end(lane, name, span.start)
        self._open[(lane, name)] = span
        self.row(lane, row or name).append(span)

    def end(self, lane: str, name: str, at: datetime) -> None:
        span = self._open.pop((lane, name), None)
        if span is not None:
            span.end = at

    def mark(self, lane: str, name: str, e: Entry, title: str, kind: str) -> None:
        self.row(lane, name).append(Mark(e.moment, title, kind, e.seq))

    # --- entry types -------------------------------------------------------
    def _on_genesis(self, e: Entry, body: dict[str, Any], state: State) -> None:
        for s in body["sessions"]:
            try:
                start = datetime.fromisoformat(s["start"])
                end = datetime.fromisoformat(s["end"])
            except (KeyError, TypeError, ValueError):
                continue
            self.sessions.append((start, end, f"{s.get('subject', '')} {s['id']}"))
        for item in state.items.values():
            self.row("keys", item.id)
        for camera in state.cameras:
            self.row("cctv", camera)

    def _on_shift(self, e: Entry, body: dict[str, Any], state: State) -> None:
        if body["action"] == "end":
            self.end("duty", "shifts", e.moment)
        else:
            members = " ".join(_who(state, m) for m in body["members"])
            leader = body["leader"]
            title = f"{body['shift']} · {_who(state, leader)} · {members}"
            span = Span(e.moment, None, _who(state, leader), title, leader, e.seq)
            self.begin("duty", "shifts", span)
            if body["action"] == "handover":
                handover = Text(N_("handover → {shift}"), shift=title)
                self.mark("duty", "handovers", e, handover, "handover")
        self._on_site(e, state)

    def _on_presence(self, e: Entry, body: dict[str, Any], state: State) -> None:
        said = LEAVES if body["action"] == "leave" else RETURNS
        title = Text(said, member=body["member"])
        self.mark("site", "presence", e, title, body["action"])
        self._on_site(e, state)

    def _on_site(self, e: Entry, state: State) -> None:
        here = state.shift.on_site if state.shift else ()
        title = f"{len(here)}: {' '.join(here) or '-'}"
        least = params_in_force(REGISTRY["SHIFT-SIZE"], state.policy)["min_on_site"]
        kind = "short" if state.shift and len(here) < least else "duty"
        self.row("site", "on duty").append(Step(e.moment, len(here), 0, title, kind))

    def _on_access(self, e: Entry, body: dict[str, Any], state: State) -> None:
        who = body["person"]
        if body["action"] == "enter":
            title = " · ".join(
                str(x) for x in (who, body.get("approver"), body.get("purpose")) if x
            )
            span = Span(e.moment, None, who, title, "visit", e.seq)
            self.begin("site", f"visit:{who}", span, row="visitors")
        else:
            self.end("site", f"visit:{who}", e.moment)

    def _on_open(self, e: Entry, body: dict[str, Any], state: State) -> None:
        target = target_of(body)
        present = sorted({*e.signers, *body.get("present", ())})
        title = f"{target} · {' '.join(present)}"
        kind = target.split(":")[0]
        self.begin("open", target, Span(e.moment, None, "", title, kind, e.seq))

    def _on_close(self, e: Entry, body: dict[str, Any], state: State) -> None:
        self.end("open", target_of(body), e.moment)

    def _on_custody(self, e: Entry, body: dict[str, Any], state: State) -> None:
        item = body["item"]
        holder = state.holders.get(item)
        if holder is None:
            self.end("keys", item, e.moment)
        else:
            who = _who(state, holder)
            span = Span(e.moment, None, who, f"{item} · {who}", holder, e.seq)
            self.begin("keys", item, span)

    def _on_cctv(self, e: Entry, body: dict[str, Any], state: State) -> None:
        camera, action = body["camera"], body["action"]
        if action in ("on", "off", "fault"):
            title = Text("{camera} {state}", camera=camera, state=Word(action))
            span = Span(e.moment, None, action, title, action, e.seq)
            self.begin("cctv", camera, span)

    def _on_patrol(self, e: Entry, body: dict[str, Any], state: State) -> None:
        items = ", ".join(str(i) for i in body.get("items", ()))
        self.mark("events", "patrols", e, f"{' '.join(e.signers)} {items}", "patrol")

    def _on_incident(self, e: Entry, body: dict[str, Any], state: State) -> None:
        title = Text("{kind}: {text}", kind=Word(body["kind"]), text=body["text"])
        self.mark("events", "incidents", e, title, "incident")

    def _on_note(self, e: Entry, body: dict[str, Any], state: State) -> None:
        self.mark("events", "notes", e, str(body["text"])[:120], "note")

    def _papers(self, e: Entry, body: dict[str, Any], state: State) -> None:
        """Recount the (subject, session) rows this entry's packets touch."""
        touched = set()
        for p in body["packets"]:
            packet = state.packets.get(p["id"])
            if packet is not None and e.type == "issue" and packet.where == "issued":
                # NOTE: who has a packet that is out, not only a gap (issue 23)
                who = f"{body['exam_room']} {_who(state, body['to'])}"
                title = f"{p['id']} → {who}"
                out_row = f"{packet.subject} {packet.session} ⇢"
                span = Span(e.moment, None, who, title, "paper", e.seq)
                self.begin("stock", f"out:{p['id']}", span, row=out_row)
            else:
                self.end("stock", f"out:{p['id']}", e.moment)
            was = self._where.pop(p["id"], None)
            if was is not None:
                self._stock[was] -= 1
                touched.add(was[:2])
            packet = state.packets.get(p["id"])
            if packet is not None and packet.where == "stock":
                key = (packet.subject, packet.session, packet.kind)
                self._stock[key] += 1
                self._where[p["id"]] = key
                touched.add(key[:2])
        for subject, session in sorted(touched):
            papers = self._stock[(subject, session, "paper")]
            sheets = self._stock[(subject, session, "answer-sheet")]
            title = Text(
                N_("{row}: {papers} paper · {sheets} answer-sheet"),
                row=f"{subject} {session}",
                papers=papers,
                sheets=sheets,
            )
            row = self.row("stock", f"{subject} {session}")
            row.append(Step(e.moment, papers, sheets, title))
        self.mark("stock", "moves", e, f"{e.type} · {' '.join(e.signers)}", e.type)

    _on_receipt = _on_issue = _on_return = _on_dispatch = _papers


LEAVES = N_("{member} leaves")
RETURNS = N_("{member} is back")


def _who(state: State, officer_id: str) -> str:
    """An officer as the pages show them: name and id (issue 23: lanes showed
    ids only)."""
    officer = state.roster.get(officer_id)
    return f"{officer.name} {officer_id}" if officer and officer.name else officer_id
