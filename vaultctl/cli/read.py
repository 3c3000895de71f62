"""Reading commands: ``log`` and ``verify``."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from vaultctl import rules
from vaultctl.cli.common import (
    Context,
    failed_banner,
    json_option,
    owed_lines,
    parse_time,
    pass_context,
    require_genesis,
    verified,
)
from vaultctl.core import canonical, i18n
from vaultctl.core.errors import VaultError
from vaultctl.core.i18n import N_, _
from vaultctl.core.model import Entry, parse_ts
from vaultctl.core.schema import ENTRY_TYPES
from vaultctl.present import render
from vaultctl.rules.papers import inspect_command
from vaultctl.rules.watch import footage_kept_until
from vaultctl.store.ledger import MAX_LINE
from vaultctl.verify import parallel


def _bound(text: str | None, tz: ZoneInfo, option: str) -> datetime | None:
    if text is None:
        return None
    return parse_ts(parse_time(text, tz, option=option, date_ok=True))


@click.command("log")
@click.option(
    "--type",
    "types",
    multiple=True,
    type=click.Choice(ENTRY_TYPES),
    metavar="TYPE",
    help="Only this type (repeatable): " + ", ".join(ENTRY_TYPES) + ".",
)
@click.option("--officer", default=None, metavar="ID", help="Only entries it signed.")
@click.option(
    "--since",
    default=None,
    metavar="TIME",
    help="Not before this time (forms as --at; a date alone: its start).",
)
@click.option(
    "--until",
    default=None,
    metavar="TIME",
    help="Not after this time (forms as --at; a date alone: its start).",
)
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
    # NOTE: the one read of the ledger: the verifier lists each line it parsed
    parsed: list[tuple[int, Entry]] = []
    rep = verified(ctx, listing=lambda number, e: parsed.append((number, e)))
    require_genesis(ctx, rep)
    banner = failed_banner(rep)
    if banner:
        click.echo(banner, err=as_json)
    tz = rep.state.tz
    assert tz is not None  # noqa: S101 - a genesis sets it
    lo = _bound(since, tz, "--since")
    hi = _bound(until, tz, "--until")
    bad = {f.line for f in rep.integrity}

    def wanted(e: Entry) -> bool:
        return (
            (not types or e.type in types)
            and (officer is None or officer in e.signers)
            and (lo is None or e.moment >= lo)
            and (hi is None or e.moment <= hi)
        )

    selected = [(number, e) for number, e in parsed if wanted(e)]
    if as_json:
        for _, entry in selected:
            click.echo(render.json_line(entry.to_dict()))
    else:
        marked = [(number in bad, e) for number, e in selected]
        click.echo(render.entries_table(marked, ctx.lang))


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
    help="A short code phoned in earlier, e.g. 412:K7QM-2XPA-3RTB-5JCD-G.",
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
      vaultctl verify --code "412:K7QM-2XPA-3RTB-5JCD-G" --checkpoint centre/412.note
      vaultctl verify --json --footage /srv/footage > report.json; echo $?
      vaultctl verify --jobs 0          # signatures checked on every core
    """
    rep = verified(
        ctx,
        notes=notes,
        codes=codes,
        footage_dir=footage_dir,
        jobs=jobs or parallel.default_jobs(),
    )
    if as_json:
        doc = rep.to_dict()
        for item in doc["integrity"]:  # NOTE: like findings: message stays English
            item["message_zh"] = i18n.integrity_message(
                item["code"], item["message"], "zh"
            )
        # NOTE: written as it is encoded, never held as one string
        for piece in render.json_chunks(doc):
            sys.stdout.write(piece)
        sys.stdout.write("\n")
    else:
        click.echo(render.report(rep, ctx.lang))
    ctx_exit(rep.exit_code)


def ctx_exit(code: int) -> None:
    click.get_current_context().exit(code)


COMMANDS = [log_cmd, verify_cmd]


