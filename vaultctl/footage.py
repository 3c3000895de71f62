"""``verify --footage DIR``: the video files against the hashes in the log.

Reads files (so it is not part of the pure core); each missing or altered
file is a FOOTAGE finding at the ``cctv segment`` entry that bound it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from vaultctl.rules import REGISTRY, Finding


def sha256_file(path: Path) -> str:
    """Stream a file of any size through SHA-256."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def check(
    segments: Sequence[dict[str, Any]], folder: Path, level: str = "error"
) -> Iterator[Finding]:
    """Yield a finding for every bound segment whose file is missing or altered."""
    rule = REGISTRY["FOOTAGE"]
    for seg in segments:
        path = folder / seg["file"]
        if not path.is_file():
            en, zh = (
                f"footage {seg['file']} of {seg['camera']} is missing",
                f"{seg['camera']} 的监控录像 {seg['file']} 缺失",
            )
        elif sha256_file(path) != seg["sha256"]:
            en, zh = (
                f"footage {seg['file']} of {seg['camera']} was altered "
                "(SHA-256 differs from the log)",
                f"{seg['camera']} 的监控录像 {seg['file']} 已被改动（哈希不符）",
            )
        else:
            continue
        yield Finding(
            rule=rule.id,
            level=level,
            seq=seg["seq"],
            ts=seg["ts"],
            officers=tuple(seg["signers"]),
            message=en,
            message_zh=zh,
            clause=rule.clause,
        )
