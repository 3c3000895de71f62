"""The one path by which every command appends an entry.

``append(vault, type, body, ts, signers)``: under the writer lock, replay the
ledger, refuse a torn or foreign tail, build the entry, check it exactly as
``verify`` would (schema, roster, signatures), then write it. Keys are
decrypted by the caller *before* this is called, so nobody types a passphrase
while holding the lock.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vaultctl import canonical, chain, keys, schema
from vaultctl.errors import CanonicalError, LedgerError, RefusedError, SchemaError
from vaultctl.ledger import Vault
from vaultctl.model import GENESIS_PREV, VERSION, Entry, Signature
from vaultctl.roster import Roster
from vaultctl.state import State, replay


@dataclass(frozen=True, slots=True)
class Signer:
    """An officer whose key has been decrypted for this one entry."""

    officer_id: str
    private: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return keys.key_id(keys.raw_public(self.private))


Check = Callable[[State, Entry], None]


def read_entries(vault: Vault) -> Iterator[Entry]:
    """Parse the ledger for replay; a damaged line stops the writer."""
    for number, (raw, complete) in enumerate(vault.lines(), start=1):
        if not complete:
            raise LedgerError(f"{vault.ledger}: torn last line ({len(raw)} bytes); "
                              "run 'vaultctl repair' first")
        try:
            yield Entry.from_dict(canonical.parse(raw))
        except (CanonicalError, SchemaError) as e:
            raise LedgerError(f"{vault.ledger}: line {number} is damaged ({e}); "
                              "run 'vaultctl verify'") from e


def load_state(vault: Vault) -> State:
    vault.require()
    return replay(read_entries(vault))


def build(state: State, ts: str, entry_type: str, body: dict[str, Any],
          signers: Sequence[Signer]) -> Entry:
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
    data = canonical.signing_input(unsigned)
    sigs = [Signature(by=s.officer_id, key=s.key_id, sig=keys.sign(s.private, data))
            for s in signers]
    full = {**unsigned, "sigs": [s.to_dict() for s in sigs]}
    return Entry.from_dict({**full, "hash": canonical.entry_hash(full)})


def check_integrity(state: State, entry: Entry) -> None:
    """Refuse an entry that ``verify`` would report as an integrity failure."""
    try:
        schema.check_body(entry.type, entry.body)
    except SchemaError as e:
        raise RefusedError(f"refused: {e}") from e
    roster = Roster(entry.body["officers"]) if entry.type == "genesis" else state.roster
    problems = [msg for _, msg in chain.check_signatures(entry, roster)]
    if problems:
        raise RefusedError("refused: " + "; ".join(problems))


def append(vault: Vault, entry_type: str, body: dict[str, Any], ts: str,
           signers: Sequence[Signer], check: Check | None = None) -> Entry:
    """Append one entry signed by ``signers``; return it. Nothing is written on error."""
    with vault.locked():
        if vault.ledger.exists() and vault.tail().torn:
            raise LedgerError(f"{vault.ledger}: torn last line; run 'vaultctl repair' "
                              "first")
        state = replay(read_entries(vault)) if vault.ledger.exists() else State()
        if (entry_type == "genesis") != (state.entries == 0):
            raise RefusedError("refused: the genesis entry must be the first, and only "
                               "the first, entry")
        entry = build(state, ts, entry_type, body, signers)
        check_integrity(state, entry)
        if check is not None:
            check(state, entry)
        vault.append_line(canonical.encode(entry.to_dict()))
    return entry
