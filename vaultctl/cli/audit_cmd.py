"""For the exam centre: ``export`` a site's bundle, ``audit`` a folder of them."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from vaultctl import centre, verify
from vaultctl.centre import audit, bundle
from vaultctl.cli import report_cmd
from vaultctl.cli.common import Context, json_option, pass_context
from vaultctl.core import i18n
from vaultctl.core.errors import RefusedError, UsageError
from vaultctl.core.i18n import _
from vaultctl.present import render, report_audit
from vaultctl.store import check

F = TypeVar("F", bound=Callable[..., Any])


@click.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@pass_context
def export(ctx: Context, out: Path) -> None:
    """Write the audit bundle: ledger, checkpoints, public roster, manifest.

    OUT should end in .vaultctl.tar.gz (added if missing); public keys only.

    \b
    Example:
      vaultctl --vault /srv/vault export /media/usb/S-330106-07.vaultctl.tar.gz
    """
    vault = ctx.vault
    vault.require()
    if not out.name or out.name in (".", ".."):
        raise UsageError(
            _("{str!r}: give a file name for the bundle").format(str=str(out))
        )
    if not out.name.endswith(bundle.SUFFIX):
        out = out.with_name(out.name + bundle.SUFFIX)
    if out.exists():
        raise UsageError(_("{out}: already exists, not overwritten").format(out=out))
    if not out.parent.is_dir():
        raise UsageError(_("{parent}: no such folder").format(parent=out.parent))
    # NOTE: one read: the manifest describes exactly the bytes bundled, even if
    # a writer appends meanwhile
    data = vault.ledger.read_bytes()
    rep = check.verify_vault(vault, data=data)
    state = rep.state
    last = state.latest.timestamp() if state.latest else 0
    bundle.write(
        vault,
        out,
        [o.public() for o in state.roster.officers.values()],
        bundle.summary_of(rep),
        int(last),
        ledger=data,
        bound=state.evidence,
    )
    click.echo(
        _("{out}\n{entries} entries · {code}").format(
            out=out, entries=rep.entries, code=rep.code
        )
    )
    if rep.integrity:
        click.echo(
            _(
                "warning: the log fails integrity ({n} finding(s)); exported as it is"
            ).format(n=len(rep.integrity)),
            err=True,
        )


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(f"{k}:{v}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _path_option(name: str, dir_okay: bool, help_text: str) -> Callable[[F], F]:
    return click.option(
        name,
        type=click.Path(
            exists=True, dir_okay=dir_okay, file_okay=not dir_okay, path_type=Path
        ),
        default=None,
        help=help_text,
    )


@click.command("audit")
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all cores).",
)
@_path_option("--pins", False, "CSV site,genesis: the genesis pinned at enrolment.")
@_path_option("--codes", False, "CSV site,code[,…]: the short codes phoned in.")
@_path_option("--checkpoints", True, "Folder of signed notes the centre kept.")
@_path_option("--previous", True, "Folder of the last audit's bundles.")
@click.option(
    "--max-memory",
    type=click.IntRange(min=0),
    default=audit.MAX_MEMORY,
    show_default=True,
    help="Address space cap per bundle, MiB (0: none).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=audit.TIMEOUT,
    show_default=True,
    help="Seconds allowed per bundle.",
)
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout.")
@click.option(
    "--html",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write an HTML page: a row and a timeline per site.",
)
@pass_context
def audit_cmd(
    ctx: Context,
    folder: Path,
    jobs: int | None,
    pins: Path | None,
    codes: Path | None,
    checkpoints: Path | None,
    previous: Path | None,
    max_memory: int,
    timeout: float,
    as_json: bool,
    as_csv: bool,
    html: Path | None,
) -> None:
    """Verify every *.vaultctl.tar.gz bundle in FOLDER against what the centre
    holds (pins, phoned-in codes, kept checkpoints, last audit's bundles), each
    in its own process, offline. The bundle's manifest is never trusted.

    Exit 0 when every bundle is clean, 1 when some have findings or a relaxed
    policy, 3 when any fails integrity, is missing, unreadable or failed,
    2 for a malformed pins or codes file or a code that cannot be read (its
    own row; the rest is audited), 4 for a folder with no bundle.

    \b
    Example:
      vaultctl audit /srv/bundles/2026-06 --pins pins.csv --codes codes.csv \\
          --checkpoints /srv/centre/notes --previous /srv/bundles/2026-05
      vaultctl audit /srv/bundles/2026-06 --csv > audit.csv
      vaultctl audit /srv/bundles/2026-06 --html audit.html
    """
    paths = audit.bundles_in(folder)
    records = centre.load(pins, codes, checkpoints)
    earlier = centre.previous_bundles(previous) if previous else []
    limits = audit.Limits(max_memory=max_memory, timeout=timeout)
    workers = jobs or os.cpu_count() or 1
    bar: Any = None
    if sys.stderr.isatty() and not (as_json or as_csv):
        bar = click.progressbar(
            length=len(paths) + len(earlier), label=_("auditing"), file=sys.stderr
        )
    with bar or contextlib.nullcontext():
        tick = (lambda: bar.update(1)) if bar else None
        found, bad = audit.vet_previous(earlier, workers, records.pins, limits, tick)
        records = dataclasses.replace(records, previous=found)
        page = ctx.lang if html is not None else None
        rows = list(audit.run(paths, workers, tick, records, limits, page=page))
    sections = {r["file"]: r.pop("_section") for r in rows if "_section" in r}
    rows += bad + audit.bad_code_rows(records) + audit.missing_rows(records, rows)
    if as_json:
        click.echo(render.json_text(rows))
    elif as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(audit.COLUMNS)
        writer.writerows([_csv_cell(r[c]) for c in audit.COLUMNS] for r in rows)
    else:
        _table(rows)
    if html is not None:
        report_cmd.write_audit(html, rows, sections)
    worst = max((r["exit"] for r in rows), default=0)
    click.get_current_context().exit(verify.EXIT_INTEGRITY if worst >= 3 else worst)


TABLE = ("file", "site", "entries", "status", "exit", "integrity", "findings")


def _csv_cell(value: Any) -> str:
    """A CSV cell that no terminal obeys and no spreadsheet runs as a formula."""
    text = render.safe(_cell(value))
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _table(rows: list[dict[str, Any]]) -> None:
    color = sys.stdout.isatty()
    body = []
    for r in rows:
        policy = report_audit.policy_words(r, i18n.current())
        cells = [_cell(r[c]) for c in TABLE]
        cells[TABLE.index("status")] = render.status(r["status"], i18n.current())
        cells += [_cell(r["warnings"]), _cell(policy), str(r["anchors"]), r["code"]]
        cells = [render.safe(c) for c in cells]
        if color and r["exit"] >= 3:
            cells = [click.style(c, fg="red") for c in cells]
        body.append(cells)
    headers = [*TABLE, "warnings", "policy", "anchors", "code"]
    click.echo(render.table(body, headers, i18n.current(), escaped=True))
    for r in rows:
        for p in r["problems"]:
            said = report_audit.problem_text(p, i18n.current())
            text = f"{r['file'] or r['site']}: {said}"
            click.echo(render.safe(text))
    bad = sum(r["exit"] >= 3 for r in rows)
    click.echo(
        _(
            "\n{n} bundle(s): {clean} clean, {findings} with findings or a relaxed "
            "policy, {bad} failing integrity, missing or unreadable"
        ).format(
            n=len(rows),
            clean=sum(r["exit"] == 0 for r in rows),
            findings=sum(r["exit"] == 1 for r in rows),
            bad=bad,
        )
    )


@click.command("enrol")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--header", is_flag=True, help="Print the CSV header line first.")
def enrol(path: Path, header: bool) -> None:
    """Print the pins-file line (site,genesis) of a site's first bundle.

    Check the bundle with the site in person first; then append the line to
    the centre's pins file, which `vaultctl audit --pins` reads.

    \b
    Example:
      vaultctl enrol --header S-330106-07.vaultctl.tar.gz > pins.csv
      vaultctl enrol S-330106-09.vaultctl.tar.gz >> pins.csv
    """
    # NOTE: what is pinned is trusted from then on: the bundle must be one
    # that `audit` calls ok, checked by the same code (its own checkpoints
    # included) in a bounded worker; a hostile bundle could otherwise pin a
    # cut log, or smuggle a line for another site into the pins file
    (row,) = audit.run([path], 1)
    site, genesis = row["site"], row["genesis"]
    if row["status"] != "ok" or not site or not genesis:
        why = "; ".join(
            [f"{code} ×{n}" for code, n in row["integrity"].items()]
            + [f"{rule} ×{n}" for rule, n in row["findings"].items()]
            + report_audit.policy_words(row, i18n.current())
            + [report_audit.problem_text(p, i18n.current()) for p in row["problems"]]
        )
        raise EnrolError(
            _(
                "refused: audit calls {name} {status}, not ok ({why}); nothing "
                "enrolled: check the site's log with it (vaultctl verify) and "
                "enrol a bundle that audits ok"
            ).format(
                name=path.name,
                status=render.status(row["status"], i18n.current()),
                why=render.safe(why),
            ),
            exit_code=row["exit"] or verify.EXIT_INTEGRITY,
        )
    out = csv.writer(sys.stdout, lineterminator="\n")
    if header:
        out.writerow(["site", "genesis"])
    out.writerow([site, genesis])


class EnrolError(RefusedError):
    """``enrol`` refused a bundle; the exit code is the one audit gives it."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


COMMANDS = [export, audit_cmd, enrol]
