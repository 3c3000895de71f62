"""The one path by which every command appends an entry.

Before anyone types a passphrase, :func:`precheck` runs the rules on a draft
of the entry. Then :func:`append`, under the writer lock: re-reads the
ledger if another writer got there first, refuses a torn tail, builds and
signs the entry, checks it exactly as ``verify`` would (schema, roster,
signatures, then the rules), and writes it. Keys are decrypted by the caller
*before* the lock is taken.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vaultctl import canonical, chain, genesis, head, keys, schema
from vaultctl.errors import CanonicalError, LedgerError, RefusedError, SchemaError
from vaultctl.ledger import Vault
from vaultctl.model import GENESIS_PREV, VERSION, Entry, Signature
from vaultctl.rules import Engine, Finding
from vaultctl.state import Draft, Event, State


@dataclass(frozen=True, slots=True)
class Signer:
    """An officer whose key has been decrypted for this one entry."""

    officer_id: str
    private: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return keys.key_id(keys.raw_public(self.private))


def read_entries(vault: Vault) -> Iterator[Entry]:
    """Parse the ledger for replay, with the shape checks of verify (not the
    signatures); a damaged line stops the reader with one clear error."""
    for number, (raw, complete) in enumerate(vault.lines(), start=1):
        if not complete:
            raise LedgerError(
                f"{vault.ledger}: torn last line ({len(raw)} bytes); "
                "run 'vaultctl repair' first"
            )
        try:
            entry = Entry.from_dict(canonical.parse(raw))
            schema.check_body(entry.type, entry.body)
            if (number == 1) != (entry.type == "genesis"):
                raise SchemaError("the genesis entry must be the first, and only it")
            if number == 1:
                genesis.check(entry.body)
        except (CanonicalError, SchemaError) as e:
            raise LedgerError(
                f"{vault.ledger}: line {number} is damaged ({e}); run 'vaultctl verify'"
            ) from e
        yield entry


def load_engine(vault: Vault, now: datetime) -> Engine:
    """Replay the ledger into state and rules, every line verified in full.

    Hash, chain, signatures and roster are checked as ``verify`` checks them
    (:class:`chain.ChainVerifier`); the first line that fails stops the writer,
    naming it. The verified head is cached (vaultctl.head, vaultctl.snapshot),
    so the next writer verifies and replays only the lines added since.
    """
    return head.load(vault, now).engine


def load_state(vault: Vault, now: datetime | None = None) -> State:
    vault.require()
    return load_engine(vault, now or datetime.now().astimezone()).state


def build(
    state: State,
    ts: str,
    entry_type: str,
    body: dict[str, Any],
    signers: Sequence[Signer],
) -> Entry:
    """Sign and hash a new entry that follows ``state`` (pure)."""
    unsigned = {
        "v": VERSION,
        "log": state.log or secrets.token_hex(16),
        "seq": state.seq + 1,
        "prev": state.head or GENESIS_PREV,
        "ts": ts,
        "type": entry_type,
        "body": canonical.nfc(body),
    }
    data = canonical.signing_input(
        unsigned, [{"by": s.officer_id, "key": s.key_id} for s in signers]
    )
    sigs = [
        Signature(by=s.officer_id, key=s.key_id, sig=keys.sign(s.private, data))
        for s in signers
    ]
    full = {**unsigned, "sigs": [s.to_dict() for s in sigs]}
    return Entry.from_dict({**full, "hash": canonical.entry_hash(full)})


def check_integrity(state: State, entry: Entry) -> None:
    """Refuse an entry that ``verify`` would report as an integrity failure."""
    problems = [msg for _, msg in chain.entry_problems(entry, state.roster)]
    if problems:
        raise RefusedError("refused: " + "; ".join(problems))


def describe(found: Sequence[Finding], lang: str = "en") -> str:
    return "; ".join(f"{f.rule} ({f.clause}): {f.text(lang)}" for f in found)


REFUSAL = {
    "en": "refused, it would break {} (add --force to record what really happened)",
    "zh": "拒绝记录，将违反 {}（如确属实情，加 --force 如实记录）",
}


def precheck(
    engine: Engine, draft: Event, force: bool, lang: str = "en"
) -> list[Finding]:
    """Run the rules on an entry before it is signed; refuse errors unless forced.

    Only findings about this entry refuse it. A finding about an earlier one
    (an incident still owed for #12, say) is returned as a reminder: refusing
    the next handover would not bring the incident back in time.
    """
    try:
        schema.check_body(draft.type, draft.body)
    except SchemaError as e:
        raise RefusedError(f"refused: {e}") from e
    found = engine.preview(draft)
    errors = [f for f in found if f.level == "error" and f.seq == draft.seq]
    if errors and not force:
        raise RefusedError(REFUSAL[lang].format(describe(errors, lang)))
    return found


def draft(
    engine: Engine,
    ts: str,
    entry_type: str,
    body: dict[str, Any],
    signer_ids: Sequence[str],
) -> Draft:
    return Draft(
        seq=engine.state.seq + 1,
        ts=ts,
        type=entry_type,
        body=canonical.nfc(body),
        signers=tuple(signer_ids),
    )


def append(
    vault: Vault,
    entry_type: str,
    body: dict[str, Any],
    ts: str,
    signers: Sequence[Signer],
    *,
    engine: Engine | None = None,
    force: bool = True,
    prechecked: bool = False,
    lang: str = "en",
    now: datetime | None = None,
) -> Entry:
    """Append one entry signed by ``signers``; nothing is written on error.

    ``engine`` is the replay made before the passphrases were asked; it is
    reused when no other writer appended since, and then the rules are not run
    again if the caller already ran ``precheck`` on it (``prechecked``).
    ``force=False`` refuses an entry that breaks a rule at level error.
    """
    now = now or datetime.now().astimezone()
    with vault.locked():
        exists = vault.ledger.exists()
        tail = vault.tail() if exists else None
        if tail is not None and tail.torn:
            raise LedgerError(
                f"{vault.ledger}: torn last line; run 'vaultctl repair' first"
            )
        if engine is None or _moved(engine, tail):
            engine, prechecked = load_engine(vault, now), False
        state = engine.state
        if state.last is not None and getattr(state.last, "log", None) != state.log:
            raise LedgerError(
                f"{vault.ledger}: the last line belongs to another log; "
                "run 'vaultctl verify'"
            )
        if (entry_type == "genesis") != (state.entries == 0):
            raise RefusedError(
                "refused: the genesis entry must be the first, and only "
                "the first, entry"
            )
        entry = build(state, ts, entry_type, body, signers)
        check_integrity(state, entry)
        if state.genesis is not None and not prechecked:
            precheck(engine, entry, force, lang)
        line = canonical.encode(entry.to_dict())
        vault.append_line(line)
        head.advance(vault, engine, line)
    return entry


def _moved(engine: Engine, tail: Any) -> bool:
    """True when the ledger's last line is not the head the engine replayed to."""
    if tail is None or tail.last_line is None:
        return engine.state.entries != 0
    try:
        stored = canonical.parse(tail.last_line).get("hash")
    except CanonicalError:
        return True
    return bool(stored != engine.state.head)
