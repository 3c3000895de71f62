"""What a genesis body must satisfy beyond its shape (pure).

Shared by ``init`` (a ConfigError naming the field) and ``verify`` (an
integrity finding, ``bad-schema``): a signed genesis written by some other tool
gets no more trust than a ``site.toml``. Messages are raised in English,
whatever the language of the run (``verify --json``'s ``message`` is English);
the edge renders them in Chinese from the same catalog (``messages.Text``).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vaultctl import rules
from vaultctl.core import keys, schema
from vaultctl.core.errors import ConfigError, SchemaError
from vaultctl.core.i18n import N_
from vaultctl.core.messages import Text
from vaultctl.core.model import OFFICER_RE, parse_ts

# NOTE: each message once, raised in English as a Text
UNKNOWN_ZONE = N_("{where}: unknown time zone {name}")
BAD_SITE_ID = N_("site.id: expected letters, digits, '.', '_' or '-', got {id}")
END_BEFORE_START = N_("site.exam_end: before exam_start")
YEARS = N_("site.exam_start/exam_end: years {year}-{year2} out of range (1900-9000)")
OFFICER_KEY = N_("officers: {problem}")
DEMO_KEY = N_(
    "officers: {officer} has a published demo key: a real site cannot use it "
    "(run 'vaultctl keys generate' without --demo)"
)
NO_ROLE = N_("officers: no officer has the role {role}")
UNKNOWN_ROOM = N_("{section}[{i}].room: unknown room {room}")
SESSION_ORDER = N_("sessions[{i}]: end {end} is not after start")
UNKNOWN_INVIGILATOR = N_(
    "sessions[{i}].exam_rooms.{exam_room}: unknown officer {officer}"
)
DUPLICATE = N_("{where}: duplicate {what} {value}")


def check(body: dict[str, Any]) -> None:
    """Raise :class:`SchemaError` naming the field of the first problem."""
    _site(body["site"])
    _officers(body["officers"], bool(body["site"].get("demo", False)))
    _places(body)
    _sessions(body["sessions"], {o["id"] for o in body["officers"]})
    try:
        rules.validate_policy(body["policy"])
    except ConfigError as e:
        raise SchemaError(e.message) from e


def zone(name: Any, where: str = "site.timezone") -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError, OSError) as e:  # OSError: "Asia"
        raise SchemaError(Text(UNKNOWN_ZONE, where=where, name=repr(name))) from e


def _site(site: dict[str, Any]) -> None:
    if not OFFICER_RE.fullmatch(site["id"]):
        raise SchemaError(Text(BAD_SITE_ID, id=repr(site["id"])))
    zone(site["timezone"])
    start, end = (date.fromisoformat(site[k]) for k in ("exam_start", "exam_end"))
    if start > end:
        raise SchemaError(Text(END_BEFORE_START))
    if not (start.year >= 1900 and end.year <= 9000):  # NOTE: room for retention
        raise SchemaError(Text(YEARS, year=start.year, year2=end.year))


def _officers(officers: list[dict[str, Any]], demo: bool = False) -> None:
    _unique([o["id"] for o in officers], "officers", "officer id")
    _unique(
        [keys.passphrase_variable(o["id"]) for o in officers],
        "officers",
        "passphrase variable (ids that differ only in case or punctuation)",
    )
    refs = [k for o in officers for k in o["keys"]]
    for ref in refs:
        problem = keys.key_ref_problem(ref)
        if problem:
            raise SchemaError(Text(OFFICER_KEY, problem=problem))
    for o in officers:
        if not demo and keys.demo_key_among(o["id"], o["keys"]):
            raise SchemaError(Text(DEMO_KEY, officer=o["id"]))
    # NOTE: compared as points up to sign: A and -A are one person's key
    _unique(
        [keys.point_id(keys.ref_raw(k)).hex() for k in refs],
        "officers",
        "public key (listed twice, or as A and -A)",
    )
    for role in ("site_head", "room_head"):
        if not any(role in o["roles"] for o in officers):
            raise SchemaError(Text(NO_ROLE, role=role))


def _places(body: dict[str, Any]) -> None:
    rooms = {r["id"] for r in body["rooms"]}
    doors = [d for r in body["rooms"] for d in r["doors"]]
    ids = [r["id"] for r in body["rooms"]] + [d["id"] for d in doors]
    ids += [c["id"] for c in body["cabinets"]] + [c["id"] for c in body["cameras"]]
    _unique(ids, "rooms", "room, door, cabinet or camera id")
    items = [k for d in doors for k in d["keys"]]
    items += [k for c in body["cabinets"] for k in (*c["keys"], *c["codes"])]
    _unique(items, "rooms", "key or code id")
    for section in ("cabinets", "cameras"):
        for i, item in enumerate(body[section]):
            if item["room"] not in rooms:
                raise SchemaError(
                    Text(UNKNOWN_ROOM, section=section, i=i, room=repr(item["room"]))
                )


def _sessions(sessions: list[dict[str, Any]], officers: set[str]) -> None:
    _unique([s["id"] for s in sessions], "sessions", "session id")
    for i, session in enumerate(sessions):
        if parse_ts(session["start"]) >= parse_ts(session["end"]):
            raise SchemaError(Text(SESSION_ORDER, i=i, end=session["end"]))
        for exam_room, officer in session["exam_rooms"].items():
            if officer not in officers:
                raise SchemaError(
                    Text(
                        UNKNOWN_INVIGILATOR,
                        i=i,
                        exam_room=exam_room,
                        officer=repr(officer),
                    )
                )


def _unique(values: list[str], where: str, what: str) -> None:
    dup = schema.repeated(values)
    if dup:
        raise SchemaError(Text(DUPLICATE, where=where, what=what, value=repr(dup[0])))
