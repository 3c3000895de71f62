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
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from vaultctl import rules, verify
from vaultctl.centre import Records, bundle, genesis_of
from vaultctl.core.codes import Code
from vaultctl.core.errors import (
    CheckpointError,
    LedgerError,
    UsageError,
    VaultError,
    message_of,
)
from vaultctl.core.i18n import N_
from vaultctl.core.messages import Text, at, joined, placed
from vaultctl.present import report, report_audit
from vaultctl.store import check, evidence, workers
from vaultctl.store.workers import KILL_ENV, MAX_MEMORY, TIMEOUT, Limits
from vaultctl.tlog import anchors, shortcode
from vaultctl.verify.timeline import Timeline

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
    path: Path,
    records: Records | None = None,
    now: datetime | None = None,
    page: str | None = None,
) -> dict[str, Any]:
    """Verify one bundle against the centre's records; return its row. With
    ``page`` (a language), the row also carries ``_section``: the bundle's
    section of the HTML page, drawn from this very verification (so it is
    bounded by the same worker limits, and never verified twice)."""
    records = records or Records()
    timeline, per_day = Timeline(), Counter[str]()
    try:
        b = bundle.read(path)
        ledger = b.members["ledger.jsonl"]
        site, genesis = genesis_of(ledger)
        own, broken = own_notes(b)
        held = _held(records, site)
        lines = _counted(b.lines(), per_day) if page else b.lines()
        observe = timeline if page else None
        bound = evidence.in_members(b.members)

        def files(state: Any) -> tuple[list[Any], list[Any]]:
            return list(evidence.check(state.evidence, bound)), []

        rep = verify.run(
            lines, now=now, anchors=[*own, *held], observe=observe, extra=files
        )
    except MemoryError:
        raise
    except (VaultError, KeyError, IndexError, TypeError, ValueError) as e:
        problem = _after_place(e, path.name)
        return blank(path.name, "unreadable", verify.EXIT_UNREADABLE, problem)
    except Exception as e:  # noqa: BLE001 - one bad bundle must not sink the audit
        problem = Text(
            N_("cannot be audited ({error})"), error=f"{type(e).__name__}: {e}"
        )
        return blank(path.name, "unreadable", verify.EXIT_UNREADABLE, problem)
    row = blank(path.name, "", 0)
    row |= {
        "site": str(rep.state.site.get("id") or site),
        "entries": rep.entries,
        "integrity": rep.integrity_counts(),
        "findings": rep.counts("error"),
        "warnings": rep.counts("warn"),
        "anchors": sum(1 for a in held if a.label in rep.anchors_ok),
        "anchors_failed": [f"{f.kind}: {f.anchor}" for f in rep.anchors_failed],
        "last_checkpoint": max((a.size for a in own), default=0),
        "code": rep.code,
        "genesis": genesis,
    }
    row["rules_off"], row["rules_warn"], row["relaxed"] = policy_view(rep.state.policy)
    extra: dict[Code, list[str]] = {anchors.BAD_CHECKPOINT: broken} if broken else {}
    _check_pin(records, row, extra)
    _check_previous(records, row, ledger, extra)
    _check_manifest(b.manifest, rep, extra)
    for code, messages in extra.items():
        row["integrity"][code] = row["integrity"].get(code, 0) + len(messages)
        row["problems"] += messages
    row["problems"] += [at(f.kind, f.message) for f in rep.anchors_failed]
    row["status"], row["exit"] = _verdict(row)
    if page:
        anchor = "site-" + hashlib.sha256(path.name.encode()).hexdigest()[:12]
        site_view = report.Site(rep, timeline, own)
        row["_section"] = report_audit.audit_section(
            site_view, path.name, anchor, page, per_day
        )
    return row


def _counted(
    lines: Iterable[tuple[bytes, bool]], per_day: Counter[str]
) -> Iterator[tuple[bytes, bool]]:
    """Pass lines on, counting them per day even when they fail integrity."""
    for raw, complete in lines:
        # NOTE: the last "ts" of a canonical line is the entry's: only "type"
        # and "v" sort after it, so no body text can pose as it
        at = raw.rfind(b',"ts":"')
        if at >= 0:
            per_day[raw[at + 7 : at + 17].decode("ascii", "replace")] += 1
        yield raw, complete


def own_notes(b: bundle.Bundle) -> tuple[list[anchors.Anchor], list[str]]:
    """The bundle's own checkpoints, each judged alone: one that is not a note
    is a ``bad-checkpoint`` problem of the row, as verify reports it, and
    never makes the whole bundle unreadable."""
    own, broken = [], []
    for name, data in b.notes():
        try:
            own.append(anchors.from_note(data.decode("utf-8"), name, stored=True))
        except (UnicodeDecodeError, CheckpointError) as e:
            broken.append(check.not_a_note(name, e))
    return own, broken


