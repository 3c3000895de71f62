"""Rules about keys and codes: split custody, recorded handovers, openings."""

from __future__ import annotations

from collections.abc import Iterator

from vaultctl.rules import Finding, Rule, rule
from vaultctl.rules.people import HEADS, is_head
from vaultctl.rules.state import Event, Item, State, target_of


def _same_lock_group(a: Item, b: Item) -> bool:
    # NOTE: all doors of one room form its door pair (四.六); a cabinet is its own group
    if a.kind != b.kind:
        return False
    return a.room == b.room if a.kind == "door" else a.target == b.target


@rule
class KeySplit(Rule):
    """No person holds two keys or codes of the same door pair or the same cabinet
    at once."""

    id = "KEY-SPLIT"
    on = frozenset({"custody"})
    title = "Keys of one lock group held by different people"
    title_zh = "同组钥匙须分人保管"
    clause = "第二篇(二), 四.六, 五.3"
    example_ok = "K-D1 held by O-002, K-D2 held by O-003."
    example_bad = "`custody assign --item K-D2 --to O-002` while O-002 holds K-D1."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if e.type != "custody" or "to" not in e.body:
            return
        item = s.items.get(e.body["item"])
        to = e.body["to"]
        for other in s.held_by(to):
            if (
                item is not None
                and other.id != item.id
                and _same_lock_group(item, other)
            ):
                yield self.hit(
                    e,
                    f"{to} would hold both {other.id} and {item.id}",
                    f"{to} 将同时保管 {other.id} 和 {item.id}",
                    [to],
                )


@rule
class CabinetKeys(Rule):
    """The two keys of each paper cabinet are held by the site head and the room
    head, one each."""

    id = "CABINET-KEYS"
    on = frozenset({"custody"})
    title = "Cabinet keys held by the site head and the room head"
    title_zh = "铁柜钥匙由考点负责人和保密室负责人分别保管"
    clause = "职责6"
    example_ok = "K-C1-A to O-001 (site head), K-C1-B to O-002 (room head)."
    example_bad = "`custody assign --item K-C1-A --to O-003` (a custodian)."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        item = s.items.get(e.body.get("item", "")) if e.type == "custody" else None
        to = e.body.get("to")
        if item is None or item.kind != "cabinet" or item.is_code or to is None:
            return
        if not is_head(s, to):
            yield self.hit(
                e,
                f"cabinet key {item.id} given to {to}, who is neither "
                "site head nor room head",
                f"铁柜钥匙 {item.id} 交给了 {to}，其既非考点负责人也非保密室负责人",
                [to],
            )
            return
        for other in s.items_of("cabinet", item.target):
            holder = s.holders.get(other.id)
            if other.id == item.id or other.is_code or holder in (None, to):
                continue
            roles = {r for w in (to, holder) for r in HEADS if s.officer_has(w, r)}
            if roles != set(HEADS):
                yield self.hit(
                    e,
                    f"keys of {item.target} held by {to} and {holder}, "
                    "not by the site head and the room head",
                    f"{item.target} 的钥匙由 {to} 和 {holder} 保管，"
                    "而非考点负责人和保密室负责人",
                    [to, holder],
                )


@rule
class KeyTransfer(Rule):
    """A key or code changes hands only by a recorded handover from its current
    holder, signed by giver and receiver; nobody holds one on another's behalf."""

    id = "KEY-TRANSFER"
    on = frozenset({"custody"})
    title = "Keys change hands only by recorded handover"
    title_zh = "钥匙须当面交接、不得代管"
    clause = "第二篇(二), 职责6"
    example_ok = (
        "`custody handover --item K-D1 --from O-002 --to O-004 "
        "--signer O-002 --signer O-004`."
    )
    example_bad = "`custody handover --item K-D1 --from O-003 …` while O-002 holds it."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if e.type != "custody":
            return
        b = e.body
        if b["item"] not in s.items:
            yield self.hit(
                e,
                f"{b['item']} is not a key or code of this site",
                f"{b['item']} 不是本考点登记的钥匙或密码",
            )
            return
        holder = s.holders.get(b["item"])
        if b["action"] == "assign" and holder is not None:
            yield self.hit(
                e,
                f"{b['item']} is held by {holder}; it can only be handed over by them",
                f"{b['item']} 由 {holder} 保管，只能由其本人交接",
            )
        if b["action"] != "assign" and b["from"] != holder:
            yield self.hit(
                e,
                f"{b['from']} hands over {b['item']}, but its holder "
                f"is {holder or 'nobody'}",
                f"{b['from']} 交出 {b['item']}，但保管人是 {holder or '无人'}",
            )
        for party in (b.get("from"), b.get("to")):
            if party is not None and party not in e.signers:
                yield self.hit(
                    e,
                    f"{party} did not sign the custody of {b['item']} "
                    "(held on another's behalf)",
                    f"{party} 未在 {b['item']} 交接上签名（代管）",
                    [party],
                )


