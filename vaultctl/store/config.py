"""Read and validate ``site.toml`` into the body of the genesis entry.

Every problem is a :class:`ConfigError` naming the field, e.g.
``sessions[2].exam_rooms.E03: unknown officer 'O-109'``. Public keys are
inlined so the genesis entry alone is enough to verify the log.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from vaultctl.core import canonical, keys, schema
from vaultctl.core.errors import ConfigError, SchemaError, UsageError
from vaultctl.core.i18n import _
from vaultctl.core.model import format_ts
from vaultctl.rules import genesis

SITE_FIELDS = ("id", "name", "exam", "timezone", "exam_start", "exam_end")
SECTIONS = ("site", "policy", "officers", "rooms", "cabinets", "cameras", "sessions")


def load(path: Path) -> dict[str, Any]:
    """Parse ``path`` and return the validated genesis body."""
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except OSError as e:
        raise ConfigError(
            _("{path}: cannot read ({strerror})").format(path=path, strerror=e.strerror)
        ) from e
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(
            _("{path}: not valid TOML: {e}").format(path=path, e=e)
        ) from e
    return build(raw, path.parent)


def build(raw: dict[str, Any], base: Path) -> dict[str, Any]:
    """Turn parsed TOML into the genesis body; ``base`` resolves key files."""
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ConfigError(_("{value}: unknown section").format(value=unknown[0]))
    site = _table(raw, "site")
    _known_fields(site, (*SITE_FIELDS, "demo"), "site")
    for i, room in enumerate(_list(raw, "rooms")):
        _known_fields(room, ("id", "name", "doors"), f"rooms[{i}]")
    tz = zone(site.get("timezone"), "site.timezone")
    body: dict[str, Any] = {
        "site": {k: site.get(k) for k in SITE_FIELDS}
        | ({"demo": site["demo"]} if "demo" in site else {}),
        "policy": _policy(raw.get("policy", {})),
        "officers": [
            _officer(o, f"officers[{i}]", base)
            for i, o in enumerate(_list(raw, "officers"))
        ],
        "rooms": [
            {"id": r.get("id"), "name": r.get("name"), "doors": r.get("doors")}
            for r in _list(raw, "rooms")
        ],
        "cabinets": [{"codes": [], **c} for c in _list(raw, "cabinets")],
        "cameras": _list(raw, "cameras"),
        "sessions": [
            _session(s, tz, f"sessions[{i}]")
            for i, s in enumerate(_list(raw, "sessions"))
        ],
    }
    for key in ("exam_start", "exam_end"):
        if isinstance(site.get(key), date):
            body["site"][key] = site[key].isoformat()
    body = canonical.nfc(body)
    try:
        schema.check_body("genesis", body)
    except SchemaError as e:
        raise ConfigError(str(e).removeprefix("body.")) from e
    try:
        genesis.check(body)
    except SchemaError as e:
        raise ConfigError(e.message) from e
    return body


def _known_fields(table: dict[str, Any], fields: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise ConfigError(
            _("{where}.{value}: unknown field").format(where=where, value=unknown[0])
        )


def zone(name: Any, where: str) -> ZoneInfo:
    try:
        return genesis.zone(name, where)
    except SchemaError as e:
        raise ConfigError(e.message) from e


def _table(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name)
    if not isinstance(value, dict):
        raise ConfigError(_("[{name}]: missing table").format(name=name))
    return value


def _list(raw: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = raw.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(_("{name}: expected [[{name}]] tables").format(name=name))
    return value


def _policy(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(_("policy: expected a table"))
    params = {k: v for k, v in raw.items() if k != "levels"}
    return {"params": params, "levels": raw.get("levels", {})}


def _officer(raw: dict[str, Any], where: str, base: Path) -> dict[str, Any]:
    officer = {
        k: v
        for k, v in raw.items()
        if k not in ("public_key", "public_key_file", "trained")
    }
    officer.setdefault("conflict", False)
    trained = raw.get("trained")
    if trained is not None:
        officer["trained"] = (
            trained.isoformat() if isinstance(trained, date) else trained
        )
    if "public_key" in raw and "public_key_file" in raw:
        raise ConfigError(
            _("{where}: give public_key or public_key_file, not both").format(
                where=where
            )
        )
    if "public_key_file" in raw:
        path = base / str(raw["public_key_file"])
        try:
            line = path.read_text("utf-8")
        except (OSError, ValueError) as e:  # ValueError: a NUL in the path
            raise ConfigError(
                _("{where}.public_key_file: cannot read {path}").format(
                    where=where, path=path
                )
            ) from e
    elif "public_key" in raw:
        line = raw["public_key"]
    else:
        raise ConfigError(
            _("{where}: missing public_key or public_key_file").format(where=where)
        )
    try:
        raw_key = keys.parse_public_key(line, f"{where}.public_key")
    except UsageError as e:
        raise ConfigError(e.message) from e
    officer["keys"] = [
        {"key": keys.key_id(raw_key), "public_key": keys.format_public_key(raw_key)}
    ]
    return officer


def _session(raw: dict[str, Any], tz: ZoneInfo, where: str) -> dict[str, Any]:
    session = dict(raw)
    for key in ("start", "end"):
        session[key] = _site_time(raw.get(key), tz, f"{where}.{key}")
    return session


def _site_time(value: Any, tz: ZoneInfo, where: str) -> str:
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    except (TypeError, ValueError) as e:
        raise ConfigError(
            _("{where}: expected a time like 2027-06-07T09:00, got {value!r}").format(
                where=where, value=value
            )
        ) from e
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    try:
        return format_ts(moment.astimezone(tz))
    except OverflowError as e:
        raise ConfigError(
            _("{where}: {value} is out of range").format(where=where, value=value)
        ) from e
