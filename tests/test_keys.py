"""Ed25519 officer keys: ids, public key lines, weak keys, key files, sign / verify."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vaultctl.core import keys
from vaultctl.core.errors import KeyFileError, UsageError

# RFC 8032 section 7.1, TEST 1 (empty message).
RFC_SECRET = bytes.fromhex(
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
)
RFC_PUBLIC = bytes.fromhex(
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
)
RFC_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
    "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)
GROUP_ORDER = 2**252 + 27742317777372353535851937790883648493  # L

OFFICER = "O-T01"
PASSPHRASE = "口令-test"  # noqa: S105 - a test passphrase


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def seeded(n: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32)


def raw_of(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


@pytest.fixture
def umask0() -> Iterator[None]:
    """Run with umask 0 so the modes seen are exactly the modes the code asks for."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    """A key dir holding one officer's key, made from the RFC 8032 TEST 1 secret."""
    d = tmp_path / "keys"
    keys.generate(
        d, OFFICER, PASSPHRASE, private=Ed25519PrivateKey.from_private_bytes(RFC_SECRET)
    )
    return d


# --- key ids and public key lines -------------------------------------------------


def test_key_id_is_first_16_hex_of_sha256() -> None:
    assert keys.key_id(bytes(32)) == "66687aadf862bd77"
    assert keys.key_id(RFC_PUBLIC) == hashlib.sha256(RFC_PUBLIC).hexdigest()[:16]
    assert keys.key_id(RFC_PUBLIC) != keys.key_id(raw_of(seeded(1)))


@pytest.mark.parametrize(
    "line",
    [
        f"ed25519:{b64(RFC_PUBLIC)}",
        f"ed25519:{b64(RFC_PUBLIC)} O-001",
        f"ed25519:{b64(RFC_PUBLIC)} 王建国 laptop 2026\n",
        f"  ed25519:{b64(RFC_PUBLIC)}\n",
    ],
)
def test_parse_public_key_accepts_line_with_or_without_comment(line: str) -> None:
    assert keys.parse_public_key(line) == RFC_PUBLIC


def test_format_public_key_is_prefix_and_standard_base64() -> None:
    assert keys.format_public_key(RFC_PUBLIC) == (
        "ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
    )


@pytest.mark.parametrize(
    "line",
    [
        f"ssh-ed25519 {b64(RFC_PUBLIC)}",
        f"ED25519:{b64(RFC_PUBLIC)}",
        f"ed448:{b64(RFC_PUBLIC)}",
        b64(RFC_PUBLIC),
        "",
        "ed25519:",
        f"ed25519: {b64(RFC_PUBLIC)}",
    ],
)
def test_parse_public_key_rejects_wrong_prefix(line: str) -> None:
    with pytest.raises(UsageError):
        keys.parse_public_key(line)


@pytest.mark.parametrize(
    "encoded",
    [
        "!!!!",
        b64(RFC_PUBLIC).rstrip("="),
        b64(RFC_PUBLIC)[:-2] + "*=",
        b64(RFC_PUBLIC).replace("/", "_"),
        b64(RFC_PUBLIC) + "A",
    ],
)
def test_parse_public_key_rejects_bad_base64(encoded: str) -> None:
    with pytest.raises(UsageError, match="where-it-was"):
        keys.parse_public_key(f"ed25519:{encoded}", "where-it-was")


def test_parse_public_key_rejects_non_ascii_base64_with_usage_error() -> None:
    # base64.b64decode raises a bare ValueError (not binascii.Error) for non-ASCII
    # text; a user's typo must still be a UsageError naming the place.
    with pytest.raises(UsageError, match="officers"):
        keys.parse_public_key(
            "ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURé=",
            "officers[0].public_key",
        )


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_parse_public_key_rejects_wrong_length(size: int) -> None:
    with pytest.raises(UsageError, match=f"got {size}"):
        keys.parse_public_key(f"ed25519:{b64(bytes(range(size)))}")


