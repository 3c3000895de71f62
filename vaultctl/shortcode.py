"""The short code of a tree head, read out on the phone each night (pure).

``412 · K7QM-2XPA-3RTB-5JCD``: the tree size and the first 80 bits of the
Merkle root in RFC 4648 base32, in four groups of four. Parsing is lenient
with what a person types and strict with what it means.
"""

from __future__ import annotations

import base64
import re

from vaultctl.errors import CheckpointError

ROOT_SIZE = 32
_SHORT_CODE_RE = re.compile(r"([0-9]{1,20})[\s:.\u00b7\u2022\uff1a]+(.*)")
_CODE_DROP_RE = re.compile(r"[\s\-\u2010-\u2015\u2212]")
# NOTE: base32 has no 0, 1, 8 or 9; a person reading "0", "1", "8" most
# likely saw the letter O, I or B, so those are read as such.
_CODE_LENIENT = str.maketrans("018", "OIB")


def _code_chars(root: bytes) -> str:
    if len(root) != ROOT_SIZE:
        raise CheckpointError(f"root: got {len(root)} bytes, expected {ROOT_SIZE}")
    return base64.b32encode(root[:10]).decode()


def short_code(size: int, root: bytes) -> str:
    """Return ``"<size> · XXXX-XXXX-XXXX-XXXX"`` for reading out."""
    if size < 0:
        raise CheckpointError(f"short code: negative tree size (got {size})")
    chars = _code_chars(root)
    groups = "-".join(chars[i : i + 4] for i in range(0, 16, 4))
    return f"{size} \u00b7 {groups}"


def _normalize_code(code: str) -> str:
    """Drop spaces and dashes, upper-case, read 0/1/8 as O/I/B; check 16 chars."""
    chars = _CODE_DROP_RE.sub("", code).upper().translate(_CODE_LENIENT)
    bad = re.search(r"[^A-Z2-7]", chars)
    if bad:
        raise CheckpointError(
            f"short code: {bad.group()!r} is not a base32 character (A-Z, 2-7)"
        )
    if len(chars) != 16:
        raise CheckpointError(f"short code: got {len(chars)} characters, expected 16")
    return chars


def parse_short_code(s: str) -> tuple[int, str]:
    """Parse what a person types, e.g. ``412:K7QM-2XPA-3RTB-5JCD``.

    The size and the code may be separated by ``:``, ``·``, ``.`` or spaces;
    in the code, spaces and dashes are ignored, lower case is accepted and
    the digits 0, 1, 8 are read as the letters O, I, B.
    Returns the size and the 16 code characters.
    """
    m = _SHORT_CODE_RE.fullmatch(s.strip())
    if not m:
        raise CheckpointError(
            f"short code: expected SIZE:CODE, e.g. 412:K7QM-2XPA-3RTB-5JCD (got {s!r})"
        )
    return int(m.group(1)), _normalize_code(m.group(2))


def code_matches(code_chars: str, root: bytes) -> bool:
    """Tell whether a typed code is the short code of ``root``."""
    return _normalize_code(code_chars) == _code_chars(root)
