"""Benchmark ``vaultctl audit``: bundles per second, one worker vs all cores.

Reproduce: ``.venv/bin/python bench/bench_audit.py [BUNDLES] [ENTRIES]``
(default 40 bundles of 2,000 entries). Prints the figures and the machine.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from gen import generate  # noqa: E402

from vaultctl import verify
from vaultctl.centre import audit, bundle
from vaultctl.store.ledger import Vault  # noqa: E402


def main(count: int, entries: int) -> None:
    cores = os.cpu_count() or 1
    print(
        f"# vaultctl audit benchmark · python {platform.python_version()} · "
        f"{platform.machine()} · {cores} cores"
    )
    print(f"# reproduce: python bench/bench_audit.py {count} {entries}")
    with tempfile.TemporaryDirectory() as tmp:
        vault = Vault(generate(Path(tmp) / "site", entries))
        rep = verify.run(vault.lines())
        summary = bundle.summary_of(rep)
        folder = Path(tmp) / "bundles"
        folder.mkdir()
        bundle.write(vault, folder / f"s000{bundle.SUFFIX}", [], summary, 0)
        data = (folder / f"s000{bundle.SUFFIX}").read_bytes()
        for i in range(1, count):
            (folder / f"s{i:03d}{bundle.SUFFIX}").write_bytes(data)
        paths = audit.bundles_in(folder)
        print(
            f"{'jobs':>5} {'bundles':>8} {'entries':>9} {'seconds':>8} "
            f"{'bundles/s':>10} {'entries/s':>10}"
        )
        for jobs in sorted({1, cores}):
            t = time.perf_counter()
            rows = list(audit.run(paths, jobs))
            dt = time.perf_counter() - t
            assert all(r["exit"] == 0 for r in rows), rows[0]
            total = count * entries
            print(
                f"{jobs:>5} {count:>8} {total:>9} {dt:>8.2f} {count / dt:>10.1f} "
                f"{total / dt:>10.0f}"
            )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*(args or [40, 2000]))
