"""Evidence bound to the log: files attached to an entry (``--attach FILE``).

A photo of a broken seal, an inspection checklist, a scan of a signed form is
copied into the vault's ``evidence/`` folder under its SHA-256, and the
entry's body binds its name, size and digest (``attachments``), so the
signatures cover the file. ``verify`` (the vault's folder) and ``audit`` (the
bundle's ``evidence/`` members) report a missing or altered file as the
integrity finding ``bad-evidence``: it fails verification but, like a bad
checkpoint file, stops no writer (a lost photo must not stop the record).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from vaultctl.core.codes import Code
from vaultctl.core.errors import ArgumentError
from vaultctl.core.i18n import N_
from vaultctl.core.messages import CANNOT_READ, Text
from vaultctl.store.ledger import NotRegularFile, open_regular
from vaultctl.tlog.chain import Integrity

MAX_BYTES = 32 * 1024**2
FOLDER = "evidence"
BAD_EVIDENCE = Code.BAD_EVIDENCE
CHUNK = 1 << 20


def store(vault_path: Path, path: Path) -> dict[str, Any]:
    """Copy the regular file ``path`` into ``vault_path/evidence/<sha256>``;
    return what the entry binds: ``{name, size, sha256}``.

    Only the file named is read (no link is followed, no FIFO or device is
    opened); more than MAX_BYTES is refused. The copy is written to a fresh
    temporary name and linked into place, so a planted file is never
    overwritten and an identical file already there is kept.
    """
    try:
        src = open_regular(path)
    except NotRegularFile as e:
        raise ArgumentError(
            Text(N_("--attach {path}: not a regular file"), path=path)
        ) from e
    except OSError as e:
        raise ArgumentError(
            Text(CANNOT_READ, path=f"--attach {path}", why=e.strerror)
        ) from e
    folder = vault_path / FOLDER
    with src:
        info = os.fstat(src.fileno())
        if info.st_size > MAX_BYTES:
            raise ArgumentError(
                Text(
                    N_(
                        "--attach {path}: {n} bytes, more than {mib} MiB: "
                        "attach a smaller photo or scan"
                    ),
                    path=path,
                    n=info.st_size,
                    mib=MAX_BYTES >> 20,
                )
            )
        folder.mkdir(exist_ok=True)
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            # NOTE: a link planted in the vault must not send copies elsewhere
            raise ArgumentError(
                Text(N_("{path}: not a folder (a link?); nothing copied"), path=folder)
            )
        tmp = folder / f".{os.getpid()}.{os.urandom(8).hex()}.tmp"
        digest, size = hashlib.sha256(), 0
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444)
        try:
            with os.fdopen(out, "wb") as dst:
                while block := src.read(CHUNK):
                    size += len(block)
                    if size > MAX_BYTES:
                        raise ArgumentError(
                            Text(
                                N_("--attach {path}: grew past {mib} MiB"),
                                path=path,
                                mib=MAX_BYTES >> 20,
                            )
                        )
                    digest.update(block)
                    dst.write(block)
                dst.flush()
                os.fsync(dst.fileno())
            target = folder / digest.hexdigest()
            # NOTE: one already there is kept; verify judges it by its hash
            with contextlib.suppress(FileExistsError):
                os.link(tmp, target, follow_symlinks=False)
        finally:
            tmp.unlink(missing_ok=True)
    return {"name": path.name, "size": size, "sha256": digest.hexdigest()}


def in_vault(vault_path: Path) -> Callable[[str], bytes | None]:
    """Read ``evidence/<sha256>`` of a vault: a regular file only, else None."""
    folder = vault_path / FOLDER

    def read(sha: str) -> bytes | None:
        try:
            f = open_regular(folder / sha)
        except OSError:  # NOTE: NotRegularFile too
            return None
        with f:
            return f.read(MAX_BYTES + 1)

    return read


def in_members(members: dict[str, bytes]) -> Callable[[str], bytes | None]:
    """Read ``evidence/<sha256>`` of an audit bundle."""
    return lambda sha: members.get(f"{FOLDER}/{sha}")


def check(
    bound: Sequence[dict[str, Any]], read: Callable[[str], bytes | None]
) -> Iterator[Integrity]:
    """A ``bad-evidence`` finding for every bound file missing or altered."""
    for att in bound:
        data = read(att["sha256"])
        if data is None:
            why = MISSING
        elif (
            len(data) != att["size"]
            or hashlib.sha256(data).hexdigest() != (att["sha256"])
        ):
            why = ALTERED
        else:
            continue
        yield Integrity(
            line=att["seq"] + 1,
            seq=att["seq"],
            code=BAD_EVIDENCE,
            message=Text(why, name=att["name"], sha=att["sha256"][:16], seq=att["seq"]),
        )


MISSING = N_("evidence {name} ({sha}…) attached at #{seq} is missing")
ALTERED = N_(
    "evidence {name} ({sha}…) attached at #{seq} was altered "
    "(size or SHA-256 differs from the entry)"
)
