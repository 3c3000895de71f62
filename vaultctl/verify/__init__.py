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

from vaultctl.core.codes import Code
from vaultctl.core.errors import CheckpointError
from vaultctl.core.i18n import N_
from vaultctl.core.messages import Text
from vaultctl.core.model import Entry
from vaultctl.rules import Engine, Finding, Owed
from vaultctl.rules.state import State
from vaultctl.tlog import checkpoint, shortcode
from vaultctl.tlog.anchors import Anchor, AnchorCheck
from vaultctl.tlog.chain import ChainVerifier, Integrity
from vaultctl.tlog.merkle import TreeBuilder
from vaultctl.verify import parallel

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


@dataclass(frozen=True, slots=True)
class AnchorFailure:
    """An anchor the log does not extend: its label, how it failed
    (``anchors.ROLLBACK``, ``FORK`` or ``BAD_NOTE``) and the message."""

    anchor: str
    kind: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"anchor": self.anchor, "kind": self.kind, "message": self.message}


@dataclass(frozen=True, slots=True)
class Report:
    """The verdict of one verification: frozen; renderers and exit codes read
    it, nothing patches it afterwards."""

    entries: int
    log: str | None
    head: str | None
    integrity: list[Integrity]
    state: State
    findings: list[Finding] = field(default_factory=list)
    rules_off: list[str] = field(default_factory=list)
    root: bytes = b""
    anchors_ok: list[str] = field(default_factory=list)
    anchors_failed: list[AnchorFailure] = field(default_factory=list)
    findings_dropped: dict[str, int] = field(default_factory=dict)
    integrity_dropped: dict[str, int] = field(default_factory=dict)
    anchors: tuple[Anchor, ...] = ()  # every anchor given, with its origin

    def counts(self, level: str) -> dict[str, int]:
        """Findings per rule at ``level``, the dropped ones included."""
        n = Counter(f.rule for f in self.findings if f.level == level)
        rules = {f.rule for f in self.findings if f.level == level}
        n.update({r: c for r, c in self.findings_dropped.items() if r in rules})
        return dict(sorted(n.items()))

    def integrity_counts(self) -> dict[str, int]:
        """Integrity findings per code, the dropped ones included."""
        n = Counter(str(f.code) for f in self.integrity)
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
            "anchors_failed": [a.to_dict() for a in self.anchors_failed],
            "findings_dropped": self.findings_dropped,
            "integrity_dropped": self.integrity_dropped,
            "state": self.state.summary(),
        }


# NOTE: checks of the log source beyond its lines, given the final state
Extra = Callable[[State], tuple[list[Integrity], list[Finding]]]


class Refused(Exception):
    """A line failed in *refuse* mode (writers): nothing may follow it."""

    def __init__(self, line: int, finding: Integrity | None) -> None:
        super().__init__(finding.message if finding else "no trusted roster")
        self.line, self.finding = line, finding


@dataclass(slots=True)
class Parts:
    """What a :class:`Verifier` has built from the lines so far: the chain,
    the rules' engine, the Merkle tree and the anchors' progress. A writer's
    snapshot keeps these and resumes a Verifier from them."""

    chain: ChainVerifier
    engine: Engine
    tree: TreeBuilder
    anchored: AnchorCheck

    def consistent(self) -> bool:
        """Each part of its type, and all of them at the same line."""
        return (
            isinstance(self.chain, ChainVerifier)
            and isinstance(self.engine, Engine)
            and isinstance(self.tree, TreeBuilder)
            and isinstance(self.anchored, AnchorCheck)
            and self.chain.entries == self.tree.size
        )


