"""Inclusion proofs an auditor can check offline (pure).

A proof document (JSON) carries one ledger line, its index, the audit path,
and the signed checkpoint note whose root the path leads to. Checking it needs
no vault: hash the line as a leaf, walk the path, compare with the note's root
(and, given public keys, check the note's signatures).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from vaultctl import verify
from vaultctl.core import canonical
from vaultctl.core.errors import (
    CanonicalError,
    CheckpointError,
    ProofError,
    message_of,
)
from vaultctl.core.i18n import N_
from vaultctl.core.messages import Text, at
from vaultctl.tlog import anchors, checkpoint, merkle, shortcode

FORMAT = "vaultctl-inclusion-proof/v1"


def make(leaves: Iterable[bytes], index: int, note: str) -> dict[str, Any]:
    """The proof that leaf ``index`` of ``leaves`` is in the tree the note signs.

    One streaming pass over the ledger lines; only the proven line is kept.
    """
    anchor = anchors.from_note(note, "checkpoint")
    if not 0 <= index < anchor.size:
        raise ProofError(
            Text(
                N_(
                    "entry {index} is not covered by the latest checkpoint "
                    "(size {size}); write a new checkpoint first"
                ),
                index=index,
                size=anchor.size,
            )
        )
    kept: list[bytes] = []

    def hashes() -> Iterable[bytes]:
        for i, leaf in enumerate(leaves):
            if i == index:
                kept.append(leaf)
            yield merkle.leaf_hash(leaf)

    path = merkle.inclusion_proof(hashes(), index, anchor.size)
    return {
        "format": FORMAT,
        "origin": anchor.origin,
        "index": index,
        "size": anchor.size,
        "leaf": kept[0].decode("utf-8"),
        "path": [base64.b64encode(h).decode("ascii") for h in path],
        "checkpoint": note,
    }


def check(doc: Any, known_keys: Mapping[str, Sequence[bytes]] | None = None) -> str:
    """Verify a proof document; return a one-line summary or raise ProofError."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ProofError(f"not a {FORMAT} document")
    try:
        anchor = anchors.from_note(str(doc["checkpoint"]), "checkpoint")
        if doc.get("origin") != anchor.origin:
            raise ValueError(
                f"origin {doc.get('origin')!r} is not the signed note's "
                f"{anchor.origin!r}"
            )
        path = [base64.b64decode(h, validate=True) for h in doc["path"]]
        leaf = str(doc["leaf"]).encode("utf-8")
        index = doc["index"]
        if type(index) is not int or not 0 <= index < 2**63:
            raise ValueError(f"index {index!r}")
    except (KeyError, TypeError, ValueError, OverflowError, CheckpointError) as e:
        raise ProofError(at("malformed proof", message_of(e))) from e
    assert anchor.root is not None  # noqa: S101 - from_note always sets it
    if not merkle.verify_inclusion(
        merkle.leaf_hash(leaf), index, anchor.size, path, anchor.root
    ):
        raise ProofError(f"entry {index} is NOT in the tree of size {anchor.size}")
    try:
        entry = canonical.parse(leaf)
        seq, log, kind, ts = (entry.get(k) for k in ("seq", "log", "type", "ts"))
    except (CanonicalError, AttributeError) as e:
        raise ProofError("the proven line is not a ledger entry") from e
    if seq != index or not str(anchor.origin).endswith(f"/{log}"):
        raise ProofError(
            f"the proven line is not entry {index} of the log {anchor.origin}"
        )
    signed = ""
    if known_keys is not None:
        try:
            names = checkpoint.require_cosigners(
                checkpoint.open_note(doc["checkpoint"], known_keys), 2
            )
        except CheckpointError as e:
            raise ProofError(at("checkpoint signatures", e.message)) from e
        signed = f", signed by {' and '.join(names)}"
    code = shortcode.short_code(anchor.size, anchor.root)
    return (
        f"entry {index} ({kind}, {ts}) is in "
        f"{anchor.origin} at size {anchor.size} · code {code.split(' · ')[1]}{signed}"
    )


def check_with_log(
    doc: Any, lines: Iterable[tuple[bytes, bool]], genesis: str | None = None
) -> str:
    """Check a proof against the log it claims, given that log's lines.

    The note's root must be the root of the log's first ``size`` entries, the
    note must be signed by two officers with keys in force at that size
    (replayed, so a key revoked or an officer suspended earlier does not
    count), and, given ``genesis``, the log's first entry must have that hash.
    """
    if not isinstance(doc, dict):
        raise ProofError(f"not a {FORMAT} document")
    try:
        anchor = anchors.from_note(str(doc.get("checkpoint")), "checkpoint")
    except CheckpointError as e:
        raise ProofError(at("malformed proof", message_of(e))) from e
    # NOTE: the one verification loop, stopped at the note's size
    checked = verify.Verifier()
    verifier, tree = checked.chain, checked.tree
    first, keys = None, None
    for raw, complete in lines:
        checked.feed(raw, complete)
        if not complete:
            break
        first = first or verifier.head
        if tree.size == anchor.size:
            keys = checked.signing_keys()
            break
    if checked.integrity.kept:
        raise ProofError(
            f"the log fails integrity: {checked.integrity.kept[0].message}"
        )
    if keys is None or tree.root() != anchor.root:
        raise ProofError(
            f"the checkpoint is not of this log: its first {anchor.size} entries "
            "do not have the signed root"
        )
    if genesis is not None and first != genesis.lower():
        raise ProofError(
            f"the log's genesis {str(first)[:16]}… is not the pinned {genesis[:16]}…"
        )
    if not str(anchor.origin).endswith(f"/{verifier.log}"):
        raise ProofError(f"the note's origin {anchor.origin} is not this log")
    try:
        names = checkpoint.require_cosigners(
            checkpoint.open_note(str(doc["checkpoint"]), keys), 2
        )
    except CheckpointError as e:
        raise ProofError(
            at(
                f"checkpoint signatures, with the keys in force at size {anchor.size}",
                e.message,
            )
        ) from e
    return f"{check(doc)}, signed by {' and '.join(names)}"
