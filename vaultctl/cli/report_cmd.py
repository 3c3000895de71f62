"""``vaultctl report --html OUT``: the exam period as one self-contained page.

The same verification as ``verify`` (the vault's checkpoints, ``--checkpoint``,
``--code``, ``--footage``), with a timeline collected on the way; the page is
built by :mod:`vaultctl.report`. ``audit --html`` comes here too, for one
section per bundle.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import click

from vaultctl import audit, bundle, check, report, report_audit, verify
from vaultctl.cli import read
from vaultctl.cli.common import Context, pass_context, verified
from vaultctl.errors import UsageError, VaultError
from vaultctl.timeline import Timeline


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
    # NOTE: the same anchors verify_vault checked, again, for their codes
    used = [*check.stored_anchors(ctx.vault)[0], *check.given_anchors(notes, codes)]
    page = report.site_page(report.Site(rep, timeline, used), ctx.lang)
    write(out, page)
    click.echo(f"{out} · {rep.entries} entries · {rep.code}")
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


def _section(job: tuple[Path, str, str]) -> report_audit.SiteSection | None:
    """Verify one bundle as ``audit`` does, and render its section."""
    path, anchor, lang = job
    try:
        b = bundle.read(path)
        # NOTE: the bundle's own notes; the manifest is not trusted (audit's
        # row has the verdict against the centre's records)
        wanted, _ = audit.own_notes(b)
        timeline = Timeline()
        per_day: Counter[str] = Counter()
        lines = _counted(b.lines(), per_day)
        rep = verify.run(lines, anchors=wanted, observe=timeline)
    except (VaultError, KeyError, IndexError, TypeError, ValueError):
        return None  # NOTE: audit's row already says why
    site = report.Site(rep, timeline, wanted)
    return report_audit.audit_section(site, path.name, anchor, lang, per_day)


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


def write_audit(
    out: Path, paths: list[Path], rows: list[dict[str, Any]], jobs: int
) -> None:
    """``audit --html``: the rows audit produced, plus one section per bundle."""
    lang = click.get_current_context().find_object(Context)
    code = lang.lang if lang else "en"
    work = [(p, f"site-{i}", code) for i, p in enumerate(paths)]
    if jobs > 1 and len(work) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            found = list(pool.map(_section, work, chunksize=1))
    else:
        found = [_section(w) for w in work]
    sections = {s.file: s for s in found if s is not None}
    write(out, report_audit.audit_page(rows, sections, code))
    click.echo(f"{out} · {len(rows)} bundle(s)", err=True)


COMMANDS = [report_cmd]