def _held(records: Records, site: str) -> list[anchors.Anchor]:
    """The centre's anchors for ``site``: kept notes and phoned-in codes."""
    held = [
        anchors.from_note(text, label) for label, text in records.notes.get(site, [])
    ]
    held += [anchors.from_code(c.text, c.label) for c in records.codes.get(site, [])]
    return held


def _check_pin(
    records: Records, row: dict[str, Any], out: dict[Code, list[str]]
) -> None:
    if records.pins is None:
        return
    pinned = records.pins.get(row["site"])
    if pinned is None:
        out[Code.UNPINNED_SITE] = [
            Text(N_("site {site} is not in the pins file"), site=repr(row["site"]))
        ]
    elif pinned != row["genesis"]:
        out[Code.GENESIS_MISMATCH] = [
            Text(
                N_(
                    "genesis {genesis}… is not the pinned {pinned}… "
                    "(a log rebuilt from scratch)"
                ),
                genesis=row["genesis"][:16],
                pinned=pinned[:16],
            )
        ]


def _check_previous(
    records: Records, row: dict[str, Any], ledger: bytes, out: dict[Code, list[str]]
) -> None:
    path = records.previous.get(row["site"])
    if path is None:
        return
    try:
        before = bundle.read(path).members["ledger.jsonl"]
    except (VaultError, KeyError) as e:
        earlier = Text(N_("earlier bundle {name}"), name=path.name)
        out[Code.PREVIOUS_UNREADABLE] = [at(earlier, message_of(e))]
        return
    if not ledger.startswith(before):
        how = anchors.ROLLBACK if before.startswith(ledger) else anchors.FORK
        out[Code.PREVIOUS_MISMATCH] = [
            at(
                how,
                Text(
                    N_(
                        "does not extend the earlier bundle {name} ({n} entries) "
                        "byte for byte"
                    ),
                    name=path.name,
                    n=before.count(b"\n"),
                ),
            )
        ]


def _check_manifest(
    manifest: dict[str, Any], rep: verify.Report, out: dict[Code, list[str]]
) -> None:
    """The unsigned manifest must say what verify found; it anchors nothing."""
    computed = {
        "site": rep.state.site.get("id"),
        "log": rep.log,
        "entries": rep.entries,
        "head": rep.head,
    }
    bad: list[str] = [
        Text(
            N_("manifest {field} {said} is not the content's {value}"),
            field=k,
            said=f"{manifest.get(k)!r:.80}",
            value=repr(v),
        )
        for k, v in computed.items()
        if manifest.get(k) != v
    ]
    try:
        said = shortcode.parse_short_code(str(manifest.get("code")))
        ok = said == shortcode.parse_short_code(rep.code)
    except UsageError:
        ok = False
    if not ok:
        told = f"{manifest.get('code')!r:.80}"
        bad.append(Text(WRONG_CODE, said=told, code=rep.code))
    if bad:
        out[Code.MANIFEST_MISMATCH] = bad


WRONG_CODE = N_("manifest code {said} is not {code}")


def _verdict(row: dict[str, Any]) -> tuple[str, int]:
    if row["integrity"]:
        return "INTEGRITY", verify.EXIT_INTEGRITY
    if row["findings"]:
        return "findings", verify.EXIT_FINDINGS
    if row["rules_off"] or row["rules_warn"] or row["relaxed"]:
        return "relaxed", verify.EXIT_FINDINGS
    return "ok", verify.EXIT_OK


