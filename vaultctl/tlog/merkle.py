"""RFC 6962 / RFC 9162 Merkle trees over the ledger lines (pure, streaming).

Leaf hash = SHA-256(0x00 ‖ leaf), node hash = SHA-256(0x01 ‖ left ‖ right),
split at the largest power of two strictly below n, empty root = SHA-256("").

``TreeBuilder`` keeps only the roots of the perfect subtrees that make up the
leaves seen so far (a compact range), so a whole ledger is hashed in
O(log n) memory. Proofs are generated the same way: the subtree ranges a proof
needs follow from the sizes alone (RFC 9162 2.1.3.1 PATH, 2.1.4.1 SUBPROOF),
and one pass over the leaf hashes computes the root of each range.
Verification follows RFC 9162 2.1.3.2 and 2.1.4.2 and returns a bool.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from itertools import islice

from vaultctl.core.errors import ProofError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Range = tuple[int, int]


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 6962 hash of one leaf (a ledger line without its newline)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _check_leaf_hash(index: int, h: bytes) -> None:
    if len(h) != HASH_SIZE:
        raise ProofError(f"leaf {index}: hash has {len(h)} bytes, expected {HASH_SIZE}")


def _split(n: int) -> int:
    """Return the largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class TreeBuilder:
    """Streaming Merkle tree hasher: append leaves, ask for the root at any time.

    ``_stack`` holds the roots of the perfect subtrees covering the leaves so
    far, largest (leftmost) first; their sizes are the set bits of ``size``.
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._size = 0
        self._stack: list[bytes] = []

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    def append(self, leaf: bytes) -> None:
        """Append one leaf given as its raw bytes."""
        self.append_leaf_hash(leaf_hash(leaf))

    def append_leaf_hash(self, h: bytes) -> None:
        """Append one leaf given as its 32-byte leaf hash."""
        _check_leaf_hash(self._size, h)
        self._stack.append(h)
        n = self._size
        # NOTE: each trailing 1 bit of the old size is a perfect subtree of the
        # same height as the one just completed: merge them pairwise.
        while n & 1:
            right = self._stack.pop()
            self._stack[-1] = node_hash(self._stack[-1], right)
            n >>= 1
        self._size += 1

    def root(self) -> bytes:
        """Return the Merkle tree hash of all leaves appended so far."""
        if not self._stack:
            return EMPTY_ROOT
        acc = self._stack[-1]
        for h in reversed(self._stack[:-1]):
            acc = node_hash(h, acc)
        return acc


def root_of(leaves: Iterable[bytes]) -> bytes:
    """Return the Merkle tree hash of raw leaves."""
    builder = TreeBuilder()
    for leaf in leaves:
        builder.append(leaf)
    return builder.root()


def _inclusion_ranges(index: int, size: int) -> list[Range]:
    """Return the subtree ranges of PATH(index, D[size]), in proof order."""
    ranges: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def _consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """Return the subtree ranges of PROOF(old_size, D[new_size]), in proof order."""
    ranges: list[Range] = []
    lo, hi, whole_old_tree = 0, new_size, True
    while hi != old_size:  # SUBPROOF recurses until m == n
        k = _split(hi - lo)
        if old_size - lo <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            whole_old_tree = False
    if not whole_old_tree:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def _range_roots(
    leaf_hashes: Iterable[bytes], size: int, ranges: Sequence[Range]
) -> list[bytes]:
    """Hash each of the disjoint ``ranges`` in one pass over the first ``size`` leaves.

    Only one range is being hashed at a time, so memory stays O(log size).
    """
    pending = sorted(enumerate(ranges), key=lambda item: item[1][0], reverse=True)
    roots = [b""] * len(ranges)
    builder = TreeBuilder()
    count = 0
    for h in islice(leaf_hashes, size):
        _check_leaf_hash(count, h)
        count += 1
        if pending and pending[-1][1][0] < count:  # leaf count - 1 is in the range
            builder.append_leaf_hash(h)
            slot, (_, hi) = pending[-1]
            if count == hi:
                roots[slot] = builder.root()
                builder = TreeBuilder()
                pending.pop()
    if count != size:
        raise ProofError(f"tree too short (got {count} leaves, expected {size})")
    return roots


def inclusion_proof(leaf_hashes: Iterable[bytes], index: int, size: int) -> list[bytes]:
    """Return the inclusion proof of leaf ``index`` in the tree of ``size`` leaves.

    ``leaf_hashes`` is consumed once, at most ``size`` items; it may be longer.
    """
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} out of range for tree size {size}")
    return _range_roots(leaf_hashes, size, _inclusion_ranges(index, size))


def consistency_proof(
    leaf_hashes: Iterable[bytes], old_size: int, new_size: int
) -> list[bytes]:
    """Return the proof that the first ``old_size`` leaves are a prefix of the tree.

    Empty when ``old_size`` is 0 or equal to ``new_size`` (nothing to prove).
    """
    if not 0 <= old_size <= new_size:
        raise ProofError(
            f"bad consistency sizes (got {old_size} -> {new_size}, "
            "expected 0 <= old <= new)"
        )
    if old_size in (0, new_size):
        return []
    ranges = _consistency_ranges(old_size, new_size)
    return _range_roots(leaf_hashes, new_size, ranges)


def _all_hashes(*hashes: bytes) -> bool:
    """Tell whether every value has the length of a SHA-256 hash."""
    return all(len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check an inclusion proof (RFC 9162 section 2.1.3.2)."""
    if not 0 <= index < size or not _all_hashes(leaf_hash, root, *proof):
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> bool:
    """Check a consistency proof (RFC 9162 section 2.1.4.2).

    Size 0 is consistent with anything, given an empty proof and the
    empty-tree root; equal sizes need an empty proof and equal roots.
    """
    if not 0 <= old_size <= new_size or not _all_hashes(old_root, new_root, *proof):
        return False
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node
        path.insert(0, old_root)
    return _walk_consistency(old_size, new_size, old_root, new_root, path)


def _walk_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: list[bytes]
) -> bool:
    """Steps 3-7 of RFC 9162 2.1.4.2 on a non-empty, possibly extended path."""
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root
