"""The writer's verified head: the engine, verifier and Merkle frontier after the
last line, replayed once and then carried forward from a snapshot.

:func:`load` replays the ledger through :class:`chain.ChainVerifier` (hash,
chain, signatures, roster) and the rule engine, refusing at the first line
with an integrity finding, and stores the result with :mod:`snapshot`. The
next writer resumes from that snapshot if the ledger's first ``size`` bytes
still have the SHA-256 it records: only the lines added since are verified
and replayed. ``advance`` carries the head over the line just appended.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vaultctl.core.errors import LedgerError
from vaultctl.core.i18n import N_
from vaultctl.core.messages import Text, at
from vaultctl.core.model import Entry
from vaultctl.rules import Engine
from vaultctl.store import snapshot
from vaultctl.store.ledger import Vault, read_lines
from vaultctl.tlog.anchors import Anchor
from vaultctl.tlog.chain import Integrity
from vaultctl.verify import Parts, Refused, Verifier


@dataclass(slots=True)
class Head:
    """What a writer knows after the last line: all of it verified, by the
    one :class:`~vaultctl.verify.Verifier` in refuse mode."""

    checked: Verifier  # chain, rules, tree and the stored checkpoints
    marks: dict[str, Any]  # the stored checkpoint files it was given
    size: int  # bytes of the ledger covered
    hasher: Any  # SHA-256 of those bytes, running


# NOTE: engines handed out by load() remember their head, so append() can
# carry it over its line without replaying anything
_HEADS: weakref.WeakKeyDictionary[Engine, Head] = weakref.WeakKeyDictionary()


def of(engine: Engine) -> Head | None:
    return _HEADS.get(engine)


def load(
    vault: Vault,
    now: datetime,
    stored: Sequence[Anchor] = (),
    broken: Sequence[Integrity] = (),
) -> Head:
    """The verified head of the ledger (from the snapshot when it still fits),
    the ``stored`` checkpoints compared with the tree as it grew; ``broken``:
    the files of ``checkpoints/`` that are not notes (check.stored_anchors)."""
    marks = checkpoint_marks(stored, broken)
    head = _resume(vault, now, marks, stored)
    fresh = head is None or head.marks != marks
    if head is None:
        head = Head(Verifier(now, stored, refuse=True), marks, 0, hashlib.sha256())
    head.marks = marks
    added = _feed_from(vault, head)
    if fresh or added:
        _save(vault, head)
    _HEADS[head.checked.engine] = head
    return head


CHUNK = 1 << 20


def checkpoint_marks(
    stored: Sequence[Anchor], broken: Sequence[Integrity]
) -> dict[str, Any]:
    """The stored checkpoint files as ``check.stored_anchors`` read them: the
    SHA-256 of each note by name, and one over the other files' findings. A
    snapshot is used with the very checkpoints it was compared with, or with
    those and notes added since at or past its size (see :func:`_resume`)."""
    digest = hashlib.sha256()
    for message in sorted(f.message for f in broken):
        digest.update(hashlib.sha256(message.encode()).digest())
    notes = {
        a.label: hashlib.sha256((a.note or "").encode()).hexdigest() for a in stored
    }
    return {"notes": notes, "broken": digest.hexdigest()}


def _feed_from(vault: Vault, head: Head) -> int:
    """Verify and replay every line after ``head.size``; return how many."""
    if not vault.ledger.exists():
        return 0
    added = 0
    with vault.ledger.open("rb") as f:
        f.seek(head.size)
        for raw, complete in read_lines(f):
            if not complete:
                raise LedgerError(
                    Text(
                        N_(
                            "{path}: torn last line ({n} bytes); "
                            "run 'vaultctl repair' first"
                        ),
                        path=vault.ledger,
                        n=len(raw),
                    )
                )
            feed(head, raw, vault)
            added += 1
    return added


def feed(head: Head, raw: bytes, vault: Vault) -> Entry:
    """Verify one line in full and replay it; refuse a line that fails."""
    try:
        entry = head.checked.feed(raw)
    except Refused as e:
        raise LedgerError(_refusal(vault, e.line, e.finding)) from e
    assert entry is not None  # noqa: S101 - refuse mode raised otherwise
    head.size += len(raw) + 1
    head.hasher.update(raw + b"\n")
    return entry


def _refusal(vault: Vault, line: int, finding: Any) -> str:
    why = at(finding.code, finding.message) if finding else Text(NO_ROSTER)
    return Text(
        N_(
            "{path}: line {n} fails verification ({why}); nothing can be added "
            "after it (run 'vaultctl verify')"
        ),
        path=vault.ledger,
        n=line,
        why=why,
    )


NO_ROSTER = N_("no trusted roster")


def advance(vault: Vault, engine: Engine, line: bytes) -> None:
    """Carry the head of ``engine`` over the line just appended, and store it."""
    head = _HEADS.get(engine)
    if head is None:
        return
    feed(head, line, vault)
    _save(vault, head)


# --- the snapshot ------------------------------------------------------------


def _save(vault: Vault, head: Head) -> None:
    if head.checked.chain.log is None:
        return
    meta = {
        "size": head.size,
        "sha256": head.hasher.hexdigest(),
        "entries": head.checked.chain.entries,
        "head": head.checked.chain.head,
        "checkpoints": head.marks,
    }
    # NOTE: a cache that cannot be written only costs the next writer a replay
    with contextlib.suppress(OSError, snapshot.SnapshotError):
        snapshot.save(vault.ledger, head.checked.chain.log, meta, _parts(head))


def _parts(head: Head) -> dict[str, Any]:
    parts = head.checked.parts()
    return {
        "engine": parts.engine,
        "verifier": parts.chain,
        "tree": parts.tree,
        "anchored": parts.anchored,
    }


def _resume(
    vault: Vault, now: datetime, marks: dict[str, Any], stored: Sequence[Anchor]
) -> Head | None:
    log = _log_of(vault)
    if log is None:
        return None
    try:
        meta, parts = snapshot.load(vault.ledger, log)
        was = meta["checkpoints"]
        if was["broken"] != marks["broken"] or any(
            marks["notes"].get(label) != sha for label, sha in was["notes"].items()
        ):
            return None  # NOTE: a note gone or changed: replay against the rest
        size, want = int(meta["size"]), str(meta["sha256"])
        hasher = _prefix_hash(vault, size)
        if hasher is None or hasher.hexdigest() != want:
            return None
        kept = Parts(
            chain=parts["verifier"],
            engine=parts["engine"],
            tree=parts["tree"],
            anchored=parts["anchored"],
        )
        if not (kept.consistent() and kept.chain.entries == meta["entries"]):
            return None
        new = [a for a in stored if a.label not in was["notes"]]
        if any(a.size < kept.tree.size for a in new):
            return None  # NOTE: no root kept for an earlier size: replay
    except (
        OSError,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        snapshot.SnapshotError,
    ):
        return None
    checked = Verifier(now, refuse=True, parts=kept)
    # NOTE: notes stored since the snapshot (a handover's checkpoint, say),
    # each at or past its size: compared with the tree when it gets there,
    # exactly as a full replay would (issue 24: no full replay after each
    # handover)
    checked.anchored.add(new)
    checked.anchored.at_size(kept.tree.size, kept.tree.root, checked.signing_keys)
    return Head(checked, was, size, hasher)


def _prefix_hash(vault: Vault, size: int) -> Any:
    """SHA-256 of the ledger's first ``size`` bytes (None if it is shorter)."""
    hasher = hashlib.sha256()
    with vault.ledger.open("rb") as f:
        left = size
        while left:
            block = f.read(min(CHUNK, left))
            if not block:
                return None
            hasher.update(block)
            left -= len(block)
    return hasher


def _log_of(vault: Vault) -> str | None:
    """The log id on the first line (the snapshot's key), read cheaply."""
    try:
        with vault.ledger.open("rb") as f:
            first = f.readline(1 << 20)
        log = json.loads(first).get("log")
    except (OSError, ValueError, AttributeError):
        return None
    return log if isinstance(log, str) else None