def _owed_json(o: rules.Owed) -> dict[str, Any]:
    return {
        "rule": o.rule,
        "seq": o.seq,
        "due": o.due.isoformat() if o.due else None,
        "action": o.action,
        "kind": o.kind or None,
        "refs": list(o.refs),
        "camera": o.camera or None,
        "message": o.message,
        "message_zh": o.message_zh,
    }


def setup_steps(state: Any) -> list[tuple[str, str, str]]:
    """Before the first papers arrive: what is still to be done, in the order
    of the first day (inspection, key custody, cameras, the first shift),
    each as (English, in the run's language, the command that does it)."""
    if state.packets or state.closed:
        return []
    steps: list[tuple[str, str, str]] = []

    def step(template: str, command: str, **params: str) -> None:
        en = template.format(**params)
        steps.append((en, _(template).format(**params), command))

    for room in state.rooms:
        result = state.inspections.get(room, ("none",))[0]
        if result != "pass":
            step(
                N_("joint inspection of {room}"),
                inspect_command(room),
                room=room,
            )
    for item, holder in sorted(state.holders.items()):
        if holder is None:
            step(
                N_("a holder for {item}"),
                f"vaultctl custody assign --item {item} --to <OFFICER> "
                "--signer <OFFICER> --signer <ROOM HEAD>",
                item=item,
            )
    for camera, st in sorted(state.cameras.items()):
        if st != "on":
            step(
                N_("{camera} recording"),
                f"vaultctl cctv on --camera {camera} --signer <OFFICER> "
                "--signer <OFFICER>",
                camera=camera,
            )
    if state.shift is None:
        step(
            N_("the first shift on duty"),
            "vaultctl shift start --leader <LEADER> --member <MEMBER> "
            "--member <SECURITY> --signer <LEADER> --signer <MEMBER>",
        )
    return steps


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
    rep = verified(ctx)
    require_genesis(ctx, rep)
    state = rep.state
    assert state.tz is not None  # noqa: S101 - a genesis sets it
    summary = state.summary()
    banner = failed_banner(rep)
    steps = setup_steps(state)
    if as_json:
        summary = {"owed": [_owed_json(o) for o in rep.owed], **summary}
        summary["setup"] = [{"step": en, "command": cmd} for en, _l, cmd in steps]
        summary["verified"] = not rep.integrity
        summary["keep_footage_until"] = str(footage_kept_until(state))
        summary["integrity"] = [f.to_dict() for f in rep.integrity]
        click.echo(render.json_text(summary))
        return
    if banner:
        click.echo(banner + "\n")
    if steps:
        click.echo(_("Still to do before papers can arrive:"))
        for _en, what, cmd in steps:
            click.echo(render.safe(f"  {what}"))
            click.echo(render.safe(f"    {cmd}"))
        click.echo()
    if rep.owed:
        click.echo(_("Owed now (earliest first):"))
        for line in owed_lines(rep.owed, state.tz):
            click.echo("  " + line)
        click.echo()
    head = [
        ("site", f"{state.site['id']} {state.site['name']}"),
        ("last entry", f"#{state.seq} {summary['last_ts']}"),
        ("head", summary["head"]),
        ("keep footage until", str(footage_kept_until(state))),
    ]
    click.echo(
        render.pairs(head, ctx.lang) + "\n\n" + render.state_tables(summary, ctx.lang)
    )


def genesis_policy(vault: Any) -> dict[str, Any]:
    """The policy the vault's genesis declares; the defaults if there is none
    or it cannot be read."""
    default: dict[str, Any] = {"params": {}, "levels": {}}
    try:
        with vault.ledger.open("rb") as f:
            first = f.readline(MAX_LINE)
        entry = canonical.parse(first.rstrip(b"\n"))
        policy = entry["body"]["policy"]
        rules.validate_policy(policy)
    except (OSError, VaultError, KeyError, TypeError):
        return default
    return dict(policy)


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
    # NOTE: a listing, not a judgement: the policy of the genesis line, read
    # as it is (a rolled-back or damaged log still has its rules listed;
    # verify says what is wrong with it)
    policy = genesis_policy(ctx.vault)
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
