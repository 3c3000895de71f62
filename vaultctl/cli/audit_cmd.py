"""For the exam centre: ``export`` a site's bundle, ``audit`` a folder of them."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from vaultctl import audit, bundle, centre, check, render, verify
from vaultctl.cli.common import Context, json_option, pass_context
from vaultctl.errors import UsageError

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
        raise UsageError(f"{str(out)!r}: give a file name for the bundle")
    if not out.name.endswith(bundle.SUFFIX):
        out = out.with_name(out.name + bundle.SUFFIX)
    if out.exists():
        raise UsageError(f"{out}: already exists, not overwritten")
    if not out.parent.is_dir():
        raise UsageError(f"{out.parent}: no such folder")
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
    )
    click.echo(f"{out}\n{rep.entries} entries · {rep.code}")
    if rep.integrity:
        click.echo(
            f"warning: the log fails integrity ({len(rep.integrity)} "
            "finding(s)); exported as it is",
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
) -> None:
    """Verify every *.vaultctl.tar.gz bundle in FOLDER against what the centre
    holds (pins, phoned-in codes, kept checkpoints, last audit's bundles), each
    in its own process, offline. The bundle's manifest is never trusted.

    Exit 0 when every bundle is clean, 1 when some have findings or a relaxed
    policy, 3 when any fails integrity, is missing, unreadable or failed,
    2 for a malformed pins or codes file, 4 for a folder with no bundle.

    \b
    Example:
      vaultctl audit /srv/bundles/2026-06 --pins pins.csv --codes codes.csv \\
          --checkpoints /srv/centre/notes --previous /srv/bundles/2026-05
      vaultctl audit /srv/bundles/2026-06 --csv > audit.csv
    """
    paths = audit.bundles_in(folder)
    records = centre.load(pins, codes, checkpoints, previous)
    limits = audit.Limits(max_memory=max_memory, timeout=timeout)
    workers = jobs or os.cpu_count() or 1
    if sys.stderr.isatty() and not (as_json or as_csv):
        with click.progressbar(
            length=len(paths), label="auditing", file=sys.stderr
        ) as bar:
            rows = list(
                audit.run(paths, workers, lambda: bar.update(1), records, limits)
            )
    else:
        rows = list(audit.run(paths, workers, None, records, limits))
    rows += audit.missing_rows(records, rows)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    elif as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(audit.COLUMNS)
        writer.writerows([_cell(r[c]) for c in audit.COLUMNS] for r in rows)
    else:
        _table(rows)
    worst = max((r["exit"] for r in rows), default=0)
    click.get_current_context().exit(verify.EXIT_INTEGRITY if worst >= 3 else worst)


TABLE = ("file", "site", "entries", "status", "exit", "integrity", "findings")


def _table(rows: list[dict[str, Any]]) -> None:
    color = sys.stdout.isatty()
    body = []
    for r in rows:
        policy = [f"{x} off" for x in r["rules_off"]]
        policy += [f"{x} warn" for x in r["rules_warn"]] + r["relaxed"]
        cells = [_cell(r[c]) for c in TABLE]
        cells += [_cell(r["warnings"]), _cell(policy), str(r["anchors"]), r["code"]]
        if color and r["exit"] >= 3:
            cells = [click.style(c, fg="red") for c in cells]
        body.append(cells)
    click.echo(render.table(body, [*TABLE, "warnings", "policy", "anchors", "code"]))
    for r in rows:
        for p in r["problems"]:
            click.echo(f"{r['file'] or r['site']}: {p}")
    bad = sum(r["exit"] >= 3 for r in rows)
    click.echo(
        f"\n{len(rows)} bundle(s): {sum(r['exit'] == 0 for r in rows)} clean, "
        f"{sum(r['exit'] == 1 for r in rows)} with findings or a relaxed policy, "
        f"{bad} failing integrity, missing or unreadable"
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
    site, genesis = centre.genesis_of(bundle.read(path).members["ledger.jsonl"])
    if not site or not genesis:
        raise UsageError(f"{path}: the first ledger line is not a genesis entry")
    if header:
        click.echo("site,genesis")
    click.echo(f"{site},{genesis}")


COMMANDS = [export, audit_cmd, enrol]
