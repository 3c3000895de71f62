"""``verify --footage DIR``: the video files against the hashes in the log.

Reads files (so it is not part of the pure core); each missing or altered
file is a FOOTAGE finding at the ``cctv segment`` entry that bound it.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from vaultctl.rules import REGISTRY, Finding


def sha256_file(path: Path) -> str:
    """Stream a file of any size through SHA-256."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def inside(folder: Path, name: str) -> Path | None:
    """The regular file ``name`` names inside ``folder``, or None.

    ``name`` comes from a ledger line: an absolute path, ``..``, a backslash,
    or a symlink that leaves the folder never opens anything outside it.
    """
    parts = PurePosixPath(name).parts
    if (
        not parts
        or PurePosixPath(name).is_absolute()
        or ".." in parts
        or "\\" in name
        or "\0" in name
    ):
        return None
    root = folder.resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root) or target == root:
        return None
    try:
        return target if stat.S_ISREG(os.stat(target).st_mode) else None
    except OSError:
        return None


def check(
    segments: Sequence[dict[str, Any]], folder: Path, level: str = "error"
) -> Iterator[Finding]:
    """Yield a finding for every bound segment whose file is missing or altered."""
    rule = REGISTRY["FOOTAGE"]
    for seg in segments:
        path = inside(folder, seg["file"])
        if path is None:
            en, zh = (
                f"footage {seg['file']} of {seg['camera']} is missing "
                "(not a file inside the footage folder)",
                f"{seg['camera']} 的监控录像 {seg['file']} 缺失（不在录像目录内）",
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
