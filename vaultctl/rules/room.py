"""Rules about the room itself: how it is built, and its doors and cabinets.

SITE-SETUP judges the genesis (the site as declared) once; DOOR-STATE follows
every door and cabinet through open and close; OPEN-LONG warns of one left
open too long.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from vaultctl.rules import Finding, Rule, Timers, rule
from vaultctl.rules.state import Event, State, target_of


def lock_problems(body: dict[str, Any]) -> list[tuple[str, str]]:
    """What a site file (or a genesis) lacks for two-person control, (en, zh):
    a cabinet needs two keys, or a key and a code (五.3 双锁); a room's door
    keys must be two or more, so that two people can hold them apart (四.六)."""
    out = []
    for room in body["rooms"]:
        keys = [k for d in room["doors"] for k in d["keys"]]
        if len(keys) < 2:
            out.append(
                (
                    f"room {room['id']} has {len(keys)} door key(s): two people "
                    "cannot hold its doors apart (two doors, or two locks)",
                    f"保密室 {room['id']} 仅有 {len(keys)} 把门钥匙，"
                    "无法由两人分别保管（需两道门或两把锁）",
                )
            )
    for cab in body["cabinets"]:
        n_keys, codes = len(cab["keys"]), len(cab["codes"])
        if n_keys + codes < 2 or n_keys == 0:
            out.append(
                (
                    f"cabinet {cab['id']} has {n_keys} key(s) and {codes} code(s): "
                    "it needs two keys, or a key and a code",
                    f"铁柜 {cab['id']} 仅有 {n_keys} 把钥匙、{codes} 组密码，"
                    "须双锁（两把钥匙，或一把钥匙加一组密码）",
                )
            )
    return out


@rule
class SiteSetup(Rule):
    """The genesis is signed by the site head and the room head, and declares
    a paper room two people must open together: two door keys per room, and
    every cabinet with two keys or a key and a code."""

    id = "SITE-SETUP"
    title = "The site as declared allows two-person control"
    title_zh = "考点设置须满足双人双锁"
    clause = "四.六, 五.3"
    example_ok = "`init` signed by O-001 and O-002; doors D1, D2; cabinet keys A, B."
    example_bad = "A cabinet with one key, or `init` signed by two custodians."

    def genesis(self, e: Event, s: State) -> Iterator[Finding]:
        for role, zh in (("site_head", "考点负责人"), ("room_head", "保密室负责人")):
            if not any(s.officer_has(w, role) for w in e.signers):
                yield self.hit(
                    e,
                    f"the genesis is not signed by the {role.replace('_', ' ')}",
                    f"初始记录未经{zh}签名",
                )
        assert s.genesis is not None  # noqa: S101 - called after the genesis
        for en, zh in lock_problems(s.genesis):
            yield self.hit(e, en, zh)


def _outer_door(s: State, room: str) -> str | None:
    """The first door listed for ``room``: the one people come in through."""
    for r in s.genesis["rooms"] if s.genesis else ():
        if r["id"] == room and r["doors"]:
            return str(r["doors"][0]["id"])
    return None


@rule
class DoorState(Rule):
    """Each door and cabinet is opened only when closed and closed only when
    open; nobody enters while the outer door is recorded closed; nothing is
    left open at a shift handover, nor at the end of the log while papers are
    stored (第三篇 12: the room is locked when nobody works in it). The outer
    door is the first door listed for the room in site.toml. Logs written
    before vaultctl 0.3 are judged the same way: they recorded every opening
    and closing already."""

    id = "DOOR-STATE"
    on = frozenset({"open", "close", "access", "shift"})
    title = "Doors and cabinets opened and closed in turn, closed when left"
    title_zh = "门柜开关如实登记，离开即关闭"
    clause = "第三篇12, 四.六"
    example_ok = "`open --door D1 …` at 10:00, `close --door D1 …` at 10:20."
    example_bad = "`open --door D1` twice, or a shift handover with D1 open."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if e.type in ("open", "close"):
            what = target_of(e.body)
            if e.type == "open" and what in s.opened:
                yield self.hit(
                    e,
                    f"{what} opened again, but it is open since #{s.opened[what]}",
                    f"{what} 自 #{s.opened[what]} 起已开启，又登记开启",
                )
            elif e.type == "close" and what not in s.opened:
                yield self.hit(
                    e,
                    f"{what} closed, but it is not recorded open",
                    f"{what} 未登记开启，却登记关闭",
                )
        elif e.type == "access" and e.body["action"] == "enter":
            door = _outer_door(s, e.body["room"])
            if door is not None and f"door:{door}" not in s.opened:
                yield self.hit(
                    e,
                    f"{e.body['person']} enters {e.body['room']} while its outer "
                    f"door {door} is recorded closed",
                    f"{e.body['person']} 进入 {e.body['room']} 时"
                    f"外门 {door} 登记为关闭",
                    fix=f"vaultctl open --door {door} --signer <ROOM HEAD> "
                    "--signer <KEY HOLDER>",
                )
        elif e.type == "shift" and e.body["action"] == "handover" and s.opened:
            left = ", ".join(sorted(s.opened))
            yield self.hit(
                e,
                f"shift handover with {left} open",
                f"交接班时 {left} 仍开启",
                fix=[
                    f"vaultctl close --{w.replace(':', ' ')} --signer <OFFICER> "
                    "--signer <OFFICER>"
                    for w in sorted(s.opened)
                ],
            )

    def end(self, s: State) -> Iterator[Finding]:
        if s.opened and s.has_stock():
            left = ", ".join(sorted(s.opened))
            yield self.hit(
                None,
                f"the log ends with {left} open and papers stored",
                f"日志结束时 {left} 仍开启且有试卷在库",
                [],
                s,
            )


@rule
class OpenLong(Rule):
    """A door or cabinet open longer than the limit is a warning: the room is
    opened for a task and locked again."""

    id = "OPEN-LONG"
    title = "No door or cabinet left open long"
    title_zh = "门柜开启不宜过久"
    clause = "第三篇12"
    params = {"open_max_minutes": 60}
    default_level = "warn"
    example_ok = "D1 opened at 10:00 and closed at 10:40."
    example_bad = "D1 opened at 17:00 and still open at 23:00."

    def reset(self) -> None:
        self.open = Timers()

    def step(self, e: Event, s: State) -> Iterable[Finding]:
        # NOTE: nothing open, nothing to do: no generator made for each entry
        return self._late(e.moment) if self.open.since else ()

    def after(self, e: Event, s: State) -> Iterator[Finding]:
        if e.type == "open":
            self.open.start(target_of(e.body), e)
        elif e.type == "close":
            self.open.stop(target_of(e.body))
        return iter(())

    def end(self, s: State) -> Iterator[Finding]:
        if s.latest is not None:
            yield from self._late(s.latest)

    def _late(self, moment: datetime) -> Iterator[Finding]:
        limit = self.p["open_max_minutes"]
        for what, since, opened in self.open.overdue(
            moment, self.minutes("open_max_minutes")
        ):
            yield self.hit(
                opened,
                f"{what} open for more than {limit} min (since {since:%m-%d %H:%M})",
                f"{what} 开启超过 {limit} 分钟（自 {since:%m-%d %H:%M}）",
            )
