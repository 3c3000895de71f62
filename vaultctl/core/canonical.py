"""RFC 8785 (JCS) canonical JSON: the only encoder and strict parser of vaultctl.

Every byte that is hashed or signed comes from :func:`encode`. The parser is
strict the other way: invalid UTF-8, duplicate keys, floats, NaN and integers
outside the I-JSON range are refused, so one line of the ledger has exactly
one meaning.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from json.encoder import encode_basestring
from typing import Any

import orjson

from vaultctl.core.errors import CanonicalError

MAX_SAFE_INT = 2**53 - 1
ENTRY_DOMAIN = b"vaultctl/entry/v2\n"
SIGNED_FIELDS = ("v", "log", "seq", "prev", "ts", "type", "body")
# NOTE: every signature also covers who signs (officer and key id of each
# signature, in order), so none can be removed or added without breaking the
# others; the member is in the signed bytes only, never on the line
SIGNERS = "signers"


def encode(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of ``value``."""
    return _utf8(_text(value))


def _text(value: Any) -> str:
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts)


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:  # a lone surrogate
        raise CanonicalError("string is not valid unicode (lone surrogate)") from e


def _encode(value: Any, out: list[str]) -> None:
    # NOTE: bool before int: True is an int in Python but a literal in JSON.
    if value is True or value is False or value is None:
        out.append({True: "true", False: "false", None: "null"}[value])
    elif isinstance(value, int):
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise CanonicalError(f"integer out of range: {value}")
        out.append(str(value))
    elif isinstance(value, str):
        # json's encode_basestring escapes exactly as ES6 JSON.stringify does:
        # \b \t \n \f \r \" \\ short forms, other controls as lowercase \u00xx.
        out.append(encode_basestring(value))
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value, key=_utf16_key)):
            if not isinstance(key, str):
                raise CanonicalError(f"object key is not a string: {key!r}")
            out.append("," if i else "")
            out.append(encode_basestring(key) + ":")
            _encode(value[key], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            out.append("," if i else "")
            _encode(item, out)
        out.append("]")
    else:
        raise CanonicalError(f"cannot encode {type(value).__name__} in canonical JSON")


def _utf16_key(key: Any) -> bytes:
    # RFC 8785 3.2.3: sort by UTF-16 code units; big-endian bytes compare the same.
    return str(key).encode("utf-16-be", "surrogatepass")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, val in pairs:
        if key in obj:
            raise CanonicalError(f"duplicate key {key!r}")
        obj[key] = val
    return obj


def _no_float(text: str) -> Any:
    raise CanonicalError(f"floats are not allowed: {text}")


def _safe_int(text: str) -> int:
    if len(text) > 17:  # NOTE: never hand int() a 5000-digit string
        raise CanonicalError(f"integer out of range: {text[:20]}…")
    value = int(text)
    if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
        raise CanonicalError(f"integer out of range: {text}")
    return value


def parse(data: bytes) -> Any:
    """Parse one JSON document strictly; raise :class:`CanonicalError` (bad-json)."""
    try:
        text = data.decode("utf-8")
        value = json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_float=_no_float,
            parse_int=_safe_int,
            parse_constant=_no_float,
        )
    except UnicodeDecodeError as e:
        raise CanonicalError(f"invalid utf-8 at byte {e.start}") from e
    except RecursionError as e:
        raise CanonicalError("nesting too deep") from e
    except json.JSONDecodeError as e:
        raise CanonicalError(f"not json: {e.msg} at column {e.colno}") from e
    # NOTE: valid UTF-8 decodes to no surrogates; only a \uD8xx-\uDFxx escape
    # can make one, so the walk is needed only when the text has such an escape
    if "\\ud" in text or "\\uD" in text:
        for s in strings(value):
            try:
                s.encode("utf-8")
            except UnicodeEncodeError as e:  # "\ud800" escapes: not I-JSON
                raise CanonicalError(
                    "string is not valid unicode (lone surrogate)"
                ) from e
    return value