def missing_rows(records: Records, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One ``missing`` row per site that the centre holds a record of (a pin,
    a code, a kept note, an earlier bundle) and no bundle in the folder: a
    record that matches nothing is never dropped in silence."""
    seen = {r["site"] for r in rows}
    named: dict[str, list[str]] = {}
    for kind, sites in (
        (Text(N_("pin")), records.pins or {}),
        (Text(N_("phoned-in code")), records.codes),
        (Text(N_("kept checkpoint")), records.notes),
        (Text(N_("earlier bundle")), records.previous),
    ):
        for site in sites:
            named.setdefault(site, []).append(kind)
    return [
        blank(
            "",
            "missing",
            verify.EXIT_INTEGRITY,
            Text(
                N_("no bundle, but the centre holds: {kinds}"),
                kinds=joined(kinds, ", "),
            ),
        )
        | {"site": site}
        for site, kinds in sorted(named.items())
        if site not in seen
    ]


def bad_code_rows(records: Records) -> list[dict[str, Any]]:
    """One row per code that could not be read (exit 2: a record to fix)."""
    return [
        blank(c.label.split(": ", 1)[0], "bad-record", verify.EXIT_USAGE, c.label)
        | {"site": c.site}
        for c in records.bad_codes
    ]


def bundles_in(folder: Path) -> list[Path]:
    """The bundle files directly in ``folder``; none at all is an error."""
    try:
        found = sorted(p for p in folder.iterdir() if p.name.endswith(bundle.SUFFIX))
    except OSError as e:
        raise UsageError(
            Text(
                N_("{path}: not a folder of bundles ({why})"),
                path=folder,
                why=e.strerror,
            )
        ) from e
    if not found:
        raise EmptyFolderError(
            Text(
                N_("{path}: no *{suffix} bundles to audit"),
                path=folder,
                suffix=bundle.SUFFIX,
            )
        )
    return found


def _failed(path: Path, problem: str) -> dict[str, Any]:
    return blank(path.name, "failed", verify.EXIT_UNREADABLE, problem)


def vet_previous(
    paths: list[Path],
    jobs: int,
    pins: dict[str, str] | None = None,
    limits: Limits | None = None,
    tick: Callable[[], None] | None = None,
) -> tuple[dict[str, Path], list[dict[str, Any]]]:
    """The last audit's bundles that may anchor a site, by verified site id,
    and a row for each that may not.

    An earlier bundle is believed to be of site S only when it verifies (in a
    bounded worker, as any bundle) and its genesis is S's pin (when pins are
    given). One that fails, or one of several claiming one site, is a row of
    its own naming why, and is used for no site: a hostile earlier bundle
    neither stops the audit nor accuses another site of a rollback."""
    rows = list(run(paths, jobs, tick, Records(), limits))
    claims: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
    bad: list[dict[str, Any]] = []
    for path, row in zip(paths, rows, strict=True):
        row["file"] = f"{path.parent.name}/{path.name}"
        if row["exit"] >= verify.EXIT_INTEGRITY:
            row["problems"].insert(
                0,
                Text(
                    N_("earlier bundle {name}: fails its own audit; used for no site"),
                    name=path.name,
                ),
            )
            bad.append(row)
            continue
        pinned = (pins or {}).get(row["site"])
        if pinned is not None and pinned != row["genesis"]:
            bad.append(
                _claim(
                    row,
                    Text(
                        N_(
                            "earlier bundle {name} claims site {site} but its "
                            "genesis is not the pinned one; used for no site"
                        ),
                        name=path.name,
                        site=row["site"],
                    ),
                )
            )
            continue
        claims.setdefault(row["site"], []).append((path, row))
    found: dict[str, Path] = {}
    for site, group in claims.items():
        if len(group) == 1:
            found[site] = group[0][0]
            continue
        names = ", ".join(p.name for p, _ in group)
        bad += [
            _claim(
                row,
                Text(
                    N_(
                        "earlier bundle {name}: {n} earlier bundles claim site "
                        "{site} ({names}); none is used: keep one per site, or "
                        "give --pins"
                    ),
                    name=path.name,
                    n=len(group),
                    site=site,
                    names=names,
                ),
            )
            for path, row in group
        ]
    return found, bad


def _claim(row: dict[str, Any], problem: str) -> dict[str, Any]:
    """An earlier bundle that verifies but may anchor no site: its own row."""
    out = blank(row["file"], "INTEGRITY", verify.EXIT_INTEGRITY, problem)
    out |= {k: row[k] for k in ("site", "entries", "code", "genesis")}
    out["integrity"] = {Code.PREVIOUS_CLAIM: 1}
    return out


def run(
    paths: list[Path],
    jobs: int,
    tick: Callable[[], None] | None = None,
    records: Records | None = None,
    limits: Limits | None = None,
    now: datetime | None = None,
    page: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Audit every bundle, each in its own worker process, ``jobs`` at a time;
    rows in input order (``page``: also draw each bundle's HTML section)."""
    task = functools.partial(
        audit_one, records=records or Records(), now=now, page=page
    )
    yield from workers.run(task, _failed, paths, jobs, limits or Limits(), tick)


def _after_place(e: Exception, place: str) -> str:
    """An error's message without its leading ``place: `` (the row names it)."""
    message = message_of(e)
    found = placed(message)
    if found is not None and found[0] == place:
        return found[1]
    return message.removeprefix(f"{place}: ")
