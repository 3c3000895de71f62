"""Rules about people: who may sign, who may change the roster, who may enter."""

from __future__ import annotations

from collections.abc import Iterator

from vaultctl.rules import Finding, Rule, rule
from vaultctl.state import Event, State

HEADS = ("room_head", "site_head")


@rule
class Eligible(Rule):
    """Every signer is active, trained before the entry's date, and has declared
    no conflict (an immediate relative sitting this exam)."""

    id = "ELIGIBLE"
    title = "Only eligible officers sign"
    title_zh = "签名人员须合格"
    clause = "四.三, 五.6, 职责1"
    example_ok = "O-003 (trained 2026-05-20, no conflict) signs on 2026-06-07."
    example_bad = "O-003 signs after `roster suspend --id O-003`."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        day = e.moment.date().isoformat()
        for who in e.signers:
            o = s.roster.get(who)
            if o is None:
                continue  # NOTE: an integrity finding, not a compliance one
            if not o.active:
                yield self.hit(e, f"{who} is suspended", f"{who} 已被停职", [who])
            if o.trained is None or o.trained > day:
                yield self.hit(
                    e,
                    f"{who} has no secrecy training before {day}",
                    f"{who} 在 {day} 前未接受保密培训",
                    [who],
                )
            if o.conflict:
                yield self.hit(
                    e,
                    f"{who} declared an immediate relative sitting this exam",
                    f"{who} 有直系亲属参加本次考试",
                    [who],
                )


@rule
class RosterAuth(Rule):
    """Every roster change is co-signed by the site head."""

    id = "ROSTER-AUTH"
    title = "Roster changes co-signed by the site head"
    title_zh = "人员变更须考点负责人会签"
    clause = "五.5"
    example_ok = "`roster add … --signer O-001 --signer O-002` (O-001 is site head)."
    example_bad = "`roster suspend --id O-005 --signer O-002 --signer O-003`."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if e.type == "roster" and not any(
            s.officer_has(w, "site_head") for w in e.signers
        ):
            yield self.hit(
                e,
                "roster change not co-signed by the site head",
                "人员变更未经考点负责人会签",
            )


@rule
class Access(Rule):
    """Each entry into the room has an approver (room head or site head) and a
    matching exit; a visitor who is not on the roster is escorted by an officer."""

    id = "ACCESS"
    title = "Room access approved, registered and escorted"
    title_zh = "进出保密室须审批登记"
    clause = "第二篇(四), 四.七"
    example_ok = (
        "`access enter --person 电工老李 --approver O-002 --escort O-003`, "
        "then `access exit --person 电工老李`."
    )
    example_bad = "`access enter --person 电工老李` with no approver and no escort."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if e.type != "access":
            return
        person, b = e.body["person"], e.body
        if b["action"] == "exit":
            if person not in s.inside:
                yield self.hit(
                    e,
                    f"{person} exits without a recorded entry",
                    f"{person} 离开但无进入登记",
                )
            return
        if person in s.inside:
            yield self.hit(
                e,
                f"{person} enters again without an exit",
                f"{person} 未登记离开又再次进入",
            )
        approver = b.get("approver")
        if approver is None or not any(s.officer_has(approver, r) for r in HEADS):
            yield self.hit(
                e,
                f"entry of {person} not approved by the room head or site head",
                f"{person} 进入未经保密室负责人或考点负责人批准",
            )
        escort = b.get("escort")
        if s.roster.get(person) is None and (
            escort is None or s.roster.get(escort) is None
        ):
            yield self.hit(
                e,
                f"visitor {person} is not escorted by an officer",
                f"来访人员 {person} 无工作人员陪同",
            )

    def end(self, s: State) -> Iterator[Finding]:
        for person, seq in sorted(s.inside.items()):
            yield self.hit(
                None,
                f"{person} entered at #{seq} and has no exit",
                f"{person} 于 #{seq} 进入，无离开登记",
                [],
                s,
            )
