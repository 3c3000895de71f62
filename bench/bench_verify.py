"""Benchmark ``vaultctl verify``: entries per second and peak memory by log size.

Reproduce: ``make bench`` (or ``.venv/bin/python bench/bench_verify.py [N ...]``).
Each size is verified in a fresh subprocess so its peak RSS is its own; a flat
RSS column shows that verify streams (memory does not grow with the log).
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from gen import generate  # noqa: E402

CHILD = """
import json, resource, sys, time
from pathlib import Path
from vaultctl import verify
from vaultctl.ledger import Vault
t = time.perf_counter()
rep = verify.run(Vault(Path(sys.argv[1])).lines())
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "exit": rep.exit_code, "entries": rep.entries,
                  "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def main(sizes: list[int]) -> None:
    print(
        f"# vaultctl verify benchmark · python {platform.python_version()} · "
        f"{platform.machine()} · {platform.processor() or 'cpu'}"
    )
    print(f"# reproduce: python bench/bench_verify.py {' '.join(map(str, sizes))}")
    print(
        f"{'entries':>8} {'MiB':>7} {'seconds':>8} {'entries/s':>10} "
        f"{'peak RSS MiB':>13} exit"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            vault = generate(Path(tmp) / f"v{n}", n)
            size = (vault / "ledger.jsonl").stat().st_size / 2**20
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(vault)],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(out.stdout)
            print(
                f"{r['entries']:>8} {size:>7.1f} {r['seconds']:>8.2f} "
                f"{r['entries'] / r['seconds']:>10.0f} {r['rss_kib'] / 1024:>13.1f} "
                f"{r['exit']:>4}"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000, 50000])
