"""The one path by which every command appends an entry.

Before anyone types a passphrase, :func:`precheck` runs the rules on a draft
of the entry. Then :func:`append`, under the writer lock: replays and verifies
the ledger (refusing a torn tail or any line that fails verification), builds
and signs the entry, checks it exactly as ``verify`` would (schema, roster,
signatures, then the rules), and writes it; a shift handover's checkpoint is
signed under the same lock, over the bytes just verified. Keys are decrypted
by the caller *before* the lock is taken.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vaultctl.core import canonical, keys, schema
from vaultctl.core.errors import LedgerError, RefusedError, SchemaError
from vaultctl.core.i18n import N_
from vaultctl.core.messages import Text, at, joined
from vaultctl.core.model import GENESIS_PREV, VERSION, Entry, Signature
from vaultctl.rules import Engine, Finding
from vaultctl.rules.state import Draft, Event, State
from vaultctl.store import check, head
from vaultctl.store.ledger import Vault
from vaultctl.tlog import chain, checkpoint, shortcode
from vaultctl.tlog.anchors import BAD_CHECKPOINT
from vaultctl.tlog.merkle import TreeBuilder


@dataclass(frozen=True, slots=True)
class Signer:
    """An officer whose key has been decrypted for this one entry."""

    officer_id: str
    private: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return keys.key_id(keys.raw_public(self.private))


@dataclass(slots=True)
class Replay:
    """The ledger replayed and verified: state and rules, and the Merkle tree
    of exactly the lines verified (a handover's checkpoint signs its head)."""

    engine: Engine
    tree: TreeBuilder


def replay(vault: Vault, now: datetime) -> Replay:
    """Replay the ledger, verifying every line as ``verify`` does (hash, chain,
    canonical form, signatures, roster); refuse at the first line that fails.

    Nothing is ever appended after an entry that does not verify, and nothing
    that does not verify reaches the state a writer's checks use. The verified
    head is cached (``store.head``, ``store.snapshot``): the next writer
    resumes from it and verifies only the lines added since.
    """
    # NOTE: the stored checkpoints too, so nothing is added to (or co-signed
    # on) a log that was cut short or rewritten; a junk file there anchors
    # nothing and blocks nobody (verify reports it)
    stored, broken = check.stored_anchors(vault)
    verified = head.load(vault, now, stored, broken)
    engine, tree = verified.checked.engine, verified.checked.tree
    if not stored:
        return Replay(engine, tree)
    # NOTE: on a copy of the anchors: the head goes on growing from this state
    for _, code, message in verified.checked.anchor_problems(
        copy.deepcopy(verified.checked.anchored)
    ):
        if code != BAD_CHECKPOINT:
            raise LedgerError(
                Text(
                    N_(
                        "{path}: the log fails verification ({why}); nothing "
                        "can be added to it (run 'vaultctl verify')"
                    ),
                    path=vault.ledger,
                    why=at(code, message),
                )
            )
    return Replay(engine, tree)


def load_engine(vault: Vault, now: datetime) -> Engine:
    """Replay and verify the ledger into state and rules (see :func:`replay`)."""
    return replay(vault, now).engine


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


REFUSED = N_("refused: {why}")


def check_integrity(state: State, entry: Entry) -> None:
    """Refuse an entry that ``verify`` would report as an integrity failure."""
    problems = [msg for _, msg in chain.entry_problems(entry, state.roster)]
    if problems:
        raise RefusedError(Text(REFUSED, why=joined(problems)))


def describe(found: Sequence[Finding], lang: str = "en") -> str:
    return "; ".join(f"{f.rule} ({f.clause}): {f.text(lang)}" for f in found)


REFUSAL = {
    "en": "refused, it would break {}",
    "zh": "拒绝记录，将违反 {}",
}
FIX = {"en": "put it right first: {}", "zh": "请先办理：{}"}
FORCE = {
    "en": "only if this is what really happened: add --force to record it",
    "zh": "如确属实情，加 --force 如实记录",
}


def refusal(errors: Sequence[Finding], lang: str = "en") -> RefusedError:
    """Why an entry is refused; as hints, the commands that put it right,
    then --force last."""
    lang = lang if lang in REFUSAL else "en"
    fixes = dict.fromkeys(cmd for f in errors for cmd in f.fix)
    hints = [FIX[lang].format(cmd) for cmd in fixes] + [FORCE[lang]]
    error = RefusedError(REFUSAL[lang].format(describe(errors, lang)))
    error.with_hints(*hints)
    return error


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
        raise RefusedError(Text(REFUSED, why=e.message)) from e
    found = engine.preview(draft)
    errors = [f for f in found if f.level == "error" and f.seq == draft.seq]
    if errors and not force:
        raise refusal(errors, lang)
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
    force: bool = False,
    prechecked: bool = False,
    lang: str = "en",
    now: datetime | None = None,
) -> Entry:
    """Append one entry signed by ``signers``; nothing is written on error.

    ``engine`` is the replay made before the passphrases were asked; if the
    caller ran ``precheck`` on it (``prechecked``) and the ledger verified
    under the lock ends at the same head, the rules are not run again.
    ``force=False`` refuses an entry that breaks a rule at level error.
    """
    return _append(
        vault, entry_type, body, ts, signers, engine, force, prechecked, lang, now
    )[0]