def strings(value: Any) -> Iterator[str]:
    """Yield every string in ``value``: object keys and leaves."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def first_non_nfc(value: Any) -> str | None:
    """Return the first string in ``value`` that is not NFC-normalised, if any."""
    for s in strings(value):
        if not unicodedata.is_normalized("NFC", s):
            return s
    return None


def nfc(value: Any) -> Any:
    """Return ``value`` with every string (keys too) NFC-normalised."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        out = {nfc(k): nfc(v) for k, v in value.items()}
        if len(out) != len(value):
            raise CanonicalError("two keys are the same after NFC normalisation")
        return out
    if isinstance(value, list | tuple):
        return [nfc(v) for v in value]
    return value


class EntryBytes:
    """The canonical encodings of one entry, sharing one encoding of each field.

    A canonical object is its members, sorted by key, joined; so each member is
    encoded once and the body (the bulk of a line) serves the line, the hash
    input and the signing input alike.
    """

    def __init__(self, entry: dict[str, Any]) -> None:
        self._members = {
            k: encode_basestring(k) + ":" + _text(v) for k, v in entry.items()
        }
        self._sigs = entry.get("sigs")

    def _join(self, keys: Any) -> bytes:
        ordered = sorted(keys, key=_utf16_key)
        return _utf8("{" + ",".join(self._members[k] for k in ordered) + "}")

    @property
    def line(self) -> bytes:
        """The whole entry, as its ledger line must read."""
        return self._join(self._members)

    @property
    def hash(self) -> str:
        """Lowercase hex SHA-256 of the entry without ``hash``."""
        return hashlib.sha256(
            self._join(k for k in self._members if k != "hash")
        ).hexdigest()

    @property
    def signed(self) -> bytes:
        """What every signer signs: the domain tag, then the signed fields and
        the list of signers."""
        try:
            signers = _text(signers_of(self._sigs))
        except (TypeError, KeyError) as e:
            raise CanonicalError("sigs: not a list of {by, key, …} objects") from e
        members = {**self._members, SIGNERS: encode_basestring(SIGNERS) + ":" + signers}
        ordered = sorted((*SIGNED_FIELDS, SIGNERS), key=_utf16_key)
        return ENTRY_DOMAIN + _utf8("{" + ",".join(members[k] for k in ordered) + "}")


def signers_of(sigs: Any) -> list[dict[str, Any]]:
    """``[{by, key}, …]`` of each signature, in order: what every signature covers."""
    if not isinstance(sigs, list):
        raise TypeError("sigs is not a list")
    return [{"by": s["by"], "key": s["key"]} for s in sigs]


def signing_input(entry: dict[str, Any], signers: list[dict[str, Any]]) -> bytes:
    """The bytes every signer signs: domain tag, then the signed fields of
    ``entry`` and ``signers`` (``[{by, key}, …]`` in signature order)."""
    return EntryBytes({**{k: entry[k] for k in SIGNED_FIELDS}, "sigs": signers}).signed


def entry_hash(entry: dict[str, Any]) -> str:
    """Lowercase hex SHA-256 of the canonical entry without ``hash``."""
    return EntryBytes(entry).hash


# NOTE: the fast path. orjson with sorted keys writes what :func:`encode`
# writes (the same escapes: \" \\ and the short forms, other controls as
# \u00xx; integers in decimal) except that it sorts keys by code point, not by
# UTF-16 code unit (the orders differ only between a character in
# U+E000-U+FFFF and one above U+FFFF), writes floats, and reads integers up to
# 64 bits. So a line with no character above U+FFFF, no \u escape and no
# fraction or exponent, whose re-encoding (integers within 2**53) equals it
# byte for byte, is canonical: no duplicate key (one would have vanished), no
# lone surrogate, every string exactly as on the line.
# NOTE: a number token with a fraction or exponent (a match inside a string
# only sends the line down the exact path); integers past 2**53 are refused
# by orjson's OPT_STRICT_INTEGER when the line is re-encoded
_FRACTION = re.compile(rb"[:,\[]-?[0-9]+[.eE]")
# NOTE: the lead bytes of UTF-8's 4-byte sequences (astral characters)
_ASTRAL_LEADS = (b"\xf0", b"\xf1", b"\xf2", b"\xf3", b"\xf4")
_DUMPS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER


