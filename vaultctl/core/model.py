"""The ledger entry and its signatures: frozen dataclasses with strict from_dict.

``from_dict`` rejects unknown, missing and mistyped fields (an extra field in an
audit log is a place to hide things) and never mutates its input.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vaultctl.core.canonical import SIGNED_FIELDS
from vaultctl.core.errors import SchemaError

VERSION = 2
GENESIS_PREV = "0" * 64
TS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")
HEX64_RE = re.compile(r"[0-9a-f]{64}")
LOG_RE = re.compile(r"[0-9a-f]{32}")
KEY_ID_RE = re.compile(r"[0-9a-f]{16}")
OFFICER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
TYPE_RE = re.compile(r"[a-z][a-z-]*")
SIG_FIELDS = ("by", "key", "sig")
ENTRY_FIELDS = ("v", "log", "seq", "prev", "ts", "type", "body", "sigs", "hash")


def parse_ts(value: str) -> datetime:
    """Parse a stored ``YYYY-MM-DDTHH:MM:SS±HH:MM`` time; raise SchemaError."""
    if not isinstance(value, str) or not TS_RE.fullmatch(value):
        raise SchemaError(f"ts: expected YYYY-MM-DDTHH:MM:SS+HH:MM, got {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as e:
        raise SchemaError(f"ts: {e}") from e
    if not 1900 <= moment.year <= 9998:  # NOTE: room for any window arithmetic
        raise SchemaError(f"ts: year {moment.year} out of range (1900-9998)")
    return moment


def format_ts(moment: datetime) -> str:
    """Write an aware datetime as stored: whole seconds with offset."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: a time zone is required")
    return moment.replace(microsecond=0).isoformat()


_KEYSETS: dict[tuple[str, ...], frozenset[str]] = {
    fields: frozenset(fields) for fields in (ENTRY_FIELDS, SIG_FIELDS)
}


def _check_fields(obj: Any, wanted: tuple[str, ...], where: str) -> None:
    if type(obj) is dict and obj.keys() == _KEYSETS[wanted]:
        return  # NOTE: the usual case, decided in C (issue 24)
    if not isinstance(obj, dict):
        raise SchemaError(f"{where}: expected an object, got {type(obj).__name__}")
    missing = [k for k in wanted if k not in obj]
    unknown = sorted(k for k in obj if k not in wanted)
    if missing:
        raise SchemaError(f"{where}: missing field {missing[0]!r}")
    if unknown:
        raise SchemaError(f"{where}: unknown field {unknown[0]!r}")


# NOTE: officer ids, key ids, the log id and entry types repeat on every line:
# each (pattern, value) that matched is remembered (a bounded set), so the
# regex runs once per value, not once per line (issue 24)
_MATCHED: set[tuple[re.Pattern[str], str]] = set()
_MATCHED_MAX = 4096


def _matches(pattern: re.Pattern[str], value: Any) -> bool:
    if type(value) is not str:
        return False
    if (pattern, value) in _MATCHED:
        return True
    if pattern.fullmatch(value) is None:
        return False
    if len(_MATCHED) < _MATCHED_MAX:
        _MATCHED.add((pattern, value))
    return True


def _want(cond: bool, where: str, expected: str, got: Any) -> None:
    if not cond:
        raise SchemaError(f"{where}: expected {expected}, got {got!r}"[:200])


