"""Audit bundles: one tar.gz file per site with ledger, checkpoints, public
roster and a manifest of hashes; written by ``export``, read by ``audit``.

Reading never extracts to disk: the archive is streamed member by member into
memory, and a bundle with a member outside the expected names, a link, an
oversized member, too many members or too many decompressed bytes is refused
as soon as it shows (a corrupt bundle is a finding, never a crash).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import secrets
import tarfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vaultctl.core.errors import CheckpointError, LedgerError
from vaultctl.core.i18n import N_
from vaultctl.core.messages import EXISTS, Text, at
from vaultctl.store import check, evidence
from vaultctl.store.ledger import Vault, read_lines
from vaultctl.verify import Report

FORMAT = "vaultctl-bundle/v1"
SUFFIX = ".vaultctl.tar.gz"
NAME_RE = re.compile(
    r"ledger\.jsonl|roster\.json|manifest\.json|checkpoints/[\w.-]+\.note"
    r"|evidence/[0-9a-f]{64}"
)
# NOTE: limits on what the tar headers declare, checked member by member as the
# stream is read and before a member's bytes are, so a small bundle cannot
# inflate into gigabytes (a decompression bomb); MAX_STREAM bounds everything
# decompressed, headers and padding included
MAX_TOTAL = 512 * 1024**2
MAX_MEMBERS = 10_000
MAX_STREAM = MAX_TOTAL + 64 * 1024**2
MAX_SMALL = {"manifest.json": 1024**2, "roster.json": 16 * 1024**2}
MAX_NOTE = 64 * 1024


def summary_of(rep: Report) -> dict[str, Any]:
    """The manifest's description of a verified ledger (for transport checks)."""
    return {
        "site": rep.state.site.get("id"),
        "log": rep.log,
        "entries": rep.entries,
        "head": rep.head,
        "code": rep.code,
        "verify_exit": rep.exit_code,
    }


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
    ledger: bytes | None = None,
    bound: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Write the bundle; return its manifest. ``ledger`` is the bytes the
    summary was computed from (default: read the vault's ledger now);
    ``bound``: the evidence files the log binds, carried as they are."""
    files = {
        "ledger.jsonl": vault.ledger.read_bytes() if ledger is None else ledger,
        "roster.json": json.dumps(roster, ensure_ascii=False, indent=1).encode(),
    }
    read = evidence.in_vault(vault.path)
    for att in bound:
        data = read(att["sha256"])
        if data is not None:  # NOTE: a missing one is audit's finding
            files[f"{evidence.FOLDER}/{att['sha256']}"] = data
    for path in vault.checkpoint_files():
        # NOTE: only what reads as a note: regular files, never a symlink out
        # of the vault or a device (check.read_note); verify names the rest
        try:
            files[f"checkpoints/{path.name}"] = check.read_note(path).encode()
        except CheckpointError:
            continue
    manifest = {
        "format": FORMAT,
        **summary,
        "files": {
            n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
            for n, d in sorted(files.items())
        },
    }
    # NOTE: a fresh temporary name, created exclusively (a planted file or
    # symlink is never followed), then linked to ``out`` without clobbering
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        with (
            os.fdopen(fd, "wb") as f,
            tarfile.open(fileobj=f, mode="w:gz", format=tarfile.PAX_FORMAT) as tar,
        ):
            _add(
                tar,
                "manifest.json",
                json.dumps(manifest, ensure_ascii=False, indent=1).encode(),
                mtime,
            )
            for name, data in sorted(files.items()):
                _add(tar, name, data, mtime)
            tar.close()
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, out, follow_symlinks=False)
        except FileExistsError as e:
            raise LedgerError(Text(EXISTS, path=out)) from e
    finally:
        tmp.unlink(missing_ok=True)
    return manifest


@dataclass(slots=True)
class Bundle:
    """An opened bundle: its manifest and the checked bytes of each member."""

    path: Path
    manifest: dict[str, Any]
    members: dict[str, bytes]

    def lines(self) -> Iterator[tuple[bytes, bool]]:
        return read_lines(io.BytesIO(self.members["ledger.jsonl"]))

    def notes(self) -> list[tuple[str, bytes]]:
        """The bundle's checkpoint members, as bytes (each judged on its own)."""
        return [
            (n, d)
            for n, d in sorted(self.members.items())
            if n.startswith("checkpoints/")
        ]


class _Budget(io.RawIOBase):
    """A reader that refuses to hand out more than ``limit`` decompressed bytes."""

    def __init__(self, inner: Any, limit: int) -> None:
        self.inner, self.left = inner, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        data = self.inner.read(min(len(buf), self.left + 1))
        self.left -= len(data)
        if self.left < 0:
            raise LedgerError(
                Text(N_("more than {n} MiB when decompressed"), n=MAX_STREAM >> 20)
            )
        buf[: len(data)] = data
        return len(data)


# NOTE: why a bundle cannot be read, in words of our own (the library's
# English stays in the exception class named beside it)
_UNREADABLE: dict[type[BaseException], str] = {
    gzip.BadGzipFile: N_("not gzip"),
    EOFError: N_("cut short"),
    zlib.error: N_("damaged compression"),
    tarfile.ReadError: N_("not a tar archive"),
    json.JSONDecodeError: N_("the manifest is not JSON"),
    KeyError: N_("no manifest"),
}


def read(path: Path) -> Bundle:
    """Open a bundle and check every member against the manifest's hashes.

    The archive is read as a stream, member by member: the member count, each
    member's size and the decompressed bytes are checked as they come, so a
    bundle of a million members or a gzip bomb is refused early and cheaply.
    """
    try:
        with (
            gzip.open(path, "rb") as raw,
            tarfile.open(
                fileobj=io.BufferedReader(_Budget(raw, MAX_STREAM)), mode="r|"
            ) as tar,
        ):
            members = _read_members(tar)
        manifest = json.loads(members.pop("manifest.json"))
    except (
        OSError,
        tarfile.TarError,
        EOFError,
        KeyError,
        ValueError,
        RecursionError,
        zlib.error,
    ) as e:
        why = Text(
            N_("not a readable bundle ({why}: {error})"),
            why=Text(_UNREADABLE.get(type(e), N_("malformed"))),
            error=type(e).__name__,
        )
        raise LedgerError(at(path.name, why)) from e
    except LedgerError as e:
        raise LedgerError(at(path.name, e.message)) from e
    listed = _listed(manifest)
    if listed is None or set(listed) != set(members):
        raise LedgerError(
            at(path.name, Text(N_("manifest does not list the bundle's files")))
        )
    for name, data in members.items():
        if hashlib.sha256(data).hexdigest() != listed[name]:
            raise LedgerError(
                at(
                    path.name,
                    Text(N_("{name} does not match the manifest hash"), name=name),
                )
            )
    return Bundle(path, manifest, members)


def _read_members(tar: tarfile.TarFile) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    total = 0
    for count, info in enumerate(tar, start=1):
        if count > MAX_MEMBERS:
            raise LedgerError(Text(N_("more than {n} members"), n=MAX_MEMBERS))
        _check_member(info)
        if info.name in members:
            raise LedgerError(Text(N_("repeated member {name}"), name=repr(info.name)))
        total += info.size
        if total > MAX_TOTAL:
            raise LedgerError(
                Text(N_("members declare more than {n} MiB"), n=MAX_TOTAL >> 20)
            )
        f = tar.extractfile(info)
        members[info.name] = f.read() if f else b""
        # NOTE: a stream keeps every TarInfo it has seen; drop them as we go
        tar.members = []  # type: ignore[attr-defined]
    return members


def _check_member(info: tarfile.TarInfo) -> None:
    if not info.isfile() or not NAME_RE.fullmatch(info.name):
        raise LedgerError(Text(N_("unexpected member {name}"), name=repr(info.name)))
    limit = (
        MAX_NOTE
        if info.name.startswith("checkpoints/")
        else MAX_SMALL.get(info.name, MAX_TOTAL)
    )
    if info.size > limit:
        raise LedgerError(Text(N_("member {name} is too large"), name=repr(info.name)))


def _listed(manifest: Any) -> dict[str, str] | None:
    """The manifest's ``files`` as name -> sha256, or None if malformed."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return None
    files = manifest.get("files")
    if not isinstance(files, dict):
        return None
    out = {n: f.get("sha256") for n, f in files.items() if isinstance(f, dict)}
    hashes = {n: h for n, h in out.items() if isinstance(h, str)}
    return hashes if len(hashes) == len(files) else None
