"""Rules about watching and time: CCTV, footage retention, reporting, clocks."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta

from vaultctl.core.model import parse_ts
from vaultctl.core.schema import EVENT_KINDS
from vaultctl.core.times import show
from vaultctl.rules import Finding, Owed, Pending, Rule, rule
from vaultctl.rules import params_in_force as rules_params
from vaultctl.rules.papers import MOVES
from vaultctl.rules.state import Event, State


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    if year > date.max.year:
        return date.max
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@rule
class Cctv(Rule):
    """Recording is on whenever papers are in the room: every move happens
    under cameras that record, none is switched off, and at every moment
    some camera records (a fault leaves a gap, which is a finding even when
    reported); a camera fault is followed by an incident entry within the
    window."""

    id = "CCTV"
    title = "CCTV recording while papers are in the room"
    title_zh = "试卷入室后须开启视频监控"
    clause = "四.四"
    params = {"cctv_incident_minutes": 30}
    example_ok = "`cctv on --camera CAM-1` before the first receipt; on all week."
    example_bad = "`cctv off --camera CAM-1` while papers are stored."

    def reset(self) -> None:
        self.pending = Pending(("cctv-fault",), self.minutes("cctv_incident_minutes"))
        self.dark: Event | None = None  # the entry that left stored papers unwatched
        self.told = False  # that entry already has its own finding

    def after(self, e: Event, s: State) -> Iterator[Finding]:
        watched = not s.has_stock() or any(st == "on" for st in s.cameras.values())
        if not watched and self.dark is None:
            self.dark = e
            self.told = e.type in MOVES or (
                e.type == "cctv" and e.body["action"] == "off"
            )
        elif watched and self.dark is not None:
            yield from self._gap(e.moment)

    def _gap(self, until: datetime) -> Iterator[Finding]:
        # NOTE: a gap is an error even when the fault was reported (四.四); the
        # finding belongs to the entry that began it, unless that entry was
        # already reported for it (an `off`, a move under dark cameras)
        start, self.dark = self.dark, None
        if start is None or self.told or until <= start.moment:
            return
        yield self.hit(
            start,
            f"papers stored with no camera recording from "
            f"{start.moment:%m-%d %H:%M} to {until:%m-%d %H:%M}",
            f"试卷在库期间 {start.moment:%m-%d %H:%M} 至 {until:%m-%d %H:%M} "
            "无摄像头录像",
        )

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        for late, en, zh in self.pending.overdue(e.moment):
            yield self.hit(late, en, zh)
        self.pending.settle(e)
        b = e.body
        if e.type in MOVES:
            dark = sorted(c for c, st in s.cameras.items() if st != "on")
            if dark:
                yield self.hit(
                    e,
                    f"{e.type} while camera(s) {', '.join(dark)} not recording",
                    f"{e.type} 时摄像头 {', '.join(dark)} 未录像",
                )
        elif e.type == "cctv" and b["action"] == "off" and s.has_stock():
            yield self.hit(
                e,
                f"{b['camera']} switched off with papers in the room",
                f"试卷在库时关闭了 {b['camera']}",
            )
        elif e.type == "cctv" and b["action"] == "fault":
            self.pending.expect(
                e,
                f"{b['camera']} fault not reported as an incident",
                f"{b['camera']} 故障未作为事件报告",
            )

    def end(self, s: State) -> Iterator[Finding]:
        for late, en, zh in self.pending.overdue(self.now):
            yield self.hit(late, en, zh)
        if self.dark is not None and s.latest is not None:
            yield from self._gap(s.latest)

    def owed(self, s: State) -> Iterator[Owed]:
        yield from self.pending.owed(self.id)
        if not s.has_stock() or s.last is None:
            return
        for camera, st in sorted(s.cameras.items()):
            if st != "on":
                yield Owed(
                    rule=self.id,
                    seq=s.last.seq if s.last.body.get("camera") == camera else 0,
                    due=None,
                    action="cctv-on",
                    kind="",
                    refs=(),
                    camera=camera,
                    message=f"{camera} is not recording while papers are stored",
                    message_zh=f"试卷在库，{camera} 未在录像",
                )


def footage_kept_until(s: State) -> date | None:
    """The last day footage must be kept: the exam's end plus the months of
    the policy in force (四.四); None before the genesis."""
    if not s.site:
        return None
    months = rules_params(Footage, s.policy)["footage_keep_months"]
    return add_months(date.fromisoformat(s.site["exam_end"]), months)


@rule
class Footage(Rule):
    """Footage recorded since the papers first came in (or since the exam began,
    if none came) is not deleted before the retention period after the exam
    ends."""

    id = "FOOTAGE"
    on = frozenset({"cctv", "receipt"})
    title = "Footage kept six months after the exam"
    title_zh = "监控视频保存至考试结束后半年"
    clause = "四.四"
    params = {"footage_keep_months": 6}
    example_ok = "`cctv delete-footage --before 2026-06-01` on 2027-01-05."
    example_bad = "`cctv delete-footage --before 2026-06-10` on 2026-07-01."

    def reset(self) -> None:
        self.first_receipt: datetime | None = None

    def after(self, e: Event, s: State) -> Iterable[Finding]:
        if e.type == "receipt" and self.first_receipt is None:
            self.first_receipt = e.moment
        return ()

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if e.type != "cctv" or e.body["action"] != "delete-footage" or not s.site:
            return
        end = date.fromisoformat(s.site["exam_end"])
        keep_until = add_months(end, self.p["footage_keep_months"])
        cut = parse_ts(e.body["before"])
        before = cut.date()
        start = date.fromisoformat(s.site["exam_start"])
        kept_from = self.first_receipt
        covers = before >= start if kept_from is None else cut > kept_from
        if e.moment.date() <= keep_until and covers:
            yield self.hit(
                e,
                f"footage up to {before} deleted on {e.moment.date()}, "
                f"before {keep_until}",
                f"{e.moment.date()} 删除了 {before} "
                f"前的监控视频，应保存至 {keep_until}",
            )


@rule
class Reported(Rule):
    """Every incident names whom it was reported to and when, within the window
    after the event: from ``occurred_at`` (when it happened or was found;
    required for a leak, a theft or an intrusion) when given, else from the
    entry's time. An incident written before vaultctl 0.3 has no
    ``occurred_at``: its window runs from the entry, as it did then."""

    id = "REPORTED"
    on = frozenset({"incident"})
    title = "Incidents reported at once"
    title_zh = "事件须立即逐级上报"
    clause = "四.九, 职责9"
    params = {"report_minutes": 30}
    example_ok = "`incident … --reported-to 县考试中心 --reported-at 10:12` for 10:05."
    example_bad = "An incident at 10:05 reported at 11:30."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if e.type != "incident":
            return
        b = e.body
        to = b["reported_to"].strip()
        at = parse_ts(b["reported_at"])
        # NOTE: the window runs from when it happened (or was found), not from
        # when someone got round to writing it down (issue 21)
        happened = parse_ts(b["occurred_at"]) if "occurred_at" in b else e.moment
        if not to:
            yield self.hit(
                e, "incident does not say whom it was reported to", "事件未写明上报对象"
            )
        if "occurred_at" not in b and b["kind"] in EVENT_KINDS:
            yield self.hit(
                e,
                f"a {b['kind']} incident that does not say when it happened",
                f"{b['kind']} 事件未写明发生（发现）时间",
                fix="vaultctl incident … --occurred-at <TIME>",
            )
        if happened > e.moment:
            yield self.hit(
                e,
                f"incident said to happen at {happened:%m-%d %H:%M}, after it was "
                f"recorded ({e.moment:%m-%d %H:%M})",
                f"事件发生时间 {happened:%m-%d %H:%M} 晚于登记时间 "
                f"{e.moment:%m-%d %H:%M}",
            )
        elif not timedelta(0) <= at - happened <= self.minutes("report_minutes"):
            yield self.hit(
                e,
                f"incident at {happened:%m-%d %H:%M} reported at "
                f"{at:%m-%d %H:%M}, not within {self.p['report_minutes']} min",
                f"事件发生于 {happened:%m-%d %H:%M}，上报于 {at:%m-%d %H:%M}，"
                f"超过 {self.p['report_minutes']} 分钟",
            )


@rule
class TimeOrder(Rule):
    """Event times never go backwards by more than the tolerance, and are never
    ahead of the clock of the machine that writes or verifies them."""

    id = "TIME-ORDER"
    title = "Times in order and not in the future"
    title_zh = "记录时间有序且不超前"
    clause = "—"
    params = {"time_back_minutes": 10, "time_ahead_minutes": 5}
    example_ok = "Entries at 08:00, 08:05, 08:02 (back 3 min, within 10)."
    example_bad = "An entry at 07:30 after one at 08:00, or one dated tomorrow."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if s.latest is not None and e.moment < s.latest - self.minutes(
            "time_back_minutes"
        ):
            yield self.hit(
                e,
                f"time goes back from {s.latest:%m-%d %H:%M} to {e.moment:%m-%d %H:%M}",
                f"时间倒退：从 {s.latest:%m-%d %H:%M} 到 {e.moment:%m-%d %H:%M}",
            )
        if e.moment - self.now > self.minutes("time_ahead_minutes"):
            # NOTE: both in site time, with the offset, so neither is misread
            clock = self.now.astimezone(s.tz or e.moment.tzinfo)
            yield self.hit(
                e,
                f"time {show(e.moment)} is ahead of the clock of this machine "
                f"({show(clock)} in site time)",
                f"时间 {show(e.moment)} 超前于本机时钟（本机时钟折合考点时间为 "
                f"{show(clock)}）",
            )
