"""Run one task per file, each in its own process, a few at a time.

A worker that dies (killed by the kernel for memory, a signal) or overruns its
time limit costs the row of its own file only: unlike a process pool, whose
every pending future breaks when one worker dies, the others carry on. Each
worker may cap its address space (``RLIMIT_AS``), so a hostile input fails as
a ``MemoryError`` in that worker instead of swapping the machine.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from vaultctl.core.i18n import N_
from vaultctl.core.messages import Text

Row = dict[str, Any]
# NOTE: a test hook: the worker for the file of this name kills itself, as the
# kernel's OOM killer would
KILL_ENV = "VAULTCTL_AUDIT_KILL"
MAX_MEMORY, TIMEOUT = 2048, 600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Per-file limits of a worker: address space (MiB, 0 = none), seconds."""

    max_memory: int = MAX_MEMORY
    timeout: float = TIMEOUT


def _worker(
    conn: Connection,
    task: Callable[[Path], Row],
    failed: Callable[[Path, str], Row],
    path: Path,
    limits: Limits,
) -> None:
    if limits.max_memory:
        cap = limits.max_memory * 1024**2
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if os.environ.get(KILL_ENV) == path.name:
        os.kill(os.getpid(), signal.SIGKILL)
    try:
        row = task(path)
    except MemoryError:
        cap_mib = limits.max_memory
        row = failed(path, Text(N_("over the memory cap of {n} MiB"), n=cap_mib))
    conn.send(row)
    conn.close()


SLOW = N_("took longer than {seconds} s")


def run(
    task: Callable[[Path], Row],
    failed: Callable[[Path, str], Row],
    paths: list[Path],
    jobs: int,
    limits: Limits,
    tick: Callable[[], None] | None = None,
) -> Iterator[Row]:
    """``task(path)`` for every path, at most ``jobs`` processes at a time; a
    worker that dies or overruns yields ``failed(path, why)``. Rows in order."""
    methods = mp.get_all_start_methods()
    ctx: Any = mp.get_context("fork" if "fork" in methods else "spawn")
    todo = list(enumerate(paths))[::-1]
    running: dict[int, tuple[Any, Connection, float, Path]] = {}
    done: dict[int, Row] = {}
    nxt = 0
    while todo or running:
        while todo and len(running) < max(jobs, 1):
            i, path = todo.pop()
            recv, send = ctx.Pipe(duplex=False)
            args = (send, task, failed, path, limits)
            proc = ctx.Process(target=_worker, args=args, daemon=True)
            proc.start()
            send.close()
            running[i] = (proc, recv, time.monotonic() + limits.timeout, path)
        soonest = min(r[2] for r in running.values()) - time.monotonic()
        ready = wait([r[1] for r in running.values()], timeout=max(soonest, 0.01))
        for i, (proc, recv, deadline, path) in list(running.items()):
            if recv in ready:
                done[i] = _collect(proc, recv, path, failed)
            elif time.monotonic() > deadline:
                proc.kill()
                proc.join()
                done[i] = failed(path, Text(SLOW, seconds=f"{limits.timeout:g}"))
            else:
                continue
            recv.close()
            del running[i]
        while nxt in done:
            yield done.pop(nxt)
            nxt += 1
            if tick:
                tick()


def _collect(
    proc: Any, recv: Connection, path: Path, failed: Callable[[Path, str], Row]
) -> Row:
    try:
        row: Row = recv.recv()
    except (EOFError, OSError):
        proc.join()
        code = proc.exitcode
        how = f"signal {-code}" if code and code < 0 else f"exit {code}"
        return failed(path, Text(N_("the worker died ({how})"), how=how))
    proc.join()
    return row
