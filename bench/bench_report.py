"""How big and how fast is ``report --html`` on a busy 100k-entry log?

``gen.py`` writes notes only; this log also opens doors, lets visitors in
without an approver (a finding each time), patrols and switches cameras, so
every lane of the timeline and the findings table are dense.

    python bench/bench_report.py [N] [OUT.html]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from gen import START, genesis_body, officer

from vaultctl import verify
from vaultctl.core import canonical, model
from vaultctl.present import report
from vaultctl.rules.state import State
from vaultctl.store import writer
from vaultctl.store.ledger import Vault
from vaultctl.verify.timeline import Timeline


def busy(i: int) -> tuple[str, dict[str, Any]]:
    """The i-th entry of a repeating busy cycle."""
    step = i % 8
    if step == 0:
        return "access", {"action": "enter", "person": f"访客{i % 97}", "room": "R1"}
    if step == 1:
        who = f"访客{(i - 1) % 97}"
        return "access", {"action": "exit", "person": who, "room": "R1"}
    if step == 2:
        return "open", {"door": "D1", "present": []}
    if step == 3:
        return "close", {"door": "D1"}
    if step == 4:
        return "patrol", {"items": ["门锁", "封条"]}
    if step == 5:
        return "cctv", {"action": "off" if i % 16 == 5 else "on", "camera": "CAM-1"}
    return "note", {"text": f"第{i}条值班记录：门锁、封条完好"}


def generate(path: Path, n: int) -> Path:
    people = [officer(1, "site_head"), officer(2, "room_head"), officer(3, "custodian")]
    signers = [writer.Signer(str(o["id"]), k) for o, k in people]
    body = genesis_body([o for o, _ in people])
    door = {"id": "D1", "name": "门", "keys": []}
    body["rooms"] = [{"id": "R1", "name": "保密室", "doors": [door]}]
    body["cameras"] = [{"id": "CAM-1", "room": "R1"}]
    state = State()
    path.mkdir(parents=True, exist_ok=True)
    with (path / "ledger.jsonl").open("wb") as f:
        for i in range(n):
            ts = model.format_ts(START + timedelta(seconds=30 * i))
            kind, b = ("genesis", body) if i == 0 else busy(i)
            pair = signers[:2] if i < 4 else [signers[i % 3], signers[(i + 1) % 3]]
            entry = writer.build(state, ts, kind, b, pair)
            state.apply(entry)
            f.write(canonical.encode(entry.to_dict()) + b"\n")
    return path


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("busy-report.html")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        vault = Vault(generate(Path(tmp) / "v", n))
        t1 = time.perf_counter()
        timeline = Timeline()
        rep = verify.run(vault.lines(), observe=timeline)
        t2 = time.perf_counter()
        page = report.site_page(report.Site(rep, timeline, []), "en")
        t3 = time.perf_counter()
    out.write_text(page, "utf-8")
    print(
        f"{n} entries, {len(rep.integrity)} integrity, {len(rep.findings)} "
        f"findings: generate {t1 - t0:.1f}s, "
        f"verify with timeline {t2 - t1:.1f}s, page {t3 - t2:.2f}s, "
        f"{out} {len(page.encode()) / 1e6:.2f} MB"
    )


if __name__ == "__main__":
    main()
