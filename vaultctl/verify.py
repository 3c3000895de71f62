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
# NOTE: a report keeps the first CAP findings of each rule (and of each
# integrity code) and counts the rest, so memory stays flat on a long log
# full of findings; nothing is dropped silently (see ``omitted``)
CAP = 1000


class Capped:
    """Findings kept up to :data:`CAP` per rule; the rest counted in ``omitted``."""

    def __init__(self, cap: int = CAP) -> None:
        self.cap = cap
        self.kept: list[Finding] = []
        self.omitted: dict[str, int] = {}
        self._seen: dict[str, int] = {}

    def add(self, found: Iterable[Finding]) -> None:
        for f in found:
            n = self._seen[f.rule] = self._seen.get(f.rule, 0) + 1
            if n <= self.cap:
                self.kept.append(f)
            else:
                self.omitted[f.rule] = n - self.cap


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
    # findings beyond the cap per rule / per integrity code, counted
    findings_omitted: dict[str, int] = field(default_factory=dict)
    integrity_omitted: dict[str, int] = field(default_factory=dict)

    @property
    def code(self) -> str:
        """The short code of the head, to read out on the phone."""
        return shortcode.short_code(self.entries, self.root) if self.root else ""

    def counts(self, level: str | None = None) -> dict[str, int]:
        """Findings per rule, those beyond the cap included (of one level)."""
        out: dict[str, int] = {}
        for f in self.findings:
            if level is None or f.level == level:
                out[f.rule] = out.get(f.rule, 0) + 1
        for rule, n in self.findings_omitted.items():
            if rule in out:  # NOTE: a rule's level is one; its kept ones show it
                out[rule] += n
        return dict(sorted(out.items()))

    def integrity_counts(self) -> dict[str, int]:
        """Integrity findings per code, those beyond the cap included."""
        out: dict[str, int] = {}
        for f in self.integrity:
            out[f.code] = out.get(f.code, 0) + 1
        for code, n in self.integrity_omitted.items():
            out[code] = out.get(code, 0) + n
        return out

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
            "findings_omitted": self.findings_omitted,
            "integrity_omitted": self.integrity_omitted,
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
    verifier = ChainVerifier(cap=CAP)
    engine = Engine(now or datetime.now().astimezone())
    tree = TreeBuilder()
    check = AnchorCheck(anchors)
    findings = Capped(CAP)
    for raw, complete, proven in _stream(lines, jobs):
        entry = verifier.feed(raw, complete, proven)
        if entry is not None:
            findings.add(engine.feed(entry))
        if complete:
            tree.append(raw)
            check.at_size(tree.size, tree.root, lambda: _signing_keys(verifier))
        if progress is not None:
            progress(len(raw) + 1)
    findings.add(engine.finish())
    state = engine.state
    origin = _origin(state, verifier.log)
    for anchor, code, message in check.finish(
        tree.size, origin, _signing_keys(verifier)
    ):
        verifier.findings.append(
            Integrity(
                line=min(anchor.size, tree.size), seq=None, code=code, message=message
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
        findings=findings.kept,
        findings_omitted=findings.omitted,
        integrity_omitted=verifier.omitted,
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
