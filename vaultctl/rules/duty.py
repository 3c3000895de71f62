"""Rules about duty: 24-hour cover in shifts, their size, handovers, patrols.

DUTY-COVER and PATROL work on intervals: they keep the moment an uncovered (or
unpatrolled) stretch began and judge its length when it ends, or at the end of
the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from vaultctl.rules import Finding, Rule, Timers, rule
from vaultctl.rules.state import Event, State

STARTS = ("start", "handover")


def _minutes(delta_seconds: float) -> str:
    return f"{delta_seconds / 60:g}"


def _starts_shift(e: Event) -> bool:
    return e.type == "shift" and e.body["action"] in STARTS


@rule
class DutyCover(Rule):
    """From the first receipt until the store is empty, a shift is on duty at
    every moment; a gap longer than the tolerance is a finding, and so is a log
    that ends with papers in store and nobody on duty."""

    id = "DUTY-COVER"
    title = "A shift on duty whenever papers are stored"
    title_zh = "试卷存放期间24小时值班"
    clause = "四.五, 五.4"
    params = {"duty_gap_minutes": 0}
    example_ok = "Shift A hands over to shift B at 16:00; papers never unattended."
    example_bad = "Shift A ends at 16:00, shift B starts at 16:20 (a 20-minute gap)."

    def reset(self) -> None:
        self.since: datetime | None = None
        self.opened_by: Event | None = None

    def after(self, e: Event, s: State) -> Iterator[Finding]:
        covered = s.shift is not None or not s.has_stock()
        if not covered and self.since is None:
            self.since, self.opened_by = e.moment, e
        elif covered and self.since is not None:
            gap = (e.moment - self.since).total_seconds()
            if gap > self.minutes("duty_gap_minutes").total_seconds():
                # NOTE: the finding belongs to the entry that left the papers
                # unattended, so the entry that restores cover is not refused
                yield self.hit(
                    self.opened_by,
                    f"papers stored with nobody on duty for "
                    f"{_minutes(gap)} min (since {self.since:%m-%d %H:%M})",
                    f"试卷存放期间 {_minutes(gap)} 分钟无人值班"
                    f"（自 {self.since:%m-%d %H:%M}）",
                )
            self.since = None

    def end(self, s: State) -> Iterator[Finding]:
        if self.since is not None:
            yield self.hit(
                None,
                f"the log ends with papers in store and nobody on "
                f"duty since {self.since:%m-%d %H:%M}",
                f"日志结束时仍有试卷在库且自 {self.since:%m-%d %H:%M} 起无人值班",
                [],
                s,
            )


@rule
class ShiftSize(Rule):
    """Each shift has at least the minimum number of members, and never fewer
    than the minimum are on site."""

    id = "SHIFT-SIZE"
    title = "Shifts of three or more, never fewer than two on site"
    title_zh = "每班三人以上，现场不少于两人"
    clause = "四.五, 五.4"
    params = {"shift_min_members": 3, "min_on_site": 2}
    example_ok = "`shift start --leader O-003 --member O-004 --member O-009`."
    example_bad = "A three-member shift where two members `presence leave`."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if (
            _starts_shift(e)
            and len(set(e.body["members"])) < self.p["shift_min_members"]
        ):
            yield self.hit(
                e,
                f"shift {e.body['shift']} has "
                f"{len(set(e.body['members']))} members, fewer than "
                f"{self.p['shift_min_members']}",
                f"班次 {e.body['shift']} 仅 {len(set(e.body['members']))} 人，"
                f"少于 {self.p['shift_min_members']} 人",
            )

    def after(self, e: Event, s: State) -> Iterator[Finding]:
        if e.type == "presence" and s.shift is not None:
            here = s.shift.on_site
            if len(here) < self.p["min_on_site"]:
                yield self.hit(
                    e,
                    f"only {len(here)} of shift {s.shift.id} on site "
                    f"({', '.join(here) or 'nobody'})",
                    f"班次 {s.shift.id} 现场仅 {len(here)} 人",
                    here,
                )


@rule
class ShiftSecurity(Rule):
    """Each shift includes a security (police) officer."""

    id = "SHIFT-SECURITY"
    title = "Every shift includes security staff"
    title_zh = "每班须有保卫（公安）人员"
    clause = "五.5"
    example_ok = "Shift members O-003, O-004 and O-009 (security)."
    example_bad = "Shift members O-003, O-004, O-005 (all custodians)."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if _starts_shift(e) and not any(
            s.officer_has(m, "security") for m in e.body["members"]
        ):
            yield self.hit(
                e,
                f"shift {e.body['shift']} has no security officer",
                f"班次 {e.body['shift']} 无保卫人员",
            )


@rule
class Handover(Rule):
    """Shifts change only by a handover signed by both leaders, to an incoming
    crew that is not the outgoing one; a shift does not simply end (or a new
    one start over it) while papers are stored."""

    id = "HANDOVER"
    on = frozenset({"shift"})
    title = "Shifts change by a handover signed by both leaders"
    title_zh = "交接班须双方班长签字"
    clause = "四.七, 五.2"
    example_ok = "`shift handover --leader O-005 … --signer O-003 --signer O-005`."
    example_bad = "`shift end` while papers are stored, or `shift start` over a shift."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if e.type != "shift":
            return
        action, cur = e.body["action"], s.shift
        if action == "start" and cur is not None:
            yield self.hit(
                e,
                f"shift {e.body['shift']} starts while {cur.id} is on "
                "duty: use shift handover",
                f"班次 {cur.id} 在岗时另起班次 {e.body['shift']}，应办理交接班",
            )
        elif action == "end" and s.has_stock():
            yield self.hit(
                e,
                f"shift {e.body['shift']} ends with papers in store: hand over to "
                "the next shift instead",
                f"试卷在库时班次 {e.body['shift']} 结束，应办理交接班",
            )
        elif action == "handover":
            yield from self._handover(e, s)

    def _handover(self, e: Event, s: State) -> Iterator[Finding]:
        cur = s.shift
        if cur is None:
            yield self.hit(e, "handover with no shift on duty", "无在岗班次却办理交接")
            return
        if e.body["from_shift"] != cur.id or e.body["from_leader"] != cur.leader:
            yield self.hit(
                e,
                f"handover from {e.body['from_shift']}, but {cur.id} "
                f"(leader {cur.leader}) is on duty",
                f"交接自 {e.body['from_shift']}，但在岗的是 {cur.id}",
            )
        missing = [w for w in (cur.leader, e.body["leader"]) if w not in e.signers]
        if missing:
            yield self.hit(
                e,
                f"handover not signed by leader(s) {', '.join(missing)}",
                f"交接班缺少班长 {', '.join(missing)} 签字",
                missing,
            )
        stay = sorted(set(e.body["members"]) & set(cur.members))
        if stay:
            yield self.hit(
                e,
                f"{', '.join(stay)} on both the outgoing and the incoming shift",
                f"{', '.join(stay)} 同时在交班和接班班次中",
                stay,
            )


@rule
class Patrol(Rule):
    """While papers are stored, a two-person patrol at least every N minutes
    (off by default: the national rules ask for it, these regulations do not)."""

    id = "PATROL"
    title = "Regular patrols while papers are stored"
    title_zh = "试卷存放期间定时巡查"
    clause = "四.七"
    params = {"patrol_minutes": 30}
    default_level = "off"
    example_ok = "`patrol` entries at 22:00, 22:30, 23:00 while papers are stored."
    example_bad = "No patrol between 22:00 and 23:15."

    def reset(self) -> None:
        self.last: datetime | None = None

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if self.last is not None and e.moment - self.last > self.minutes(
            "patrol_minutes"
        ):
            yield self.hit(
                e,
                f"no patrol since {self.last:%m-%d %H:%M}",
                f"自 {self.last:%m-%d %H:%M} 起未巡查",
            )
            self.last = e.moment

    def after(self, e: Event, s: State) -> Iterable[Finding]:
        if not s.has_stock():
            self.last = None
        elif e.type == "patrol" or self.last is None:
            self.last = e.moment
        return ()

    def end(self, s: State) -> Iterator[Finding]:
        if self.last is not None and self.now - self.last > self.minutes(
            "patrol_minutes"
        ):
            yield self.hit(
                None,
                f"papers stored and no patrol since {self.last:%m-%d %H:%M}",
                f"试卷在库，自 {self.last:%m-%d %H:%M} 起未巡查",
                [],
                s,
            )


@rule
class DutyHome(Rule):
    """A member on duty never goes home during the shift (职责3 严禁回家). A
    leave written before vaultctl 0.3 carries no kind (its reason is free
    text) and is not judged: the rule never guesses from words."""

    id = "DUTY-HOME"
    title = "Nobody goes home while on duty"
    title_zh = "值班期间严禁回家"
    clause = "职责3"
    example_ok = "`presence leave --member O-004 --reason meal` (就餐), back at 12:30."
    example_bad = "`presence leave --member O-004 --reason home` (回家)."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if (
            e.type == "presence"
            and e.body["action"] == "leave"
            and e.body.get("kind") == "home"
            and s.shift is not None
            and e.body["member"] in s.shift.members
        ):
            who = e.body["member"]
            yield self.hit(
                e,
                f"{who} leaves shift {s.shift.id} to go home while on duty",
                f"{who} 在班次 {s.shift.id} 值班期间回家",
                [who],
            )


@rule
class AwayLong(Rule):
    """A member on duty away longer than the limit is a warning."""

    id = "AWAY-LONG"
    title = "Members on duty not away long"
    title_zh = "值班人员离岗不宜过久"
    clause = "职责3, 五.4"
    params = {"away_max_minutes": 60}
    default_level = "warn"
    example_ok = "O-004 leaves at 12:00 for a meal and returns at 12:30."
    example_bad = "O-004 leaves at 12:00 and is not back by 13:30."

    def reset(self) -> None:
        self.away = Timers()

    def step(self, e: Event, s: State) -> Iterable[Finding]:
        # NOTE: nobody away, nothing to do: no generator made for each entry
        return self._late(e.moment) if self.away.since else ()

    def after(self, e: Event, s: State) -> Iterable[Finding]:
        if e.type == "presence":
            if e.body["action"] == "leave":
                self.away.start(e.body["member"], e)
            else:
                self.away.stop(e.body["member"])
        elif e.type == "shift":
            self.away.clear()  # NOTE: a new crew; the state forgets absences too
        return ()

    def end(self, s: State) -> Iterator[Finding]:
        if s.latest is not None:
            yield from self._late(s.latest)

    def _late(self, moment: datetime) -> Iterator[Finding]:
        limit = self.p["away_max_minutes"]
        for who, since, left in self.away.overdue(
            moment, self.minutes("away_max_minutes")
        ):
            yield self.hit(
                left,
                f"{who} away from duty for more than {limit} min "
                f"(since {since:%m-%d %H:%M})",
                f"{who} 离岗超过 {limit} 分钟（自 {since:%m-%d %H:%M}）",
                [who],
            )


@rule
class ShiftLong(Rule):
    """A shift on duty longer than the limit without relief is a warning."""

    id = "SHIFT-LONG"
    title = "Shifts relieved in time"
    title_zh = "班次按时轮换"
    clause = "四.五, 五.4"
    params = {"shift_max_minutes": 720}
    default_level = "warn"
    example_ok = "8-hour shifts handing over at 00:00, 08:00 and 16:00."
    example_bad = "Shift A on duty from 08:00 on 6/6 to 08:00 on 6/8."

    def reset(self) -> None:
        self.started: Event | None = None

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        yield from self._late(e.moment, s)

    def after(self, e: Event, s: State) -> Iterable[Finding]:
        if e.type == "shift":
            self.started = e if s.shift is not None else None
        return ()

    def end(self, s: State) -> Iterator[Finding]:
        if s.latest is not None:
            yield from self._late(s.latest, s)

    def _late(self, moment: datetime, s: State) -> Iterator[Finding]:
        start = self.started
        if start is None or s.shift is None:
            return
        if moment - start.moment > self.minutes("shift_max_minutes"):
            self.started = None  # NOTE: once per shift
            yield self.hit(
                start,
                f"shift {s.shift.id} on duty for more than "
                f"{self.p['shift_max_minutes'] / 60:g} h without relief "
                f"(since {start.moment:%m-%d %H:%M})",
                f"班次 {s.shift.id} 连续值班超过 "
                f"{self.p['shift_max_minutes'] / 60:g} 小时未轮换"
                f"（自 {start.moment:%m-%d %H:%M}）",
                s.shift.members,
            )
