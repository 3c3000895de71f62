"""For the exam centre: ``export`` a site's bundle, ``audit`` a folder of them."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from vaultctl import audit, bundle, check, render, verify
from vaultctl.cli.common import Context, json_option, pass_context
from vaultctl.errors import UsageError


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
    summary = {
        "site": state.site.get("id"),
        "log": rep.log,
        "entries": rep.entries,
        "head": rep.head,
        "code": rep.code,
        "verify_exit": rep.exit_code,
    }
    bundle.write(
        vault,
        out,
        [o.public() for o in state.roster.officers.values()],
        summary,
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
    return str(value)


@click.command("audit")
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all cores).",
)
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout.")
@pass_context
def audit_cmd(
    ctx: Context, folder: Path, jobs: int | None, as_json: bool, as_csv: bool
) -> None:
    """Verify every *.vaultctl.tar.gz bundle in FOLDER, in parallel, offline.

    Exit 0 when every bundle is clean, 1 when some have compliance findings,
    3 when any fails integrity or cannot be read.

    \b
    Example:
      vaultctl audit /srv/bundles/2026-06 --jobs 8
      vaultctl audit /srv/bundles/2026-06 --csv > audit.csv
    """
    paths = audit.bundles_in(folder)
    if not paths:
        raise UsageError(f"{folder}: no *{bundle.SUFFIX} bundles")
    workers = jobs or os.cpu_count() or 1
    if sys.stderr.isatty() and not (as_json or as_csv):
        with click.progressbar(
            length=len(paths), label="auditing", file=sys.stderr
        ) as bar:
            rows = list(audit.run(paths, workers, lambda: bar.update(1)))
    else:
        rows = list(audit.run(paths, workers))
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


def _table(rows: list[dict[str, Any]]) -> None:
    color = sys.stdout.isatty()
    body = []
    for r in rows:
        cells = [_cell(r[c]) for c in audit.COLUMNS]
        if color and r["exit"] >= 3:
            cells = [click.style(c, fg="red") for c in cells]
        body.append(cells)
    click.echo(render.table(body, audit.COLUMNS))
    bad = sum(r["exit"] >= 3 for r in rows)
    click.echo(
        f"\n{len(rows)} bundle(s): {sum(r['exit'] == 0 for r in rows)} clean, "
        f"{sum(r['exit'] == 1 for r in rows)} with findings, {bad} failing "
        "integrity or unreadable"
    )


COMMANDS = [export, audit_cmd]
