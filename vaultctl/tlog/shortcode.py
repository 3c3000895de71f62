"""The short code of a tree head, read out on the phone each night (pure).

``412 · K7QM-2XPA-3RTB-5JCD-G``: the tree size, the first 80 bits of the
Merkle root in RFC 4648 base32 in four groups of four, and one check symbol.
Parsing is lenient with what a person types and strict with what it means: a
code whose check symbol does not match is a *mistyped* code
(:class:`MistypedCodeError`), never a forgery.

The check symbol is a Damm-style check over GF(32) (modulus x^5 + x^2 + 1,
alpha = x): ``h = 0; for each value v: h = alpha*h xor v; check = alpha*h``,
fed the decimal digits of the size (values 0-9) and then the 16 code
characters (their base32 values 0-31). Every value then carries a distinct
non-zero weight alpha^k and neighbours differ by the factor alpha + 1, so one
substituted character and two swapped neighbours always change the check.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from dataclasses import dataclass

from vaultctl.core.errors import CheckpointError, UsageError
from vaultctl.core.i18n import N_
from vaultctl.core.messages import Text

ROOT_SIZE = 32
CODE_CHARS = 16
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_SHORT_CODE_RE = re.compile(r"([0-9]{1,20})[\s:.\u00b7\u2022\uff1a]+(.*)")
# NOTE: as people say and write it down: "第51条 3U25 YSVK 7MLW EWO2 E",
# "51 · 3u25-ysvk-…", full-width (read after NFKC)
_SPOKEN_RE = re.compile(
    r"第?\s*([0-9]{1,20})\s*(?:条|[\s:.\u00b7\u2022])[\s:.\u00b7\u2022条,，]*(.*)"
)
_CODE_DROP_RE = re.compile(r"[\s\-\u2010-\u2015\u2212]")
# NOTE: base32 has no 0, 1, 8 or 9; a person reading "0", "1", "8" most
# likely saw the letter O, I or B, so those are read as such.
_CODE_LENIENT = str.maketrans("018", "OIB")


class MistypedCodeError(UsageError):
    """A short code that is not well formed or whose check symbol does not match:
    misheard or mistyped (a usage error, exit 2), never evidence of forgery."""

    exit_code = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedCode:
    """A code as typed: size, the 16 root characters, and whether it had a check."""

    size: int
    chars: str
    checked: bool


def _times_alpha(h: int) -> int:
    h <<= 1
    return h ^ 0b100101 if h & 0b100000 else h


def check_symbol(size: int, chars: str) -> str:
    """The check symbol of ``size`` and the 16 base32 ``chars``."""
    h = 0
    values = [int(d) for d in str(size)] + [ALPHABET.index(c) for c in chars]
    for v in values:
        h = _times_alpha(h) ^ v
    return ALPHABET[_times_alpha(h)]


def _code_chars(root: bytes) -> str:
    if len(root) != ROOT_SIZE:
        raise CheckpointError(f"root: got {len(root)} bytes, expected {ROOT_SIZE}")
    return base64.b32encode(root[:10]).decode()


def short_code(size: int, root: bytes) -> str:
    """Return ``"<size> · XXXX-XXXX-XXXX-XXXX-C"`` for reading out."""
    if size < 0:
        raise CheckpointError(f"short code: negative tree size (got {size})")
    chars = _code_chars(root)
    groups = "-".join(chars[i : i + 4] for i in range(0, CODE_CHARS, 4))
    return f"{size} \u00b7 {groups}-{check_symbol(size, chars)}"


def _normalize_code(code: str) -> str:
    """Drop spaces and dashes, upper-case, read 0/1/8 as O/I/B; check the length."""
    chars = _CODE_DROP_RE.sub("", code).upper().translate(_CODE_LENIENT)
    bad = re.search(r"[^A-Z2-7]", chars)
    if bad:
        raise MistypedCodeError(
            Text(
                N_("short code: {char} is not a base32 character (A-Z, 2-7)"),
                char=repr(bad.group()),
            )
        )
    if len(chars) not in (CODE_CHARS, CODE_CHARS + 1):  # 16: see parse
        raise MistypedCodeError(
            Text(
                N_(
                    "short code: got {n} characters, expected 17 "
                    "(16 and the check symbol)"
                ),
                n=len(chars),
            )
        )
    return chars


def parse(s: str) -> ParsedCode:
    """Parse what a person types, e.g. ``412:K7QM-2XPA-3RTB-5JCD-G``.

    The size and the code may be separated by ``:``, ``·``, ``.`` or spaces,
    or said as ``第412条``; full-width characters are read as their ASCII
    forms; in the code, spaces and dashes are ignored, lower case is accepted
    and the digits 0, 1, 8 are read as the letters O, I, B. A wrong check symbol,
    or a code of 16 characters (a dropped one, or the check symbol missing),
    raises :class:`MistypedCodeError`.
    """
    m = _SPOKEN_RE.fullmatch(unicodedata.normalize("NFKC", s).strip())
    if not m:
        raise MistypedCodeError(
            Text(
                N_(
                    "short code: expected SIZE:CODE, e.g. 412:K7QM-2XPA-3RTB-5JCD-G "
                    "(got {code})"
                ),
                code=repr(s),
            )
        )
    size, chars = int(m.group(1)), _normalize_code(m.group(2))
    if len(chars) == CODE_CHARS:
        # NOTE: refused, not taken as an unchecked code: one dropped character
        # of a checked code would otherwise read as a fork
        raise MistypedCodeError(
            Text(
                N_(
                    "short code {code}: 16 characters, expected 17: the check "
                    "symbol is missing or a character was dropped (not a "
                    "forgery): ask the site to read all of it again"
                ),
                code=repr(s.strip()),
            )
        )
    if check_symbol(size, chars[:CODE_CHARS]) != chars[CODE_CHARS]:
        raise MistypedCodeError(
            Text(
                N_(
                    "short code {code}: the check symbol does not match, so a "
                    "character was misheard or two were swapped (not a "
                    "forgery): ask the site to read it again"
                ),
                code=repr(s.strip()),
            )
        )
    return ParsedCode(size=size, chars=chars[:CODE_CHARS], checked=True)


def parse_short_code(s: str) -> tuple[int, str]:
    """:func:`parse`, returning the size and the 16 root characters."""
    p = parse(s)
    return p.size, p.chars


def code_matches(code_chars: str, root: bytes) -> bool:
    """Tell whether a typed code (16 chars, check symbol removed) is ``root``'s."""
    return _normalize_code(code_chars)[:CODE_CHARS] == _code_chars(root)