def test_parse_public_key_rejects_non_string() -> None:
    with pytest.raises(UsageError):
        keys.parse_public_key(None)  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        keys.parse_public_key(RFC_PUBLIC)  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", sorted(keys.SMALL_ORDER), ids=lambda r: r.hex()[:8])
def test_parse_public_key_refuses_listed_small_order_points(raw: bytes) -> None:
    with pytest.raises(UsageError, match="weak"):
        keys.parse_public_key(keys.format_public_key(raw) + " comment")


# --- a tiny pure-Python Edwards25519 reference (RFC 8032 5.1) ----------------------

P = 2**255 - 19
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
IDENTITY = (0, 1)
Point = tuple[int, int]


def _sqrt(a: int) -> int | None:
    """A square root of ``a`` mod p, or None (RFC 8032 5.1.3 step 3)."""
    x = pow(a, (P + 3) // 8, P)
    if (x * x - a) % P == 0:
        return x
    x = x * SQRT_M1 % P
    return x if (x * x - a) % P == 0 else None


def decode_point(enc: bytes) -> Point | None:
    """RFC 8032 5.1.3, except that y >= p is reduced instead of refused.

    Lax decoders (and some list entries) use such non-canonical encodings.
    """
    n = int.from_bytes(enc, "little")
    sign, y = n >> 255, (n & ((1 << 255) - 1)) % P
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = _sqrt(u * pow(v, P - 2, P) % P)
    if x is None or (x == 0 and sign):
        return None
    return (P - x, y) if x % 2 != sign else (x, y)


def add(a: Point, b: Point) -> Point:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return (
        (x1 * y2 + x2 * y1) * pow(1 + t, P - 2, P) % P,
        (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P,
    )


def times(n: int, point: Point) -> Point:
    result = IDENTITY
    while n:
        if n & 1:
            result = add(result, point)
        point = add(point, point)
        n >>= 1
    return result


def times8(point: Point) -> Point:
    for _ in range(3):
        point = add(point, point)
    return point


BASE = decode_point(
    bytes.fromhex("5866666666666666666666666666666666666666666666666666666666666666")
)


def test_reference_arithmetic_is_sound() -> None:
    # The base point has order L and is not small; the RFC public key is a
    # valid, large-order point. Without this the checks below prove nothing.
    assert BASE is not None
    assert times(GROUP_ORDER, BASE) == IDENTITY
    assert times8(BASE) != IDENTITY
    rfc_point = decode_point(RFC_PUBLIC)
    assert rfc_point is not None
    assert times8(rfc_point) != IDENTITY
    # A = [s]B where s is the clamped SHA-512 of the secret (RFC 8032 5.1.5).
    h = hashlib.sha512(RFC_SECRET).digest()[:32]
    s = int.from_bytes(h, "little") & ((1 << 254) - 8) | (1 << 254)
    ax, ay = times(s, BASE)
    assert (ay | ((ax & 1) << 255)).to_bytes(32, "little") == RFC_PUBLIC


@pytest.mark.parametrize("raw", sorted(keys.SMALL_ORDER), ids=lambda r: r.hex()[:8])
def test_each_listed_point_really_has_small_order(raw: bytes) -> None:
    point = decode_point(raw)
    assert point is not None, f"{raw.hex()} does not decode to a curve point"
    assert times8(point) == IDENTITY


def small_order_encodings() -> list[bytes]:
    """Every 32-byte string whose y (mod p) is the y of a point of order 1..8.

    Order 1, 2, 4 have y = 1, -1, 0. An order-8 point doubles to an order-4 point
    (y = 0); doubling gives y' = (y^2 + x^2) / (1 - d x^2 y^2), so x^2 = -y^2 and the
    curve -x^2 + y^2 = 1 + d x^2 y^2 becomes d y^4 + 2 y^2 - 1 = 0, that is
    y^2 = (-1 +- sqrt(1 + d)) / d. Each y gives encodings y and (if < 2^255)
    y + p, each with both sign bits.
    """
    ys = {0, 1, P - 1}
    root_1d = _sqrt((1 + D) % P)
    assert root_1d is not None
    inv_d = pow(D, P - 2, P)
    for r in (root_1d, P - root_1d):
        y2 = (r - 1) * inv_d % P
        root = _sqrt(y2)
        if root is not None:
            ys |= {root, P - root}
    found = []
    for y in sorted(ys):
        for rep in (y, y + P):
            for sign in (0, 1):
                if rep < 2**255:
                    found.append((rep | (sign << 255)).to_bytes(32, "little"))
    return found


SMALL_ENCODINGS = small_order_encodings()


def test_small_order_enumeration_is_complete_and_contains_the_known_points() -> None:
    assert len(SMALL_ENCODINGS) == 14  # 7 y encodings x 2 sign bits
    decoded = {e: decode_point(e) for e in SMALL_ENCODINGS}
    points = {p for p in decoded.values() if p is not None}
    assert len(points) == 8  # the whole 8-torsion subgroup
    assert all(times8(p) == IDENTITY for p in points)
    # the classic order-8 encodings from the literature
    for known in (
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    ):
        assert bytes.fromhex(known) in SMALL_ENCODINGS


@pytest.mark.parametrize(
    "raw",
    [e for e in SMALL_ENCODINGS if decode_point(e)],
    ids=lambda r: r.hex()[:4] + ".." + r.hex()[-2:],
)
def test_every_decodable_small_order_encoding_is_refused(raw: bytes) -> None:
    with pytest.raises(UsageError):
        keys.parse_public_key(keys.format_public_key(raw))


@pytest.mark.parametrize(
    "raw", SMALL_ENCODINGS, ids=lambda r: r.hex()[:4] + ".." + r.hex()[-2:]
)
def test_no_public_key_that_accepts_forgeries_is_accepted(raw: bytes) -> None:
    # A forged signature with R = identity and S = 0 verifies under a small-order
    # key A whenever [k]A is the identity (for about 1 in ord(A) messages); the
    # backend also decodes "x = 0 with the sign bit set" as the same point. Any
    # key for which keys.verify accepts such a forgery must never be parsed.
    forged = (1).to_bytes(32, "little") + bytes(32)
    if any(keys.verify(raw, forged, bytes([m])) for m in range(64)):
        with pytest.raises(UsageError):
            keys.parse_public_key(keys.format_public_key(raw))


# --- passphrases -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("officer", "variable"),
    [
        ("O-003", "VAULTCTL_PASSPHRASE_O_003"),
        ("a.b-c", "VAULTCTL_PASSPHRASE_A_B_C"),
        ("o.1", "VAULTCTL_PASSPHRASE_O_1"),
        ("X_9", "VAULTCTL_PASSPHRASE_X_9"),
    ],
)
def test_passphrase_variable(officer: str, variable: str) -> None:
    assert keys.passphrase_variable(officer) == variable


def test_passphrase_bytes_are_utf8_of_nfc() -> None:
    assert keys.passphrase_bytes("e\u0301") == b"\xc3\xa9"
    assert keys.passphrase_bytes("\u00e9") == b"\xc3\xa9"


# --- key files ---------------------------------------------------------------------


def test_generate_writes_private_0600_and_public_0644(
    tmp_path: Path, umask0: None
) -> None:
    private = seeded(7)
    key_path, pub_path = keys.generate(
        tmp_path / "k", "O-007", "pw-longer-10", private=private
    )
    assert key_path == tmp_path / "k" / "O-007.key"
    assert pub_path == tmp_path / "k" / "O-007.pub"
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(pub_path.stat().st_mode) == 0o644
    assert pub_path.read_text("ascii") == f"ed25519:{b64(raw_of(private))} O-007\n"


def test_generate_pub_line_for_rfc_key(key_dir: Path) -> None:
    line = (key_dir / f"{OFFICER}.pub").read_text("utf-8")
    assert line == f"ed25519:{b64(RFC_PUBLIC)} {OFFICER}\n"
    assert keys.read_public(key_dir, OFFICER) == RFC_PUBLIC


def test_generate_writes_an_encrypted_pkcs8_pem(key_dir: Path) -> None:
    pem = (key_dir / f"{OFFICER}.key").read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    assert pem.rstrip().endswith(b"-----END ENCRYPTED PRIVATE KEY-----")
    assert RFC_SECRET not in base64.b64decode(b"".join(pem.splitlines()[1:-1]))
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(pem, None)
    loaded = serialization.load_pem_private_key(pem, PASSPHRASE.encode("utf-8"))
    assert isinstance(loaded, Ed25519PrivateKey)
    assert raw_of(loaded) == RFC_PUBLIC


def test_generate_makes_a_fresh_key_without_a_seed(tmp_path: Path) -> None:
    keys.generate(tmp_path, "A", "pw-longer-10")
    keys.generate(tmp_path, "B", "pw-longer-10")
    assert keys.read_public(tmp_path, "A") != keys.read_public(tmp_path, "B")


@pytest.mark.parametrize("existing", [".key", ".pub"])
def test_generate_refuses_to_overwrite(key_dir: Path, existing: str) -> None:
    other = ".pub" if existing == ".key" else ".key"
    (key_dir / f"{OFFICER}{other}").unlink()
    path = key_dir / f"{OFFICER}{existing}"
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        keys.generate(key_dir, OFFICER, "another", private=seeded(9))
    assert path.read_bytes() == before
    assert not (key_dir / f"{OFFICER}{other}").exists()


def test_generate_refuses_when_both_exist(key_dir: Path) -> None:
    files = {p: p.read_bytes() for p in key_dir.iterdir()}
    with pytest.raises(KeyFileError):
        keys.generate(key_dir, OFFICER, PASSPHRASE)
    assert {p: p.read_bytes() for p in key_dir.iterdir()} == files


def test_generate_refuses_empty_passphrase_and_bad_ids(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="passphrase"):
        keys.generate(tmp_path, "O-1", "")
    for bad in ("", "../O-1", "a/b", "-x", ".hidden"):
        with pytest.raises(UsageError):
            keys.generate(tmp_path, bad, "pw")
    assert list(tmp_path.iterdir()) == []


def test_load_private_round_trip(key_dir: Path) -> None:
    private = keys.load_private(key_dir, OFFICER, PASSPHRASE)
    assert keys.raw_public(private) == RFC_PUBLIC
    assert keys.sign(private, b"") == RFC_SIGNATURE


@pytest.mark.parametrize("wrong", ["口令-TEST", "", "口令-test ", "x"])
def test_load_private_wrong_passphrase(key_dir: Path, wrong: str) -> None:
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        keys.load_private(key_dir, OFFICER, wrong)


def test_load_private_missing_file_names_the_officer(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="O-404"):
        keys.load_private(tmp_path, "O-404", "pw")


def test_load_private_damaged_file(key_dir: Path) -> None:
    path = key_dir / f"{OFFICER}.key"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(KeyFileError):
        keys.load_private(key_dir, OFFICER, PASSPHRASE)


def test_load_private_refuses_unencrypted_key(tmp_path: Path) -> None:
    pem = seeded(3).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = tmp_path / "O-3.key"
    path.write_bytes(pem)
    path.chmod(0o600)
    with pytest.raises(KeyFileError):
        keys.load_private(tmp_path, "O-3", "pw")


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o601, 0o610])
def test_load_private_refuses_open_permissions(key_dir: Path, mode: int) -> None:
    (key_dir / f"{OFFICER}.key").chmod(mode)
    with pytest.raises(KeyFileError, match=rf"permissions {mode:04o}"):
        keys.load_private(key_dir, OFFICER, PASSPHRASE)


