"""The vault on disk: reading lines, the writer lock, appends, the torn tail.

Appends take an exclusive ``flock`` on ``.lock`` (waiting up to a timeout),
re-read the tail, write one whole line with one ``write``, then fsync. A crash
can leave at most one torn last line; writers refuse to append after it and
:meth:`Vault.repair` moves its bytes, unchanged, into ``torn/``.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from vaultctl.core.errors import LedgerError, LockTimeoutError, VaultMissingError
from vaultctl.core.i18n import _

LEDGER = "ledger.jsonl"
MAX_LINE = 4 * 1024 * 1024  # NOTE: a longer "line" is read in pieces, never whole
LOCK_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Tail:
    """The end of the ledger: the last complete line and any torn bytes after it."""

    last_line: bytes | None
    torn: bytes


class Vault:
    """A vault directory: ``ledger.jsonl``, ``checkpoints/``, ``.lock``, ``torn/``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ledger = path / LEDGER
        self.lock_path = path / ".lock"
        self.checkpoints = path / "checkpoints"
        self.torn_dir = path / "torn"

    def require(self) -> None:
        """Raise :class:`VaultMissingError` unless the vault and ledger are readable."""
        where = self.path.resolve()
        if not self.path.is_dir():
            raise VaultMissingError(
                _(
                    "no vault here: the folder {where} does not exist; give the vault "
                    "folder with --vault DIR or set VAULTCTL_VAULT (a new vault is "
                    "made with 'vaultctl --vault DIR init --config site.toml')"
                ).format(where=where)
            )
        if not self.ledger.is_file():
            new = not any(self.path.iterdir())
            message = _(
                "no vault here: no ledger.jsonl in {where}; give the vault folder "
                "with --vault DIR or set VAULTCTL_VAULT"
            )
            if new:
                message += _(
                    " (the folder is empty: to make a new vault in it, run "
                    "'vaultctl --vault DIR init --config site.toml')"
                )
            raise VaultMissingError(message.format(where=where))
        if not os.access(self.ledger, os.R_OK):
            raise VaultMissingError(
                _("{ledger}: permission denied").format(ledger=self.ledger)
            )

    def is_empty(self) -> bool:
        return not self.ledger.exists() or self.ledger.stat().st_size == 0

    def size(self) -> int:
        return self.ledger.stat().st_size

    def lines(self) -> Iterator[tuple[bytes, bool]]:
        """Yield ``(line without \\n, complete)`` in order, streaming."""
        try:
            with self.ledger.open("rb") as f:
                yield from read_lines(f)
        except OSError as e:
            raise VaultMissingError(
                _("{ledger}: cannot read ({strerror})").format(
                    ledger=self.ledger, strerror=e.strerror
                )
            ) from e

    def tail(self) -> Tail:
        """Read the last complete line and the torn bytes after it, from the end."""
        with self.ledger.open("rb") as f:
            end = f.seek(0, os.SEEK_END)
            pos, chunk = end, b""
            while pos > 0 and chunk.count(b"\n") < 2 and len(chunk) <= 2 * MAX_LINE:
                step = min(65536, pos)
                pos -= step
                f.seek(pos)
                chunk = f.read(step) + chunk
        cut = chunk.rfind(b"\n")
        torn = chunk[cut + 1 :]
        if cut < 0:
            return Tail(None, torn)
        start = chunk.rfind(b"\n", 0, cut) + 1
        return Tail(chunk[start:cut], torn)

    @contextmanager
    def locked(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the exclusive writer lock, waiting up to ``timeout`` seconds.

        The default is 10 s, or ``VAULTCTL_LOCK_TIMEOUT`` when set.
        """
        if timeout is None:
            timeout = lock_timeout()
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as e:
                    if e.errno not in (errno.EAGAIN, errno.EACCES):
                        raise LedgerError(f"{self.lock_path}: {e.strerror}") from e
                    if time.monotonic() >= deadline:
                        raise LockTimeoutError(
                            _(
                                "{lock_path}: another writer has held the lock for "
                                "{timeout:g} s; try again"
                            ).format(lock_path=self.lock_path, timeout=timeout)
                        ) from e
                    time.sleep(0.05)
            yield
        finally:
            os.close(fd)  # NOTE: closing the descriptor releases the flock

    def append_line(self, line: bytes) -> None:
        """Append one line in a single write and fsync it. Call under the lock."""
        if b"\n" in line:
            raise LedgerError(_("refusing to append a line containing a newline"))
        fd = os.open(self.ledger, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            data = line + b"\n"
            written = os.write(fd, data)
            if written != len(data):
                raise LedgerError(
                    _(
                        "{ledger}: short write ({written} of {n} bytes); run "
                        "'vaultctl repair'"
                    ).format(ledger=self.ledger, written=written, n=len(data))
                )
            os.fsync(fd)
        finally:
            os.close(fd)

    def checkpoint_files(self) -> list[Path]:
        """The stored checkpoint notes, oldest (smallest tree) first."""
        if not self.checkpoints.is_dir():
            return []
        return sorted(self.checkpoints.glob("*.note"))

    def write_checkpoint(self, size: int, note: str) -> Path:
        """Store a signed note as ``checkpoints/<size>-<UTC time>.note`` (atomic)."""
        self.checkpoints.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.checkpoints / f"{size:010d}-{stamp}.note"
        tmp = target.with_suffix(".tmp")
        with tmp.open("x", encoding="utf-8") as f:
            f.write(note)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        return target

    def move_torn(self, torn: bytes) -> Path:
        """Move the torn tail into ``torn/<UTC time>.bin`` and cut it off the ledger."""
        self.torn_dir.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        target = self.torn_dir / f"{stamp}.bin"
        with target.open("xb") as f:
            f.write(torn)
            f.flush()
            os.fsync(f.fileno())
        with self.ledger.open("r+b") as f:
            f.truncate(self.size() - len(torn))
            os.fsync(f.fileno())
        return target


class NotRegularFile(OSError):
    """A path that names a FIFO, a device, a folder or a socket."""


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` to read only if it is a regular file: a link is not
    followed and a FIFO is not waited on. Raises :class:`OSError` when it
    cannot be opened, :class:`NotRegularFile` when it is not a regular file.
    """
    f = os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK), "rb")
    if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
        f.close()
        raise NotRegularFile(errno.EINVAL, "not a regular file", str(path))
    return f


def lock_timeout() -> float:
    value = os.environ.get("VAULTCTL_LOCK_TIMEOUT", "")
    try:
        return max(0.0, float(value)) if value else LOCK_TIMEOUT
    except ValueError as e:
        raise LedgerError(
            _("VAULTCTL_LOCK_TIMEOUT={value!r}: not a number").format(value=value)
        ) from e


def read_lines(f: object) -> Iterator[tuple[bytes, bool]]:
    """Split a binary stream into ``(line, complete)`` without loading it whole."""
    readline = f.readline  # type: ignore[attr-defined]
    while True:
        line: bytes = readline(MAX_LINE + 1)
        if not line:
            return
        if line.endswith(b"\n"):
            yield line[:-1], True
            continue
        if len(line) <= MAX_LINE:
            yield line, False  # end of file: a torn last line
            return
        while line and not line.endswith(b"\n"):  # NOTE: skip an over-long line
            line = readline(MAX_LINE + 1)
        yield b"<line longer than 4 MiB>", bool(line)