@rule
class Opening(Rule):
    """A door or cabinet is opened only by two who sign, one of them the room
    head, and the holders of its keys and codes among them: a name given as
    ``--present`` is a witness on record, never a signature. An older log in
    which the room head or a key holder was only named present gets a
    finding here: what was signed is what counts."""

    id = "OPENING"
    on = frozenset({"open"})
    title = "Two sign to open: the room head and the key holders"
    title_zh = "开启须两人签名，含保密室负责人及钥匙保管人"
    clause = "四.六, 五.3, 职责6"
    example_ok = (
        "`open --cabinet C1 --signer O-001 --signer O-002` (they hold its keys)."
    )
    example_bad = (
        "`open --door D1 --present O-002 --signer O-005 --signer O-006` "
        "(the room head only named present)."
    )

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if e.type != "open":
            return
        signed = set(e.signers)
        what = target_of(e.body)
        kind, target = what.split(":", 1)
        if len(signed) < 2:
            yield self.hit(
                e,
                f"{what} opened with fewer than two signing",
                f"{what} 开启时签名不足两人",
            )
        if not any(s.officer_has(w, "room_head") for w in signed):
            named = [w for w in e.body["present"] if s.officer_has(w, "room_head")]
            how = f" ({', '.join(named)} only named present)" if named else ""
            how_zh = f"（{'、'.join(named)} 仅被列为在场）" if named else ""
            yield self.hit(
                e,
                f"{what} opened without the room head signing{how}",
                f"{what} 开启时保密室负责人未签名{how_zh}",
            )
        for item in s.items_of(kind, target):
            holder = s.holders.get(item.id)
            if holder is None:
                yield self.hit(
                    e,
                    f"{what} opened, but nobody holds {item.id}",
                    f"{what} 开启，但 {item.id} 无人保管",
                    fix=f"vaultctl custody assign --item {item.id} --to <OFFICER>",
                )
            elif holder not in signed:
                yield self.hit(
                    e,
                    f"{what} opened without {item.id}'s holder {holder} signing",
                    f"{what} 开启时 {item.id} 的保管人 {holder} 未签名",
                )


# NOTE: who may hold a door key, a cabinet key or a code (第二篇(二): keys go to
# the paper room's staff; 职责6): never a courier, an invigilator or an inspector
KEY_ROLES = ("custodian", "room_head", "site_head")


@rule
class KeyRole(Rule):
    """Keys and codes go only to officers whose role lets them hold one: a
    custodian, the room head or the site head (a fixed list: policy
    parameters are numbers), never a courier, an invigilator or an
    inspector."""

    id = "KEY-ROLE"
    on = frozenset({"custody"})
    title = "Keys and codes only to custodians and heads"
    title_zh = "钥匙与密码只交保管人员及负责人"
    clause = "第二篇(二), 职责6"
    example_ok = "`custody handover --item K-D2 --from O-003 --to O-005` (custodian)."
    example_bad = "`custody handover --item K-D2 --from O-003 --to O-301` (courier)."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        to = e.body.get("to") if e.type == "custody" else None
        if to is None or s.roster.get(to) is None:
            return
        if not any(s.officer_has(to, r) for r in KEY_ROLES):
            roles = ", ".join(s.roster.officers[to].roles)
            yield self.hit(
                e,
                f"{e.body['item']} given to {to} ({roles}), who may not hold keys "
                "or codes (custodians, room head, site head only)",
                f"{e.body['item']} 交给了 {to}（{roles}），其不得保管钥匙或密码"
                "（仅限保管人员、保密室负责人、考点负责人）",
                [to],
            )


def _duty_items(s: State, who: str) -> list[Item]:
    """Door keys and codes held by ``who`` (cabinet keys stay with the heads)."""
    return [i for i in s.held_by(who) if i.kind == "door" or i.is_code]


@rule
class KeyDuty(Rule):
    """At a shift handover, every door key and code held by an outgoing member
    who is not a head is handed over, in the custody entries that follow the
    handover (before any other entry)."""

    id = "KEY-DUTY"
    title = "Keys go with the duty: handed over at every shift change"
    title_zh = "交接班时钥匙与密码随班交接"
    clause = "第二篇(二), 五.2, 职责6"
    example_ok = (
        "`shift handover …` then `custody handover --item K-D2 --from O-003 "
        "--to O-005` and the same for CODE-C2."
    )
    example_bad = "O-003 goes off duty at 16:00 and still holds K-D2 at 16:30."

    def reset(self) -> None:
        self.handover: Event | None = None
        self.outgoing: tuple[str, ...] = ()
        self.incoming = ""

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if self.handover is not None and e.type != "custody":
            yield from self._check(e, s)
            self.handover = None
        if e.type == "shift" and e.body["action"] == "handover" and s.shift:
            staying = {e.body["leader"], *e.body["members"]}
            self.handover, self.incoming = e, e.body["leader"]
            self.outgoing = tuple(
                dict.fromkeys(
                    w for w in (s.shift.leader, *s.shift.members) if w not in staying
                )
            )

    def end(self, s: State) -> Iterator[Finding]:
        if self.handover is not None:
            yield from self._check(None, s)

    def _check(self, e: Event | None, s: State) -> Iterator[Finding]:
        assert self.handover is not None  # noqa: S101 - callers check
        for who in self.outgoing:
            if is_head(s, who):
                continue
            kept = _duty_items(s, who)
            if not kept:
                continue
            ids = ", ".join(i.id for i in kept)
            yield self.hit(
                e,
                f"{who} went off duty at the handover #{self.handover.seq} and "
                f"still holds {ids}",
                f"{who} 已于 #{self.handover.seq} 交班，仍持有 {ids}",
                [who],
                s,
                fix=[
                    f"vaultctl custody handover --item {i.id} --from {who} "
                    f"--to {self.incoming} --signer {who} --signer {self.incoming}"
                    for i in kept
                ],
            )