def test_load_private_accepts_owner_only_modes(key_dir: Path) -> None:
    path = key_dir / f"{OFFICER}.key"
    for mode in (0o400, 0o600):
        path.chmod(mode)
        assert keys.raw_public(keys.load_private(key_dir, OFFICER, PASSPHRASE)) == (
            RFC_PUBLIC
        )


@pytest.mark.parametrize(
    ("made_with", "typed"),
    [
        ("caf\u00e9-café-é", "cafe\u0301-café-é"),
        ("cafe\u0301-café-é", "caf\u00e9-café-é"),
    ],
)
def test_passphrase_is_nfc_normalised(
    tmp_path: Path, made_with: str, typed: str
) -> None:
    keys.generate(tmp_path, "O-5", made_with, private=seeded(5))
    loaded = keys.load_private(tmp_path, "O-5", typed)
    assert keys.raw_public(loaded) == raw_of(seeded(5))


def test_read_public_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="O-404.pub"):
        keys.read_public(tmp_path, "O-404")


# --- sign and verify ----------------------------------------------------------------


def test_sign_verify_round_trip() -> None:
    private = seeded(11)
    sig = keys.sign(private, b"entry bytes")
    assert len(sig) == 64
    assert keys.verify(raw_of(private), sig, b"entry bytes")


