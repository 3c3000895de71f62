"""Verify a vault with all its anchors: the one verification every command uses.

``verify``, ``checkpoint``, ``export``, ``status``, ``log`` and ``report`` call
:func:`verify_vault`; writers use :func:`vaultctl.store.writer.replay`, which
verifies the same way and refuses at the first line that fails. The stored
checkpoints are always anchors; notes are read as bytes and decoded strictly
(a CRLF note is malformed, as for Go's ``sumdb/note``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from vaultctl import rules, verify
from vaultctl.core.errors import ArgumentError, CheckpointError, message_of
from vaultctl.core.i18n import N_
from vaultctl.core.messages import Text, at
from vaultctl.core.model import Entry
from vaultctl.rules import Finding
from vaultctl.rules.state import State
from vaultctl.store import evidence, footage
from vaultctl.store.ledger import NotRegularFile, Vault, open_regular, read_lines
from vaultctl.tlog import anchors
from vaultctl.tlog.anchors import Anchor
from vaultctl.tlog.chain import Integrity

MAX_NOTE_BYTES = 64 * 1024


def not_a_note(label: str, e: BaseException) -> str:
    """Why a file among the checkpoints is no note (vault or bundle alike)."""
    why = Text(
        N_("not a checkpoint note ({why}); it anchors nothing"), why=message_of(e)
    )
    return at(label, why)


def read_note(path: Path) -> str:
    """A checkpoint note's text: at most 64 KiB, strict UTF-8, bytes as they are."""
    try:
        f = open_regular(path)
    except NotRegularFile as e:
        raise CheckpointError("not a regular file") from e
    except OSError as e:
        raise CheckpointError(f"cannot read ({e.strerror})") from e
    with f:
        data = f.read(MAX_NOTE_BYTES + 1)
    if len(data) > MAX_NOTE_BYTES:
        raise CheckpointError(f"larger than {MAX_NOTE_BYTES} bytes")
    try:
        return data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise CheckpointError(f"not UTF-8 (byte {e.start})") from e


def stored_anchors(vault: Vault) -> tuple[list[Anchor], list[Integrity]]:
    """The vault's own checkpoints; a file that is not a note is its own
    finding (``bad-checkpoint``), never a fork."""
    found, broken = [], []
    for path in vault.checkpoint_files():
        label = f"checkpoints/{path.name}"
        try:
            found.append(anchors.from_note(read_note(path), label, stored=True))
        except CheckpointError as e:
            broken.append(
                Integrity(
                    line=0,
                    seq=None,
                    code=anchors.BAD_CHECKPOINT,
                    message=not_a_note(label, e),
                )
            )
    return found, broken


def given_anchors(notes: Sequence[Path], codes: Sequence[str]) -> list[Anchor]:
    """``--checkpoint`` files and ``--code`` values: a bad one is a usage error."""
    out = []
    for path in notes:
        try:
            out.append(anchors.from_note(read_note(path), str(path)))
        except CheckpointError as e:
            raise ArgumentError(f"{path}: not a checkpoint note ({e})") from e
    try:
        out += [anchors.from_code(c) for c in codes]
    except CheckpointError as e:
        raise ArgumentError(e.message) from e
    return out


def verify_vault(
    vault: Vault,
    *,
    notes: Sequence[Path] = (),
    codes: Sequence[str] = (),
    footage_dir: Path | None = None,
    data: bytes | None = None,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
    observe: Callable[[Entry, State], None] | None = None,
    jobs: int = 1,
    listing: Callable[[int, Entry], None] | None = None,
) -> verify.Report:
    """Verify the vault's ledger (or ``data``, bytes read from it) against its
    stored checkpoints, ``notes``, ``codes`` and, with ``footage_dir``, the
    video files bound by ``cctv segment``; ``observe`` as for
    :func:`vaultctl.verify.run`."""
    vault.require()
    wanted = given_anchors(notes, codes)
    stored, broken = stored_anchors(vault)
    lines = vault.lines() if data is None else read_lines(io.BytesIO(data))

    def files(state: State) -> tuple[list[Integrity], list[Finding]]:
        """What the vault's folders say: checkpoint files that are not notes,
        evidence bound by --attach, and (``footage_dir``) the video files."""
        bad = [*broken, *evidence.check(state.evidence, evidence.in_vault(vault.path))]
        found: list[Finding] = []
        if footage_dir is not None:
            level = rules.levels_in_force(state.policy)["FOOTAGE"]
            level = "error" if level == "off" else level
            found = list(footage.check(state.segments, footage_dir, level))
        return bad, found

    return verify.run(
        lines,
        now=now,
        progress=progress,
        anchors=[*stored, *wanted],
        observe=observe,
        listing=listing,
        jobs=jobs,
        extra=files,
    )
