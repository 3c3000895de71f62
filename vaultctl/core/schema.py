"""Body schemas of every entry type: one small declarative table, one checker.

A schema is a dict of field name to type spec; a name starting with ``?`` is
optional. Type specs: ``str``, ``int``, ``bool``, ``"date"`` (YYYY-MM-DD),
``"ts"`` (a stored time), a tuple of allowed strings, ``[spec]`` (a list),
``{"*": spec}`` (a map with string keys) or a nested schema dict.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any

from vaultctl.core.errors import SchemaError
from vaultctl.core.model import HEX64_RE, KEY_ID_RE, OFFICER_RE, parse_ts

DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
PUBLIC_KEY_RE = re.compile(r"ed25519:[A-Za-z0-9+/]{43}=")
ROLES = (
    "site_head",
    "room_head",
    "custodian",
    "security",
    "invigilator",
    "secrecy_inspector",
    "police_inspector",
    "courier",
)
LEVELS = ("error", "warn", "off")
# NOTE: kinds that describe an event, whose time the incident must give
EVENT_KINDS = ("leak", "theft", "intrusion")
INCIDENT_KINDS = (
    "seal-broken",
    "count-mismatch",
    "leak",
    "theft",
    "intrusion",
    "cctv-fault",
    "other",
)
# NOTE: why a member leaves (issue 20); "home" while on duty breaks 职责3
LEAVE_KINDS = ("meal", "toilet", "patrol", "errand", "home", "other")

KEY_REF = {"key": "key_id", "public_key": "public_key"}
OFFICER = {
    "id": "officer",
    "name": str,
    "roles": [ROLES],
    "keys": [KEY_REF],
    "?trained": "date",
    "conflict": bool,
}
GENESIS = {
    "site": {
        "id": str,
        "name": str,
        "exam": str,
        "timezone": str,
        "exam_start": "date",
        "exam_end": "date",
        "?demo": bool,  # NOTE: a demonstration: published demo keys allowed
    },
    "policy": {"params": {"*": int}, "levels": {"*": LEVELS}},
    "officers": [OFFICER],
    "rooms": [
        {"id": str, "name": str, "doors": [{"id": str, "?name": str, "keys": [str]}]}
    ],
    "cabinets": [{"id": str, "room": str, "keys": [str], "codes": [str]}],
    "cameras": [{"id": str, "room": str}],
    "sessions": [
        {
            "id": str,
            "subject": str,
            "start": "ts",
            "end": "ts",
            "exam_rooms": {"*": "officer"},
        }
    ],
}
# NOTE: files bound to an entry (issue 21): copied to evidence/<sha256>
ATTACHMENT = {"name": str, "size": int, "sha256": "sha256"}
NOTE = {"?note": str, "?attachments": [ATTACHMENT]}

# roster bodies are told apart by "action"
ROSTER = {
    "add": {"action": str, "officer": OFFICER, **NOTE},
    "suspend": {"action": str, "id": "officer", "?reason": str, **NOTE},
    "reinstate": {"action": str, "id": "officer", "?reason": str, **NOTE},
    "add-key": {"action": str, "id": "officer", "key": KEY_REF, **NOTE},
    "revoke-key": {
        "action": str,
        "id": "officer",
        "key": "key_id",
        "reason": str,
        **NOTE,
    },
    "train": {"action": str, "id": "officer", "date": "date", **NOTE},
    "declare": {"action": str, "id": "officer", "conflict": bool, **NOTE},
}

PACKET = {
    "id": str,
    "subject": str,
    "session": str,
    "kind": ("paper", "answer-sheet"),
    "seal": str,
    "intact": bool,
}
MOVED = {"id": str, "?seal": str}  # a packet leaving: its id, the seal seen if read
CCTV_FLAG = {"cctv": bool}

BODIES: dict[str, dict[str, Any]] = {
    "genesis": GENESIS,
    "note": {"text": str, **NOTE},
    "amend": {"seq": int, "text": str, **NOTE},
    "inspection": {"room": str, "result": ("pass", "fail"), "items": [str], **NOTE},
    "presence": {
        "action": ("leave", "return"),
        "member": "officer",
        "?reason": str,
        "?kind": LEAVE_KINDS,
        **NOTE,
    },
    "access": {
        "action": ("enter", "exit"),
        "person": str,
        "room": str,
        "?approver": "officer",
        "?purpose": str,
        "?escort": "officer",
        **NOTE,
    },
    "open": {"?door": str, "?cabinet": str, "present": ["officer"], **NOTE},
    "close": {"?door": str, "?cabinet": str, **NOTE},
    "receipt": {
        "from": str,
        "room": str,
        "packets": [PACKET],
        "count": int,
        "?expected": int,
        "?missing": [str],
        **CCTV_FLAG,
        **NOTE,
    },
    "issue": {
        "session": str,
        "exam_room": str,
        "to": "officer",
        "packets": [MOVED],
        "count": int,
        "seal_checked": bool,
        **CCTV_FLAG,
        **NOTE,
    },
    "return": {
        "session": str,
        "exam_room": str,
        "from": "officer",
        "packets": [PACKET],
        "count": int,
        **CCTV_FLAG,
        **NOTE,
    },
    "dispatch": {
        "to": str,
        "packets": [MOVED],
        "count": int,
        "seal_checked": bool,
        **CCTV_FLAG,
        **NOTE,
    },
    "patrol": {"items": [str], **NOTE},
    "incident": {
        "kind": INCIDENT_KINDS,
        "refs": [int],
        "text": str,
        "?occurred_at": "ts",  # NOTE: when it happened or was found (issue 21)
        "reported_to": str,
        "reported_at": "ts",
        **NOTE,
    },
}
VARIANTS: dict[str, dict[str, dict[str, Any]]] = {
    "roster": ROSTER,
    "custody": {
        "assign": {"action": str, "item": str, "to": "officer", **NOTE},
        "handover": {
            "action": str,
            "item": str,
            "from": "officer",
            "to": "officer",
            **NOTE,
        },
        "return": {"action": str, "item": str, "from": "officer", **NOTE},
    },
    "shift": {
        "start": {
            "action": str,
            "shift": str,
            "leader": "officer",
            "members": ["officer"],
            **NOTE,
        },
        "handover": {
            "action": str,
            "shift": str,
            "leader": "officer",
            "members": ["officer"],
            "from_shift": str,
            "from_leader": "officer",
            "?stock": int,  # NOTE: packets the incoming leader counted (issue 21)
            **NOTE,
        },
        "end": {"action": str, "shift": str, **NOTE},
    },
    "cctv": {
        "on": {"action": str, "camera": str, **NOTE},
        "off": {"action": str, "camera": str, **NOTE},
        "fault": {"action": str, "camera": str, **NOTE},
        "segment": {
            "action": str,
            "camera": str,
            "file": str,
            "sha256": "sha256",
            "size": int,
            "from": "ts",
            "to": "ts",
            **NOTE,
        },
        "delete-footage": {"action": str, "camera": str, "before": "ts", **NOTE},
    },
}
ENTRY_TYPES = tuple(sorted({*BODIES, *VARIANTS}))


def repeated(values: Iterable[str]) -> list[str]:
    """The values that occur more than once, sorted."""
    return sorted(v for v, n in Counter(values).items() if n > 1)


def check_body(entry_type: str, body: Any) -> None:
    """Raise :class:`SchemaError` unless ``body`` fits the schema of its type."""
    if entry_type in VARIANTS:
        variants = VARIANTS[entry_type]
        action = body.get("action") if isinstance(body, dict) else None
        if not isinstance(action, str) or action not in variants:
            raise SchemaError(
                f"body.action: expected one of {', '.join(variants)}, got {action!r}"
            )
        check(variants[action], body, "body")
    elif entry_type in BODIES:
        check(BODIES[entry_type], body, "body")
        if entry_type in ("open", "close") and ("door" in body) == ("cabinet" in body):
            raise SchemaError("body: expected exactly one of 'door', 'cabinet'")
    else:
        raise SchemaError(f"type: unknown entry type {entry_type!r}")


def check(spec: Any, value: Any, where: str) -> None:
    """Check ``value`` against one type spec; the error names the field."""
    if isinstance(spec, dict) and "*" in spec:
        _expect(isinstance(value, dict), where, "an object", value)
        for key, item in value.items():
            check(spec["*"], item, f"{where}.{key}")
    elif isinstance(spec, dict):
        _check_object(spec, value, where)
    elif isinstance(spec, list):
        _expect(isinstance(value, list), where, "a list", value)
        for i, item in enumerate(value):
            check(spec[0], item, f"{where}[{i}]")
    elif isinstance(spec, tuple):
        _expect(value in spec, where, "one of " + ", ".join(spec), value)
    else:
        _check_leaf(spec, value, where)


def _check_object(spec: dict[str, Any], value: Any, where: str) -> None:
    _expect(isinstance(value, dict), where, "an object", value)
    names, required = _fields(spec)
    for name in required:
        if name not in value:
            raise SchemaError(f"{where}: missing field {name!r}")
    for key, item in value.items():
        spec_key = names.get(key)
        if spec_key is None:
            raise SchemaError(f"{where}: unknown field {key!r}")
        check(spec[spec_key], item, f"{where}.{key}")


# NOTE: per object spec: field -> its key in the spec ("?name" when
# optional), and the required fields; the spec is kept too, so its id is
# never reused by another while cached
_FIELDS: dict[int, tuple[Any, dict[str, str], tuple[str, ...]]] = {}


def _fields(spec: dict[str, Any]) -> tuple[dict[str, str], tuple[str, ...]]:
    found = _FIELDS.get(id(spec))
    if found is None or found[0] is not spec:
        names = {name.lstrip("?"): name for name in spec}
        required = tuple(n for n in spec if not n.startswith("?"))
        found = _FIELDS[id(spec)] = (spec, names, required)
    return found[1], found[2]


def _check_leaf(spec: Any, value: Any, where: str) -> None:
    if spec is int:
        _expect(type(value) is int, where, "an integer", value)
    elif spec is bool or spec is str:
        _expect(type(value) is spec, where, f"a {spec.__name__}", value)
    elif spec == "officer":
        _expect(
            isinstance(value, str) and bool(OFFICER_RE.fullmatch(value)),
            where,
            "an officer id",
            value,
        )
    elif spec == "key_id":
        _expect(
            isinstance(value, str) and bool(KEY_ID_RE.fullmatch(value)),
            where,
            "a key id (16 hex chars)",
            value,
        )
    elif spec == "sha256":
        _expect(
            isinstance(value, str) and bool(HEX64_RE.fullmatch(value)),
            where,
            "64 lowercase hex chars",
            value,
        )
    elif spec == "public_key":
        _expect(
            isinstance(value, str) and bool(PUBLIC_KEY_RE.fullmatch(value)),
            where,
            "ed25519:<base64 of 32 bytes>",
            value,
        )
    elif spec == "date":
        _expect(
            isinstance(value, str)
            and bool(DATE_RE.fullmatch(value))
            and _is_date(value),
            where,
            "a date YYYY-MM-DD",
            value,
        )
    elif spec == "ts":
        try:
            parse_ts(value)
        except SchemaError as e:
            raise SchemaError(f"{where}: {e}") from e
    else:  # pragma: no cover - a programming error in the tables above
        raise AssertionError(f"unknown type spec {spec!r}")


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _expect(ok: bool, where: str, expected: str, got: Any) -> None:
    if not ok:
        raise SchemaError(f"{where}: expected {expected}, got {got!r}"[:200])
