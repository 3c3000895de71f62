"""Every integrity code, in one enum: a log's own and an audit's.

An integrity finding means the record cannot be trusted as it stands (exit 3).
A log's codes come from its lines (chain), its anchors and the files it binds;
an audit adds what only the centre's records can show. Each code has an
English name and a Chinese one (:data:`vaultctl.core.messages.CODES`).
``Code`` is a ``str``: JSON and comparisons see ``"bad-json"``.
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """An integrity code (see the module)."""

    # the lines: parse, shape, canonical form, chain, signatures
    BAD_JSON = "bad-json"
    BAD_SCHEMA = "bad-schema"
    NON_CANONICAL = "non-canonical"
    TORN_LINE = "torn-line"
    WRONG_VERSION = "wrong-version"
    WRONG_LOG = "wrong-log"
    SEQ_GAP = "seq-gap"
    PREV_MISMATCH = "prev-mismatch"
    HASH_MISMATCH = "hash-mismatch"
    BAD_SIGNATURE = "bad-signature"
    UNKNOWN_SIGNER = "unknown-signer"
    UNKNOWN_KEY = "unknown-key"
    REVOKED_KEY = "revoked-key"
    WEAK_KEY = "weak-key"
    DUPLICATE_SIGNER = "duplicate-signer"
    TOO_FEW_SIGNATURES = "too-few-signatures"
    # anchors and the files the log binds
    CHECKPOINT_MISMATCH = "checkpoint-mismatch"
    BAD_CHECKPOINT = "bad-checkpoint"
    BAD_EVIDENCE = "bad-evidence"
    # an audit: what the centre's records show about a bundle
    UNPINNED_SITE = "unpinned-site"
    GENESIS_MISMATCH = "genesis-mismatch"
    PREVIOUS_UNREADABLE = "previous-unreadable"
    PREVIOUS_MISMATCH = "previous-mismatch"
    PREVIOUS_CLAIM = "previous-claim"
    MANIFEST_MISMATCH = "manifest-mismatch"


# NOTE: what verifying a log alone can report (an audit adds the rest)
LOG = tuple(Code)[: list(Code).index(Code.BAD_EVIDENCE) + 1]
AUDIT = tuple(c for c in Code if c not in LOG)
