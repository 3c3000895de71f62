"""Integrity verification of the ledger, one line at a time (pure, streaming).

:class:`ChainVerifier` is fed the raw lines in order and keeps only what the
next line needs (the stored hash before it, the expected seq, the roster), so
memory does not grow with the log. Every problem is a :class:`Integrity`
finding; the verifier continues past it, comparing the next ``prev`` with the
*stored* hash of the line before, so one edited line yields findings for that
line only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from vaultctl.core import canonical, keys, schema
from vaultctl.core.codes import LOG, Code
from vaultctl.core.errors import CanonicalError, SchemaError
from vaultctl.core.i18n import N_
from vaultctl.core.messages import Text, at
from vaultctl.core.model import GENESIS_PREV, VERSION, Entry
from vaultctl.core.roster import Roster
from vaultctl.rules import genesis

CODES = LOG  # NOTE: the codes a log's own verification reports
MIN_SIGNERS = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Integrity:
    """One integrity finding: the log cannot be trusted at this line."""

    line: int
    seq: int | None
    code: Code
    message: str

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown integrity code {self.code!r}")
        object.__setattr__(self, "code", Code(self.code))

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "seq": self.seq,
            "code": self.code,
            "message": self.message,
        }


def short(digest: str | None) -> str:
    return f"{digest[:8]}…" if digest else "none"


# NOTE: per signature, the raw key a worker process verified it with and its
# verdict (vaultctl.verify.parallel); a verdict counts only for the very key the
# roster in force assigns, otherwise the signature is verified here
Known = Sequence[tuple[bytes | None, bool]]


def check_signatures(
    entry: Entry,
    roster: Roster,
    data: bytes | None = None,
    known: Known | None = None,
) -> Iterator[tuple[Code, str]]:
    """Yield ``(code, message)`` for every signature problem of ``entry``."""
    signed = data

    def signing_input() -> bytes:
        nonlocal signed
        if signed is None:
            signed = canonical.signing_input(
                entry.unsigned(), [{"by": s.by, "key": s.key} for s in entry.sigs]
            )
        return signed

    officers: set[str] = set()
    points: set[bytes] = set()  # NOTE: A and -A are one key (keys.point_id)
    for i, sig in enumerate(entry.sigs):
        officer = roster.get(sig.by)
        record = officer.keys.get(sig.key) if officer else None
        if officer is None:
            yield Code.UNKNOWN_SIGNER, Text(N_("{by} is not on the roster"), by=sig.by)
        elif record is None:
            yield (
                Code.UNKNOWN_KEY,
                Text(N_("key {key} is not a key of {by}"), key=sig.key, by=sig.by),
            )
        elif keys.is_weak(record.raw):
            # NOTE: its own code: a weak key was never a key, not a revoked one
            yield (
                Code.WEAK_KEY,
                Text(
                    N_("key {key} of {by} is weak and signs nothing"),
                    key=sig.key,
                    by=sig.by,
                ),
            )
        elif record.revoked:
            yield (
                Code.REVOKED_KEY,
                Text(N_("key {key} of {by} was revoked"), key=sig.key, by=sig.by),
            )
        elif not _valid(record.raw, sig.sig, signing_input, known, i):
            yield (
                Code.BAD_SIGNATURE,
                Text(N_("signature by {by} (key {key}) fails"), by=sig.by, key=sig.key),
            )
        elif sig.by in officers or keys.point_id(record.raw) in points:
            yield (
                Code.DUPLICATE_SIGNER,
                Text(N_("{by} or key {key} signs twice"), by=sig.by, key=sig.key),
            )
        else:
            officers.add(sig.by)
            points.add(keys.point_id(record.raw))
    if len(officers) < MIN_SIGNERS:
        yield (
            Code.TOO_FEW_SIGNATURES,
            Text(
                N_(
                    "{n} valid signature(s) by distinct officers and keys, "
                    "expected at least {m}"
                ),
                n=len(officers),
                m=MIN_SIGNERS,
            ),
        )


def _valid(
    raw: bytes,
    sig: bytes,
    data: Callable[[], bytes],
    known: Known | None,
    i: int,
) -> bool:
    if known is not None and i < len(known) and known[i][0] == raw:
        return known[i][1]
    return keys.verify(raw, sig, data())


class _Proven:
    """A line a worker proved canonical and hashed (see vaultctl.verify.parallel)."""

    __slots__ = ("hash",)

    def __init__(self, digest: str) -> None:
        self.hash = digest


class ChainVerifier:
    """Feed lines in order with :meth:`feed`; read findings and the head after."""

    def __init__(self, cap: int | None = None) -> None:
        self.findings: list[Integrity] = []
        # NOTE: with a cap, findings of a code beyond it are counted, not kept;
        # ``_total`` counts them all, so a line is sound only if it has none
        self.cap = cap
        self.omitted: dict[str, int] = {}
        self._per_code: dict[str, int] = {}
        self._total = 0
        self.entries = 0
        self.log: str | None = None
        self.head: str | None = None  # the stored hash of the last line read
        self.roster: Roster | None = None
        self._expected_seq = 0
        self._line = 0
        self._seq: int | None = None
        self._no_roster_reported = False
        self.parsed: Entry | None = None  # the last line's entry, sound or not
        # of the line being checked
        self._bytes: canonical.EntryBytes | canonical.FastLine | _Proven = (
            canonical.EntryBytes({})
        )
        self._known: Known | None = None

    @property
    def line(self) -> int:
        """The number of the line last fed (1 for the first)."""
        return self._line

    @property
    def ok(self) -> bool:
        return not self.findings and not self.omitted

    def _report(self, code: Code, message: str) -> None:
        self._total += 1
        n = self._per_code[code] = self._per_code.get(code, 0) + 1
        if self.cap is not None and n > self.cap:
            self.omitted[code] = n - self.cap
            return
        self.findings.append(
            Integrity(line=self._line, seq=self._seq, code=code, message=message)
        )

    def feed(
        self,
        raw: bytes,
        complete: bool = True,
        proven: tuple[str, Known] | None = None,
    ) -> Entry | None:
        """Check one line (without its ``\\n``); return the entry if it is sound.

        ``proven`` is what a worker process established about the line (its
        hash and signature verdicts, vaultctl.verify.parallel), or None."""
        self._line += 1
        self._seq = None
        self._known = None
        self.parsed = None
        if not complete:
            self._report(
                Code.TORN_LINE,
                Text(
                    N_(
                        "{n} bytes after the last newline "
                        "(an interrupted append; see 'vaultctl repair')"
                    ),
                    n=len(raw),
                ),
            )
            return None
        # NOTE: the link is checked against the hash *stored* on the line before,
        # so one edited line does not also condemn the line after it.
        expected_prev = GENESIS_PREV if self.entries == 0 else self.head
        self.entries += 1
        before = self._total
        entry = self._parse(raw) if proven is None else self._parse_proven(raw, proven)
        self.parsed = entry
        if entry is not None:
            self._check_chain(entry, expected_prev)
            self._check_body_and_sigs(entry)
        # NOTE: with no trusted roster nothing is sound, whatever else was found
        clean = self._total == before and self.roster is not None
        if entry is not None and clean and entry.type == "roster" and self.roster:
            self.roster.apply(entry.body)
        return entry if clean else None

    def _parse(self, raw: bytes) -> Entry | None:
        self.head = None
        # NOTE: most lines are proven canonical and NFC by the C encoder; the
        # rest take the exact path, which gives every finding its message
        fast = canonical.FastLine.check(raw)
        if fast is not None:
            entry = self._model(fast.obj)
            if entry is not None:
                self._bytes = fast if fast.fits() else canonical.EntryBytes(fast.obj)
            return entry
        try:
            obj = canonical.parse(raw)
        except CanonicalError as e:
            self._report(Code.BAD_JSON, e.message)
            self._expected_seq += 1
            return None
        entry = self._model(obj)
        if entry is not None:
            # NOTE: one encoding of what was read serves the canonical check,
            # the hash and the signed bytes
            self._bytes = encoded = canonical.EntryBytes(obj)
            self._check_canonical(obj, raw, encoded)
        return entry

    def _parse_proven(self, raw: bytes, proven: tuple[str, Known]) -> Entry | None:
        # NOTE: the worker proved the line canonical and its entry and body of
        # the right shape (vaultctl.verify.parallel.check_line): read, not
        # checked again
        obj = orjson.loads(raw)
        entry = Entry.checked(obj)
        self.head, self._seq = entry.hash, entry.seq
        self._bytes, self._known = _Proven(proven[0]), proven[1]
        return entry

    def _model(self, obj: Any) -> Entry | None:
        if isinstance(obj, dict):
            stored, seq = obj.get("hash"), obj.get("seq")
            self.head = stored if isinstance(stored, str) else None
            self._seq = seq if type(seq) is int else None
        try:
            return Entry.from_dict(obj)
        except SchemaError as e:
            self._report(Code.BAD_SCHEMA, e.message)
            self._advance_seq(self._seq)
            return None

    def _check_canonical(
        self, obj: dict[str, Any], raw: bytes, encoded: canonical.EntryBytes
    ) -> None:
        odd = canonical.first_non_nfc(obj)
        if odd is not None:
            self._report(
                Code.NON_CANONICAL,
                Text(N_("string not NFC-normalised: {text}"), text=repr(odd[:20])),
            )
        elif encoded.line != raw:
            self._report(
                Code.NON_CANONICAL,
                Text(N_("line is not the RFC 8785 encoding of its entry")),
            )

    def _advance_seq(self, seq: int | None) -> None:
        if seq is None:
            self._expected_seq += 1
        else:
            self._expected_seq = max(self._expected_seq, seq + 1)

    def _check_chain(self, entry: Entry, expected_prev: str | None) -> None:
        if entry.v != VERSION:
            self._report(
                Code.WRONG_VERSION,
                Text(N_("v is {got}, expected {want}"), got=entry.v, want=VERSION),
            )
        if self.log is None:
            self.log = entry.log  # NOTE: normally the genesis; else seq/prev say so
        elif entry.log != self.log:
            self._report(
                Code.WRONG_LOG,
                Text(N_("log {got}, expected {want}"), got=entry.log, want=self.log),
            )
        if entry.seq != self._expected_seq:
            self._report(
                Code.SEQ_GAP,
                Text(
                    N_("seq {got}, expected {want}"),
                    got=entry.seq,
                    want=self._expected_seq,
                ),
            )
        self._advance_seq(entry.seq)
        if expected_prev is not None and entry.prev != expected_prev:
            self._report(
                Code.PREV_MISMATCH,
                Text(
                    N_("prev {got}, expected {want} (the hash of the line before)"),
                    got=short(entry.prev),
                    want=short(expected_prev),
                ),
            )
        # NOTE: hash what was read, not a re-serialisation of the parsed entry
        actual = self._bytes.hash
        if actual != entry.hash:
            self._report(
                Code.HASH_MISMATCH,
                Text(
                    N_("hash {got}, computed {want}"),
                    got=short(entry.hash),
                    want=short(actual),
                ),
            )

    def _check_body_and_sigs(self, entry: Entry) -> None:
        first = entry.seq == 0 and self.entries == 1 and self.roster is None
        if entry.type == "genesis" and not first:
            self._report(
                Code.BAD_SCHEMA, Text(N_("genesis entry after the first line"))
            )
            return
        if self.roster is None and entry.type != "genesis":
            try:
                schema.check_body(entry.type, entry.body)
            except SchemaError as e:
                self._report(Code.BAD_SCHEMA, e.message)
            if not self._no_roster_reported:
                self._no_roster_reported = True
                self._report(
                    Code.UNKNOWN_SIGNER,
                    Text(
                        N_(
                            "no valid genesis on line 1: "
                            "no roster to check any signature against"
                        )
                    ),
                )
            return
        if self._known is not None:
            problems = list(
                entry_problems(entry, self.roster, None, self._known, shaped=True)
            )
        else:
            assert not isinstance(self._bytes, _Proven)  # noqa: S101
            problems = list(entry_problems(entry, self.roster, self._bytes.signed))
        for code, message in problems:
            self._report(code, message)
        if entry.type == "genesis" and all(c != Code.BAD_SCHEMA for c, _ in problems):
            self.roster = Roster(
                entry.body["officers"], bool(entry.body["site"].get("demo", False))
            )


def entry_problems(
    entry: Entry,
    roster: Roster | None,
    data: bytes | None = None,
    known: Known | None = None,
    shaped: bool = False,
) -> Iterator[tuple[Code, str]]:
    """``(code, message)`` for every integrity problem of one entry's body and
    signatures, given the roster in force before it (a genesis brings its own).
    ``verify`` reports them; the writer refuses an entry that has any.
    ``shaped``: a worker already checked the body's shape (never a genesis)."""
    try:
        if not shaped:
            schema.check_body(entry.type, entry.body)
        if entry.type == "genesis":
            genesis.check(entry.body)
    except SchemaError as e:
        message = e.message
        yield (
            Code.BAD_SCHEMA,
            at("genesis", message) if entry.type == "genesis" else message,
        )
        return
    if entry.type == "genesis":
        roster = Roster(entry.body["officers"])
    assert roster is not None  # noqa: S101 - callers pass one for non-genesis
    yield from check_signatures(entry, roster, data, known)
    problem = roster.problem(entry.body) if entry.type == "roster" else None
    if problem:
        yield Code.BAD_SCHEMA, at("roster", problem)
