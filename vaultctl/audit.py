"""``vaultctl audit``: verify every bundle in a folder, each in its own process.

Each bundle is verified as ``verify`` would (chain, signatures, rules, its own
checkpoints) and then held against what the *centre* holds (:mod:`centre`):
pinned genesis, phoned-in codes, kept checkpoints, the last audit's bundle.
The bundle's manifest is never an anchor: it is a list of files and hashes for
the transport, and must agree with what verify computed.

A bundle that cannot be read is one ``unreadable`` row; a worker that dies
(memory cap, signal, time limit) is one ``failed`` row; the others are still
audited. Every field of a row has one type (the schema is in docs/format.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from vaultctl import anchors, bundle, rules, shortcode, verify, workers
from vaultctl.centre import Records, genesis_of
from vaultctl.errors import LedgerError, UsageError, VaultError
from vaultctl.workers import KILL_ENV, MAX_MEMORY, TIMEOUT, Limits

__all__ = ["KILL_ENV", "MAX_MEMORY", "TIMEOUT", "Limits", "audit_one", "run"]

COLUMNS = (
    "file",
    "site",
    "entries",
    "status",
    "exit",
    "integrity",
    "findings",
    "warnings",
    "rules_off",
    "rules_warn",
    "relaxed",
    "anchors",
    "anchors_failed",
    "last_checkpoint",
    "code",
    "genesis",
    "problems",
)


class EmptyFolderError(LedgerError):
    """The folder holds no bundle: nothing was audited (exit 4)."""

    exit_code = 4


def blank(file: str, status: str, exit_code: int, problem: str = "") -> dict[str, Any]:
    """A row with every field at its empty value of the right type."""
    row: dict[str, Any] = {
        "file": file,
        "site": "",
        "entries": 0,
        "status": status,
        "exit": exit_code,
        "integrity": {},
        "findings": {},
        "warnings": {},
        "rules_off": [],
        "rules_warn": [],
        "relaxed": [],
        "anchors": 0,
        "anchors_failed": [],
        "last_checkpoint": 0,
        "code": "",
        "genesis": "",
        "problems": [problem] if problem else [],
    }
    return row


def policy_view(policy: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """Rules turned off, rules lowered to warn, parameters looser than default."""
    levels = rules.levels_in_force(policy)
    off, warn, relaxed = [], [], []
    for rid, cls in sorted(rules.REGISTRY.items()):
        if levels[rid] == "off" and cls.default_level != "off":
            off.append(rid)
        elif levels[rid] == "warn" and cls.default_level == "error":
            warn.append(rid)
        if levels[rid] == "off":
            continue
        for name, value in rules.params_in_force(cls, policy).items():
            default = cls.params[name]
            # NOTE: a longer window or gap is looser; fewer members or months are
            looser = value > default if name.endswith("_minutes") else value < default
            if looser:
                relaxed.append(f"{name}={value} (default {default})")
    return off, warn, relaxed


def audit_one(
    path: Path, records: Records | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Verify one bundle against the centre's records; return its row."""
    records = records or Records()
    try:
        b = bundle.read(path)
        ledger = b.members["ledger.jsonl"]
        site, genesis = genesis_of(ledger)
        own = [anchors.from_note(text, name) for name, text in b.notes()]
        held = _held(records, site)
        rep = verify.run(b.lines(), now=now, anchors=[*own, *held])
    except MemoryError:
        raise
    except (VaultError, KeyError, IndexError, TypeError, ValueError) as e:
        problem = str(e).removeprefix(f"{path.name}: ")
        return blank(path.name, "unreadable", verify.EXIT_UNREADABLE, problem)
    except Exception as e:  # noqa: BLE001 - one bad bundle must not sink the audit
        problem = f"cannot be audited ({type(e).__name__}: {e})"
        return blank(path.name, "unreadable", verify.EXIT_UNREADABLE, problem)
    row = blank(path.name, "", 0)
    row |= {
        "site": str(rep.state.site.get("id") or site),
        "entries": rep.entries,
        "integrity": rep.integrity_counts(),
        "findings": rep.counts("error"),
        "warnings": rep.counts("warn"),
        "anchors": sum(1 for a in held if a.label in rep.anchors_ok),
        "anchors_failed": [f"{f['kind']}: {f['anchor']}" for f in rep.anchors_failed],
        "last_checkpoint": max((a.size for a in own), default=0),
        "code": rep.code,
        "genesis": genesis,
    }
    row["rules_off"], row["rules_warn"], row["relaxed"] = policy_view(rep.state.policy)
    extra: dict[str, list[str]] = {}
    _check_pin(records, row, extra)
    _check_previous(records, row, ledger, extra)
    _check_manifest(b.manifest, rep, extra)
    for code, messages in extra.items():
        row["integrity"][code] = row["integrity"].get(code, 0) + len(messages)
        row["problems"] += messages
    row["problems"] += [f"{f['kind']}: {f['message']}" for f in rep.anchors_failed]
    row["problems"] += [a.label for a in held if "no check symbol" in a.label]
    row["status"], row["exit"] = _verdict(row)
    return row


