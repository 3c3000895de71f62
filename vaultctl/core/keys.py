"""Ed25519 officer keys: key files, passphrases, key ids, signing and verifying.

Private keys are PKCS#8 PEM encrypted with the officer's passphrase (the UTF-8
bytes of its NFC form), mode 0600, never inside the vault. Public keys travel
as ``ed25519:<base64 of the raw 32 bytes>``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# NOTE: PyNaCl's own cffi module (libsodium), as its bindings call it
from nacl._sodium import ffi as _ffi  # type: ignore[import-not-found]
from nacl._sodium import lib as _lib
from nacl.bindings import crypto_core_ed25519_is_valid_point as _is_valid_point

from vaultctl.core import keyfile
from vaultctl.core.errors import KeyFileError, UsageError, WrongPassphraseError
from vaultctl.core.i18n import N_
from vaultctl.core.messages import CANNOT_READ, EXISTS, Text
from vaultctl.core.model import OFFICER_RE

PUBLIC_PREFIX = "ed25519:"
# NOTE: a passphrase of 10 characters, where a Chinese character counts 2.5
# (4 of them are enough): each holds far more guesses than a Latin letter.
MIN_PASSPHRASE_WEIGHT = 10
PASSPHRASE_RULE = Text(N_("at least 10 characters, or 4 Chinese characters"))
# NOTE: encodings of the 8 small-order points (and their non-canonical twins).
# A public key among them accepts forged signatures on some verifiers; we never
# put one on the roster. Source: the Ed25519 edge-case literature (RFC 8032 §5.1.7,
# "Taming the many EdDSAs", Chalkias et al.).
_SMALL_ORDER_HEX = (
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
)
SMALL_ORDER = frozenset(bytes.fromhex(h) for h in _SMALL_ORDER_HEX)


def is_small_order(raw: bytes) -> bool:
    """True for any encoding of a small-order point, whatever its sign bit."""
    # NOTE: decoders ignore or honour the x sign bit differently; compare with it
    # cleared, as libsodium does, so no spelling of a weak point slips through.
    cleared = raw[:31] + bytes([raw[31] & 0x7F])
    return cleared in _SMALL_ORDER_CLEARED


# NOTE: the subgroup check costs about as much as a signature check; a roster
# holds a few dozen keys, so each is judged once per process, not per signature
@lru_cache(maxsize=4096)
def is_weak(raw: bytes) -> bool:
    """A key no roster may hold: wrong length, small order, y not reduced mod p
    (a second spelling of a point), not on the curve, or not in the prime-order
    subgroup (A + T for a small-order T: the holder of A's private key can sign
    for it too, so it would pass for a second person)."""
    if len(raw) != 32:
        return True
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    if y >= 2**255 - 19 or is_small_order(raw):
        return True
    # NOTE: libsodium's check is canonical, on the curve, not of small order,
    # and [L]A = identity (no torsion component)
    return not _is_valid_point(raw)


def point_id(raw: bytes) -> bytes:
    """What makes two keys the same person: the point up to its sign.

    A and -A differ only in the sign bit of x, and whoever holds the private
    scalar of one can sign for the other; distinctness of signers and of
    roster keys is judged on this, never on the 32 raw bytes or the key id.
    """
    return raw[:31] + bytes([raw[31] & 0x7F])


def ref_raw(ref: dict[str, str]) -> bytes:
    """The raw public key of a roster key reference (raises ValueError)."""
    return base64.b64decode(
        ref["public_key"].removeprefix(PUBLIC_PREFIX), validate=True
    )


def key_ref_problem(ref: dict[str, str]) -> str | None:
    """Why a roster key reference ``{key, public_key}`` is unacceptable, if it is."""
    try:
        raw = ref_raw(ref)
    except ValueError:
        return f"key {ref.get('key')}: public key is not base64"
    if is_weak(raw):
        return (
            f"key {ref['key']}: a weak Ed25519 key (small order, non-canonical, "
            "or outside the prime-order subgroup)"
        )
    if ref["key"] != key_id(raw):
        return f"key id {ref['key']} is not the id of its public key ({key_id(raw)})"
    return None


_SMALL_ORDER_CLEARED = frozenset(k[:31] + bytes([k[31] & 0x7F]) for k in SMALL_ORDER)


def key_id(raw_public: bytes) -> str:
    """First 16 lowercase hex chars of SHA-256 of the raw public key."""
    return hashlib.sha256(raw_public).hexdigest()[:16]


def raw_public(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def format_public_key(raw: bytes) -> str:
    return PUBLIC_PREFIX + base64.b64encode(raw).decode("ascii")


def parse_public_key(line: str, where: str = "public key") -> bytes:
    """Parse ``ed25519:<base64>`` (optionally followed by a comment) to 32 bytes."""
    text = line.strip().split(" ", 1)[0] if isinstance(line, str) else ""
    if not text.startswith(PUBLIC_PREFIX):
        raise UsageError(f"{where}: expected 'ed25519:<base64>', got {line!r:.60}")
    try:
        raw = base64.b64decode(text[len(PUBLIC_PREFIX) :], validate=True)
    except ValueError as e:  # binascii.Error, or non-ASCII text
        raise UsageError(f"{where}: not standard base64") from e
    if len(raw) != 32:
        raise UsageError(f"{where}: expected 32 bytes, got {len(raw)}")
    if is_weak(raw):
        raise UsageError(
            f"{where}: a weak Ed25519 key (small order, non-canonical, or outside "
            "the prime-order subgroup) is refused"
        )
    return raw


def passphrase_variable(officer_id: str) -> str:
    """``VAULTCTL_PASSPHRASE_<ID>``: ID upper-cased, non-[A-Z0-9] as ``_``."""
    return "VAULTCTL_PASSPHRASE_" + re.sub(r"[^A-Z0-9]", "_", officer_id.upper())


def new_passphrase_variable(officer_id: str) -> str:
    """``VAULTCTL_NEW_PASSPHRASE_<ID>``: the new passphrase for ``keys upgrade``."""
    return passphrase_variable(officer_id).replace("_PASSPHRASE_", "_NEW_PASSPHRASE_")


def passphrase_bytes(passphrase: str) -> bytes:
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _is_cjk(char: str) -> bool:
    return unicodedata.name(char, "").startswith(("CJK UNIFIED", "CJK COMPATIBILITY"))


def passphrase_problem(passphrase: str) -> str | None:
    """Why a new passphrase is too weak to protect a key file, if it is."""
    text = unicodedata.normalize("NFC", passphrase)
    weight = sum(2.5 if _is_cjk(c) else 1 for c in text)
    if weight < MIN_PASSPHRASE_WEIGHT:
        return Text(N_("the passphrase is too short: {rule}"), rule=PASSPHRASE_RULE)
    return None


def key_paths(key_dir: Path, officer_id: str) -> tuple[Path, Path]:
    if not OFFICER_RE.fullmatch(officer_id):
        raise UsageError(
            Text(
                N_("officer id {who}: expected [A-Za-z0-9][A-Za-z0-9._-]*"),
                who=repr(officer_id),
            )
        )
    return key_dir / f"{officer_id}.key", key_dir / f"{officer_id}.pub"


def refuse_existing(key_dir: Path, officer_id: str) -> None:
    """Refuse before anyone types a passphrase: key files are never overwritten."""
    for path in key_paths(key_dir, officer_id):
        if path.exists():
            raise KeyFileError(Text(EXISTS, path=path))


# NOTE: demo keys (``keys generate --demo``, ``make demo``): derived from the
# officer id by a published rule, so anyone can recompute them, and wrapped
# with a cheap scrypt so a demonstration week runs in a minute. A genesis or a
# roster change that lists one is refused unless the site says ``demo = true``.
DEMO_SEED = b"vaultctl/demo-key/v1\n"
DEMO_COST = (2**10, 8, 1)


def demo_private(officer_id: str) -> Ed25519PrivateKey:
    """The published demo key of ``officer_id``: nobody's secret."""
    seed = hashlib.sha256(DEMO_SEED + officer_id.encode("utf-8")).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def is_demo_key(officer_id: str, raw: bytes) -> bool:
    return point_id(raw) == point_id(raw_public(demo_private(officer_id)))


