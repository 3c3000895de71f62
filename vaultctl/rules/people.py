"""Rules about people: who may sign, who may change the roster, who may enter."""

from __future__ import annotations

from collections.abc import Iterator

from vaultctl.rules import Finding, Rule, rule
from vaultctl.rules.state import Event, State

HEADS = ("room_head", "site_head")


def is_head(s: State, who: str) -> bool:
    """Whether ``who`` is the room head or the site head."""
    return any(s.officer_has(who, r) for r in HEADS)


def named(e: Event, s: State) -> list[tuple[str, str, str]]:
    """Officers an entry names besides its signers: ``(id, as what, zh)``."""
    b = e.body
    out: list[tuple[str, str, str]] = []
    if e.type == "shift" and b["action"] in ("start", "handover"):
        out.append((b["leader"], "shift leader", "值班班长"))
        out += [(m, "shift member", "值班人员") for m in b["members"]]
    elif e.type == "open":
        out += [(w, "present", "在场人员") for w in b["present"]]
    elif e.type == "custody" and "to" in b:
        out.append((b["to"], "key holder", "钥匙保管人"))
    elif e.type == "access":
        out += [
            (b[k], k, zh)
            for k, zh in (("approver", "审批人"), ("escort", "陪同人"))
            if k in b
        ]
        if s.roster.get(b["person"]) is not None:
            out.append((b["person"], "entering", "进入人员"))
    return out


@rule
class Eligible(Rule):
    """Every signer, and every officer an entry names (shift leaders and
    members, people present at an opening, key holders, approvers, escorts,
    officers entering the room), is active, trained before the entry's date,
    and has declared no conflict (an immediate relative sitting this exam)."""

    id = "ELIGIBLE"
    title = "Only eligible officers sign or serve"
    title_zh = "签名及履职人员须合格"
    clause = "四.三, 五.6, 职责1"
    example_ok = "O-003 (trained 2026-05-20, no conflict) signs on 2026-06-07."
    example_bad = (
        "O-003 signs after `roster suspend --id O-003`, or serves on a shift "
        "after declaring a relative sitting the exam."
    )

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        day = e.moment.date().isoformat()
        people = [(w, "", "") for w in e.signers] + named(e, s)
        seen: set[str] = set()
        for who, role, role_zh in people:
            o = s.roster.get(who)
            if o is None or who in seen:
                continue  # NOTE: an unknown signer is an integrity finding
            seen.add(who)
            fine = o.active and o.trained is not None and o.trained <= day
            if fine and not o.conflict:
                continue  # NOTE: the usual case, decided before any text
            as_en = f" (named as {role})" if role else ""
            as_zh = f"（{role_zh}）" if role else ""
            if not o.active:
                yield self.hit(
                    e, f"{who}{as_en} is suspended", f"{who}{as_zh}已被停职", [who]
                )
            if o.trained is None or o.trained > day:
                yield self.hit(
                    e,
                    f"{who}{as_en} has no secrecy training before {day}",
                    f"{who}{as_zh}在 {day} 前未接受保密培训",
                    [who],
                    fix=f"vaultctl roster train --id {who} --date <DATE> "
                    "--signer <SITE HEAD> --signer <OFFICER>",
                )
            if o.conflict:
                yield self.hit(
                    e,
                    f"{who}{as_en} declared an immediate relative sitting this exam",
                    f"{who}{as_zh}有直系亲属参加本次考试",
                    [who],
                )


@rule
class RosterAuth(Rule):
    """Every roster change is co-signed by the site head."""

    id = "ROSTER-AUTH"
    on = frozenset({"roster"})
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
    on = frozenset({"access"})
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
        if approver is None or not is_head(s, approver):
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
