"""The state of the paper room, built by replaying entries in log order (pure).

One model, read by ``status``, by the write-time checks and by the rules:
the site as declared in the genesis, and what changed since (keys held, the
shift on duty, packets in stock or out, cameras, people inside, open doors).
``apply`` never refuses: an entry recorded with ``--force`` still happened.
"""

from __future__ import annotations

import copy
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from vaultctl.core.model import parse_ts
from vaultctl.core.roster import Roster


class Event(Protocol):
    """What rules and state read of an entry (an Entry, or a draft before signing)."""

    @property
    def seq(self) -> int: ...

    @property
    def ts(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def body(self) -> dict[str, Any]: ...

    @property
    def moment(self) -> datetime: ...

    @property
    def signers(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Draft:
    """An entry not yet signed: what the write-time checks look at."""

    seq: int
    ts: str
    type: str
    body: dict[str, Any]
    signers: tuple[str, ...]
    moment: datetime = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "moment", parse_ts(self.ts))


@dataclass(frozen=True, slots=True)
class Item:
    """A physical key or a code, and the door or cabinet it opens."""

    id: str
    kind: str  # "door" | "cabinet"
    target: str
    room: str
    is_code: bool = False


@dataclass(slots=True)
class Packet:
    """A sealed packet and where it is now."""

    id: str
    subject: str
    session: str
    kind: str
    seal: str
    intact: bool
    where: str = "stock"  # stock | issued | dispatched
    exam_room: str | None = None
    seq: int = 0  # the entry that last moved it
    holder: str | None = None  # the invigilator it was issued to

    @classmethod
    def came_in(
        cls, p: dict[str, Any], seq: int, exam_room: str | None = None
    ) -> Packet:
        """A packet as a receipt or return body lists it, now in stock."""
        return cls(
            p["id"],
            p["subject"],
            p["session"],
            p["kind"],
            p["seal"],
            p["intact"],
            exam_room=exam_room,
            seq=seq,
        )


@dataclass(frozen=True, slots=True)
class Dispatched:
    """A packet that has left the site (issue 24: of those only a keyed 64-bit
    digest of the id is kept, so the state stays small however long the log)."""

    id: str
    where: str = "dispatched"


@dataclass(slots=True)
class Shift:
    id: str
    leader: str
    members: tuple[str, ...]
    since: datetime
    away: set[str] = field(default_factory=set)

    @property
    def on_site(self) -> tuple[str, ...]:
        return tuple(m for m in self.members if m not in self.away)


class State:
    """Everything known after the entries applied so far."""

    def __init__(self) -> None:
        self.genesis: dict[str, Any] | None = None
        self.roster = Roster([])
        self.log: str | None = None
        self.head: str | None = None
        self.genesis_hash: str | None = None  # what the exam centre pins
        self.seq = -1
        self.entries = 0
        self.last: Event | None = None
        self.latest: datetime | None = None  # the latest ts seen so far
        self.tz: ZoneInfo | None = None
        self.items: dict[str, Item] = {}
        self.doors: dict[str, str] = {}  # door -> room
        self.cabinets: dict[str, str] = {}  # cabinet -> room
        self.sessions: dict[str, dict[str, Any]] = {}
        self.cameras: dict[str, str] = {}  # camera -> on | off | fault | unknown
        self.holders: dict[str, str | None] = {}
        self.inspections: dict[str, tuple[str, tuple[str, ...], datetime]] = {}
        self.shift: Shift | None = None
        self.packets: dict[str, Packet] = {}  # in stock or issued
        # NOTE: dispatched packets, as keyed digests of their ids (see _gone):
        # 8 bytes of information each instead of a Packet
        self.closed: set[int] = set()
        # NOTE: the ids of packets in stock, kept with ``packets`` by the four
        # handlers that move one, so "any papers in the room?" is O(1) however
        # many packets went through the room before
        self.stocked: set[str] = set()
        self.inside: dict[str, int] = {}  # person -> seq of their enter entry
        self.opened: dict[str, int] = {}  # "door:D1" -> seq of the opening
        self.incidents: list[dict[str, Any]] = []
        self.segments: list[dict[str, Any]] = []
        self.evidence: list[dict[str, Any]] = []  # files bound by attachments

    # NOTE: never changed in place once written (replaced or appended to, and
    # their items immutable): a copy (Engine.preview) copies them shallowly,
    # so an append does not cost a walk over every packet ever dispatched
    _SHALLOW = frozenset({"genesis", "closed", "evidence", "segments", "incidents"})

    def __deepcopy__(self, memo: dict[int, Any]) -> State:
        new = State.__new__(State)
        memo[id(self)] = new
        for name, value in vars(self).items():
            shallow = name in self._SHALLOW
            setattr(
                new, name, copy.copy(value) if shallow else copy.deepcopy(value, memo)
            )
        return new

    # --- reading -----------------------------------------------------------
    @property
    def site(self) -> dict[str, Any]:
        return self.genesis["site"] if self.genesis else {}

    @property
    def policy(self) -> dict[str, Any]:
        return self.genesis["policy"] if self.genesis else {"params": {}, "levels": {}}

    @property
    def rooms(self) -> list[str]:
        return [r["id"] for r in self.genesis["rooms"]] if self.genesis else []

    def packet(self, pid: str) -> Packet | Dispatched | None:
        """Packet ``pid`` as the room knows it: here or out in an exam room, gone
        with the centre's courier, or never received."""
        found = self.packets.get(pid)
        if found is not None:
            return found
        return Dispatched(pid) if self._gone(pid) in self.closed else None

    def _gone(self, pid: str) -> int:
        """A dispatched packet's id as kept: 64 bits of BLAKE2b keyed with the
        log id. A collision can only make an id read as dispatched (a finding
        worded "dispatched before" or "not in stock (dispatched)" where
        "never received" was due), never hide one; hitting a given id takes
        2**64 tries (docs/design.md §8)."""
        key = (self.log or "").encode()
        digest = hashlib.blake2b(pid.encode(), digest_size=8, key=key)
        return int.from_bytes(digest.digest(), "little")

    def has_stock(self) -> bool:
        """Are any papers in the room? (cheaper than ``in_stock`` for a yes/no)"""
        return bool(self.stocked)

    def in_stock(self) -> list[Packet]:
        return [p for p in self.packets.values() if p.where == "stock"]

    def stock_counts(self) -> Counter[tuple[str, str, str]]:
        return Counter((p.subject, p.session, p.kind) for p in self.in_stock())

    def held_by(self, officer_id: str) -> list[Item]:
        return [
            self.items[i]
            for i, who in self.holders.items()
            if who == officer_id and i in self.items
        ]

    def items_of(self, kind: str, target: str) -> list[Item]:
        return [i for i in self.items.values() if i.kind == kind and i.target == target]

    def known(self, kind: str) -> list[str]:
        """The ids of one kind declared so far: officer, room, door, cabinet, item,
        camera, session, packet."""
        table: dict[str, Any] = {
            "officer": self.roster.officers,
            "room": self.rooms,
            "door": self.doors,
            "cabinet": self.cabinets,
            "item": self.items,
            "camera": self.cameras,
            "session": self.sessions,
            "packet": self.packets,
        }
        return sorted(table[kind])

    def officer_has(self, officer_id: str, role: str) -> bool:
        officer = self.roster.get(officer_id)
        return officer is not None and officer.has_role(role)

    # --- replay ------------------------------------------------------------
    def apply(self, entry: Event) -> None:
        """Fold one entry into the state."""
        handler = getattr(self, "_on_" + entry.type.replace("-", "_"), None)
        if handler is not None:
            handler(entry, entry.body)
        for att in entry.body.get("attachments", ()):
            self.evidence.append({**att, "seq": entry.seq})
        self.head = getattr(entry, "hash", None)
        self.seq = entry.seq
        self.entries += 1
        self.last = entry
        if self.latest is None or entry.moment > self.latest:
            self.latest = entry.moment

    def _on_genesis(self, entry: Event, body: dict[str, Any]) -> None:
        if self.genesis is not None:
            return
        self.genesis = body
        self.roster = Roster(body["officers"], bool(body["site"].get("demo", False)))
        self.tz = ZoneInfo(body["site"]["timezone"])
        self.log = getattr(entry, "log", None)
        self.genesis_hash = getattr(entry, "hash", None)
        for room in body["rooms"]:
            for door in room["doors"]:
                self.doors[door["id"]] = room["id"]
                for key in door["keys"]:
                    self.items[key] = Item(key, "door", door["id"], room["id"])
        for cab in body["cabinets"]:
            self.cabinets[cab["id"]] = cab["room"]
            for key in cab["keys"]:
                self.items[key] = Item(key, "cabinet", cab["id"], cab["room"])
            for code in cab["codes"]:
                self.items[code] = Item(code, "cabinet", cab["id"], cab["room"], True)
        self.holders = dict.fromkeys(self.items)
        self.sessions = {s["id"]: s for s in body["sessions"]}
        self.cameras = {c["id"]: "unknown" for c in body["cameras"]}

    def _on_roster(self, entry: Event, body: dict[str, Any]) -> None:
        if self.roster.problem(body) is None:  # NOTE: verify reports the others
            self.roster.apply(body)

    def _on_inspection(self, entry: Event, body: dict[str, Any]) -> None:
        self.inspections[body["room"]] = (body["result"], entry.signers, entry.moment)

    def _on_custody(self, entry: Event, body: dict[str, Any]) -> None:
        if body["item"] in self.items:  # NOTE: an undeclared item is a finding
            self.holders[body["item"]] = body.get("to")  # return: no "to" -> None

    def _on_shift(self, entry: Event, body: dict[str, Any]) -> None:
        if body["action"] == "end":
            self.shift = None
        else:
            self.shift = Shift(
                body["shift"], body["leader"], tuple(body["members"]), entry.moment
            )

    def _on_presence(self, entry: Event, body: dict[str, Any]) -> None:
        if self.shift is not None:
            if body["action"] == "leave":
                self.shift.away.add(body["member"])
            else:
                self.shift.away.discard(body["member"])

    def _on_access(self, entry: Event, body: dict[str, Any]) -> None:
        if body["action"] == "enter":
            self.inside[body["person"]] = entry.seq
        else:
            self.inside.pop(body["person"], None)

    def _on_open(self, entry: Event, body: dict[str, Any]) -> None:
        self.opened[target_of(body)] = entry.seq

    def _on_close(self, entry: Event, body: dict[str, Any]) -> None:
        self.opened.pop(target_of(body), None)

    def _on_receipt(self, entry: Event, body: dict[str, Any]) -> None:
        for p in body["packets"]:
            self.packets[p["id"]] = Packet.came_in(p, entry.seq)
            self.closed.discard(self._gone(p["id"]))
            self.stocked.add(p["id"])

    def _on_issue(self, entry: Event, body: dict[str, Any]) -> None:
        for moved in body["packets"]:
            packet = self.packets.get(moved["id"])
            if packet is not None:
                packet.where, packet.exam_room, packet.seq = (
                    "issued",
                    body["exam_room"],
                    entry.seq,
                )
                packet.holder = body["to"]
                self.stocked.discard(packet.id)

    def _on_return(self, entry: Event, body: dict[str, Any]) -> None:
        for p in body["packets"]:
            old = self.packets.get(p["id"])
            self.packets[p["id"]] = Packet.came_in(
                p, entry.seq, old.exam_room if old else None
            )
            self.closed.discard(self._gone(p["id"]))
            self.stocked.add(p["id"])

    def _on_dispatch(self, entry: Event, body: dict[str, Any]) -> None:
        for moved in body["packets"]:
            packet = self.packets.pop(moved["id"], None)
            if packet is not None:
                self.closed.add(self._gone(packet.id))
                self.stocked.discard(packet.id)

    def _on_cctv(self, entry: Event, body: dict[str, Any]) -> None:
        if body["action"] in ("on", "off", "fault"):
            self.cameras[body["camera"]] = body["action"]
        elif body["action"] == "segment":
            self.segments.append(
                {
                    **body,
                    "seq": entry.seq,
                    "ts": entry.ts,
                    "signers": list(entry.signers),
                }
            )

    def _on_incident(self, entry: Event, body: dict[str, Any]) -> None:
        self.incidents.append(
            {
                "seq": entry.seq,
                "ts": entry.ts,
                "kind": body["kind"],
                "refs": body["refs"],
                "text": body["text"],
            }
        )
        del self.incidents[:-KEEP_INCIDENTS]

    def summary(self) -> dict[str, Any]:
        """The state at the end, as ``status --json`` and ``verify --json`` show it."""
        return {
            "site": self.site.get("id"),
            "seq": self.seq,
            "head": self.head,
            "genesis": self.genesis_hash,
            "last_ts": self.last.ts if self.last else None,
            "stock": [
                {"subject": s, "session": ss, "kind": k, "packets": n}
                for (s, ss, k), n in sorted(self.stock_counts().items())
            ],
            "out": sorted(p.id for p in self.packets.values() if p.where == "issued"),
            "keys": dict(sorted(self.holders.items())),
            "on_duty": _shift_dict(self.shift),
            "inside": sorted(self.inside),
            "open": sorted(self.opened),
            "cctv": dict(sorted(self.cameras.items())),
            "incidents": list(self.incidents),
        }


# NOTE: the latest incidents are what status and the pages list; older ones
# stay in the log (and in the rules' own memory while they are owed)
KEEP_INCIDENTS = 20


def target_of(body: dict[str, Any]) -> str:
    return f"door:{body['door']}" if "door" in body else f"cabinet:{body['cabinet']}"


def _shift_dict(shift: Shift | None) -> dict[str, Any] | None:
    if shift is None:
        return None
    return {
        "shift": shift.id,
        "leader": shift.leader,
        "members": list(shift.members),
        "on_site": list(shift.on_site),
        "since": shift.since.isoformat(),
    }


def replay(entries: Any) -> State:
    state = State()
    for entry in entries:
        state.apply(entry)
    return state
