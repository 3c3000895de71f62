"""Encrypted private key files: PKCS#8 with PBES2, scrypt and AES-256-CBC.

RFC 8018 (PBES2), RFC 7914 section 7 (scrypt in PKCS#8) and RFC 3565
(AES-CBC): the same format ``openssl pkcs8 -topk8 -scrypt`` writes, so
``openssl pkey -in O-003.key`` opens it too. ``cryptography`` has no writer
for it (its PKCS#8 encryption is PBKDF2 with 2,048 iterations, about 1 ms a
guess), so the DER is written here; reading is left to ``cryptography``.

The cost: N = 2^14, r = 8 (16 MiB of memory per guess, the most OpenSSL's
default scrypt limit of 32 MiB allows) and p = 12 sequential passes, about
0.4 s a guess on the project's 2-core machines. Only files within
:data:`MAX_COST` are opened, so a planted key file cannot make a command
allocate gigabytes.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re

from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# NOTE: module attributes so the test suite can use cheap keys; files record
# their own parameters, so a key written with any cost opens with any build
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 12
MAX_COST = {"n": 2**20, "r": 32, "p": 64, "mem": 2**30, "iterations": 10**6}

_OID_PBES2 = "1.2.840.113549.1.5.13"
_OID_SCRYPT = "1.3.6.1.4.1.11591.4.11"
_OID_PBKDF2 = "1.2.840.113549.1.5.12"
_OID_AES256_CBC = "2.16.840.1.101.3.4.1.42"
_PEM_RE = re.compile(
    rb"-----BEGIN ENCRYPTED PRIVATE KEY-----\s*(.*?)\s*"
    rb"-----END ENCRYPTED PRIVATE KEY-----",
    re.S,
)


# --- a minimal DER writer and reader (just what this structure needs) -------


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def _seq(*items: bytes) -> bytes:
    return _tlv(0x30, b"".join(items))


def _int(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _octets(data: bytes) -> bytes:
    return _tlv(0x04, data)


def _oid(dotted: str) -> bytes:
    first, second, *rest = (int(x) for x in dotted.split("."))
    out = bytearray([40 * first + second])
    for arc in rest:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return _tlv(0x06, bytes(out))


def _read(data: bytes, at: int) -> tuple[int, bytes, int]:
    """One TLV at ``at``: (tag, body, offset after it); raises ValueError."""
    tag, first = data[at], data[at + 1]
    at += 2
    if first & 0x80:
        width = first & 0x7F
        if not 1 <= width <= 4:
            raise ValueError("DER length")
        length = int.from_bytes(data[at : at + width], "big")
        at += width
    else:
        length = first
    if at + length > len(data):
        raise ValueError("DER truncated")
    return tag, data[at : at + length], at + length


def _items(body: bytes) -> list[tuple[int, bytes]]:
    out, at = [], 0
    while at < len(body):
        tag, item, at = _read(body, at)
        out.append((tag, item))
    return out


def _oid_text(body: bytes) -> str:
    arcs, value = [body[0] // 40, body[0] % 40], 0
    for byte in body[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(map(str, arcs))


# --- the key file ------------------------------------------------------------


def encrypt(
    private: Ed25519PrivateKey,
    passphrase: bytes,
    cost: tuple[int, int, int] | None = None,
) -> bytes:
    """The PEM of ``private`` encrypted with ``passphrase`` (PBES2, scrypt at
    ``cost`` = (N, r, p), by default the module's)."""
    n, r, p = cost or (SCRYPT_N, SCRYPT_R, SCRYPT_P)
    plain = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    salt, iv = os.urandom(16), os.urandom(16)
    key = hashlib.scrypt(
        passphrase,
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=MAX_COST["mem"],
        dklen=32,
    )
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    cipher = enc.update(padded) + enc.finalize()
    scrypt_params = _seq(_octets(salt), _int(n), _int(r), _int(p), _int(32))
    algorithm = _seq(
        _oid(_OID_PBES2),
        _seq(
            _seq(_oid(_OID_SCRYPT), scrypt_params),
            _seq(_oid(_OID_AES256_CBC), _octets(iv)),
        ),
    )
    der = _seq(algorithm, _octets(cipher))
    b64 = base64.b64encode(der).decode("ascii")
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return (
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
        + "\n".join(lines)
        + "\n-----END ENCRYPTED PRIVATE KEY-----\n"
    ).encode("ascii")


def _kdf(pem: bytes) -> tuple[str, dict[str, int]]:
    """The KDF of an encrypted PKCS#8 PEM and its cost parameters."""
    m = _PEM_RE.search(pem)
    if not m:
        return "unencrypted or unknown", {}
    try:
        der = base64.b64decode(b"".join(m.group(1).split()), validate=True)
        _, outer, _ = _read(der, 0)
        (_, algorithm), _ = _items(outer)
        (_, scheme), (_, params) = _items(algorithm)
        if _oid_text(scheme) != _OID_PBES2:
            return "legacy", {}
        (_, kdf), _ = _items(params)
        (_, kdf_oid), (_, kdf_params) = _items(kdf)
        name = {_OID_SCRYPT: "scrypt", _OID_PBKDF2: "pbkdf2"}.get(
            _oid_text(kdf_oid), "unknown"
        )
        values = [int.from_bytes(v, "big") for t, v in _items(kdf_params) if t == 2]
        if name == "pbkdf2":
            return name, {"iterations": values[0]}
        if name != "scrypt":
            return name, {}
        n, r, p, *_ = values
    except (ValueError, IndexError):
        return "unreadable", {}
    return name, {"n": n, "r": r, "p": p}


def kdf_name(pem: bytes) -> str:
    """ "scrypt", "pbkdf2", "legacy", …: what guards the key in this PEM."""
    return _kdf(pem)[0]


def cost_problem(pem: bytes) -> str | None:
    """Why this key file is not opened, if so: not encrypted with PBES2, or a
    cost beyond :data:`MAX_COST` (a planted file must not stall a command)."""
    name, cost = _kdf(pem)
    if name == "pbkdf2":
        if cost["iterations"] > MAX_COST["iterations"]:
            return f"PBKDF2 iteration count beyond what vaultctl opens ({cost})"
        return None
    if name != "scrypt":
        return f"not a key file vaultctl writes ({name} PKCS#8)"
    mem = 128 * cost["r"] * cost["n"]
    if (
        cost["n"] > MAX_COST["n"]
        or cost["r"] > MAX_COST["r"]
        or cost["p"] > MAX_COST["p"]
        or mem > MAX_COST["mem"]
    ):
        return f"scrypt parameters beyond what vaultctl opens ({cost})"
    return None
