"""``verify`` as a library call: integrity, then state (and rules), over a stream.

Pure: it takes an iterable of ``(line, complete)`` pairs and returns a
:class:`Report`; reading files and printing belong to the caller.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vaultctl import checkpoint, parallel, shortcode
from vaultctl.anchors import Anchor, AnchorCheck
from vaultctl.chain import ChainVerifier, Integrity
from vaultctl.errors import CheckpointError
from vaultctl.merkle import TreeBuilder
from vaultctl.rules import Engine, Finding
from vaultctl.state import State

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTEGRITY, EXIT_UNREADABLE = 0, 1, 2, 3, 4


@dataclass(slots=True)
class Report:
    """The outcome of one verification."""

    entries: int
    log: str | None
    head: str | None
    integrity: list[Integrity]
    state: State
    findings: list[Finding] = field(default_factory=list)
    rules_off: list[str] = field(default_factory=list)
    root: bytes = b""
    anchors_ok: list[str] = field(default_factory=list)

    @property
    def code(self) -> str:
        """The short code of the head, to read out on the phone."""
        return shortcode.short_code(self.entries, self.root) if self.root else ""

    @property
    def exit_code(self) -> int:
        if self.integrity:
            return EXIT_INTEGRITY
        if any(f.level == "error" for f in self.findings):
            return EXIT_FINDINGS
        return EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.exit_code == EXIT_OK,
            "exit": self.exit_code,
            "entries": self.entries,
            "log": self.log,
            "head": self.head,
            "integrity": [f.to_dict() for f in self.integrity],
            "findings": [f.to_dict() for f in self.findings],
            "rules_off": self.rules_off,
            "size": self.entries,
            "root": base64.b64encode(self.root).decode("ascii"),
            "code": self.code,
            "anchors_ok": self.anchors_ok,
            "state": self.state.summary(),
        }


def run(
    lines: Iterable[tuple[bytes, bool]],
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    anchors: Iterable[Anchor] = (),
    jobs: int = 1,
) -> Report:
    """Verify a whole ledger given as a stream of lines.

    Sound entries go on to the rules; ``now`` is the verifier's clock (for
    TIME-ORDER and for deadlines still running at the end of the log). Every
    complete line is a leaf of the Merkle tree, checked against ``anchors``.
    With ``jobs`` > 1, signatures are checked by that many worker processes
    (vaultctl.parallel); the report is the same.
    """
    verifier = ChainVerifier()
    engine = Engine(now or datetime.now().astimezone())
    tree = TreeBuilder()
    check = AnchorCheck(anchors)
    findings: list[Finding] = []
    for raw, complete, proven in _stream(lines, jobs):
        entry = verifier.feed(raw, complete, proven)
        if entry is not None:
            findings += engine.feed(entry)
        if complete:
            tree.append(raw)
            check.at_size(tree.size, tree.root, lambda: _signing_keys(verifier))
        if progress is not None:
            progress(len(raw) + 1)
    findings += engine.finish()
    state = engine.state
    for anchor, message in check.finish(tree.size, _origin(state, verifier.log)):
        verifier.findings.append(
            Integrity(
                line=min(anchor.size, tree.size),
                seq=None,
                code="checkpoint-mismatch",
                message=message,
            )
        )
    if verifier.entries == 0:
        verifier.findings.append(
            Integrity(
                line=0,
                seq=None,
                code="bad-schema",
                message="the ledger is empty: no genesis",
            )
        )
    return Report(
        entries=verifier.entries,
        log=verifier.log,
        head=verifier.head,
        integrity=verifier.findings,
        state=state,
        findings=findings,
        rules_off=engine.off,
        root=tree.root(),
        anchors_ok=check.ok,
    )


def _stream(
    lines: Iterable[tuple[bytes, bool]], jobs: int
) -> Iterator[tuple[bytes, bool, parallel.Verdict]]:
    if jobs > 1:
        yield from parallel.verdicts(lines, jobs)
    else:
        for raw, complete in lines:
            yield raw, complete, None


def _signing_keys(verifier: ChainVerifier) -> dict[str, list[bytes]]:
    return verifier.roster.signing_keys() if verifier.roster else {}


def _origin(state: State, log: str | None) -> str:
    try:
        return checkpoint.make_origin(state.site.get("id", "?"), log or "?")
    except CheckpointError:
        return "?"  # NOTE: a bad site id is already a genesis finding
