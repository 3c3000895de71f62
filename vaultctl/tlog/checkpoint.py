"""Checkpoints: C2SP tlog-checkpoints in C2SP signed notes (pure).

A checkpoint note (c2sp.org/tlog-checkpoint, c2sp.org/signed-note)::

    vaultctl/<site-id>/<log-id>
    <tree size in decimal>
    <standard base64 of the 32-byte root>

    — <officer-id> <base64(4-byte key hash ‖ 64-byte Ed25519 signature)>

The key hash is SHA-256(officer-id ‖ 0x0A ‖ 0x01 ‖ raw public key)[:4].
Signature lines of unknown keys are ignored (so a witness can cosign the same
file later); a known key whose signature fails rejects the whole note.

The short code read out on the phone is in ``shortcode.py``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vaultctl.core.errors import CheckpointError
from vaultctl.core.keys import point_id, verify

ED25519_TYPE = b"\x01"
MAX_SIGNATURES = 100
MAX_SIZE = 2**64 - 1
ROOT_SIZE = 32
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,19}")
_BAD_CHAR_RE = re.compile("[\x00-\x09\x0b-\x1f\ud800-\udfff]")


def _check_chars(what: str, s: str) -> None:
    """Reject control characters other than newline, and unencodable text."""
    bad = _BAD_CHAR_RE.search(s)
    if bad:
        raise CheckpointError(
            f"{what}: bad character U+{ord(bad.group()):04X} at offset {bad.start()}"
        )


def _check_line(what: str, line: str) -> None:
    """Check one line of note text: non-empty, no newline or control character."""
    if not line:
        raise CheckpointError(f"{what}: empty line")
    if "\n" in line:
        raise CheckpointError(f"{what}: contains a newline")
    _check_chars(what, line)


def _check_name(what: str, name: str) -> None:
    """Check a signed-note key name: non-empty, no Unicode space, no '+'."""
    if not name or any(ch.isspace() or ch == "+" for ch in name):
        raise CheckpointError(
            f"{what}: bad key name {name!r} (expected non-empty, no spaces or '+')"
        )
    _check_chars(what, name)


def _b64decode(what: str, text: str) -> bytes:
    """Decode standard, padded, canonical base64."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError as e:  # binascii.Error, or a non-ASCII character
        raise CheckpointError(f"{what}: bad base64 ({e})") from e
    if base64.b64encode(raw).decode() != text:
        raise CheckpointError(f"{what}: base64 is not canonical")
    return raw


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint:
    """The tree head a checkpoint note signs: origin, tree size, root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line("checkpoint origin", self.origin)
        if not 0 <= self.size <= MAX_SIZE:
            raise CheckpointError(f"checkpoint size: out of range (got {self.size})")
        if len(self.root) != ROOT_SIZE:
            raise CheckpointError(
                f"checkpoint root: got {len(self.root)} bytes, expected {ROOT_SIZE}"
            )
        for number, line in enumerate(self.extensions, start=4):
            _check_line(f"checkpoint line {number}", line)

    def note_text(self) -> str:
        """Return the note text: one line each for origin, size, root, extensions."""
        lines = (self.origin, str(self.size), _b64encode(self.root), *self.extensions)
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def parse_body(cls, text: str) -> Checkpoint:
        """Parse note text strictly, keeping any extension lines."""
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint text: does not end in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(
                f"checkpoint text: got {len(lines)} lines, expected at least 3"
            )
        origin, size, root, *extensions = lines
        if not _SIZE_RE.fullmatch(size):
            raise CheckpointError(
                f"checkpoint size: expected decimal, no leading zeros (got {size!r})"
            )
        return cls(
            origin=origin,
            size=int(size),
            root=_b64decode("checkpoint root", root),
            extensions=tuple(extensions),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteSignature:
    """A signature line that verified against a known key."""

    name: str
    key_hash: bytes
    public_key: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedNote:
    """An opened note: its text, the checkpoint in it, the verified signatures."""

    text: str
    checkpoint: Checkpoint
    signatures: tuple[NoteSignature, ...]

    @property
    def verified_by(self) -> tuple[str, ...]:
        """Names whose signatures verified, each once, in note order."""
        return tuple(dict.fromkeys(s.name for s in self.signatures))


@dataclass(frozen=True, slots=True)
class _SignatureLine:
    number: int
    name: str
    key_hash: bytes
    signature: bytes


def make_origin(site_id: str, log_id: str) -> str:
    """Return the checkpoint origin ``vaultctl/<site-id>/<log-id>``."""
    for what, part in (("site id", site_id), ("log id", log_id)):
        if not part or "/" in part:
            raise CheckpointError(f"origin {what}: expected non-empty, no '/'")
        _check_name(f"origin {what}", part)
    return f"vaultctl/{site_id}/{log_id}"


def key_hash(name: str, raw_public_key: bytes) -> bytes:
    """Return the signed-note key ID of an Ed25519 key: 4 bytes."""
    _check_name("key", name)
    if len(raw_public_key) != 32:
        raise CheckpointError(
            f"key {name}: got {len(raw_public_key)} bytes, expected 32"
        )
    data = name.encode() + b"\n" + ED25519_TYPE + raw_public_key
    return hashlib.sha256(data).digest()[:4]


def _signature_line(name: str, key: Ed25519PrivateKey, text: str) -> str:
    raw = key.public_key().public_bytes_raw()
    signature = key.sign(text.encode())
    return f"{SIGNATURE_PREFIX}{name} {_b64encode(key_hash(name, raw) + signature)}\n"


def sign_note(text: str, signers: Sequence[tuple[str, Ed25519PrivateKey]]) -> str:
    """Sign checkpoint note text with each (name, key); return the whole note."""
    # NOTE: only well-formed checkpoint text is signed, so an officer key can
    # never be made to sign anything else through this function.
    Checkpoint.parse_body(text)
    _check_chars("checkpoint text", text)
    if not signers:
        raise CheckpointError("sign note: no signers")
    if len(signers) > MAX_SIGNATURES:
        raise CheckpointError(f"sign note: more than {MAX_SIGNATURES} signers")
    return text + "\n" + "".join(_signature_line(n, k, text) for n, k in signers)


def _split_note(note: str) -> tuple[str, list[_SignatureLine]]:
    """Split a note at its last blank line into text and parsed signature lines."""
    _check_chars("note", note)
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointError("note: no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block:
        raise CheckpointError("note: no signature lines")
    if not block.endswith("\n"):
        raise CheckpointError("note: last signature line does not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(
            f"note: too many signatures (got {len(lines)}, at most {MAX_SIGNATURES})"
        )
    return text, [_parse_line(i, line) for i, line in enumerate(lines, start=1)]


def _parse_line(number: int, line: str) -> _SignatureLine:
    """Parse ``— <name> <base64(key hash ‖ signature)>``."""
    what = f"signature line {number}"
    if not line.startswith(SIGNATURE_PREFIX):
        raise CheckpointError(f"{what}: does not start with an em dash and a space")
    name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    _check_name(what, name)
    raw = _b64decode(what, encoded)
    if len(raw) < 5:
        raise CheckpointError(f"{what}: got {len(raw)} bytes, expected at least 5")
    return _SignatureLine(number, name, raw[:4], raw[4:])


def _verify_line(line: _SignatureLine, keys: Sequence[bytes], data: bytes) -> bytes:
    """Return the key among ``keys`` that made this signature, or raise."""
    for raw in keys:
        if verify(raw, line.signature, data):
            return raw
    raise CheckpointError(
        f"signature line {line.number}: bad signature by known key "
        f"{line.name} {line.key_hash.hex()}"
    )


def open_note(note: str, known_keys: Mapping[str, Sequence[bytes]]) -> SignedNote:
    """Parse a checkpoint note and verify the signatures of known keys.

    ``known_keys`` maps a name to its raw Ed25519 public keys. Lines whose
    (name, key hash) match no known key are ignored; any failing known
    signature, or none at all, raises ``CheckpointError``.
    """
    text, lines = _split_note(note)
    checkpoint = Checkpoint.parse_body(text)
    found: dict[tuple[str, bytes], NoteSignature] = {}
    for line in lines:
        known = known_keys.get(line.name, ())
        keys = [k for k in known if key_hash(line.name, k) == line.key_hash]
        if keys:
            raw = _verify_line(line, keys, text.encode())
            found.setdefault(
                (line.name, raw),
                NoteSignature(name=line.name, key_hash=line.key_hash, public_key=raw),
            )
    if not found:
        raise CheckpointError("note: no signature from a known key")
    signatures = tuple(found.values())
    return SignedNote(text=text, checkpoint=checkpoint, signatures=signatures)


def require_cosigners(opened: SignedNote, n: int = 2) -> tuple[str, ...]:
    """Require signatures by ``n`` distinct names with distinct raw keys.

    A raw key that verified under two names counts for neither. Returns the
    names counted; raises ``CheckpointError`` when there are fewer than ``n``.
    """
    # NOTE: keys compared as points up to sign (A and -A are one key)
    owners: dict[bytes, set[str]] = {}
    for s in opened.signatures:
        owners.setdefault(point_id(s.public_key), set()).add(s.name)
    names = sorted(
        {s.name for s in opened.signatures if len(owners[point_id(s.public_key)]) == 1}
    )
    if len(names) < n:
        raise CheckpointError(
            f"checkpoint: too few cosigners with distinct keys "
            f"(got {len(names)}: {', '.join(names) or 'none'}; expected at least {n})"
        )
    return tuple(names)
