"""The roster in force: officers, their roles and keys, replayed from the log.

Built from the genesis body and changed by ``roster`` entries, in log order.
A key revoked by the entry at seq N signs nothing after N, whatever ``ts`` a
later entry claims: a backdated entry cannot bring a revoked key back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vaultctl.core import keys
from vaultctl.core.i18n import N_
from vaultctl.core.messages import Text


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
        raw = keys.ref_raw(ref)
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
                {
                    "key": k.key_id,
                    "public_key": keys.format_public_key(k.raw),
                    "revoked": k.revoked,
                }
                for k in self.keys.values()
            ],
            "trained": self.trained,
            "conflict": self.conflict,
            "active": self.active,
        }


class Roster:
    """Officers by id; ``apply`` replays one roster entry that passed ``problem``."""

    def __init__(self, officers: list[dict[str, Any]], demo: bool = False) -> None:
        self.demo = demo  # NOTE: a demonstration site accepts published demo keys
        self.officers: dict[str, Officer] = {}
        for obj in officers:
            officer = Officer.from_body(obj)
            self.officers[officer.id] = officer

    def get(self, officer_id: str) -> Officer | None:
        return self.officers.get(officer_id)

    def signing_keys(self) -> dict[str, list[bytes]]:
        """Raw keys that may sign now: unrevoked keys of active officers."""
        return {
            o.id: [k.raw for k in o.keys.values() if not k.revoked]
            for o in self.officers.values()
            if o.active
        }

    def ever_keys(self) -> dict[str, list[bytes]]:
        """Every key each officer ever held, revoked or not."""
        return {o.id: [k.raw for k in o.keys.values()] for o in self.officers.values()}

    def owner_of(self, raw: bytes) -> str | None:
        """The officer who holds (or once held) this key, or its twin -A."""
        point = keys.point_id(raw)
        for officer in self.officers.values():
            if any(keys.point_id(k.raw) == point for k in officer.keys.values()):
                return officer.id
        return None

    def problem(self, body: dict[str, Any]) -> str | None:
        """Why this roster change cannot be applied, if it cannot (verify reports
        it as bad-schema; the CLI refuses it): an officer added twice, a key
        reused or brought back after revocation, an unknown officer or key."""
        action = body["action"]
        if action == "add":
            new = body["officer"]
            if new["id"] in self.officers:
                return f"{new['id']} is already on the roster"
            demo = self._demo_problem(new["id"], new["keys"])
            if demo:
                return demo
            variable = keys.passphrase_variable(new["id"])
            for other in self.officers:
                if keys.passphrase_variable(other) == variable:
                    return (
                        f"{new['id']} and {other} would share {variable}; "
                        "choose an id that differs in letters or digits"
                    )
            return self._keys_problem(new["keys"])
        officer = self.officers.get(body["id"])
        if officer is None:
            return f"{body['id']} is not on the roster"
        if action == "add-key":
            return self._demo_problem(body["id"], [body["key"]]) or self._keys_problem(
                [body["key"]]
            )
        if action == "revoke-key":
            record = officer.keys.get(body["key"])
            if record is None:
                return (
                    f"key {body['key']} is not a key of {officer.id} "
                    f"(its keys: {', '.join(officer.keys)})"
                )
            if record.revoked:
                return f"key {body['key']} of {officer.id} is already revoked"
        return None

    def _demo_problem(self, officer_id: str, refs: list[dict[str, str]]) -> str | None:
        ref = None if self.demo else keys.demo_key_among(officer_id, refs)
        if ref is None:
            return None
        return Text(
            N_(
                "{officer_id}'s key {key} is a published demo key: "
                "a real site cannot use it"
            ),
            officer_id=officer_id,
            key=ref["key"],
        )

    def _keys_problem(self, refs: list[dict[str, str]]) -> str | None:
        seen: set[bytes] = set()
        for ref in refs:
            problem = keys.key_ref_problem(ref)
            if problem:
                return problem
            raw = keys.ref_raw(ref)
            owner = self.owner_of(raw)
            if owner is not None:
                # NOTE: "ever held" covers revoked keys: revocation is final
                return f"key {ref['key']} is already a key of {owner}"
            # NOTE: A and -A in one list would survive the revocation of one
            if keys.point_id(raw) in seen:
                return f"key {ref['key']} is listed twice (as A and -A)"
            seen.add(keys.point_id(raw))
        return None

    def apply(self, body: dict[str, Any]) -> None:
        action = body["action"]
        if action == "add":
            added = Officer.from_body(body["officer"])
            self.officers[added.id] = added
            return
        officer = self.officers[body["id"]]
        if action in ("suspend", "reinstate"):
            officer.active = action == "reinstate"
        elif action == "add-key":
            officer.add_key(body["key"])
        elif action == "revoke-key":
            officer.keys[body["key"]].revoked = True
        elif action == "train":
            officer.trained = body["date"]
        elif action == "declare":
            officer.conflict = body["conflict"]
