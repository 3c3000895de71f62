"""Writing commands: ``init``, ``note``, ``amend`` (one entry each)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from vaultctl.cli.common import (
    Context,
    Signing,
    check_signer_ids,
    load,
    need,
    nonempty,
    pass_context,
    record,
    signing_options,
)
from vaultctl.core.errors import RefusedError
from vaultctl.core.i18n import _
from vaultctl.core.roster import Roster
from vaultctl.rules import Engine
from vaultctl.rules.state import State
from vaultctl.store import config


@click.command("init")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The site.toml describing site, roster, rooms and schedule.",
)
@signing_options
@pass_context
def init(
    ctx: Context,
    config_path: Path,
    sign: Signing,
) -> None:
    """Create the vault and write its genesis entry from site.toml.

    Signed by the site head and the room head. Creates the vault directory if
    missing; refuses a vault whose ledger is not empty, and a site whose room
    two people cannot keep apart (one door key, a cabinet with one lock)
    unless --force.

    \b
    Example:
      vaultctl --vault /srv/vault init --config site.toml \\
          --signer O-001 --signer O-002
    """
    vault = ctx.vault
    if not vault.is_empty():
        raise RefusedError(
            _("{ledger}: the ledger is not empty; init refused").format(
                ledger=vault.ledger
            )
        )
    body = config.load(config_path)
    state = State()
    state.roster = Roster(body["officers"], bool(body["site"].get("demo", False)))
    state.tz = config.zone(body["site"]["timezone"], "site.timezone")
    check_signer_ids(state, sign.signers)
    # NOTE: who signs and whether the room allows two-person control are
    # SITE-SETUP's to judge (refused unless --force; verify reports it)
    vault.path.mkdir(parents=True, exist_ok=True)
    engine = Engine(datetime.now().astimezone())
    engine.state = state
    record(ctx, "genesis", body, sign, engine=engine)


@click.command("note")
@click.option(
    "--text",
    required=True,
    callback=nonempty,
    help="The remark, as it would go in the duty record.",
)
@signing_options
@pass_context
def note_cmd(
    ctx: Context,
    text: str,
    sign: Signing,
) -> None:
    """Add a remark to the duty record (what was seen, done or refused).

    \b
    Example:
      vaultctl note --text "22:00 巡查门锁完好" --signer O-003 --signer O-004
    """
    record(ctx, "note", {"text": text}, sign)


@click.command("amend")
@click.option("--seq", type=int, required=True, help="The seq of the entry corrected.")
@click.option("--text", required=True, callback=nonempty, help="The corrected facts.")
@signing_options
@pass_context
def amend(
    ctx: Context,
    seq: int,
    text: str,
    sign: Signing,
) -> None:
    """Correct an earlier entry (entries are never edited; this adds one).

    \b
    Example:
      vaultctl amend --seq 17 --text "封条号应为 A-0042" --signer O-003 --signer O-004
    """
    engine = load(ctx)
    need(
        0 <= seq <= engine.state.seq,
        _("--seq {seq}: no such entry (the last is {seq2})").format(
            seq=seq, seq2=engine.state.seq
        ),
    )
    record(ctx, "amend", {"seq": seq, "text": text}, sign, engine)


COMMANDS = [init, note_cmd, amend]