def append_with_checkpoint(
    vault: Vault,
    entry_type: str,
    body: dict[str, Any],
    ts: str,
    signers: Sequence[Signer],
    *,
    engine: Engine | None = None,
    force: bool = False,
    prechecked: bool = False,
    lang: str = "en",
    now: datetime | None = None,
) -> tuple[Entry, Path, str]:
    """:func:`append`, then a checkpoint of the new head co-signed by the same
    signers, under the same lock and from the bytes verified under it."""
    entry, written = _append(
        vault, entry_type, body, ts, signers, engine, force, prechecked, lang, now, True
    )
    assert written is not None  # noqa: S101 - asked for
    return entry, *written


def _append(
    vault: Vault,
    entry_type: str,
    body: dict[str, Any],
    ts: str,
    signers: Sequence[Signer],
    engine: Engine | None,
    force: bool,
    prechecked: bool,
    lang: str,
    now: datetime | None,
    with_checkpoint: bool = False,
) -> tuple[Entry, tuple[Path, str] | None]:
    now = now or datetime.now().astimezone()
    with vault.locked():
        fresh = replay(vault, now)
        if engine is None or engine.state.head != fresh.engine.state.head:
            prechecked = False
        engine, state = fresh.engine, fresh.engine.state
        if (entry_type == "genesis") != (state.entries == 0):
            raise RefusedError(
                Text(
                    REFUSED,
                    why=Text(
                        N_(
                            "the genesis entry must be the first, "
                            "and only the first, entry"
                        )
                    ),
                )
            )
        entry = build(state, ts, entry_type, body, signers)
        check_integrity(state, entry)
        if not prechecked:  # NOTE: the genesis too (SITE-SETUP)
            precheck(engine, entry, force, lang)
        line = canonical.encode(entry.to_dict())
        vault.append_line(line)
        # NOTE: verifies and replays the line, stores the new head
        head.advance(vault, engine, line)
        if not with_checkpoint:
            return entry, None
        written = sign_checkpoint(
            vault, engine.state, signers, fresh.tree.size, fresh.tree.root()
        )
    return entry, written


def sign_checkpoint(
    vault: Vault, state: State, signers: Sequence[Signer], size: int, root: bytes
) -> tuple[Path, str]:
    """Co-sign a tree head (size, root) as a C2SP checkpoint note and store it.

    Only active officers with unrevoked keys may co-sign a checkpoint.
    """
    may_sign = state.roster.signing_keys()
    for s in signers:
        if keys.raw_public(s.private) not in may_sign.get(s.officer_id, []):
            raise RefusedError(
                Text(
                    REFUSED,
                    why=Text(
                        N_(
                            "{who} may not co-sign a checkpoint (suspended, or "
                            "that key is revoked or not theirs)"
                        ),
                        who=s.officer_id,
                    ),
                )
            )
    origin = checkpoint.make_origin(state.site["id"], state.log or "")
    text = checkpoint.Checkpoint(origin=origin, size=size, root=root).note_text()
    note = checkpoint.sign_note(text, [(s.officer_id, s.private) for s in signers])
    return vault.write_checkpoint(size, note), shortcode.short_code(size, root)
