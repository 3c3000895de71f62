"""``verify`` as a library call: integrity, then state (and rules), over a stream.

Pure: it takes an iterable of ``(line, complete)`` pairs and returns a
:class:`Report`; reading files and printing belong to the caller.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from vaultctl import checkpoint, parallel, shortcode
from vaultctl.anchors import Anchor, AnchorCheck
from vaultctl.chain import ChainVerifier, Integrity
from vaultctl.errors import CheckpointError
from vaultctl.merkle import TreeBuilder
from vaultctl.model import Entry
from vaultctl.rules import Engine, Finding, Owed
from vaultctl.state import State

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTEGRITY, EXIT_UNREADABLE = 0, 1, 2, 3, 4
# NOTE: findings kept per rule and integrity findings per code; the rest are
# counted, so memory stays flat however many lines a hostile log repeats
CAP = 100
T = TypeVar("T")


class Capped(Generic[T]):
    """Keep the first ``cap`` items per key; count the ones dropped."""

    def __init__(self, key: Callable[[T], Hashable], cap: int) -> None:
        self.key, self.cap = key, cap
        self.kept: list[T] = []
        self.seen: Counter[Hashable] = Counter()
        self.dropped: Counter[Hashable] = Counter()

    def add(self, items: Iterable[T]) -> None:
        for item in items:
            k = self.key(item)
            self.seen[k] += 1
            if self.seen[k] <= self.cap:
                self.kept.append(item)
            else:
                self.dropped[k] += 1


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
    anchors_failed: list[dict[str, str]] = field(default_factory=list)
    findings_dropped: dict[str, int] = field(default_factory=dict)
    integrity_dropped: dict[str, int] = field(default_factory=dict)

    def counts(self, level: str) -> dict[str, int]:
        """Findings per rule at ``level``, the dropped ones included."""
        n = Counter(f.rule for f in self.findings if f.level == level)
        rules = {f.rule for f in self.findings if f.level == level}
        n.update({r: c for r, c in self.findings_dropped.items() if r in rules})
        return dict(sorted(n.items()))

    def integrity_counts(self) -> dict[str, int]:
        """Integrity findings per code, the dropped ones included."""
        n = Counter(f.code for f in self.integrity)
        n.update(self.integrity_dropped)
        return dict(sorted(n.items()))

    owed: list[Owed] = field(default_factory=list)  # what the log owes now

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
            "anchors_failed": self.anchors_failed,
            "findings_dropped": self.findings_dropped,
            "integrity_dropped": self.integrity_dropped,
            "state": self.state.summary(),
        }


def run(
    lines: Iterable[tuple[bytes, bool]],
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    anchors: Iterable[Anchor] = (),
    cap: int = CAP,
    observe: Callable[[Entry, State], None] | None = None,
    jobs: int = 1,
) -> Report:
    """Verify a whole ledger given as a stream of lines.

    Sound entries go on to the rules; ``now`` is the verifier's clock (for
    TIME-ORDER and for deadlines still running at the end of the log). Every
    complete line is a leaf of the Merkle tree, checked against ``anchors``.
    At most ``cap`` findings are kept per rule and per integrity code; the
    rest are counted in ``findings_dropped`` and ``integrity_dropped``.
    ``observe`` sees each sound entry with the state right after it (the report's
    timeline is drawn from it).
    With ``jobs`` > 1, signatures are checked by that many worker processes
    (vaultctl.parallel); the report is the same.
    """
    verifier = ChainVerifier()
    engine = Engine(now or datetime.now().astimezone())
    tree = TreeBuilder()
    check = AnchorCheck(anchors)
    findings: Capped[Finding] = Capped(lambda f: f.rule, cap)
    integrity: Capped[Integrity] = Capped(lambda f: f.code, cap)
    for raw, complete, proven in _stream(lines, jobs):
        entry = verifier.feed(raw, complete, proven)
        if verifier.findings:
            integrity.add(verifier.findings)
            verifier.findings.clear()
        if entry is not None:
            findings.add(engine.feed(entry))
            if observe is not None:
                observe(entry, engine.state)
        if complete:
            tree.append(raw)
            check.at_size(tree.size, tree.root, lambda: _signing_keys(verifier))
        if progress is not None:
            progress(len(raw) + 1)
    findings.add(engine.finish())
    state = engine.state
    failed = []
    origin = _origin(state, verifier.log)
    current = _signing_keys(verifier)
    for anchor, code, message in check.finish(tree.size, origin, current):
        failed.append(
            {"anchor": anchor.label, "kind": check.kind(anchor), "message": message}
        )
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
    integrity.add(verifier.findings)
    verifier.findings.clear()
    return Report(
        entries=verifier.entries,
        log=verifier.log,
        head=verifier.head,
        integrity=integrity.kept,
        state=state,
        findings=findings.kept,
        rules_off=engine.off,
        root=tree.root(),
        anchors_ok=check.ok,
        anchors_failed=failed,
        findings_dropped={str(k): n for k, n in sorted(findings.dropped.items())},
        integrity_dropped={str(k): n for k, n in sorted(integrity.dropped.items())},
        owed=engine.owed(),
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
