"""``make bench``: every figure of issue 24, each with its same-run ceiling.

Reproduce: ``make bench`` (or ``.venv/bin/python bench/bench.py [STEP…]``),
under 10 minutes on 2 cores once the vaults are cached (bench/.cache; the
first run generates them, a few minutes). Vaults are the demo week's mix
(bench/gen.py), whole weeks. The machine is shared and noisy, so each speed
is a ratio of CPU time to a ceiling measured in the same run, interleaved,
repeated 3 times, the median reported: the ceiling is the same number of
raw libsodium checks of the same signatures (``VerifyKey.verify``, keys
loaded once), CPU time of every process counted (``os.times``, children
reaped). The 1M-entry memory figure comes from bench/rss.py (longer: run it
in the background); its last result is read from bench/results.json.
Writes bench/results.json.
"""

from __future__ import annotations

import base64
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from nacl.signing import VerifyKey

sys.path.insert(0, str(Path(__file__).parent))
from gen import WEEK, cached  # noqa: E402

from vaultctl import verify
from vaultctl.centre import audit, bundle
from vaultctl.core import canonical
from vaultctl.store import check, writer
from vaultctl.store.ledger import Vault  # noqa: E402

HERE = Path(__file__).parent
FAR = datetime.fromisoformat("2300-01-01T00:00:00+08:00")  # after every entry
REPEAT = 3
SPEED_N = 20_000
AUDIT_BUNDLES, AUDIT_ENTRIES = 100, 1_000


def machine() -> dict[str, Any]:
    model = "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next(
            (
                ln.split(":", 1)[1].strip()
                for ln in out.splitlines()
                if "Model name" in ln
            ),
            "?",
        )
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_start": os.getloadavg(),
    }


def triples(path: Path) -> list[tuple[bytes, bytes, bytes]]:
    """(key, signature, signed bytes) of every signature of the log."""
    lines = (path / "ledger.jsonl").read_bytes().splitlines()
    table = {}
    for o in canonical.parse(lines[0])["body"]["officers"]:
        for k in o["keys"]:
            table[k["key"]] = base64.b64decode(k["public_key"][8:])
    out = []
    for line in lines:
        obj = canonical.parse(line)
        signed = canonical.EntryBytes(obj).signed
        for s in obj["sigs"]:
            out.append((table[s["key"]], base64.b64decode(s["sig"]), signed))
    return out


def _raw(work: list[tuple[bytes, bytes, bytes]]) -> None:
    keys = {k: VerifyKey(k) for k, _, _ in work}  # NOTE: keys loaded once
    for k, s, d in work:
        keys[k].verify(d, s)