def demo_key_among(
    officer_id: str, refs: Sequence[dict[str, str]]
) -> dict[str, str] | None:
    """The first of ``refs`` that is ``officer_id``'s published demo key (a
    malformed ref is another check's business)."""
    return next(
        (
            ref
            for ref in refs
            if not key_ref_problem(ref) and is_demo_key(officer_id, ref_raw(ref))
        ),
        None,
    )


def generate(
    key_dir: Path,
    officer_id: str,
    passphrase: str,
    private: Ed25519PrivateKey | None = None,
    demo: bool = False,
) -> tuple[Path, Path]:
    """Write a new encrypted private key (0600) and its public key; never overwrite.

    ``private`` is for tests that need keys from fixed seeds; normally a fresh
    key is generated. ``demo``: the officer's published demo key, wrapped
    cheaply (only a ``demo = true`` site accepts it).
    """
    refuse_existing(key_dir, officer_id)
    problem = passphrase_problem(passphrase)
    if problem:
        raise UsageError(problem)
    key_path, pub_path = key_paths(key_dir, officer_id)
    key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if demo:
        private = demo_private(officer_id)
    private = private or Ed25519PrivateKey.generate()
    cost = DEMO_COST if demo else None
    wrapped = keyfile.encrypt(private, passphrase_bytes(passphrase), cost)
    _write_new(key_path, wrapped, 0o600)
    raw = raw_public(private)
    comment = (
        f"{officer_id} DEMO KEY, published: never for a real site"
        if demo
        else officer_id
    )
    _write_new(pub_path, f"{format_public_key(raw)} {comment}\n".encode(), 0o644)
    return key_path, pub_path