class FastLine:
    """A ledger line proven canonical and NFC by the C encoder, with its hash
    and signing input; :meth:`check` returns ``None`` when the slow, exact path
    (:func:`parse`, :class:`EntryBytes`, :func:`first_non_nfc`) must decide."""

    __slots__ = ("obj", "line", "_cuts")

    def __init__(self, obj: dict[str, Any], line: bytes) -> None:
        self.obj = obj
        self.line = line
        self._cuts: tuple[int, int, int] | None = None

    @classmethod
    def check(cls, raw: bytes) -> FastLine | None:
        # NOTE: orjson (issue 24) parses and re-encodes; what it would read
        # differently from RFC 8785 never gets that far: escapes and astral
        # characters (UTF-16 key order), fractions and exponents, integers
        # past I-JSON's 2**53. Anything else that is not canonical re-encodes
        # differently and takes the exact path.
        if b"\\u" in raw or any(b in raw for b in _ASTRAL_LEADS):
            return None
        if _FRACTION.search(raw):
            return None
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:  # NOTE: also bad UTF-8, NaN, depth
            return None
        if type(obj) is not dict:
            return None
        # NOTE: quotes delimit every string and compose with nothing, so with no
        # \u escape the whole text is NFC exactly when every string in it is
        if not unicodedata.is_normalized("NFC", raw.decode("utf-8")):
            return None
        try:
            if orjson.dumps(obj, option=_DUMPS) != raw:
                return None
        except orjson.JSONEncodeError:  # NOTE: an integer past 2**53
            return None
        return cls(obj, raw)

    # NOTE: the hash input and the signing input are cut from the line itself.
    # The caller guarantees the entry passed the schema (model.Entry): then the
    # top-level members are, in order, body, hash, log, prev, seq, sigs, ts, type,
    # v; nothing after "hash" can spell ',"hash":"' and nothing after "sigs"
    # can spell ',"sigs":[' (ids, hex, base64, times, a type name, an integer),
    # so the last occurrence of each is the top-level member.
    def _cut(self) -> tuple[int, int, int]:
        if self._cuts is not None:
            return self._cuts
        line = self.line
        h = line.rfind(b',"hash":"')
        s = line.rfind(b',"sigs":[')
        t = line.find(b'],"ts":"', s)
        if not (0 < h < s < t) or line[h + 73 : h + 74] != b'"':
            raise CanonicalError("entry members are not where the schema puts them")
        self._cuts = (h, s, t)
        return self._cuts

    def fits(self) -> bool:
        """True when the hash and signing input can be cut from the line."""
        try:
            self._cut()
        except CanonicalError:
            return False
        return True

    @property
    def hash(self) -> str:
        """Lowercase hex SHA-256 of the entry without ``hash``."""
        h, _, _ = self._cut()
        return hashlib.sha256(self.line[:h] + self.line[h + 74 :]).hexdigest()

    @property
    def signed(self) -> bytes:
        """As :attr:`EntryBytes.signed`: domain tag, signed fields, signers."""
        h, s, t = self._cut()
        line = self.line
        # NOTE: officer ids and key ids (schema: [A-Za-z0-9._-], hex) need no
        # escaping, so the list is written directly
        signers = (
            b"["
            + b",".join(
                b'{"by":"%s","key":"%s"}' % (s["by"].encode(), s["key"].encode())
                for s in self.obj["sigs"]
            )
            + b"]"
        )
        return b"".join(
            (
                ENTRY_DOMAIN,
                line[:h],
                line[h + 74 : s],
                b',"signers":',
                signers,
                line[t + 1 :],
            )
        )
