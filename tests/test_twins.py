"""One person, one key: the twins of a real key never pass for a second officer.

If an officer's public key is A, the same private scalar signs for -A (negate
the scalar) and for A + T with T of small order (libsodium-style verifiers
check [8]…, others accept). Each twin is a different 32-byte string; roster
and signature checks must see through that (issue 10).
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from nacl.bindings import (
    crypto_core_ed25519_add,
    crypto_scalarmult_ed25519_base_noclamp,
)

from vaultctl import verify
from vaultctl.core import canonical, keys
from vaultctl.core.model import Entry
from vaultctl.core.roster import Roster
from vaultctl.rules.state import replay
from vaultctl.store import writer
from vaultctl.tlog import chain

from .conftest import Site, private_key
from .test_tamper import append_unchecked, codes_at, entries, weak_ref

L = 2**252 + 27742317777372353535851937790883648493
# NOTE: the canonical encodings of the 8 points of small order (RFC 8032 and
# "Taming the many EdDSAs", Chalkias et al.); the first is the identity
TORSION = [
    bytes.fromhex(h)
    for h in (
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    )
]


def scalar(officer: str) -> int:
    """The secret scalar a of an officer's fixed-seed key (RFC 8032 5.1.5)."""
    seed = private_key(officer).private_bytes_raw()
    h = bytearray(hashlib.sha512(seed).digest()[:32])
    h[0] &= 248
    h[31] &= 127
    h[31] |= 64
    return int.from_bytes(h, "little")


def point(k: int) -> bytes:
    return crypto_scalarmult_ed25519_base_noclamp((k % L).to_bytes(32, "little"))


def sign_as(k: int, message: bytes) -> tuple[bytes, bytes]:
    """A valid Ed25519 signature by the scalar ``k``: (public key, signature)."""
    public = point(k)
    r = int.from_bytes(hashlib.sha512(b"nonce" + message).digest(), "little") % L
    big_r = point(r)
    h = hashlib.sha512(big_r + public + message).digest()
    s = (r + int.from_bytes(h, "little") * k) % L
    return public, big_r + s.to_bytes(32, "little")


def negate(raw: bytes) -> bytes:
    return raw[:31] + bytes([raw[31] ^ 0x80])


def test_the_same_scalar_really_signs_for_minus_a() -> None:
    """The premise: -A is a valid, prime-order key the holder of A signs for."""
    a = scalar("O-003")
    real = keys.raw_public(private_key("O-003"))
    assert point(a) == real
    twin, sig = sign_as(-a, b"hello")
    assert twin == negate(real) and twin != real
    assert keys.verify(twin, sig, b"hello")
    assert not keys.is_weak(twin)  # a perfectly good key, of the same person
    assert keys.point_id(twin) == keys.point_id(real)


@pytest.mark.parametrize("t", TORSION[1:], ids=lambda t: t.hex()[:8])
def test_a_plus_small_order_point_is_refused(t: bytes) -> None:
    real = keys.raw_public(private_key("O-003"))
    for base in (real, negate(real)):
        twin = crypto_core_ed25519_add(base, t)
        assert twin != base
        assert keys.is_weak(twin), twin.hex()
        with pytest.raises(Exception, match="weak"):
            keys.parse_public_key(keys.format_public_key(twin))
        assert keys.key_ref_problem(weak_ref(twin)) is not None


def test_the_identity_twin_is_the_key_itself() -> None:
    real = keys.raw_public(private_key("O-003"))
    assert crypto_core_ed25519_add(real, TORSION[0]) == real


def officer(oid: str, raw: bytes) -> dict:
    return {
        "id": oid,
        "name": oid,
        "roles": ["custodian"],
        "conflict": False,
        "keys": [weak_ref(raw)],
    }


def test_roster_add_of_minus_a_is_refused() -> None:
    real = keys.raw_public(private_key("O-003"))
    roster = Roster([officer("O-003", real)])
    problem = roster.problem(
        {"action": "add", "officer": officer("O-777", negate(real))}
    )
    assert problem is not None and "already a key of O-003" in problem
    add_key = {"action": "add-key", "id": "O-003", "key": weak_ref(negate(real))}
    assert "already a key of O-003" in (roster.problem(add_key) or "")


def test_one_person_signing_as_two_officers_is_one_signer() -> None:
    """Even on a roster that somehow lists A and -A for two officers, a note
    signed by one person (A and -A) has one valid distinct signer."""
    a = scalar("O-003")
    real = keys.raw_public(private_key("O-003"))
    roster = Roster([officer("O-003", real), officer("O-777", negate(real))])
    draft = writer.build(
        replay([]), "2026-06-06T09:00:00+08:00", "note", {"text": "x"}, []
    ).to_dict()
    signers = [
        {"by": "O-003", "key": keys.key_id(real)},
        {"by": "O-777", "key": keys.key_id(negate(real))},
    ]
    data = canonical.signing_input(draft, signers)
    sig_a = writer.Signer("O-003", private_key("O-003")).private.sign(data)
    _, sig_minus_a = sign_as(-a, data)
    draft["sigs"] = [
        {**signers[0], "sig": base64.b64encode(sig_a).decode()},
        {**signers[1], "sig": base64.b64encode(sig_minus_a).decode()},
    ]
    draft["hash"] = canonical.entry_hash(draft)
    entry = Entry.from_dict(draft)
    found = [code for code, _ in chain.check_signatures(entry, roster)]
    assert found == ["duplicate-signer", "too-few-signatures"]


def test_a_logged_add_of_minus_a_is_an_integrity_failure(vault: Site) -> None:
    real = keys.raw_public(private_key("O-003"))
    append_unchecked(
        vault,
        "roster",
        {
            "action": "add",
            "officer": {**officer("O-777", negate(real)), "trained": "2026-05-01"},
        },
        ("O-001", "O-002"),
    )
    assert (5, "bad-schema") in codes_at(vault)


def test_a_genesis_listing_a_and_minus_a_is_refused(site: Site) -> None:
    """init refuses it, naming the duplicate."""
    real = keys.raw_public(private_key("O-003"))
    text = site.config.read_text("utf-8")
    text += (
        '\n[[officers]]\nid = "O-777"\nname = "双胞胎"\nroles = ["custodian"]\n'
        f'public_key = "{keys.format_public_key(negate(real))}"\n'
        'trained = "2026-05-01"\n'
    )
    site.config.write_text(text, "utf-8")
    result = site.run(
        "init", "--config", str(site.config), "--signer", "O-001", "--signer", "O-002"
    )
    assert result.exit_code != 0
    assert "A and -A" in result.stderr
    assert not site.ledger.exists() or site.ledger.read_bytes() == b""


def test_verify_still_accepts_the_honest_vault(vault: Site) -> None:
    assert verify.run(vault.vault.lines()).integrity == []
    assert len(entries(vault)) == 4