def _write_new(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError as e:
        raise KeyFileError(Text(EXISTS, path=path)) from e
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def upgrade(
    key_dir: Path, officer_id: str, private: Ed25519PrivateKey, new: str
) -> Path:
    """Re-encrypt an officer's key file (``private``, decrypted by the caller)
    with the current KDF and the passphrase ``new``.

    The key pair is unchanged (so is its .pub); the new file is written beside
    the old one, exclusively and 0600, then renamed over it.
    """
    problem = passphrase_problem(new)
    if problem:
        raise UsageError(problem)
    key_path, _ = key_paths(key_dir, officer_id)
    tmp = key_path.with_name(key_path.name + ".new")
    tmp.unlink(missing_ok=True)
    _write_new(tmp, keyfile.encrypt(private, passphrase_bytes(new)), 0o600)
    tmp.replace(key_path)
    return key_path


def kdf_of(key_dir: Path, officer_id: str) -> str:
    """The KDF protecting an officer's key file ("scrypt", "pbkdf2", …)."""
    key_path, _ = key_paths(key_dir, officer_id)
    try:
        return keyfile.kdf_name(key_path.read_bytes())
    except OSError as e:
        raise KeyFileError(Text(CANNOT_READ, path=key_path, why=e.strerror)) from e


def read_public(key_dir: Path, officer_id: str) -> bytes:
    _, pub_path = key_paths(key_dir, officer_id)
    try:
        return parse_public_key(pub_path.read_text("utf-8"), str(pub_path))
    except OSError as e:
        raise KeyFileError(Text(CANNOT_READ, path=pub_path, why=e.strerror)) from e


def load_private(key_dir: Path, officer_id: str, passphrase: str) -> Ed25519PrivateKey:
    """Read and decrypt an officer's key; refuse group/other-accessible files."""
    key_path, _ = key_paths(key_dir, officer_id)
    try:
        mode = key_path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(
                f"{key_path}: permissions {stat.S_IMODE(mode):04o} are too open, "
                "expected 0600 (run: chmod 600 " + str(key_path) + ")"
            )
        pem = key_path.read_bytes()
    except FileNotFoundError as e:
        raise KeyFileError(
            Text(
                N_("{path}: no key file for officer {who}"),
                path=key_path,
                who=officer_id,
            )
        ) from e
    except OSError as e:
        raise KeyFileError(Text(CANNOT_READ, path=key_path, why=e.strerror)) from e
    problem = keyfile.cost_problem(pem)
    if problem:
        raise KeyFileError(f"{key_path}: {problem}")
    try:
        private = serialization.load_pem_private_key(pem, passphrase_bytes(passphrase))
    except (ValueError, TypeError) as e:
        raise WrongPassphraseError(
            Text(N_("{who}: wrong passphrase or damaged key file"), who=officer_id)
        ) from e
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyFileError(Text(N_("{path}: not an Ed25519 key"), path=key_path))
    return private


def sign(private: Ed25519PrivateKey, data: bytes) -> bytes:
    return private.sign(data)


def verify(raw: bytes, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``data`` by ``raw``.

    Every verify path (chain, checkpoints, proofs, audit) comes here, so they
    cannot disagree: libsodium (through PyNaCl), which refuses S >= L, small-order
    and non-canonical A and R, and checks the cofactorless equation. Keys outside
    the prime-order subgroup are refused earlier, by :func:`is_weak`.
    """
    # NOTE: libsodium reads exactly 32 key bytes; a shorter buffer would be read
    # past its end
    if len(raw) != 32 or len(signature) != 64:
        return False
    signed = signature + data
    # NOTE: libsodium's crypto_sign_open itself, as PyNaCl's binding calls it,
    # without a fresh output buffer and a copy of the message per signature
    # (issue 24); what it writes into the buffer is never read
    out = _OPENED[0]
    if len(out) < len(signed):
        out = _OPENED[0] = _ffi.new("unsigned char[]", len(signed))
    return bool(_lib.crypto_sign_open(out, _OPENED_LEN, signed, len(signed), raw) == 0)


_OPENED = [_ffi.new("unsigned char[]", 4096)]
_OPENED_LEN = _ffi.new("unsigned long long *")
