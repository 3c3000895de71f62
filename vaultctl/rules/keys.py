"""Rules about keys and codes: split custody, recorded handovers, openings."""

from __future__ import annotations

from collections.abc import Iterator

from vaultctl.rules import Finding, Rule, rule
from vaultctl.state import Event, Item, State, target_of


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
        if not (s.officer_has(to, "site_head") or s.officer_has(to, "room_head")):
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
            roles = {
                r
                for w in (to, holder)
                for r in ("site_head", "room_head")
                if s.officer_has(w, r)
            }
            if roles != {"site_head", "room_head"}:
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
    """A door or cabinet is opened only with two present, one of them the room
    head, and by the holders of its keys and codes."""

    id = "OPENING"
    title = "Two present, the room head and the key holders, to open"
    title_zh = "开启须两人在场且含保密室负责人"
    clause = "四.六, 五.3"
    example_ok = (
        "`open --cabinet C1 --signer O-001 --signer O-002` (they hold its keys)."
    )
    example_bad = "`open --door D1 --signer O-003 --signer O-004` (no room head)."

    def step(self, e: Event, s: State) -> Iterator[Finding]:
        if e.type != "open":
            return
        present = set(e.signers) | set(e.body["present"])
        what = target_of(e.body)
        kind, target = what.split(":", 1)
        if len(present) < 2:
            yield self.hit(
                e,
                f"{what} opened with fewer than two present",
                f"{what} 开启时在场不足两人",
            )
        if not any(s.officer_has(w, "room_head") for w in present):
            yield self.hit(
                e,
                f"{what} opened without the room head present",
                f"{what} 开启时保密室负责人不在场",
            )
        for item in s.items_of(kind, target):
            holder = s.holders.get(item.id)
            if holder not in present:
                yield self.hit(
                    e,
                    f"{what} opened without {item.id}'s holder "
                    f"({holder or 'nobody holds it'})",
                    f"{what} 开启时 {item.id} 的保管人（{holder or '无'}）不在场",
                )
