"""Signature checks in worker processes, everything else in order in the parent.

``verify --jobs N`` cuts the ledger into chunks of lines. A worker proves each
line canonical (:class:`canonical.FastLine`), checks its shape
(``Entry.from_dict``), hashes it and verifies every signature against the key
its key id names in a key table (key id -> raw key, each id checked to be the
id of its key). It sends back one compact tuple per line: the computed hash
and, per signature, the raw key it used and the verdict -- or ``None`` when
the line needs the exact one-process path.

The parent does the chain, the roster, the rules and the Merkle tree in log
order, exactly as with one process: a worker's verdict counts only when the
key the roster in force assigns to that signature is byte for byte the key the
worker used; otherwise the parent verifies the signature itself. So the
findings are those of the one-process path, whatever the chunking.
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from vaultctl.core import canonical, keys, schema
from vaultctl.core.errors import CanonicalError, SchemaError
from vaultctl.core.model import Entry

CHUNK = 1000  # lines per task: big enough that pickling is a small share
KEY_MARK = b'"public_key":"ed25519:'

# (hash of the line, ((raw key used or None, verdict), ...)) or None
Verdict = tuple[str, tuple[tuple[bytes | None, bool], ...]] | None
KeyTable = dict[str, bytes]


def check_line(raw: bytes, table: KeyTable) -> Verdict:
    """What a worker proves about one line; ``None``: the parent decides."""
    fast = canonical.FastLine.check(raw)
    if fast is None:
        return None
    try:
        entry = Entry.from_dict(fast.obj)
        if entry.type == "genesis" or not fast.fits():
            return None
        # NOTE: the body's shape too, so the parent builds the entry without
        # checking it again (Entry.checked, chain: shaped)
        schema.check_body(entry.type, entry.body)
        data = fast.signed
    except (SchemaError, CanonicalError):
        return None
    sigs = []
    for sig in entry.sigs:
        key = table.get(sig.key)
        sigs.append((key, key is not None and keys.verify(key, sig.sig, data)))
    return fast.hash, tuple(sigs)


def check_chunk(lines: list[bytes], table: KeyTable) -> list[Verdict]:
    return [check_line(raw, table) for raw in lines]


def harvest_keys(raw: bytes, table: KeyTable) -> None:
    """Add to ``table`` every ``{key, public_key}`` on a line whose id is the id
    of its key (a forged line can only name keys by their true ids)."""
    if KEY_MARK not in raw:
        return
    try:
        obj = json.loads(raw)
    except ValueError:
        return
    for ref in _refs(obj):
        try:
            key = keys.ref_raw(ref)
        except (ValueError, TypeError, KeyError):
            continue
        if len(key) == 32 and keys.key_id(key) == ref.get("key"):
            table[ref["key"]] = key


def _refs(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if isinstance(value.get("public_key"), str) and isinstance(
            value.get("key"), str
        ):
            yield value
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def default_jobs() -> int:
    return (
        len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else (os.cpu_count() or 1)
    )


def verdicts(
    lines: Iterable[tuple[bytes, bool]], jobs: int
) -> Iterator[tuple[bytes, bool, Verdict]]:
    """``(line, complete, verdict)`` in order, with at most ``2 * jobs`` chunks
    in flight (memory stays flat however long the ledger)."""
    table: KeyTable = {}
    window: deque[tuple[list[tuple[bytes, bool]], Future[list[Verdict]]]] = deque()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for chunk in _chunks(lines):
            for raw, complete in chunk:
                if complete:
                    harvest_keys(raw, table)
            work = [raw if complete else b"" for raw, complete in chunk]
            window.append((chunk, pool.submit(check_chunk, work, dict(table))))
            if len(window) >= 2 * jobs:
                yield from _drain(window.popleft())
        while window:
            yield from _drain(window.popleft())


def _drain(
    item: tuple[list[tuple[bytes, bool]], Future[list[Verdict]]],
) -> Iterator[tuple[bytes, bool, Verdict]]:
    chunk, future = item
    for (raw, complete), verdict in zip(chunk, future.result(), strict=True):
        yield raw, complete, verdict if complete else None


def _chunks(lines: Iterable[tuple[bytes, bool]]) -> Iterator[list[tuple[bytes, bool]]]:
    chunk: list[tuple[bytes, bool]] = []
    for item in lines:
        chunk.append(item)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
