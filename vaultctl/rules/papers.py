"""Rules about the papers: inspection, handling, inventory, proxies, seals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from vaultctl.core import schema
from vaultctl.rules import Finding, Owed, Pending, Rule, rule
from vaultctl.rules.state import Dispatched, Event, Packet, State

MOVES = ("receipt", "issue", "return", "dispatch")


def inspect_command(room: str) -> str:
    """The command that records a passing joint inspection of ``room``."""
    return (
        f"vaultctl inspect --room {room} --result pass --item … "
        "--signer <SECRECY INSPECTOR> --signer <POLICE INSPECTOR>"
    )


# NOTE: words of the log shown inside a Chinese message (issue 23)
RESULT_ZH = {"none": "无", "pass": "合格", "fail": "不合格"}
WHERE_ZH = {
    "never received": "从未接收",
    "stock": "在库",
    "issued": "已发放",
    "dispatched": "已送出",
}


@rule
class Inspected(Rule):
    """Papers enter a room only after a passed joint inspection of that room,
    signed by a secrecy-office and a police inspector; a room that fails an
    inspection while papers are in it is a finding, and so is any receipt or
    opening after a failed inspection until a passing one."""

    id = "INSPECTED"
    on = frozenset({"inspection", "open", "receipt"})
    title = "Room inspected jointly before use"
    title_zh = "保密室使用前须联合检查验收"
    clause = "四.二, 五.7"
    example_ok = (
        "`inspect --room R1 --result pass --signer O-201 --signer O-202`, "
        "then the receipt."
    )
    example_bad = "A receipt into R1 with no passed inspection of R1."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if e.type == "inspection" and e.body["result"] == "fail" and s.has_stock():
            yield self.hit(
                e,
                f"{e.body['room']} failed its inspection with papers stored",
                f"{e.body['room']} 在试卷存放期间检查不合格",
            )
            return
        if e.type == "open":
            b = e.body
            room = (
                s.doors.get(b["door"])
                if "door" in b
                else s.cabinets.get(b.get("cabinet", ""))
            )
            result = s.inspections.get(room or "", ("none",))[0]
            if result == "fail":
                yield self.hit(
                    e,
                    f"{room} opened after a failed inspection, before a passing one",
                    f"{room} 检查不合格后、复检合格前被开启",
                    fix=inspect_command(str(room)),
                )
            return
        if e.type != "receipt":
            return
        room = e.body["room"]
        result, inspectors, _ = s.inspections.get(room, ("none", (), None))
        roles = {
            r
            for w in inspectors
            for r in ("secrecy_inspector", "police_inspector")
            if s.officer_has(w, r)
        }
        if result != "pass" or len(roles) < 2:
            yield self.hit(
                e,
                f"papers received into {room} without a passed joint "
                f"inspection (last: {result})",
                f"{room} 未经保密、公安部门联合检查验收即接收试卷"
                f"（最近：{RESULT_ZH.get(result, result)}）",
            )


def _unreported(rule: Rule, pending: Pending, moment: datetime) -> Iterator[Finding]:
    """A finding for each entry whose incident is past due at ``moment``."""
    for late, en, zh in pending.overdue(moment):
        yield rule.hit(late, f"{en}, and no incident reported", f"{zh}，未报告事件")


def _party(e: Event) -> str | None:
    b = e.body
    return {
        "issue": b.get("to"),
        "return": b.get("from"),
        "dispatch": b.get("to"),
        "receipt": b.get("from"),
    }.get(e.type)


@rule
class Handling(Rule):
    """Every receipt, issue, return and dispatch is under CCTV, checks each
    packet's subject, and is signed by both parties; a packet leaves (issue,
    dispatch) only with its seal serial read and compared. (A count that
    differs from the packets owes a count-mismatch incident: SEAL.)"""

    id = "HANDLING"
    on = frozenset(MOVES)
    title = "Handovers of papers counted, checked and signed"
    title_zh = "试卷收发须清点核验、双方签字"
    clause = "第二篇(三), 四.八, 职责8"
    example_ok = "`issue … --to O-101 --cctv on --signer O-002 --signer O-101`."
    example_bad = "`issue … --cctv off`, or not signed by the recipient."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if e.type not in MOVES:
            return
        b = e.body
        if not b["cctv"]:
            yield self.hit(
                e, f"{e.type} not under CCTV", f"{e.type} 未在视频监控下进行"
            )
        unread = [p["id"] for p in b["packets"] if "seal" not in p]
        leaving = e.type in ("issue", "dispatch")
        if not b.get("seal_checked", True) or (leaving and unread):
            what = ", ".join(unread[:5]) or "seals"
            yield self.hit(
                e,
                f"{what}: leaves without its seal serial read and compared",
                f"{what}：出库时未核对封条编号",
            )
        if any(not p.get("subject", "x").strip() for p in b["packets"]):
            yield self.hit(e, "a packet without subject", "试卷袋未核实科目")
        party = _party(e)
        if party is not None and s.roster.get(party) and party not in e.signers:
            yield self.hit(
                e,
                f"{e.type} not signed by {party}",
                f"{e.type} 缺少 {party} 签字",
                [party],
            )


@rule
class Inventory(Rule):
    """Packets are received once, issued only from stock, returned only after
    issue, and belong to a scheduled session of their subject; at the end of
    the exam nothing is left unaccounted."""

    id = "INVENTORY"
    on = frozenset(MOVES)
    title = "Every packet accounted for"
    title_zh = "试卷袋登记清点、账实相符"
    clause = "第三篇5, 四.八"
    example_ok = "Receive P-001, issue it, return it, dispatch it."
    example_bad = "Issue P-009, which was never received."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if e.type in MOVES:
            for pid in schema.repeated(p["id"] for p in e.body["packets"]):
                yield self.hit(
                    e,
                    f"{pid} listed twice in one {e.type}",
                    f"{pid} 在同一次{e.type}中重复登记",
                )
        if e.type in ("receipt", "return"):
            yield from self._incoming(e, s)
        elif e.type in ("issue", "dispatch"):
            for moved in e.body["packets"]:
                p = s.packet(moved["id"])
                if not isinstance(p, Packet) or p.where != "stock":
                    where = "never received" if p is None else p.where
                    yield self.hit(
                        e,
                        f"{moved['id']} is not in stock ({where})",
                        f"{moved['id']} 不在库（{WHERE_ZH.get(where, where)}）",
                    )
                elif e.type == "issue" and p.session != e.body["session"]:
                    yield self.hit(
                        e,
                        f"{p.id} belongs to {p.session}, issued for "
                        f"{e.body['session']}",
                        f"{p.id} 属于 {p.session}，却发放给 {e.body['session']}",
                    )

    def _incoming(self, e: Event, s: State) -> Iterator[Finding]:
        for p in e.body["packets"]:
            old = s.packet(p["id"])
            if e.type == "receipt" and old is not None:
                yield self.hit(
                    e,
                    f"{p['id']} received twice ({_first(old)})",
                    f"{p['id']} 重复接收（{_first(old, 'zh')}）",
                )
            if e.type == "return" and (old is None or old.where != "issued"):
                yield self.hit(
                    e,
                    f"{p['id']} returned but was not issued",
                    f"{p['id']} 未发放却被回收",
                )
            session = s.sessions.get(p["session"])
            if session is None or session["subject"] != p["subject"]:
                yield self.hit(
                    e,
                    f"{p['id']}: {p['subject']} is not the subject of "
                    f"session {p['session']}",
                    f"{p['id']}：{p['subject']} 与场次 {p['session']} 科目不符",
                )

    def end(self, s: State) -> Iterator[Finding]:
        last = s.latest
        if last is None or not s.site:
            return
        for p in sorted(s.packets.values(), key=lambda p: p.id):
            session = s.sessions.get(p.session)
            ended = (
                session is not None and datetime.fromisoformat(session["end"]) < last
            )
            if p.where == "issued" and ended:
                yield self.hit(
                    None,
                    f"{p.id} issued to {p.exam_room} and not returned "
                    f"after {p.session}",
                    f"{p.id} 发往 {p.exam_room}，{p.session} 结束后未回收",
                    [],
                    s,
                )
        exam_over = last.date() > datetime.fromisoformat(s.site["exam_end"]).date()
        left = [p.id for p in s.in_stock()]
        if exam_over and left:
            yield self.hit(
                None,
                f"{len(left)} packet(s) still in store after the exam "
                f"ended: {', '.join(sorted(left)[:5])}",
                f"考试结束后仍有 {len(left)} 袋未清点出库",
                [],
                s,
            )


@rule
class NoProxy(Rule):
    """Papers for an exam room are issued only to that room's assigned
    invigilator, within the window before the session starts."""

    id = "NO-PROXY"
    on = frozenset({"issue"})
    title = "Papers only to the assigned invigilator, just before the session"
    title_zh = "拒绝代领，按时发放"
    clause = "职责7"
    params = {"issue_window_minutes": 60}
    example_ok = "Issue for E01 of S-0607-AM to O-101 at 08:20 (start 09:00)."
    example_bad = "Issue for E01 to O-102, or at 07:30 for a 09:00 session."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if e.type != "issue":
            return
        b = e.body
        session = s.sessions.get(b["session"])
        if session is None:
            yield self.hit(
                e, f"unknown session {b['session']}", f"未知场次 {b['session']}"
            )
            return
        assigned = session["exam_rooms"].get(b["exam_room"])
        if assigned != b["to"]:
            yield self.hit(
                e,
                f"issued to {b['to']}, but {b['exam_room']}'s invigilator "
                f"is {assigned}",
                f"发给 {b['to']}，但 {b['exam_room']} 的监考是 {assigned}（代领）",
                [b["to"]],
            )
        start = datetime.fromisoformat(session["start"])
        if not start - self.minutes("issue_window_minutes") <= e.moment <= start:
            yield self.hit(
                e,
                f"issued at {e.moment:%H:%M}, outside the "
                f"{self.p['issue_window_minutes']} min before {start:%H:%M}",
                f"发放时间 {e.moment:%H:%M} 不在开考 {start:%H:%M} 前 "
                f"{self.p['issue_window_minutes']} 分钟内",
            )


@rule
class Seal(Rule):
    """A packet leaves with the seal serial it came in with; a broken seal, a
    changed serial or a count mismatch is followed by an incident entry within
    the window."""

    id = "SEAL"
    title = "Seals intact; any break reported as an incident"
    title_zh = "密封完好，异常须报告"
    clause = "四.九, 职责5, 职责9"
    params = {"seal_incident_minutes": 30}
    example_ok = (
        "A broken seal at receipt, then `incident --kind seal-broken` 10 min later."
    )
    example_bad = "A broken seal at receipt and no incident within 30 minutes."

    def reset(self) -> None:
        self.pending = Pending(
            ("seal-broken", "count-mismatch"), self.minutes("seal_incident_minutes")
        )

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        for late, en, zh in self.pending.overdue(e.moment):
            yield self.hit(
                late,
                f"{en}, and no incident within {self.p['seal_incident_minutes']} min",
                f"{zh}，{self.p['seal_incident_minutes']} 分钟内未报告事件",
            )
        self.pending.settle(e)
        for en, zh, kind in self._problems(e, s):
            self.pending.expect(e, en, zh, kind)

    def owed(self, s: State) -> Iterator[Owed]:
        return self.pending.owed(self.id)

    def _problems(self, e: Event, s: State) -> Iterator[tuple[str, str, str]]:
        if e.type not in MOVES:
            return
        for p in e.body["packets"]:
            old = s.packet(p["id"])
            if not p.get("intact", True):
                yield f"{p['id']} seal broken", f"{p['id']} 密封破损", "seal-broken"
            # NOTE: serials are compared when a packet leaves (issue, dispatch); a
            # return records the new seal put on in the exam room.
            seal = p.get("seal") if e.type in ("issue", "dispatch") else None
            if isinstance(old, Packet) and seal is not None and seal != old.seal:
                yield (
                    f"{p['id']} leaves with seal {seal}, it came in with {old.seal}",
                    f"{p['id']} 出库封条 {seal} 与入库封条 {old.seal} 不符",
                    "seal-broken",
                )
        expected = e.body.get("expected")
        listed = len(e.body["packets"])
        if expected is not None and expected != listed:
            yield (
                f"{listed} packets received, {expected} expected",
                f"实收 {listed} 袋，应收 {expected} 袋",
                "count-mismatch",
            )
        # NOTE: the count is what the officers counted (--count), never the
        # length of the list: a difference is a count mismatch to report
        if e.body["count"] != listed:
            yield (
                f"{e.type}: {e.body['count']} packets counted, {listed} listed",
                f"{e.type}：清点 {e.body['count']} 袋，清单 {listed} 袋",
                "count-mismatch",
            )

    def end(self, s: State) -> Iterator[Finding]:
        yield from _unreported(self, self.pending, self.now)


@rule
class ReturnMatch(Rule):
    """A packet comes back from the exam room it was issued to, by the
    invigilator it was issued to."""

    id = "RETURN-MATCH"
    on = frozenset({"return"})
    title = "Returns match their issue"
    title_zh = "回收与发放一致"
    clause = "第二篇(三), 四.八, 职责8"
    example_ok = "P-E01 issued to O-101 for E01, returned from E01 by O-101."
    example_bad = "P-E01 issued to E01 comes back from E02's invigilator."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if e.type != "return":
            return
        b = e.body
        for p in b["packets"]:
            old = s.packet(p["id"])
            if not isinstance(old, Packet) or old.where != "issued":
                continue  # NOTE: INVENTORY's finding
            if old.exam_room != b["exam_room"]:
                yield self.hit(
                    e,
                    f"{p['id']} was issued to {old.exam_room}, returned from "
                    f"{b['exam_room']}",
                    f"{p['id']} 发往 {old.exam_room}，却从 {b['exam_room']} 回收",
                )
            if old.holder is not None and old.holder != b["from"]:
                yield self.hit(
                    e,
                    f"{p['id']} was issued to {old.holder}, returned by {b['from']}",
                    f"{p['id']} 发给 {old.holder}，却由 {b['from']} 交回",
                    [b["from"]],
                )


@rule
class StockCount(Rule):
    """At every shift handover with papers stored, the incoming leader counts
    the packets in the room (``shift handover --stock N``); a count that is
    not the stock the log implies is a finding and owes a count-mismatch
    incident (第三篇5 定期清查, 五.2 交接班制度)."""

    id = "STOCK-COUNT"
    title = "Stock counted at every handover"
    title_zh = "交接班清点在库试卷"
    clause = "第三篇5, 五.2"
    params = {"stock_incident_minutes": 30}
    example_ok = "`shift handover … --stock 12` with 12 packets in store."
    example_bad = "`shift handover … --stock 11` with 12 in store, and no incident."

    def reset(self) -> None:
        self.pending = Pending(
            ("count-mismatch",), self.minutes("stock_incident_minutes")
        )

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        yield from _unreported(self, self.pending, e.moment)
        self.pending.settle(e)
        if e.type != "shift" or e.body["action"] != "handover" or not s.has_stock():
            return
        have = len(s.stocked)
        counted = e.body.get("stock")
        if counted is None:
            yield self.hit(
                e,
                f"handover with {have} packet(s) stored and no count of them",
                f"交接班时有 {have} 袋试卷在库，未清点",
                fix="vaultctl shift handover … --stock <N>",
            )
        elif counted != have:
            en = f"{counted} packet(s) counted at the handover, the log has {have}"
            zh = f"交接班清点 {counted} 袋，记录在库 {have} 袋"
            yield self.hit(e, en, zh)
            self.pending.expect(e, en, zh)

    def end(self, s: State) -> Iterator[Finding]:
        yield from _unreported(self, self.pending, self.now)

    def owed(self, s: State) -> Iterator[Owed]:
        return self.pending.owed(self.id)


def _first(old: Packet | Dispatched, lang: str = "en") -> str:
    """Where a packet received again was first: its entry, or gone."""
    if isinstance(old, Packet):
        return f"首次 #{old.seq}" if lang == "zh" else f"first at #{old.seq}"
    return "此前已送出" if lang == "zh" else "dispatched before"
