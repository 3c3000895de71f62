"""Published Ed25519 vectors: vaultctl's verdict on each is its documented policy.

vaultctl accepts a signature when the key may sit on a roster
(``not keys.is_weak``: canonical, on the curve, in the prime-order subgroup,
so not of small order) and libsodium's cofactorless check passes (which
refuses S >= L, small-order or non-canonical R). So, in the terms of
"Taming the many EdDSAs": small-order A, mixed-order A, non-canonical A or R,
small-order R and S >= L are all rejected, and the equation is cofactorless.
Sources and licences: ``tests/vectors/README.md``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vaultctl.core import keys

HERE = Path(__file__).parent / "vectors"


def verdict(key: bytes, sig: bytes, msg: bytes) -> bool:
    """What verify concludes: the key is acceptable and the signature checks."""
    return not keys.is_weak(key) and keys.verify(key, sig, msg)


def _load(name: str) -> Any:
    return json.loads((HERE / name).read_text("utf-8"))


def _wycheproof() -> list[Any]:
    return [
        pytest.param(group["publicKey"]["pk"], t, id=f"tc{t['tcId']}")
        for group in _load("wycheproof_ed25519_test.json")["testGroups"]
        for t in group["tests"]
    ]


@pytest.mark.parametrize(("pk", "case"), _wycheproof())
def test_wycheproof(pk: str, case: dict[str, Any]) -> None:
    # NOTE: the file has only "valid" and "invalid" results (no "acceptable")
    assert case["result"] in ("valid", "invalid")
    got = verdict(
        bytes.fromhex(pk), bytes.fromhex(case["sig"]), bytes.fromhex(case["msg"])
    )
    assert got == (case["result"] == "valid"), case["comment"]


# NOTE: any of these flags makes vaultctl reject (C2SP/CCTV ed25519/README.md);
# only low_order_component_R on its own is silent, and cannot verify with a
# key free of torsion unless its residue cancels, which is flagged
REJECTED_FLAGS = {
    "low_order_A",
    "low_order_R",
    "non_canonical_A",
    "non_canonical_R",
    "low_order_component_A",
    "low_order_residue",
}


def _cctv() -> list[Any]:
    return [
        pytest.param(v, id=f"n{v['number']}") for v in _load("cctv_ed25519vectors.json")
    ]


@pytest.mark.parametrize("vector", _cctv())
def test_cctv_edge_cases(vector: dict[str, Any]) -> None:
    flags = set(vector["flags"] or ())
    got = verdict(
        bytes.fromhex(vector["key"]),
        bytes.fromhex(vector["sig"]),
        vector["msg"].encode(),
    )
    assert got == (not flags & REJECTED_FLAGS), sorted(flags)


def test_cctv_has_both_verdicts() -> None:
    """The policy is not "reject everything": the vectors with no edge case pass."""
    results = {
        verdict(bytes.fromhex(v["key"]), bytes.fromhex(v["sig"]), v["msg"].encode())
        for v in _load("cctv_ed25519vectors.json")
    }
    assert results == {True, False}


# NOTE: vaultctl's policy per case of the speccheck table (README "Condition
# table"); every case has a small or mixed-order point or a bad encoding, so
# every one is rejected, each for the reason given
SPECCHECK_POLICY = {
    0: "small-order A and R: A refused (is_weak), R refused by libsodium",
    1: "small-order A: refused (is_weak and libsodium)",
    2: "small-order R: refused by libsodium; mixed-order A refused (is_weak)",
    3: "mixed-order A: refused by the prime-order subgroup check (is_weak)",
    4: "cofactored-only signature: cofactorless equation fails; A mixed",
    5: "pre-reduced cofactored-only signature: fails cofactorless; A mixed",
    6: "S > L: refused (libsodium checks S < L)",
    7: "S >> L: refused (libsodium checks S < L)",
    8: "non-canonical R, reduced for the hash: refused by libsodium",
    9: "non-canonical R, not reduced: refused by libsodium",
    10: "non-canonical A, reduced for the hash: refused (is_weak, libsodium)",
    11: "non-canonical A, not reduced: refused (is_weak, libsodium)",
}


@pytest.mark.parametrize(
    ("number", "case"), list(enumerate(_load("speccheck_cases.json")))
)
def test_speccheck(number: int, case: dict[str, str]) -> None:
    assert number in SPECCHECK_POLICY
    got = verdict(
        bytes.fromhex(case["pub_key"]),
        bytes.fromhex(case["signature"]),
        bytes.fromhex(case["message"]),
    )
    assert got is False, SPECCHECK_POLICY[number]


def test_speccheck_case_3_is_the_subgroup_check() -> None:
    """Case 3 passes libsodium's verify alone: the roster's key check refuses it."""
    case = _load("speccheck_cases.json")[3]
    key = bytes.fromhex(case["pub_key"])
    assert keys.verify(
        key, bytes.fromhex(case["signature"]), bytes.fromhex(case["message"])
    )
    assert keys.is_weak(key)
