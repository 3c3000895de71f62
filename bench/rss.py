"""Peak RSS of ``verify`` at 1M entries over 100k (issue 24: ≤ 1.3).

Long: the 1M-entry vaults are generated once into bench/.cache (half an hour
on 2 cores), then each is verified in a child process (``--jobs 2``, as the
nightly job does) and its VmHWM read. Run it in the background, never in the
foreground of a session:

    nohup .venv/bin/python bench/rss.py > bench/.cache/rss.log 2>&1 &

The figures are merged into bench/results.json, where ``make bench`` prints
the ratio from.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench import rss, rss_ratios  # noqa: E402


def main() -> None:
    path = Path(__file__).parent / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    for n, label in ((100_000, "100k"), (1_000_000, "1m")):
        for findings in (False, True):
            kind = "findings" if findings else "clean"
            results[f"rss_{label}_{kind}"] = got = rss(n, findings, 2)
            print(f"rss_{label}_{kind}", json.dumps(got), flush=True)
    rss_ratios(results)
    for kind in ("clean", "findings"):
        print(f"1M / 100k, {kind}: {results[f'rss_ratio_{kind}']:.2f} (target 1.3)")
    path.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
