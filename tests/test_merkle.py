"""vaultctl.tlog.merkle: published RFC 6962 vectors, a reference model, tampering.

The vectors are those of transparency-dev/merkle (proof/verify_test.go and
rfc6962/rfc6962_test.go), inherited from Certificate Transparency and
Trillian. Their inclusion vectors number leaves from 1; here from 0.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultctl.core.errors import ProofError
from vaultctl.tlog.merkle import (
    EMPTY_ROOT,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
ROOTS = [  # ROOTS[n - 1] is the root of LEAVES[:n]
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
INCLUSION = [  # (index, size, proof)
    (0, 1, []),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        3,
        [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")],
    ),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]
CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]
VECTOR_HASHES = [leaf_hash(leaf) for leaf in LEAVES]


# --- reference model: RFC 6962 section 2.1, recursive, straight from the text


def ref_mth(d: list[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes."""
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = ref_split(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    """PATH(m, D[n])."""
    if len(d) == 1:
        return []
    k = ref_split(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b)."""
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = ref_split(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def hashes(n: int) -> list[bytes]:
    """Leaf hashes of n distinct ledger-like lines."""
    return [leaf_hash(b'{"seq":%d}' % i) for i in range(n)]


def flip(proof: list[bytes], i: int, pos: int, mask: int) -> list[bytes]:
    out = list(proof)
    element = bytearray(out[i])
    element[pos] ^= mask
    out[i] = bytes(element)
    return out


# --- published vectors


def test_hasher_vectors() -> None:
    assert EMPTY_ROOT.hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert root_of([]) == EMPTY_ROOT
    assert leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert leaf_hash(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


@pytest.mark.parametrize("size", range(1, 9))
def test_vector_roots(size: int) -> None:
    assert root_of(LEAVES[:size]) == ROOTS[size - 1]
    builder = TreeBuilder()
    for leaf in LEAVES[:size]:
        builder.append(leaf)
    assert builder.size == size
    assert builder.root() == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_vector_inclusion(index: int, size: int, proof: list[bytes]) -> None:
    assert inclusion_proof(iter(VECTOR_HASHES), index, size) == proof
    root = ROOTS[size - 1]
    assert verify_inclusion(VECTOR_HASHES[index], index, size, proof, root)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_vector_consistency(old: int, new: int, proof: list[bytes]) -> None:
    assert consistency_proof(iter(VECTOR_HASHES), old, new) == proof
    assert verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], proof)


# --- against the reference model


def test_builder_matches_reference_at_every_size() -> None:
    leaves = hashes(200)
    builder = TreeBuilder()
    assert builder.root() == ref_mth([])
    for n, lh in enumerate(leaves, start=1):
        builder.append_leaf_hash(lh)
        assert builder.root() == ref_mth(leaves[:n]), n


@settings(max_examples=60, deadline=None)
@given(st.data(), st.integers(min_value=1, max_value=200))
def test_inclusion_matches_reference(data: st.DataObject, size: int) -> None:
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    leaves = hashes(size)
    proof = inclusion_proof(iter(leaves), index, size)
    assert proof == ref_path(index, leaves)
    assert verify_inclusion(leaves[index], index, size, proof, ref_mth(leaves))


@settings(max_examples=60, deadline=None)
@given(st.data(), st.integers(min_value=1, max_value=200))
def test_consistency_matches_reference(data: st.DataObject, new: int) -> None:
    old = data.draw(st.integers(min_value=1, max_value=new))
    leaves = hashes(new)
    proof = consistency_proof(iter(leaves), old, new)
    assert proof == ([] if old == new else ref_subproof(old, leaves, True))
    old_root, new_root = ref_mth(leaves[:old]), ref_mth(leaves)
    assert verify_consistency(old, new, old_root, new_root, proof)


def test_every_proof_in_small_trees_verifies() -> None:
    leaves = hashes(33)
    roots = [root_of_hashes(leaves[:n]) for n in range(34)]
    for new in range(1, 34):
        for i in range(new):
            proof = inclusion_proof(leaves, i, new)
            assert verify_inclusion(leaves[i], i, new, proof, roots[new])
        for old in range(new + 1):
            proof = consistency_proof(leaves, old, new)
            assert verify_consistency(old, new, roots[old], roots[new], proof)


def root_of_hashes(leaves: list[bytes]) -> bytes:
    builder = TreeBuilder()
    for lh in leaves:
        builder.append_leaf_hash(lh)
    return builder.root()


# --- tampering


@settings(max_examples=80, deadline=None)
@given(st.data(), st.integers(min_value=2, max_value=100))
def test_inclusion_tampering_fails(data: st.DataObject, size: int) -> None:
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    leaves = hashes(size + 1)
    root = ref_mth(leaves[:size])
    proof = inclusion_proof(leaves, index, size)
    i = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
    pos = data.draw(st.integers(min_value=0, max_value=31))
    mask = data.draw(st.integers(min_value=1, max_value=255))
    lh = leaves[index]
    assert not verify_inclusion(lh, index, size, flip(proof, i, pos, mask), root)
    other = data.draw(st.integers(0, size - 1).filter(lambda j: j != index))
    assert not verify_inclusion(lh, other, size, proof, root)
    assert not verify_inclusion(leaves[other], index, size, proof, root)
    assert not verify_inclusion(lh, index, size, proof, flip([root], 0, pos, mask)[0])
    assert not verify_inclusion(lh, index, size, proof[:-1], root)
    assert not verify_inclusion(lh, index, size, [*proof, root], root)
    assert not verify_inclusion(lh, index, size, [root, *proof], root)


@settings(max_examples=60, deadline=None)
@given(st.data(), st.integers(min_value=2, max_value=100))
def test_inclusion_wrong_size_fails(data: st.DataObject, size: int) -> None:
    # NOTE: a proof does not authenticate the size by itself (index 0 of 5
    # and of 6 share a path shape); the signed checkpoint binds size and root.
    # So a wrong size is checked against the root of that size.
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    wrong = data.draw(st.integers(1, 2 * size).filter(lambda s: s != size))
    leaves = hashes(2 * size)
    proof = inclusion_proof(leaves, index, size)
    wrong_root = ref_mth(leaves[:wrong])
    assert not verify_inclusion(leaves[index], index, wrong, proof, wrong_root)
    assert not verify_inclusion(leaves[index], index, size * 2, proof, ref_mth(leaves))


@settings(max_examples=80, deadline=None)
@given(st.data(), st.integers(min_value=2, max_value=100))
def test_consistency_tampering_fails(data: st.DataObject, new: int) -> None:
    old = data.draw(st.integers(min_value=1, max_value=new - 1))
    leaves = hashes(2 * new)
    old_root, new_root = ref_mth(leaves[:old]), ref_mth(leaves[:new])
    proof = consistency_proof(leaves, old, new)
    i = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
    pos = data.draw(st.integers(min_value=0, max_value=31))
    mask = data.draw(st.integers(min_value=1, max_value=255))
    tampered = flip(proof, i, pos, mask)
    assert not verify_consistency(old, new, old_root, new_root, tampered)
    assert not verify_consistency(old, new, new_root, old_root, proof)
    assert not verify_consistency(old, new, old_root, new_root, proof[:-1])
    assert not verify_consistency(old, new, old_root, new_root, [*proof, new_root])
    assert not verify_consistency(old, new, old_root, new_root, [old_root, *proof])
    assert not verify_consistency(old, new, old_root, new_root, [])
    wrong_old = data.draw(st.integers(1, new).filter(lambda s: s != old))
    wrong_root = ref_mth(leaves[:wrong_old])
    assert not verify_consistency(wrong_old, new, wrong_root, new_root, proof)
    wrong_new = data.draw(st.integers(old, 2 * new).filter(lambda s: s != new))
    wrong_root = ref_mth(leaves[:wrong_new])
    assert not verify_consistency(old, wrong_new, old_root, wrong_root, proof)


def test_fork_is_not_consistent() -> None:
    leaves = hashes(10)
    forked = [*leaves[:6], leaf_hash(b"rewritten"), *leaves[7:]]
    old_root = ref_mth(leaves[:8])
    proof = consistency_proof(forked, 8, 10)
    assert not verify_consistency(8, 10, old_root, ref_mth(forked), proof)


# --- edge cases


def test_trivial_consistency() -> None:
    root = ROOTS[4]
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 5, EMPTY_ROOT, root, [])
    assert verify_consistency(5, 5, root, root, [])
    assert not verify_consistency(0, 5, root, root, [])  # size 0 has the empty root
    assert not verify_consistency(5, 5, root, ROOTS[3], [])
    assert not verify_consistency(5, 5, root, root, [root])
    assert not verify_consistency(0, 5, EMPTY_ROOT, root, [root])
    assert not verify_consistency(5, 4, root, ROOTS[3], [])
    assert not verify_consistency(-1, 4, root, ROOTS[3], [])
    assert consistency_proof([], 0, 5) == []
    assert consistency_proof([], 5, 5) == []


def test_inclusion_bad_arguments() -> None:
    lh = VECTOR_HASHES[0]
    assert verify_inclusion(lh, 0, 1, [], lh)
    assert not verify_inclusion(lh, 1, 1, [], lh)
    assert not verify_inclusion(lh, -1, 1, [], lh)
    assert not verify_inclusion(lh, 0, 0, [], EMPTY_ROOT)
    assert not verify_inclusion(b"short", 0, 1, [], b"short")
    assert not verify_inclusion(lh, 0, 8, [b"", *INCLUSION[1][2]], ROOTS[7])
    with pytest.raises(ProofError, match="out of range"):
        inclusion_proof(VECTOR_HASHES, 8, 8)
    with pytest.raises(ProofError, match="out of range"):
        inclusion_proof(VECTOR_HASHES, -1, 8)
    with pytest.raises(ProofError, match="bad consistency sizes"):
        consistency_proof(VECTOR_HASHES, 5, 4)


def test_proofs_stream_and_stop_at_size() -> None:
    consumed = 0

    def stream() -> Iterator[bytes]:
        nonlocal consumed
        for lh in hashes(1000):
            consumed += 1
            yield lh

    leaves = hashes(100)
    assert inclusion_proof(stream(), 99, 100) == ref_path(99, leaves)
    assert consumed == 100
    consumed = 0
    assert consistency_proof(stream(), 37, 100) == ref_subproof(37, leaves, True)
    assert consumed == 100


@pytest.mark.parametrize(("index", "size"), [(0, 5), (4, 5), (2, 8)])
def test_short_stream_is_an_error(index: int, size: int) -> None:
    with pytest.raises(ProofError, match="tree too short"):
        inclusion_proof(iter(hashes(size - 1)), index, size)
    with pytest.raises(ProofError, match="tree too short"):
        consistency_proof(iter(hashes(size - 1)), 3, size)


def test_bad_leaf_hash_is_an_error() -> None:
    with pytest.raises(ProofError, match="leaf 0: hash has 3 bytes"):
        TreeBuilder().append_leaf_hash(b"abc")
    with pytest.raises(ProofError, match="leaf 2: hash has 3 bytes, expected 32"):
        inclusion_proof([*hashes(2), b"abc", *hashes(1)], 0, 4)
