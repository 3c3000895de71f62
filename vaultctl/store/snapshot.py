"""A verified head for writers: the replayed engine and verifier, cached as JSON.

A writer must know the state at the head of the log, and must not append
after a line it has not verified. Replaying and re-verifying 100k entries on
every append is slow, so after each replay the writer stores a snapshot: the
rule engine, the chain verifier (roster, seq, head, counters) and the Merkle
frontier, tied to the ledger by its size in bytes, its line count, the Merkle
root of those lines, the stored hash and SHA-256 of its last line and the
file's identity (device, inode, mtime and ctime in ns).

Where and how (docs/design.md, "The writer's snapshot"):

* outside the vault, in ``$XDG_CACHE_HOME/vaultctl`` (``~/.cache/vaultctl``),
  directory 0700, files 0600, one file per (vault real path, log id): whoever
  can write the vault folder cannot write here;
* bound with HMAC-SHA256 under a per-user secret kept 0600 beside it, so a
  copied or edited snapshot is refused;
* plain JSON, never pickle: decoding builds only objects of vaultctl's own
  state classes (a fixed allow-list) by setting their attributes; no
  constructor, no ``__setstate__``, no import runs;
* on use, the file must have the identity and size recorded (nothing touched
  it since) or the Merkle root of its first ``entries`` lines must be the
  snapshot's (someone else appended); every line after that is verified in
  full (hash, chain, signatures, roster, rules) before anything is appended.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import importlib.util
import json
import os
import secrets
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

FORMAT = "vaultctl-writer-snapshot/v1"
# NOTE: the classes a snapshot may hold, by module; nothing else is built
ALLOWED_MODULES = frozenset(
    {
        "vaultctl.rules.state",
        "vaultctl.tlog.anchors",
        "vaultctl.tlog.checkpoint",
        "vaultctl.core.roster",
        "vaultctl.core.model",
        "vaultctl.tlog.chain",
        "vaultctl.tlog.merkle",
        "vaultctl.core.canonical",
        "vaultctl.rules",
        "vaultctl.rules.duty",
        "vaultctl.rules.keys",
        "vaultctl.rules.papers",
        "vaultctl.rules.people",
        "vaultctl.rules.room",
        "vaultctl.rules.watch",
    }
)


class SnapshotError(Exception):
    """The snapshot cannot be used (absent, stale, forged, unknown shape)."""


_LAYOUT: list[str] = []


def layout() -> str:
    """A digest of the package version and the source of every module whose
    objects a snapshot holds: a snapshot written by any other code (an
    upgrade, a new rule, a new field) is never decoded, only replayed over."""
    if not _LAYOUT:
        from vaultctl import __version__

        digest = hashlib.sha256(__version__.encode())
        for name in sorted(ALLOWED_MODULES):
            spec = importlib.util.find_spec(name)
            origin = spec.origin if spec else None
            digest.update(name.encode() + b"\0")
            if origin:
                digest.update(Path(origin).read_bytes())
        _LAYOUT.append(digest.hexdigest())
    return _LAYOUT[0]


# --- encoding: an object graph as JSON, shared objects once ------------------


class _Encoder:
    def __init__(self) -> None:
        self.memo: dict[int, int] = {}
        self.keep: list[Any] = []  # NOTE: ids stay unique while encoding

    def enc(self, v: Any) -> Any:
        if v is None or v is True or v is False or type(v) in (int, str):
            return v
        if id(v) in self.memo:
            return {"$r": self.memo[id(v)]}
        n = self.memo[id(v)] = len(self.memo)
        self.keep.append(v)
        return {"$i": n, **self._body(v)}

    def _body(self, v: Any) -> dict[str, Any]:
        if _plain(v):
            return {"p": v}  # NOTE: JSON as it is: no walk, here or when read
        if type(v) is set and _scalars(v):
            return {"ps": list(v)}  # NOTE: the dispatched packets' digests
        if isinstance(v, list):
            return {"l": [self.enc(x) for x in v]}
        if isinstance(v, tuple):
            return {"t": [self.enc(x) for x in v]}
        if isinstance(v, set | frozenset):
            items = [self.enc(x) for x in v]
            return {"fs" if isinstance(v, frozenset) else "s": items}
        if isinstance(v, dict):
            return {"d": [[self.enc(k), self.enc(x)] for k, x in v.items()]}
        if isinstance(v, bytes):
            return {"b": base64.b64encode(v).decode("ascii")}
        if isinstance(v, datetime):
            return {"dt": v.isoformat(), "tz": _tz_name(v)}
        if isinstance(v, date):
            return {"date": v.isoformat()}
        if isinstance(v, timedelta):
            return {"td": [v.days, v.seconds, v.microseconds]}
        if isinstance(v, ZoneInfo):
            return {"zone": v.key}
        cls = type(v)
        if cls.__module__ not in ALLOWED_MODULES:
            raise SnapshotError(f"cannot store a {cls.__module__}.{cls.__qualname__}")
        attrs = {name: self.enc(getattr(v, name)) for name in _attrs(v)}
        return {"o": f"{cls.__module__}:{cls.__qualname__}", "a": attrs}


_SCALARS = frozenset({str, int, bool, type(None)})
_STR = frozenset({str})


def _scalars(items: Iterable[Any]) -> bool:
    """Every item a str, int, bool or None (floats never occur in a state)."""
    return set(map(type, items)) <= _SCALARS


def _plain(v: Any) -> bool:
    """A list of scalars, or a dict of str to scalars: stored as plain JSON
    (an attachment, the engine's plans)."""
    if type(v) is dict:
        return set(map(type, v)) <= _STR and _scalars(v.values())
    return type(v) is list and _scalars(v)


def _tz_name(v: datetime) -> str | None:
    return v.tzinfo.key if isinstance(v.tzinfo, ZoneInfo) else None


def _attrs(v: Any) -> list[str]:
    names: list[str] = []
    for klass in type(v).__mro__:
        slots = klass.__dict__.get("__slots__", ())
        names += [slots] if isinstance(slots, str) else list(slots)
    names += list(getattr(v, "__dict__", {}))
    return [n for n in dict.fromkeys(names) if n != "__weakref__" and hasattr(v, n)]


class _Decoder:
    def __init__(self) -> None:
        self.memo: dict[int, Any] = {}

    def dec(self, v: Any) -> Any:
        if not isinstance(v, dict):
            if v is None or isinstance(v, bool | int | str):
                return v
            raise SnapshotError(f"unexpected {type(v).__name__}")
        if "$r" in v:
            return self.memo[v["$r"]]
        n = v["$i"]
        if "p" in v:
            plain = v["p"]
            if not _plain(plain):
                raise SnapshotError("plain value holds more than scalars")
            self.memo[n] = plain
            return plain
        if "ps" in v:
            items = v["ps"]
            if not (type(items) is list and _scalars(items)):
                raise SnapshotError("plain set holds more than scalars")
            self.memo[n] = found = set(items)
            return found
        if "l" in v:
            out: list[Any] = []
            self.memo[n] = out
            out += [self.dec(x) for x in v["l"]]
            return out
        if "d" in v:
            d: dict[Any, Any] = {}
            self.memo[n] = d
            for k, x in v["d"]:
                d[self.dec(k)] = self.dec(x)
            return d
        if "o" in v:
            return self._object(n, v)
        self.memo[n] = value = self._leaf(v)
        return value

    def _leaf(self, v: dict[str, Any]) -> Any:
        if "t" in v:
            return tuple(self.dec(x) for x in v["t"])
        if "s" in v:
            return {self.dec(x) for x in v["s"]}
        if "fs" in v:
            return frozenset(self.dec(x) for x in v["fs"])
        if "b" in v:
            return base64.b64decode(v["b"], validate=True)
        if "dt" in v:
            moment = datetime.fromisoformat(v["dt"])
            return moment.replace(tzinfo=ZoneInfo(v["tz"])) if v["tz"] else moment
        if "date" in v:
            return date.fromisoformat(v["date"])
        if "td" in v:
            days, seconds, micro = v["td"]
            return timedelta(days=days, seconds=seconds, microseconds=micro)
        if "zone" in v:
            return ZoneInfo(v["zone"])
        raise SnapshotError(f"unknown value {sorted(v)}")

    def _object(self, n: int, v: dict[str, Any]) -> Any:
        module, _, name = v["o"].partition(":")
        if module not in ALLOWED_MODULES:
            raise SnapshotError(f"class from {module!r} not allowed")
        cls = getattr(importlib.import_module(module), name, None)
        if not isinstance(cls, type) or cls.__module__ != module:
            raise SnapshotError(f"no class {v['o']!r}")
        obj: Any = object.__new__(cls)  # NOTE: no __init__, no __setstate__
        self.memo[n] = obj
        for attr, x in v["a"].items():
            object.__setattr__(obj, attr, self.dec(x))
        return obj


def dumps(value: Any) -> bytes:
    return json.dumps(_Encoder().enc(value), separators=(",", ":")).encode()


def loads(data: bytes) -> Any:
    try:
        return _Decoder().dec(json.loads(data))
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise SnapshotError(f"damaged snapshot ({type(e).__name__}: {e})") from e


# --- the cache directory, the secret, the binding ----------------------------


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vaultctl"


def _private_dir() -> Path:
    path = cache_dir()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    st = path.stat()
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise SnapshotError(f"{path}: not a private directory (expected 0700, ours)")
    return path


def _secret(folder: Path) -> bytes:
    path = folder / "secret"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
    st = path.stat()
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise SnapshotError(f"{path}: not a private file (expected 0600, ours)")
    data = path.read_bytes()
    if len(data) != 32:
        raise SnapshotError(f"{path}: not a 32-byte secret")
    return data


def path_for(ledger: Path, log: str) -> Path:
    name = hashlib.sha256(f"{ledger.resolve()}\n{log}".encode()).hexdigest()[:32]
    return _private_dir() / f"{name}.json"


def identity(st: os.stat_result) -> list[int]:
    """What changes whenever anyone writes or replaces the ledger file."""
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def save(ledger: Path, log: str, meta: dict[str, Any], value: Any) -> None:
    """Store ``value`` with ``meta``, bound to this vault and log, 0600."""
    folder = _private_dir()
    body = dumps(value)
    head = {
        "format": FORMAT,
        "layout": layout(),
        "ledger": str(ledger.resolve()),
        "log": log,
        **meta,
    }
    head_bytes = json.dumps(head, sort_keys=True).encode()
    mac = hmac.new(_secret(folder), head_bytes + b"\n" + body, "sha256").hexdigest()
    target = path_for(ledger, log)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(mac.encode() + b"\n" + head_bytes + b"\n" + body)
    tmp.replace(target)


def load(ledger: Path, log: str) -> tuple[dict[str, Any], Any]:
    """The ``(meta, value)`` stored for this vault and log; SnapshotError if none
    or if its binding fails."""
    folder = _private_dir()
    path = path_for(ledger, log)
    try:
        mac, head_bytes, body = path.read_bytes().split(b"\n", 2)
    except (OSError, ValueError) as e:
        raise SnapshotError(f"{path}: no snapshot") from e
    want = hmac.new(_secret(folder), head_bytes + b"\n" + body, "sha256").hexdigest()
    if not hmac.compare_digest(mac, want.encode()):
        raise SnapshotError(f"{path}: the HMAC does not match")
    head = json.loads(head_bytes)
    if head.get("format") != FORMAT or head.get("ledger") != str(ledger.resolve()):
        raise SnapshotError(f"{path}: for another ledger or format")
    if head.get("layout") != layout():
        raise SnapshotError(f"{path}: written by another version of vaultctl")
    if head.get("log") != log:
        raise SnapshotError(f"{path}: for another log")
    return head, loads(body)
