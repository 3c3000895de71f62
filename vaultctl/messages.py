"""English templates of the messages the pure core writes, for translation.

The core (chain, keys, writer…) builds its messages in English with
f-strings and stays free of any language machinery; ``verify --json`` keeps
that English ``message``. To show them in another language, the edge matches
a message against these templates (each ``{name}`` matches any text) and
formats the translated template with what it captured
(:func:`vaultctl.i18n.localise_message`). A message that matches none is
shown as it is, after the Chinese name of its integrity code when it has one.
"""

from __future__ import annotations

from vaultctl.i18n import N_

TEMPLATES = (
    # chain.py: integrity findings
    N_("{by} is not on the roster"),
    N_("key {key} is not a key of {by}"),
    N_("key {key} of {by} was revoked"),
    N_("key {key} of {by} is weak and signs nothing"),
    # shortcode.py: a code misheard or mistyped (issue 23: they were English)
    N_("short code: {char} is not a base32 character (A-Z, 2-7)"),
    N_("short code: got {n} characters, expected 17 (16 and the check symbol)"),
    N_("short code: expected SIZE:CODE, e.g. 412:K7QM-2XPA-3RTB-5JCD-G (got {code})"),
    N_(
        "short code {code}: 16 characters, expected 17: the check symbol is "
        "missing or a character was dropped (not a forgery): ask the site to "
        "read all of it again"
    ),
    N_(
        "short code {code}: the check symbol does not match, so a character was "
        "misheard or two were swapped (not a forgery): ask the site to read it "
        "again"
    ),
    # proofs.py
    N_(
        "entry {index} is not covered by the latest checkpoint (size {size}); "
        "write a new checkpoint first"
    ),
    # anchors.py: a checkpoint or code the log does not extend
    N_("the first {size} entries do not have the anchored root (rewritten or forked)"),
    N_(
        "anchors {anchored} entries but the log has only {size} "
        "(rolled back or truncated)"
    ),
    N_("{officer_id}'s key {key} is a published demo key: a real site cannot use it"),
    N_("signature by {by} (key {key}) fails"),
    N_("{by} or key {key} signs twice"),
    N_("{n} valid signature(s) by distinct officers and keys, expected at least {m}"),
    N_(
        "{n} bytes after the last newline "
        "(an interrupted append; see 'vaultctl repair')"
    ),
    N_("string not NFC-normalised: {text}"),
    N_("line is not the RFC 8785 encoding of its entry"),
    N_("v is {got}, expected {want}"),
    N_("log {got}, expected {want}"),
    N_("seq {got}, expected {want}"),
    N_("prev {got}, expected {want} (the hash of the line before)"),
    N_("hash {got}, computed {want}"),
    N_("genesis entry after the first line"),
    N_("no valid genesis on line 1: no roster to check any signature against"),
    N_("the ledger is empty: no genesis"),
    # keys.py: key files and passphrases
    N_("{who}: wrong passphrase or damaged key file"),
    N_("{path}: no key file for officer {who}"),
    N_("{path}: cannot read ({why})"),
    N_("{path}: already exists, not overwritten"),
    N_("{path}: not an Ed25519 key"),
    N_("the passphrase is too short: {rule}"),
    N_("at least 10 characters, or 4 Chinese characters"),  # keys.PASSPHRASE_RULE
    N_("officer id {who}: expected [A-Za-z0-9][A-Za-z0-9._-]*"),
    # writer.py: refusals
    N_("{path}: torn last line; run 'vaultctl repair' first"),
    N_("{path}: torn last line ({n} bytes); run 'vaultctl repair' first"),
    N_("{path}: the last line belongs to another log; run 'vaultctl verify'"),
    N_("{path}: line {n} is damaged ({why}); run 'vaultctl verify'"),
    N_("refused: {why}"),
)

CODES = {
    "bad-json": N_("not valid JSON"),
    "bad-schema": N_("wrong shape"),
    "non-canonical": N_("not in canonical form"),
    "torn-line": N_("torn last line"),
    "wrong-version": N_("wrong format version"),
    "wrong-log": N_("entry of another log"),
    "seq-gap": N_("sequence gap"),
    "prev-mismatch": N_("chain broken"),
    "hash-mismatch": N_("hash mismatch"),
    "bad-signature": N_("bad signature"),
    "unknown-signer": N_("unknown signer"),
    "unknown-key": N_("unknown key"),
    "revoked-key": N_("revoked key"),
    "duplicate-signer": N_("signer twice"),
    "too-few-signatures": N_("too few signatures"),
    "checkpoint-mismatch": N_("does not extend the checkpoint"),
    "bad-checkpoint": N_("bad checkpoint"),
    "bad-evidence": N_("bad evidence file"),
    "weak-key": N_("weak key"),
}
