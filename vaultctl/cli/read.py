"""Reading commands: ``log`` and ``verify``."""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from vaultctl import anchors, footage, genesis, parallel, render, rules, writer
from vaultctl import verify as verifying
from vaultctl.anchors import Anchor
from vaultctl.chain import Integrity
from vaultctl.cli.common import Context, json_option, load, parse_time, pass_context
from vaultctl.errors import CheckpointError, UsageError, VaultMissingError
from vaultctl.ledger import Vault
from vaultctl.model import Entry, parse_ts

PROGRESS_MIN_BYTES = 1 << 20


@click.command("log")
@click.option("--type", "types", multiple=True, metavar="T", help="Only this type.")
@click.option("--officer", default=None, metavar="ID", help="Only entries it signed.")
@click.option("--since", default=None, metavar="TIME", help="Not before this time.")
@click.option("--until", default=None, metavar="TIME", help="Not after this time.")
@json_option
@pass_context
def log_cmd(
    ctx: Context,
    types: tuple[str, ...],
    officer: str | None,
    since: str | None,
    until: str | None,
    as_json: bool,
) -> None:
    """List entries as a table, or as JSON Lines with --json.

    \b
    Example:
      vaultctl log --type issue --since "6/7 07:00" --until "6/7 12:00"
      vaultctl log --officer O-003 --json | jq .body
    """
    ctx.vault.require()
    entries = writer.read_entries(ctx.vault)  # NOTE: one pass; line 1 is the genesis
    first = next(entries, None)
    if first is None:
        raise VaultMissingError(f"{ctx.vault.ledger}: empty (run 'vaultctl init')")
    tz = genesis.zone(first.body["site"]["timezone"])
    lo = parse_ts(parse_time(since, tz, option="--since")) if since else None
    hi = parse_ts(parse_time(until, tz, option="--until")) if until else None

    def wanted(e: Entry) -> bool:
        return (
            (not types or e.type in types)
            and (officer is None or officer in e.signers)
            and (lo is None or e.moment >= lo)
            and (hi is None or e.moment <= hi)
        )

    selected: Iterator[Entry] = filter(wanted, itertools.chain([first], entries))
    if as_json:
        for entry in selected:
            click.echo(json.dumps(entry.to_dict(), ensure_ascii=False))
    else:
        click.echo(render.entries_table(list(selected), ctx.lang))


@click.command("verify")
@click.option(
    "--checkpoint",
    "notes",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A checkpoint note the log must extend (repeat).",
)
@click.option(
    "--code",
    "codes",
    multiple=True,
    metavar="SIZE:CODE",
    help="A short code phoned in earlier, e.g. 412:K7QM-2XPA-3RTB-5JCD.",
)
@click.option(
    "--footage",
    "footage_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Check the video files bound by 'cctv segment'.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Worker processes checking signatures (0: one per core).",
)
@json_option
@pass_context
def verify_cmd(
    ctx: Context,
    notes: tuple[Path, ...],
    codes: tuple[str, ...],
    footage_dir: Path | None,
    jobs: int,
    as_json: bool,
) -> None:
    """Prove the log intact and check the rules; the exit code says the result.

    Exit 0 clean (warnings allowed), 1 compliance findings, 2 usage error,
    3 integrity failure (including a log that does not extend a checkpoint or
    code), 4 cannot read the vault. The checkpoints stored in the vault are
    always checked too.

    \b
    Example:
      vaultctl --vault /srv/vault verify
      vaultctl verify --code "412:K7QM-2XPA-3RTB-5JCD" --checkpoint centre/412.note
      vaultctl verify --json --footage /srv/footage > report.json; echo $?
      vaultctl verify --jobs 0          # signatures checked on every core
    """
    vault = ctx.vault
    vault.require()
    stored, unreadable = _stored_anchors(vault)
    wanted = [*stored, *_given_anchors(notes, codes)]
    size = vault.size()
    jobs = jobs or parallel.default_jobs()
    if sys.stderr.isatty() and size >= PROGRESS_MIN_BYTES:
        with click.progressbar(length=size, label="verifying", file=sys.stderr) as bar:
            rep = verifying.run(
                vault.lines(), progress=bar.update, anchors=wanted, jobs=jobs
            )
    else:
        rep = verifying.run(vault.lines(), anchors=wanted, jobs=jobs)
    rep.integrity += unreadable
    if footage_dir is not None:
        level = rules.levels_in_force(rep.state.policy)["FOOTAGE"]
        rep.findings += list(
            footage.check(
                rep.state.segments, footage_dir, "error" if level == "off" else level
            )
        )
    if as_json:
        # NOTE: written as it is encoded, never held as one string
        for piece in JSON_OUT.iterencode(rep.to_dict()):
            sys.stdout.write(piece)
        sys.stdout.write("\n")
    else:
        click.echo(render.report(rep, ctx.lang))
    ctx_exit(rep.exit_code)


