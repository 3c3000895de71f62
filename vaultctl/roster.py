"""The roster in force: officers, their roles and keys, replayed from the log.

Built from the genesis body and changed by ``roster`` entries, in log order.
A key revoked by the entry at seq N signs nothing after N, whatever ``ts`` a
later entry claims: a backdated entry cannot bring a revoked key back.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class KeyRecord:
    """One public key of one officer and whether it still counts."""

    key_id: str
    raw: bytes
    revoked: bool = False


@dataclass(slots=True)
class Officer:
    """An officer on the roster, as replayed so far."""

    id: str
    name: str
    roles: tuple[str, ...]
    keys: dict[str, KeyRecord] = field(default_factory=dict)
    trained: str | None = None
    conflict: bool = False
    active: bool = True

    @classmethod
    def from_body(cls, obj: dict[str, Any]) -> Officer:
        officer = cls(
            id=obj["id"],
            name=obj["name"],
            roles=tuple(obj["roles"]),
            trained=obj.get("trained"),
            conflict=obj["conflict"],
        )
        for ref in obj["keys"]:
            officer.add_key(ref)
        return officer

    def add_key(self, ref: dict[str, Any]) -> None:
        raw = base64.b64decode(ref["public_key"].removeprefix("ed25519:"))
        self.keys[ref["key"]] = KeyRecord(key_id=ref["key"], raw=raw)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def public(self) -> dict[str, Any]:
        """The public roster record (no secrets exist here to leave out)."""
        return {
            "id": self.id,
            "name": self.name,
            "roles": list(self.roles),
            "keys": [
                {"key": k.key_id, "revoked": k.revoked} for k in self.keys.values()
            ],
            "trained": self.trained,
            "conflict": self.conflict,
            "active": self.active,
        }


class Roster:
    """Officers by id; ``apply`` replays one (already verified) roster entry."""

    def __init__(self, officers: list[dict[str, Any]]) -> None:
        self.officers: dict[str, Officer] = {}
        for obj in officers:
            officer = Officer.from_body(obj)
            self.officers[officer.id] = officer

    def get(self, officer_id: str) -> Officer | None:
        return self.officers.get(officer_id)

    def with_role(self, role: str) -> list[Officer]:
        return [o for o in self.officers.values() if o.has_role(role)]

    def apply(self, body: dict[str, Any]) -> None:
        action = body["action"]
        if action == "add":
            added = Officer.from_body(body["officer"])
            self.officers[added.id] = added
            return
        officer = self.officers.get(body["id"])
        if officer is None:
            return  # NOTE: the write check refuses this; verify reports it
        if action in ("suspend", "reinstate"):
            officer.active = action == "reinstate"
        elif action == "add-key":
            officer.add_key(body["key"])
        elif action == "revoke-key" and body["key"] in officer.keys:
            officer.keys[body["key"]].revoked = True
        elif action == "train":
            officer.trained = body["date"]
        elif action == "declare":
            officer.conflict = body["conflict"]