def cpu() -> float:
    """CPU seconds of this process and of its children reaped so far."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def ceiling(work: list[tuple[bytes, bytes, bytes]], entries: int, procs: int) -> float:
    """Entries per CPU second of raw libsodium checks of the same signatures,
    ``procs`` ways (the pool's own start-up not counted)."""
    if procs == 1:
        t = cpu()
        _raw(work)
        return entries / (cpu() - t)
    parts = [work[i::procs] for i in range(procs)]
    pool = Pool(procs)
    pool.map(len, [[0]] * procs)  # NOTE: workers started before the clock
    t = cpu()
    pool.map(_raw, parts)
    pool.close()
    pool.join()
    return entries / (cpu() - t)


def verify_rate(path: Path, jobs: int) -> tuple[float, float, int]:
    """Entries per CPU second (every process) and per wall second."""
    t, w = cpu(), time.perf_counter()
    rep = verify.run(Vault(path).lines(), now=FAR, jobs=jobs)
    return (
        rep.entries / (cpu() - t),
        rep.entries / (time.perf_counter() - w),
        rep.exit_code,
    )


def speed(path: Path, jobs: int) -> dict[str, Any]:
    work = triples(path)
    n = len((path / "ledger.jsonl").read_bytes().splitlines())
    runs = []
    for _ in range(REPEAT):
        c = ceiling(work, n, jobs)
        v, wall, code = verify_rate(path, jobs)
        runs.append(
            {"ceiling": c, "verify": v, "wall": wall, "ratio": v / c, "exit": code}
        )
    return {
        "entries": n,
        "jobs": jobs,
        "ceiling_per_s": statistics.median(r["ceiling"] for r in runs),
        "verify_per_s": statistics.median(r["verify"] for r in runs),
        "wall_per_s": statistics.median(r["wall"] for r in runs),
        "ratio": statistics.median(r["ratio"] for r in runs),
        "exit": runs[0]["exit"],
        "runs": runs,
    }


def audit_speed(tmp: Path) -> dict[str, Any]:
    path = cached(AUDIT_ENTRIES)
    rep = verify.run(Vault(path).lines(), now=FAR)
    summary = bundle.summary_of(rep)
    folder = tmp / "bundles"
    folder.mkdir()
    first = folder / f"s000{bundle.SUFFIX}"
    bundle.write(Vault(path), first, [], summary, 0)
    for i in range(1, AUDIT_BUNDLES):
        shutil.copy(first, folder / f"s{i:03d}{bundle.SUFFIX}")
    paths = audit.bundles_in(folder)
    work = triples(path)
    total = AUDIT_BUNDLES * AUDIT_ENTRIES
    runs = []
    for _ in range(REPEAT):
        c = ceiling(work, AUDIT_ENTRIES, 2)
        t, w = cpu(), time.perf_counter()
        rows = list(audit.run(paths, 2))
        a = total / (cpu() - t)
        wall = total / (time.perf_counter() - w)
        runs.append(
            {"ceiling": c, "audit": a, "wall": wall, "ratio": a / c, "rows": len(rows)}
        )
    return {
        "bundles": AUDIT_BUNDLES,
        "entries_each": AUDIT_ENTRIES,
        "jobs": 2,
        "ceiling_per_s": statistics.median(r["ceiling"] for r in runs),
        "audit_per_s": statistics.median(r["audit"] for r in runs),
        "wall_per_s": statistics.median(r["wall"] for r in runs),
        "ratio": statistics.median(r["ratio"] for r in runs),
        "runs": runs,
    }


RSS_CHILD = """
import json, resource, sys
from datetime import datetime
from pathlib import Path
from vaultctl.store import check
from vaultctl.present import render
from vaultctl.store.ledger import Vault
far = datetime.fromisoformat("2300-01-01T00:00:00+08:00")
rep = check.verify_vault(Vault(Path(sys.argv[1])), now=far, jobs=int(sys.argv[2]))
with open("/dev/null", "w") as out:
    for piece in render.json_chunks(rep.to_dict()):  # as verify --json does
        out.write(piece)
# NOTE: VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so
# a child of a big parent would report the parent's peak
hwm = next(int(ln.split()[1]) for ln in open("/proc/self/status")
           if ln.startswith("VmHWM:"))
print(json.dumps({"rss_kib": hwm,
  "entries": rep.entries, "findings": len(rep.findings),
  "omitted": sum(rep.findings_dropped.values()), "exit": rep.exit_code}))
"""


def rss(n: int, findings: bool, jobs: int) -> dict[str, Any]:
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", RSS_CHILD, str(cached(n, findings)), str(jobs)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {**json.loads(out.stdout), "seconds": time.perf_counter() - t}


def append_times(tmp: Path, n: int, count: int = 7) -> dict[str, Any]:
    """One entry appended ``count`` times (keys given: no KDF), after a first
    append that builds the writer's snapshot (a full replay)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    vault_dir = tmp / f"append-{n}"
    shutil.copytree(cached(n), vault_dir)  # NOTE: the evidence/ files too
    os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")
    vault = Vault(vault_dir)
    ids = WEEK["officers"][:2]
    signers = [
        writer.Signer(o, Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32))
        for i, o in enumerate(ids, start=1)
    ]
    last = json.loads(vault.tail().last_line or b"{}")["ts"]
    moment = datetime.fromisoformat(last)
    times = []
    for i in range(count + 1):
        ts = (moment + timedelta(minutes=i + 1)).isoformat()
        t = time.perf_counter()
        writer.append(
            vault, "note", {"text": f"值班记录 {i}"}, ts, signers, now=FAR, force=True
        )
        times.append(time.perf_counter() - t)
    rep = check.verify_vault(vault, now=FAR)
    return {
        "entries": n,
        "first_ms": times[0] * 1000,  # builds the snapshot: a full replay
        "median_ms": statistics.median(times[1:]) * 1000,
        "runs_ms": [t * 1000 for t in times[1:]],
        "verify_exit_after": rep.exit_code,
    }


def startup(count: int = 11) -> dict[str, Any]:
    def run(args: list[str]) -> float:
        t = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        return time.perf_counter() - t

    exe = str(Path(sys.executable).with_name("vaultctl"))
    pairs = [
        (run([exe, "--version"]), run([sys.executable, "-c", "import click"]))
        for _ in range(count)
    ]
    version = statistics.median(a for a, _ in pairs)
    click_ = statistics.median(b for _, b in pairs)
    return {
        "version_ms": version * 1000,
        "import_click_ms": click_ * 1000,
        "ratio": version / click_,
    }


def main(only: list[str]) -> None:
    """Run every step, or only the steps named (merged into results.json)."""
    path = HERE / "results.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    if not only:  # NOTE: a full run keeps only what bench/rss.py measured
        old = {k: v for k, v in old.items() if k.startswith("rss_1m_")}
    results: dict[str, Any] = {
        **old,
        "machine": machine(),
        "targets": TARGETS,
    }
    with tempfile.TemporaryDirectory() as tmp:
        steps = [
            ("startup", startup),
            ("verify_1_clean", lambda: speed(cached(SPEED_N), 1)),
            ("verify_1_findings", lambda: speed(cached(SPEED_N, True), 1)),
            ("verify_2_clean", lambda: speed(cached(SPEED_N), 2)),
            ("verify_2_findings", lambda: speed(cached(SPEED_N, True), 2)),
            ("audit", lambda: audit_speed(Path(tmp))),
            ("append_10k", lambda: append_times(Path(tmp), 10_000)),
            ("append_100k", lambda: append_times(Path(tmp), 100_000)),
            ("rss_100k_clean", lambda: rss(100_000, False, 2)),
            ("rss_100k_findings", lambda: rss(100_000, True, 2)),
        ]
        for name, step in steps:
            if only and name not in only:
                continue
            results[name] = step()
            print(
                name,
                json.dumps({k: v for k, v in results[name].items() if k != "runs"}),
                flush=True,
            )
    rss_ratios(results)
    results["machine"]["load_end"] = os.getloadavg()
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(table(results))


TARGETS = {
    "verify_1": 0.65,
    "verify_2": 0.6,
    "audit": 0.6,
    "rss_1m_over_100k": 1.3,
    "append_10k_ms": 20,
    "append_100k_ms": 80,
    "startup_ratio": 1.5,
}


def rss_ratios(results: dict[str, Any]) -> None:
    """Peak RSS at 1M over 100k, where bench/rss.py measured both."""
    for kind in ("clean", "findings"):
        big, small = results.get(f"rss_1m_{kind}"), results.get(f"rss_100k_{kind}")
        if big and small:
            results[f"rss_ratio_{kind}"] = big["rss_kib"] / small["rss_kib"]


def table(r: dict[str, Any]) -> str:
    m = r["machine"]
    rows = [
        f"# {m['cpu']} · {m['cores']} cores · python {m['python']} · load "
        f"{m['load_start'][0]:.1f} → {m['load_end'][0]:.1f} (shared machine)",
        "| figure | measured | ceiling (same run) | ratio | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, label, target in (
        ("verify_1_clean", "verify, 1 core", "≥ 0.65"),
        ("verify_1_findings", "verify, 1 core, findings", "≥ 0.65"),
        ("verify_2_clean", "verify --jobs 2", "≥ 0.6"),
        ("verify_2_findings", "verify --jobs 2, findings", "≥ 0.6"),
    ):
        x = r[key]
        rows.append(
            f"| {label} ({x['entries']:,} entries) | {x['verify_per_s']:,.0f}/s "
            f"CPU ({x['wall_per_s']:,.0f}/s wall) | {x['ceiling_per_s']:,.0f}/s "
            f"| {x['ratio']:.2f} | {target} |"
        )
    a = r["audit"]
    rows.append(
        f"| audit, {a['bundles']} bundles × {a['entries_each']:,} entries, "
        f"2 workers | {a['audit_per_s']:,.0f}/s CPU ({a['wall_per_s']:,.0f}/s "
        f"wall) | {a['ceiling_per_s']:,.0f}/s | {a['ratio']:.2f} | ≥ 0.6 |"
    )
    for kind in ("clean", "findings"):
        small, big = r.get(f"rss_100k_{kind}"), r.get(f"rss_1m_{kind}")
        if not (small and big):
            continue
        rows.append(
            f"| peak RSS 1M / 100k, {kind} (--jobs 2, parent VmHWM; 1M by "
            f"bench/rss.py) | {big['rss_kib'] / 1024:.0f} / "
            f"{small['rss_kib'] / 1024:.0f} MiB | | "
            f"{r[f'rss_ratio_{kind}']:.2f} | ≤ 1.3 |"
        )
    for key, limit in (("append_10k", 20), ("append_100k", 80)):
        p = r[key]
        rows.append(
            f"| append one entry, {p['entries'] // 1000}k vault, no KDF (median "
            f"of {len(p['runs_ms'])}) | {p['median_ms']:.0f} ms | first (cold) "
            f"{p['first_ms']:,.0f} ms | | ≤ {limit} ms |"
        )
    s = r["startup"]
    rows.append(
        f"| vaultctl --version vs python -c 'import click' | "
        f"{s['version_ms']:.0f} ms | {s['import_click_ms']:.0f} ms | "
        f"{s['ratio']:.2f} | ≤ 1.5 |"
    )
    return "\n".join(rows)


if __name__ == "__main__":
    main(sys.argv[1:])