JSON_OUT = json.JSONEncoder(ensure_ascii=False, indent=1)


def _read_note(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot read the checkpoint ({e})") from e


def _stored_anchors(vault: Vault) -> tuple[list[Anchor], list[Integrity]]:
    """The vault's own checkpoints; one that cannot be read is itself a finding."""
    found, broken = [], []
    for path in vault.checkpoint_files():
        try:
            found.append(
                anchors.from_note(_read_note(path), f"checkpoints/{path.name}")
            )
        except (CheckpointError, UsageError) as e:
            broken.append(
                Integrity(
                    line=0,
                    seq=None,
                    code="checkpoint-mismatch",
                    message=f"checkpoints/{path.name}: {e}",
                )
            )
    return found, broken


def _given_anchors(notes: Sequence[Path], codes: Sequence[str]) -> list[Anchor]:
    try:
        return [anchors.from_note(_read_note(p), str(p)) for p in notes] + [
            anchors.from_code(c) for c in codes
        ]
    except CheckpointError as e:
        raise UsageError(str(e)) from e


def ctx_exit(code: int) -> None:
    click.get_current_context().exit(code)


COMMANDS = [log_cmd, verify_cmd]


@click.command("status")
@json_option
@pass_context
def status(ctx: Context, as_json: bool) -> None:
    """Stock, key holders, who is on duty and on site, incidents, CCTV, log head.

    \b
    Example:
      vaultctl status
      vaultctl status --json | jq .stock
    """
    state = load(ctx).state
    summary = state.summary()
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=1))
        return
    head = [
        ("site", f"{state.site['id']} {state.site['name']}"),
        ("last entry", f"#{state.seq} {summary['last_ts']}"),
        ("head", summary["head"]),
    ]
    click.echo(
        render.pairs(head, ctx.lang) + "\n\n" + render.state_tables(summary, ctx.lang)
    )


@click.command("rules")
@json_option
@pass_context
def rules_cmd(ctx: Context, as_json: bool) -> None:
    """Every rule with its clause, parameters and the level in force.

    Levels and parameters come from the vault's genesis policy; with no vault
    here, the defaults are shown.

    \b
    Example:
      vaultctl rules
      vaultctl --vault /srv/vault rules --json
    """
    policy: dict[str, Any] = {"params": {}, "levels": {}}
    if ctx.vault.ledger.is_file() and not ctx.vault.is_empty():
        policy = load(ctx).state.policy
    levels = rules.levels_in_force(policy)
    if as_json:
        out = [
            {
                "id": rid,
                "title": cls.title,
                "title_zh": cls.title_zh,
                "clause": cls.clause,
                "level": levels[rid],
                "params": rules.params_in_force(cls, policy),
                "checks": " ".join((cls.__doc__ or "").split()),
            }
            for rid, cls in sorted(rules.REGISTRY.items())
        ]
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        click.echo(render.rules_table(levels, policy, ctx.lang))


COMMANDS += [status, rules_cmd]
