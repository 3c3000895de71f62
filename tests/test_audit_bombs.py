"""Hostile bundles: bounded time and memory, one row each, the others still audited.

Each bomb is audited by ``vaultctl audit`` in a child process with a worker
memory cap (``--max-memory``); a wrapper process reports the peak RSS of its
descendants, so the figures are those of the audit alone.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

from vaultctl import verify
from vaultctl.centre import bundle

MEASURE = """
import json, resource, subprocess, sys, time
start = time.monotonic()
r = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120)
print(json.dumps({
    "exit": r.returncode, "stdout": r.stdout, "stderr": r.stderr,
    "seconds": time.monotonic() - start,
    "rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def audited(folder: Path, *args: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "vaultctl", "audit", str(folder), "--json"]
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=150,
    )
    out: dict[str, Any] = json.loads(done.stdout)
    out["rows"] = json.loads(out["stdout"]) if out["stdout"] else None
    return out


def many_members(path: Path, n: int) -> None:
    """A tar.gz of ``n`` empty, validly named members, headers made by hand."""
    head = bytearray(tarfile.TarInfo("checkpoints/0000000.note").tobuf())
    head[148:156] = b" " * 8  # the checksum is summed with its field as spaces
    base, at = sum(head), len("checkpoints/")
    blocks = []
    for i in range(n):
        digits = b"%07d" % i
        head[at : at + 7] = digits
        head[148:156] = b"%06o\x00 " % (base + sum(digits) - 7 * 48)
        blocks.append(bytes(head))
    path.write_bytes(gzip.compress(b"".join(blocks) + bytes(1024), 6))


def tar_gz(path: Path, members: dict[str, bytes]) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(gzip.compress(buf.getvalue(), 9))


def test_a_bundle_of_150k_members_is_refused_at_the_limit(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    many_members(folder / f"many{bundle.SUFFIX}", 150_000)
    assert 500_000 < (folder / f"many{bundle.SUFFIX}").stat().st_size < 2_000_000
    out = audited(folder, "--jobs", "1", "--max-memory", "256")
    (row,) = out["rows"]
    assert (row["status"], out["exit"]) == ("unreadable", 3)
    assert row["problems"] == [f"more than {bundle.MAX_MEMBERS} members"]
    assert out["seconds"] < 20 and out["rss_mib"] < 120, out  # before: 10 s, 129 MiB


def test_a_tiny_gzip_of_a_million_lines_keeps_memory_flat(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    ledger = b"{}\n" * 1_000_000
    manifest = {
        "format": bundle.FORMAT,
        "files": {
            "ledger.jsonl": {
                "sha256": hashlib.sha256(ledger).hexdigest(),
                "size": len(ledger),
            }
        },
    }
    path = folder / f"lines{bundle.SUFFIX}"
    tar_gz(
        path, {"manifest.json": json.dumps(manifest).encode(), "ledger.jsonl": ledger}
    )
    assert path.stat().st_size < 8_000
    out = audited(folder, "--jobs", "1", "--max-memory", "128")
    (row,) = out["rows"]
    assert (row["status"], out["exit"], row["entries"]) == ("INTEGRITY", 3, 1_000_000)
    assert row["integrity"]["bad-schema"] == 1_000_000
    assert out["rss_mib"] < 100, out  # before: 255 MiB, one finding kept per line


def test_verify_keeps_findings_per_code_up_to_the_cap() -> None:
    rep = verify.run(((b"{}", True) for _ in range(3 * verify.CAP)), cap=verify.CAP)
    doc = rep.to_dict()
    assert len(doc["integrity"]) == verify.CAP
    assert doc["integrity_dropped"] == {"bad-schema": 2 * verify.CAP}
    assert rep.integrity_counts()["bad-schema"] == 3 * verify.CAP
    assert doc["findings_dropped"] == {}


def test_the_other_bundles_are_audited_past_a_bomb(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    many_members(folder / f"a-many{bundle.SUFFIX}", 20_000)
    tar_gz(folder / f"b-junk{bundle.SUFFIX}", {"manifest.json": b"[]"})
    out = audited(folder, "--jobs", "2", "--max-memory", "256", "--timeout", "60")
    assert [r["file"] for r in out["rows"]] == [
        f"a-many{bundle.SUFFIX}",
        f"b-junk{bundle.SUFFIX}",
    ]
    assert [r["status"] for r in out["rows"]] == ["unreadable", "unreadable"]


def test_a_bundle_over_its_time_limit_is_one_failed_row(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    ledger = b"{}\n" * 400_000
    manifest = {
        "format": bundle.FORMAT,
        "files": {"ledger.jsonl": {"sha256": hashlib.sha256(ledger).hexdigest()}},
    }
    slow = {"manifest.json": json.dumps(manifest).encode(), "ledger.jsonl": ledger}
    tar_gz(folder / f"a-slow{bundle.SUFFIX}", slow)
    tar_gz(folder / f"b-junk{bundle.SUFFIX}", {"manifest.json": b"[]"})
    out = audited(folder, "--jobs", "1", "--timeout", "0.5")
    assert [(r["status"], r["problems"]) for r in out["rows"]] == [
        ("failed", ["took longer than 0.5 s"]),
        ("unreadable", ["manifest does not list the bundle's files"]),
    ]
    assert out["exit"] == 3