def _check_leaves(value: Any, where: str) -> None:
    # NOTE: floats never get this far (the parser refuses them); null does.
    if value is None:
        raise SchemaError(f"{where}: null is not allowed")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_leaves(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_leaves(item, f"{where}[{i}]")


@dataclass(frozen=True, slots=True, kw_only=True)
class Signature:
    """One officer's Ed25519 signature over an entry's signing input."""

    by: str
    key: str
    sig: bytes

    def __post_init__(self) -> None:
        _want(_matches(OFFICER_RE, self.by), "sigs.by", "an officer id", self.by)
        _want(
            _matches(KEY_ID_RE, self.key),
            "sigs.key",
            "16 lowercase hex chars",
            self.key,
        )
        _want(len(self.sig) == 64, "sigs.sig", "64 bytes", len(self.sig))

    @classmethod
    def from_dict(cls, obj: Any) -> Signature:
        _check_fields(obj, SIG_FIELDS, "sigs[]")
        raw = obj["sig"]
        _want(isinstance(raw, str), "sigs.sig", "a base64 string", raw)
        try:
            sig = base64.b64decode(raw, validate=True)
        except ValueError as e:  # binascii.Error, or non-ASCII text
            raise SchemaError(f"sigs.sig: not standard base64: {raw[:20]!r}") from e
        if base64.b64encode(sig).decode("ascii") != raw:
            # NOTE: one signature, one spelling: padding bits set would be a
            # second spelling the hash might not notice
            raise SchemaError(f"sigs.sig: not canonical base64: {raw[:20]!r}")
        return cls(by=obj["by"], key=obj["key"], sig=sig)

    @classmethod
    def checked(cls, obj: dict[str, Any]) -> Signature:
        """See :meth:`Entry.checked`."""
        sig = object.__new__(cls)
        object.__setattr__(sig, "by", obj["by"])
        object.__setattr__(sig, "key", obj["key"])
        object.__setattr__(sig, "sig", base64.b64decode(obj["sig"]))
        return sig

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "key": self.key,
            "sig": base64.b64encode(self.sig).decode("ascii"),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One line of the ledger. ``body`` is a plain dict that is never mutated."""

    v: int
    log: str
    seq: int
    prev: str
    ts: str
    type: str
    body: dict[str, Any]
    sigs: tuple[Signature, ...]
    hash: str
    moment: datetime = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        _want(type(self.v) is int, "v", "an integer", self.v)
        _want(_matches(LOG_RE, self.log), "log", "32 lowercase hex chars", self.log)
        _want(
            type(self.seq) is int and self.seq >= 0, "seq", "an integer >= 0", self.seq
        )
        for name in ("prev", "hash"):
            value = getattr(self, name)
            _want(
                isinstance(value, str) and bool(HEX64_RE.fullmatch(value)),
                name,
                "64 lowercase hex chars",
                value,
            )
        _want(_matches(TYPE_RE, self.type), "type", "an entry type", self.type)
        _want(isinstance(self.body, dict), "body", "an object", self.body)
        _check_leaves(self.body, "body")
        object.__setattr__(self, "moment", parse_ts(self.ts))

    @classmethod
    def from_dict(cls, obj: Any) -> Entry:
        _check_fields(obj, ENTRY_FIELDS, "entry")
        sigs = obj["sigs"]
        _want(isinstance(sigs, list), "sigs", "a list", sigs)
        fields = {k: obj[k] for k in ENTRY_FIELDS if k != "sigs"}
        return cls(**fields, sigs=tuple(Signature.from_dict(s) for s in sigs))

    @classmethod
    def checked(cls, obj: dict[str, Any]) -> Entry:
        """An entry that :meth:`from_dict` already accepted in a worker process
        (vaultctl.verify.parallel), built again without checking it again."""
        entry = object.__new__(cls)
        for name in ENTRY_FIELDS:
            if name != "sigs":
                object.__setattr__(entry, name, obj[name])
        sigs = tuple(Signature.checked(s) for s in obj["sigs"])
        object.__setattr__(entry, "sigs", sigs)
        object.__setattr__(entry, "moment", parse_ts(obj["ts"]))
        return entry

    def unsigned(self) -> dict[str, Any]:
        """The fields that are signed."""
        return {k: getattr(self, k) for k in SIGNED_FIELDS}

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.unsigned(),
            "sigs": [s.to_dict() for s in self.sigs],
            "hash": self.hash,
        }

    @property
    def signers(self) -> tuple[str, ...]:
        return tuple(s.by for s in self.sigs)
