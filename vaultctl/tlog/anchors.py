"""Anchors: what a log must extend — signed checkpoints and phoned-in codes (pure).

A hash chain alone cannot show that the tail was cut off or that the whole log
was rewritten with fresh signatures. An anchor fixes the Merkle root of the
first N entries at some moment; :class:`AnchorCheck`, fed the tree as the
verifier streams the ledger, tells whether today's log still has that root at
size N. Having the whole log, the verifier compares roots directly; a
consistency proof is only needed by someone who holds two checkpoints and no log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from vaultctl.core.codes import Code
from vaultctl.core.errors import CheckpointError
from vaultctl.core.i18n import N_
from vaultctl.core.messages import Text, at
from vaultctl.tlog import checkpoint, shortcode


@dataclass(frozen=True, slots=True, kw_only=True)
class Anchor:
    """A size and the root (checkpoint) or root prefix (code) the log must have."""

    label: str
    size: int
    root: bytes | None = None  # a checkpoint: the full root
    code: str | None = None  # a short code: 16 base32 characters
    note: str | None = None  # the signed note, for the signature check
    origin: str | None = None
    stored: bool = False  # from the vault's own checkpoints/ folder

    def matches(self, root: bytes) -> bool:
        if self.root is not None:
            return self.root == root
        return self.code is not None and shortcode.code_matches(self.code, root)


def from_note(note: str, label: str, stored: bool = False) -> Anchor:
    """An anchor from a checkpoint note (signatures are checked later)."""
    text = note.rsplit("\n\n", 1)[0] + "\n"
    cp = checkpoint.Checkpoint.parse_body(text)
    if cp.size == 0:
        raise CheckpointError("a checkpoint of size 0 anchors nothing")
    return Anchor(
        label=label,
        size=cp.size,
        root=cp.root,
        note=note,
        origin=cp.origin,
        stored=stored,
    )


def from_code(text: str, label: str | None = None) -> Anchor:
    """An anchor from a phoned-in code; a mistyped one raises MistypedCodeError."""
    parsed = shortcode.parse(text)
    if parsed.size == 0:
        raise shortcode.MistypedCodeError(
            f"short code {text.strip()!r}: size 0 anchors nothing"
        )
    return Anchor(
        label=label or f"code {text.strip()}", size=parsed.size, code=parsed.chars
    )


Keys = Mapping[str, Sequence[bytes]]
MISMATCH, BAD_CHECKPOINT = Code.CHECKPOINT_MISMATCH, Code.BAD_CHECKPOINT
ROLLBACK, FORK, BAD_NOTE = "rollback", "fork", "bad-note"  # how an anchor failed


class AnchorCheck:
    """Compare anchors with the tree as it grows; collect what does not match.

    A note is evidence only when two distinct officers with distinct keys
    signed it, and only with keys the log can vouch for:

    * a note whose root the log has at the note's size anchors the log when
      its signers were in force at that size (a key revoked later still
      vouches for what it signed before);
    * a note that disagrees with the log (a fork) must also be signed by
      officers still in force at the log's end: keys since revoked (stolen
      ones, say) can sign a note for any early size, so theirs proves nothing;
    * a note past the end (a rollback) cannot show when it was signed: its
      signers must be in force at the log's end.

    A stored note that is not evidence is its own finding
    (``bad-checkpoint``): verify fails, but it anchors nothing, is never
    called a fork or a rollback, and blocks no writer. A note the verifier
    was given (``--checkpoint``, the centre's) that is not evidence of this
    log is a mismatch.
    """

    def __init__(self, anchors: Iterable[Anchor]) -> None:
        self.waiting: dict[int, list[Anchor]] = {}
        self.add(anchors)
        self.problems: list[tuple[Anchor, Code, str]] = []
        self.reached: list[tuple[Anchor, bool, Keys]] = []
        self.ok: list[str] = []
        self.kinds: dict[int, str] = {}  # id(anchor) -> ROLLBACK, FORK, BAD_NOTE

    def add(self, anchors: Iterable[Anchor]) -> None:
        """Wait for ``anchors`` too: each is compared when the tree reaches its
        size (one at the current size: call :meth:`at_size` for it)."""
        for a in anchors:
            self.waiting.setdefault(a.size, []).append(a)

    def at_size(
        self, size: int, root: Callable[[], bytes], keys: Callable[[], Keys]
    ) -> None:
        """Call after each leaf; ``root`` and ``keys`` only when an anchor waits."""
        for a in self.waiting.pop(size, ()):
            self.reached.append((a, a.matches(root()), keys()))

    def finish(
        self, size: int, origin: str, current: Keys
    ) -> list[tuple[Anchor, Code, str]]:
        """``(anchor, code, message)`` of forks, anchors past the end
        (truncated log) and notes that anchor nothing. ``current``: the keys
        in force at the log's end (see the class for who may sign what)."""
        for a, matched, then in self.reached:
            if matched:
                if self._signed(a, origin, then):
                    self.ok.append(a.label)
                continue
            if not self._signed(a, origin, then):
                continue
            if not self._signed(a, origin, _both(then, current), SINCE_REVOKED):
                continue
            self.kinds[id(a)] = FORK
            self.problems.append(
                (
                    a,
                    MISMATCH,
                    at(
                        a.label,
                        Text(
                            N_(
                                "the first {size} entries do not have the "
                                "anchored root (rewritten or forked)"
                            ),
                            size=a.size,
                        ),
                    ),
                )
            )
        for anchored, group in sorted(self.waiting.items()):
            for a in group:
                if self._signed(a, origin, current, PAST_END):
                    self.kinds[id(a)] = ROLLBACK
                    self.problems.append(
                        (
                            a,
                            MISMATCH,
                            at(
                                a.label,
                                Text(
                                    N_(
                                        "anchors {anchored} entries but the log "
                                        "has only {size} (rolled back or truncated)"
                                    ),
                                    anchored=anchored,
                                    size=size,
                                ),
                            ),
                        )
                    )
        return self.problems

    def kind(self, a: Anchor) -> str:
        """How anchor ``a`` failed: ROLLBACK, FORK or BAD_NOTE ("" if it did not)."""
        return self.kinds.get(id(a), "")

    def _signed(self, a: Anchor, origin: str, keys: Keys, why: str = "") -> bool:
        """True for a code, or a note signed by two officers with ``keys``."""
        if a.note is None:
            return True
        problem = _note_problem(a, origin, keys)
        if problem:
            self.kinds[id(a)] = BAD_NOTE
            self.problems.append(
                (
                    a,
                    BAD_CHECKPOINT if a.stored else MISMATCH,
                    f"{a.label}: not a checkpoint of this log signed by two "
                    f"officers in force{why} ({problem}); it anchors nothing",
                )
            )
        return problem is None


# NOTE: why a note that the log cannot vouch for is not evidence
SINCE_REVOKED = (
    " then and still now: it disagrees with the log, and keys revoked or "
    "suspended since could have signed it at any time"
)
PAST_END = " at the end of the log: it lies past the end, where the log cannot "
PAST_END += "show when it was signed"


def _both(then: Keys, now: Keys) -> dict[str, list[bytes]]:
    """The keys of ``then`` still in force ``now``."""
    return {
        name: [k for k in ks if k in now.get(name, ())]
        for name, ks in then.items()
        if name in now
    }


def _note_problem(a: Anchor, origin: str, known_keys: Keys) -> str | None:
    if a.origin != origin:
        return f"origin {a.origin!r} is not this log ({origin!r})"
    try:
        opened = checkpoint.open_note(a.note or "", known_keys)
        checkpoint.require_cosigners(opened, 2)
    except CheckpointError as e:
        return e.message
    return None
