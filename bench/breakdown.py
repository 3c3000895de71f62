"""Where verify's time goes, per entry: each part timed alone over the same
vault (CPU time, best of 3), beside the whole of ``verify.run`` on one core.

Reproduce: ``.venv/bin/python bench/breakdown.py [N]`` (default 20,000
entries, the vault ``make bench`` uses). The parts overlap the whole only
roughly: what is left is the chain's own checks and the loop.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from gen import cached  # noqa: E402

from vaultctl import verify  # noqa: E402
from vaultctl.core import canonical, keys, schema  # noqa: E402
from vaultctl.core.model import Entry  # noqa: E402
from vaultctl.rules import Engine  # noqa: E402
from vaultctl.store.ledger import Vault  # noqa: E402
from vaultctl.tlog.merkle import TreeBuilder  # noqa: E402

FAR = datetime.fromisoformat("2300-01-01T00:00:00+08:00")


def main(n: int) -> None:
    lines = [raw for raw, _ in Vault(cached(n)).lines()]
    per = len(lines)

    def clock(label: str, work: Callable[[], Any]) -> Any:
        best, out = float("inf"), None
        for _ in range(3):
            t = time.process_time()
            out = work()
            best = min(best, time.process_time() - t)
        print(f"{label:36s} {best / per * 1e6:7.1f} µs/entry", flush=True)
        return out

    clock("verify.run, 1 core (the whole)", lambda: verify.run(
        ((x, True) for x in lines), now=FAR))  # fmt: skip
    fast = clock("canonical fast path (orjson)", lambda: [
        canonical.FastLine.check(x) for x in lines])  # fmt: skip
    fast = [f for f in fast if f is not None]
    entries = clock("model (Entry.from_dict)", lambda: [
        Entry.from_dict(f.obj) for f in fast])  # fmt: skip
    clock("schema (check_body)", lambda: [
        schema.check_body(e.type, e.body) for e in entries])  # fmt: skip
    clock("hash and signing input", lambda: [(f.hash, f.signed) for f in fast])
    genesis = Entry.from_dict(canonical.parse(lines[0]))
    table = {
        k["key"]: keys.ref_raw(k) for o in genesis.body["officers"] for k in o["keys"]
    }
    work = [
        (table[s.key], s.sig, f.signed)
        for f, e in zip(fast, entries, strict=True)
        for s in e.sigs
    ]
    clock("signatures (libsodium)", lambda: [keys.verify(*w) for w in work])

    def rules() -> None:
        engine = Engine(FAR)
        engine.feed(genesis)
        for e in entries:
            engine.feed(e)

    clock("rules and state", rules)

    def tree() -> None:
        t = TreeBuilder()
        for x in lines:
            t.append(x)

    clock("Merkle tree", tree)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
