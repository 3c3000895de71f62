"""``vaultctl report --html OUT``: the exam period as one self-contained page.

The same verification as ``verify`` (the vault's checkpoints, ``--checkpoint``,
``--code``, ``--footage``), with a timeline collected on the way; the page is
built by :mod:`vaultctl.present.report`. ``audit --html`` comes here too, for one
section per bundle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from vaultctl.cli import read
from vaultctl.cli.common import Context, pass_context, verified
from vaultctl.core.errors import UsageError
from vaultctl.core.i18n import _
from vaultctl.present import report, report_audit
from vaultctl.verify.timeline import Timeline


@click.command("report")
@click.option(
    "--html",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this HTML file.",
)
@pass_context
def report_cmd(
    ctx: Context,
    out: Path,
    notes: tuple[Path, ...],
    codes: tuple[str, ...],
    footage_dir: Path | None,
) -> None:
    """Verify as 'verify' does and write the exam period as one HTML page.

    A timeline (shifts, who is on site, openings, stock, keys, CCTV, patrols,
    incidents) with the findings marked, the summary, the findings, the state
    at the end and the checkpoint codes; self-contained (nothing is fetched),
    prints on A4 with a signature block. The exit code is verify's.

    \b
    Example:
      vaultctl --vault /srv/vault report --html week.html
      vaultctl --lang zh report --html 报告.html --code "412:K7QM-2XPA-3RTB-5JCD-G"
    """
    timeline = Timeline()
    rep = verified(
        ctx, notes=notes, codes=codes, footage_dir=footage_dir, observe=timeline
    )
    # NOTE: the anchors verify_vault checked, as the verdict records them
    page = report.site_page(report.Site(rep, timeline, list(rep.anchors)), ctx.lang)
    write(out, page)
    click.echo(
        _("{out} · {entries} entries · {code}").format(
            out=out, entries=rep.entries, code=rep.code
        )
    )
    read.ctx_exit(rep.exit_code)


def write(out: Path, page: str) -> None:
    try:
        out.write_text(page, "utf-8")
    except OSError as e:
        raise UsageError(f"{out}: cannot write the report ({e.strerror})") from e


# NOTE: the very options of verify, so both take the same anchors
report_cmd.params += [
    p for p in read.verify_cmd.params if p.name in ("notes", "codes", "footage_dir")
]


def write_audit(
    out: Path, rows: list[dict[str, Any]], sections: dict[str, Any]
) -> None:
    """``audit --html``: the rows audit produced and the sections its workers
    drew from the same verification (a bundle that failed has none)."""
    lang = click.get_current_context().find_object(Context)
    code = lang.lang if lang else "en"
    write(out, report_audit.audit_page(rows, sections, code))
    click.echo(f"{out} · {len(rows)} bundle(s)", err=True)


COMMANDS = [report_cmd]
