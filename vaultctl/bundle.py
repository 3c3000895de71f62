"""Audit bundles: one tar.gz file per site with ledger, checkpoints, public
roster and a manifest of hashes; written by ``export``, read by ``audit``.

Reading never extracts to disk: members are read into memory by name, and a
bundle with a member outside the expected names, a link, or an oversized
member is refused (a corrupt bundle is a finding, never a crash).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vaultctl.errors import LedgerError
from vaultctl.ledger import Vault, read_lines

FORMAT = "vaultctl-bundle/v1"
SUFFIX = ".vaultctl.tar.gz"
NAME_RE = re.compile(
    r"ledger\.jsonl|roster\.json|manifest\.json|checkpoints/[\w.-]+\.note"
)
MAX_MEMBER = 2 * 1024**3


def _add(tar: tarfile.TarFile, name: str, data: bytes, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), mtime, 0o644
    tar.addfile(info, io.BytesIO(data))


def write(
    vault: Vault,
    out: Path,
    roster: list[dict[str, Any]],
    summary: dict[str, Any],
    mtime: int,
) -> dict[str, Any]:
    """Write the bundle; return its manifest."""
    files = {
        "ledger.jsonl": vault.ledger.read_bytes(),
        "roster.json": json.dumps(roster, ensure_ascii=False, indent=1).encode(),
    }
    for path in vault.checkpoint_files():
        files[f"checkpoints/{path.name}"] = path.read_bytes()
    manifest = {
        "format": FORMAT,
        **summary,
        "files": {
            n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
            for n, d in sorted(files.items())
        },
    }
    tmp = out.with_name(out.name + ".tmp")
    with tarfile.open(tmp, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        _add(
            tar,
            "manifest.json",
            json.dumps(manifest, ensure_ascii=False, indent=1).encode(),
            mtime,
        )
        for name, data in sorted(files.items()):
            _add(tar, name, data, mtime)
    tmp.replace(out)
    return manifest


@dataclass(slots=True)
class Bundle:
    """An opened bundle: its manifest and the checked bytes of each member."""

    path: Path
    manifest: dict[str, Any]
    members: dict[str, bytes]

    def lines(self) -> Iterator[tuple[bytes, bool]]:
        return read_lines(io.BytesIO(self.members["ledger.jsonl"]))

    def notes(self) -> list[tuple[str, str]]:
        return [
            (n, d.decode("utf-8"))
            for n, d in sorted(self.members.items())
            if n.startswith("checkpoints/")
        ]


def read(path: Path) -> Bundle:
    """Open a bundle and check every member against the manifest's hashes."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            members = {}
            for info in tar.getmembers():
                if not info.isfile() or not NAME_RE.fullmatch(info.name):
                    raise LedgerError(f"unexpected member {info.name!r}")
                if info.size > MAX_MEMBER or info.name in members:
                    raise LedgerError(f"member {info.name!r} too large or repeated")
                f = tar.extractfile(info)
                members[info.name] = f.read() if f else b""
        manifest = json.loads(members.pop("manifest.json"))
    except (OSError, tarfile.TarError, EOFError, KeyError, ValueError) as e:
        raise LedgerError(f"{path.name}: not a readable bundle ({e})") from e
    listed = manifest.get("files", {}) if isinstance(manifest, dict) else {}
    if manifest.get("format") != FORMAT or set(listed) != set(members):
        raise LedgerError(f"{path.name}: manifest does not list the bundle's files")
    for name, data in members.items():
        if hashlib.sha256(data).hexdigest() != listed[name].get("sha256"):
            raise LedgerError(f"{path.name}: {name} does not match the manifest hash")
    return Bundle(path, manifest, members)