def _held(records: Records, site: str) -> list[anchors.Anchor]:
    """The centre's anchors for ``site``: kept notes and phoned-in codes."""
    held = [
        anchors.from_note(text, label) for label, text in records.notes.get(site, [])
    ]
    held += [anchors.from_code(c.text, c.label) for c in records.codes.get(site, [])]
    return held


def _check_pin(
    records: Records, row: dict[str, Any], out: dict[str, list[str]]
) -> None:
    if records.pins is None:
        return
    pinned = records.pins.get(row["site"])
    if pinned is None:
        out["unpinned-site"] = [f"site {row['site']!r} is not in the pins file"]
    elif pinned != row["genesis"]:
        out["genesis-mismatch"] = [
            f"genesis {row['genesis'][:16]}… is not the pinned {pinned[:16]}… "
            "(a log rebuilt from scratch)"
        ]


def _check_previous(
    records: Records, row: dict[str, Any], ledger: bytes, out: dict[str, list[str]]
) -> None:
    path = records.previous.get(row["site"])
    if path is None:
        return
    try:
        before = bundle.read(path).members["ledger.jsonl"]
    except (VaultError, KeyError) as e:
        out["previous-unreadable"] = [f"earlier bundle {path.name}: {e}"]
        return
    if not ledger.startswith(before):
        how = "rollback" if before.startswith(ledger) else "fork"
        entries = before.count(b"\n")
        out["previous-mismatch"] = [
            f"{how}: does not extend the earlier bundle {path.name} "
            f"({entries} entries) byte for byte"
        ]


def _check_manifest(
    manifest: dict[str, Any], rep: verify.Report, out: dict[str, list[str]]
) -> None:
    """The unsigned manifest must say what verify found; it anchors nothing."""
    computed = {
        "site": rep.state.site.get("id"),
        "log": rep.log,
        "entries": rep.entries,
        "head": rep.head,
    }
    bad = [
        f"manifest {k} {manifest.get(k)!r} is not the content's {v!r}"
        for k, v in computed.items()
        if manifest.get(k) != v
    ]
    try:
        said = shortcode.parse_short_code(str(manifest.get("code")))
        ok = said == shortcode.parse_short_code(rep.code)
    except UsageError:
        ok = False
    if not ok:
        bad.append(f"manifest code {manifest.get('code')!r} is not {rep.code!r}")
    if bad:
        out["manifest-mismatch"] = bad


def _verdict(row: dict[str, Any]) -> tuple[str, int]:
    if row["integrity"]:
        return "INTEGRITY", verify.EXIT_INTEGRITY
    if row["findings"]:
        return "findings", verify.EXIT_FINDINGS
    if row["rules_off"] or row["rules_warn"] or row["relaxed"]:
        return "relaxed", verify.EXIT_FINDINGS
    return "ok", verify.EXIT_OK


def missing_rows(records: Records, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One ``missing`` row per pinned site with no bundle in the folder."""
    seen = {r["site"] for r in rows}
    return [
        blank("", "missing", verify.EXIT_INTEGRITY, "pinned site has no bundle")
        | {"site": site}
        for site in sorted(records.pins or {})
        if site not in seen
    ]


def bundles_in(folder: Path) -> list[Path]:
    """The bundle files directly in ``folder``; none at all is an error."""
    try:
        found = sorted(p for p in folder.iterdir() if p.name.endswith(bundle.SUFFIX))
    except OSError as e:
        raise UsageError(f"{folder}: not a folder of bundles ({e.strerror})") from e
    if not found:
        raise EmptyFolderError(f"{folder}: no *{bundle.SUFFIX} bundles to audit")
    return found


def _failed(path: Path, problem: str) -> dict[str, Any]:
    return blank(path.name, "failed", verify.EXIT_UNREADABLE, problem)


def run(
    paths: list[Path],
    jobs: int,
    tick: Callable[[], None] | None = None,
    records: Records | None = None,
    limits: Limits | None = None,
    now: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """Audit every bundle, each in its own worker process, ``jobs`` at a time;
    rows in input order."""
    task = functools.partial(audit_one, records=records or Records(), now=now)
    yield from workers.run(task, _failed, paths, jobs, limits or Limits(), tick)