def test_verify_false_for_flipped_bit_wrong_key_wrong_message() -> None:
    private, other = seeded(11), seeded(12)
    data = b"vaultctl/entry/v1\n{}"
    sig = keys.sign(private, data)
    for i in (0, 31, 32, 63):
        flipped = bytearray(sig)
        flipped[i] ^= 0x01
        assert not keys.verify(raw_of(private), bytes(flipped), data)
    assert not keys.verify(raw_of(other), sig, data)
    assert not keys.verify(raw_of(private), sig, data + b" ")
    assert not keys.verify(raw_of(private), sig, b"")


def test_verify_false_for_malformed_inputs() -> None:
    private = seeded(11)
    sig = keys.sign(private, b"x")
    assert not keys.verify(raw_of(private), sig[:63], b"x")
    assert not keys.verify(raw_of(private), sig + b"\0", b"x")
    assert not keys.verify(raw_of(private)[:31], sig, b"x")
    assert not keys.verify(b"", sig, b"x")


def test_rfc8032_test1_golden_vector() -> None:
    private = Ed25519PrivateKey.from_private_bytes(RFC_SECRET)
    assert keys.raw_public(private) == RFC_PUBLIC
    assert keys.sign(private, b"") == RFC_SIGNATURE
    assert keys.verify(RFC_PUBLIC, RFC_SIGNATURE, b"")
    assert not keys.verify(RFC_PUBLIC, RFC_SIGNATURE, b"\0")
    assert keys.key_id(RFC_PUBLIC) == hashlib.sha256(RFC_PUBLIC).hexdigest()[:16]


def test_non_canonical_s_does_not_verify() -> None:
    # S' = S + L encodes the same scalar mod L; a strict verifier refuses S >= L.
    s = int.from_bytes(RFC_SIGNATURE[32:], "little")
    assert s < GROUP_ORDER
    malleated = RFC_SIGNATURE[:32] + (s + GROUP_ORDER).to_bytes(32, "little")
    assert malleated != RFC_SIGNATURE
    assert not keys.verify(RFC_PUBLIC, malleated, b"")

    private = seeded(13)
    sig = keys.sign(private, b"data")
    s = int.from_bytes(sig[32:], "little")
    malleated = sig[:32] + (s + GROUP_ORDER).to_bytes(32, "little")
    assert keys.verify(raw_of(private), sig, b"data")
    assert not keys.verify(raw_of(private), malleated, b"data")