class Verifier:
    """The one per-line verification loop: chain (hash, order, canonical form,
    signatures, roster), then the rules, then the observer, then the Merkle
    tree and the anchors. Every command that judges a log feeds its lines
    here: ``verify``, ``status``, ``report``, ``audit``, ``enrol`` (through
    :func:`run`), the writers (:mod:`vaultctl.store.head`, mode *refuse*) and
    ``prove --check`` (:mod:`vaultctl.verify.proofs`, stopped at a size).

    *report* mode collects everything (at most ``cap`` per rule and per
    integrity code, the rest counted); *refuse* mode raises :class:`Refused`
    at the first line with an integrity finding, so nothing is ever built on
    a line that does not verify.
    """

    def __init__(
        self,
        now: datetime | None = None,
        anchors: Iterable[Anchor] = (),
        *,
        refuse: bool = False,
        cap: int = CAP,
        observe: Callable[[Entry, State], None] | None = None,
        parts: Parts | None = None,
        listing: Callable[[int, Entry], None] | None = None,
    ) -> None:
        """``parts``: resume where an earlier Verifier stopped (its
        :meth:`parts`), judging against ``now``; else start at line 1.
        ``listing`` sees every line that parses as an entry, sound or not,
        with its line number (``log`` shows them all, marking the unsound)."""
        now = now or datetime.now().astimezone()
        self.given = tuple(anchors)
        if parts is None:
            parts = Parts(
                ChainVerifier(), Engine(now), TreeBuilder(), AnchorCheck(self.given)
            )
        parts.engine.set_clock(now)
        self.chain, self.engine = parts.chain, parts.engine
        self.tree, self.anchored = parts.tree, parts.anchored
        self.refuse = refuse
        self.observe = observe
        self.listing = listing
        self.findings: Capped[Finding] = Capped(_by_rule, cap)
        self.integrity: Capped[Integrity] = Capped(_by_code, cap)

    def parts(self) -> Parts:
        """What this Verifier has built so far (see :class:`Parts`)."""
        return Parts(self.chain, self.engine, self.tree, self.anchored)

    def feed(
        self, raw: bytes, complete: bool = True, proven: parallel.Verdict = None
    ) -> Entry | None:
        """Verify one line and replay it; return its entry if it is sound."""
        chain = self.chain
        entry = chain.feed(raw, complete, proven)
        if self.listing is not None and chain.parsed is not None:
            self.listing(chain.line, chain.parsed)
        if chain.findings:
            if self.refuse:
                raise Refused(chain.line, chain.findings[0])
            self.integrity.add(chain.findings)
            chain.findings.clear()
        elif self.refuse and entry is None:
            raise Refused(chain.line, None)
        if entry is not None:
            found = self.engine.feed(entry)
            if not self.refuse:
                self.findings.add(found)
            if self.observe is not None:
                self.observe(entry, self.engine.state)
        if complete:
            self.tree.append(raw)
            self.anchored.at_size(self.tree.size, self.tree.root, self.signing_keys)
        return entry

    def signing_keys(self) -> dict[str, list[bytes]]:
        roster = self.chain.roster
        return roster.signing_keys() if roster else {}

    def anchor_problems(
        self, anchored: AnchorCheck | None = None
    ) -> list[tuple[Anchor, Code, str]]:
        """The anchors' problems at the current size (``anchored``: a copy to
        finish, for a writer whose head goes on growing)."""
        check = anchored or self.anchored
        origin = _origin(self.engine.state, self.chain.log)
        return check.finish(self.tree.size, origin, self.signing_keys())

    def verdict(self, extra: Extra | None = None) -> Report:
        """Finish the rules and the anchors; the report of everything fed.
        ``extra`` (given the final state) adds what the log source can check
        beyond the lines: files it binds, checkpoint files that are not
        notes."""
        self.findings.add(self.engine.finish())
        if extra is not None:
            more_integrity, more_findings = extra(self.engine.state)
            self.integrity.add(more_integrity)
            self.findings.add(more_findings)
        failed = []
        problems = []
        for anchor, code, message in self.anchor_problems():
            failed.append(
                AnchorFailure(anchor.label, self.anchored.kind(anchor), message)
            )
            line = min(anchor.size, self.tree.size)
            problems.append(Integrity(line=line, seq=None, code=code, message=message))
        if self.chain.entries == 0:
            problems.append(
                Integrity(
                    line=0,
                    seq=None,
                    code=Code.BAD_SCHEMA,
                    message=Text(N_("the ledger is empty: no genesis")),
                )
            )
        self.integrity.add(problems)
        return Report(
            entries=self.chain.entries,
            log=self.chain.log,
            head=self.chain.head,
            integrity=self.integrity.kept,
            state=self.engine.state,
            findings=self.findings.kept,
            rules_off=self.engine.off,
            root=self.tree.root(),
            anchors_ok=self.anchored.ok,
            anchors_failed=failed,
            findings_dropped=_counts(self.findings.dropped),
            integrity_dropped=_counts(self.integrity.dropped),
            owed=self.engine.owed(),
            anchors=self.given,
        )


def _by_rule(f: Finding) -> str:
    return f.rule


def _by_code(f: Integrity) -> str:
    return f.code


def _counts(dropped: Counter[Hashable]) -> dict[str, int]:
    return {str(k): n for k, n in sorted(dropped.items())}


def run(
    lines: Iterable[tuple[bytes, bool]],
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    anchors: Iterable[Anchor] = (),
    cap: int = CAP,
    observe: Callable[[Entry, State], None] | None = None,
    jobs: int = 1,
    extra: Extra | None = None,
    listing: Callable[[int, Entry], None] | None = None,
) -> Report:
    """Verify a whole ledger given as a stream of lines (:class:`Verifier`,
    report mode).

    Sound entries go on to the rules; ``now`` is the verifier's clock (for
    TIME-ORDER and for deadlines still running at the end of the log). Every
    complete line is a leaf of the Merkle tree, checked against ``anchors``.
    ``observe`` sees each sound entry with the state right after it (the
    report's timeline is drawn from it). With ``jobs`` > 1, signatures are
    checked by that many worker processes (vaultctl.verify.parallel); the report is
    the same. ``listing``: as for :class:`Verifier`.
    """
    verifier = Verifier(now, anchors, cap=cap, observe=observe, listing=listing)
    for raw, complete, proven in _stream(lines, jobs):
        verifier.feed(raw, complete, proven)
        if progress is not None:
            progress(len(raw) + 1)
    return verifier.verdict(extra)


def _stream(
    lines: Iterable[tuple[bytes, bool]], jobs: int
) -> Iterator[tuple[bytes, bool, parallel.Verdict]]:
    if jobs > 1:
        yield from parallel.verdicts(lines, jobs)
    else:
        for raw, complete in lines:
            yield raw, complete, None


def _origin(state: State, log: str | None) -> str:
    try:
        return checkpoint.make_origin(state.site.get("id", "?"), log or "?")
    except CheckpointError:
        return "?"  # NOTE: a bad site id is already a genesis finding
