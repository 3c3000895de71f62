"""``vaultctl audit``: verify every bundle in a folder, in parallel.

Each bundle is verified in a worker process exactly as ``verify`` would
(chain, signatures, rules, its checkpoints, and the manifest's own root as an
anchor). A bundle that cannot be read is one row with ``status`` "unreadable",
never a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from vaultctl import anchors, bundle, verify
from vaultctl.errors import UsageError, VaultError

COLUMNS = (
    "file",
    "site",
    "entries",
    "status",
    "exit",
    "integrity",
    "findings",
    "last_checkpoint",
    "code",
)


def audit_one(path: Path, now: datetime | None = None) -> dict[str, Any]:
    """Verify one bundle; return its row of the summary table."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS, "")
    row |= {"file": path.name, "exit": verify.EXIT_UNREADABLE, "status": "unreadable"}
    try:
        b = bundle.read(path)
        wanted = [anchors.from_note(text, name) for name, text in b.notes()]
        wanted.append(anchors.from_code(str(b.manifest["code"])))
        rep = verify.run(b.lines(), now=now, anchors=wanted)
    except (VaultError, KeyError, IndexError, TypeError, ValueError) as e:
        row["integrity"] = str(e)
        return row
    except Exception as e:  # noqa: BLE001 - one bad bundle must not sink the audit
        row["integrity"] = f"{path.name}: cannot be audited ({type(e).__name__}: {e})"
        return row
    last = max(wanted[:-1], key=lambda a: a.size, default=None)
    row |= {
        "site": rep.state.site.get("id", "?"),
        "entries": rep.entries,
        "exit": rep.exit_code,
        "status": {
            verify.EXIT_OK: "ok",
            verify.EXIT_FINDINGS: "findings",
            verify.EXIT_INTEGRITY: "INTEGRITY",
        }[rep.exit_code],
        "integrity": rep.integrity_counts(),
        "findings": rep.counts("error"),
        "last_checkpoint": last.size if last else "",
        "code": rep.code,
    }
    return row


def bundles_in(folder: Path) -> list[Path]:
    """The bundle files directly in ``folder``."""
    try:
        return sorted(p for p in folder.iterdir() if p.name.endswith(bundle.SUFFIX))
    except OSError as e:
        raise UsageError(f"{folder}: not a folder of bundles ({e.strerror})") from e


def run(
    paths: list[Path], jobs: int, tick: Callable[[], None] | None = None
) -> Iterator[dict[str, Any]]:
    """Audit every bundle with ``jobs`` worker processes; rows in input order."""
    if jobs <= 1:
        for p in paths:
            yield audit_one(p)
            if tick:
                tick()
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for row in pool.map(audit_one, paths, chunksize=1):
            if tick:
                tick()
            yield row
