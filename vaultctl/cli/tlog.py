"""Checkpoints and proofs: ``checkpoint``, ``prove``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from vaultctl import centre
from vaultctl.centre import bundle
from vaultctl.cli.common import (
    Context,
    blocking,
    check_signer_ids,
    need,
    pass_context,
    unlock,
    verified,
)
from vaultctl.core import keys
from vaultctl.core.errors import ProofError, RefusedError, UsageError
from vaultctl.core.i18n import _
from vaultctl.present import render
from vaultctl.store import check, writer
from vaultctl.store.ledger import Vault
from vaultctl.tlog import anchors
from vaultctl.verify import proofs


@click.command("checkpoint")
@click.option(
    "--signer",
    "signers",
    multiple=True,
    required=True,
    metavar="ID",
    help="An officer who co-signs the head (at least two).",
)
@pass_context
def checkpoint_cmd(ctx: Context, signers: tuple[str, ...]) -> None:
    """Co-sign the head of the log and print the short code to phone in.

    Writes a C2SP signed note (origin, tree size, Merkle root) into checkpoints/.

    \b
    Example:
      vaultctl checkpoint --signer O-003 --signer O-005
    """
    # NOTE: verified with every anchor the vault holds, before any passphrase;
    # the note signs exactly the head verified
    report = verified(ctx)
    failing = blocking(report)
    if failing:
        first = failing[0]
        raise RefusedError(
            _(
                "refused: the log fails verification ({n} finding(s); first: "
                "line {line} {code}); run 'vaultctl verify'"
            ).format(n=len(failing), line=first.line, code=first.code)
        )
    state = report.state
    check_signer_ids(state, signers)
    unlocked = unlock(ctx.key_dir, state, signers)
    path, code = writer.sign_checkpoint(
        ctx.vault, state, unlocked, report.entries, report.root
    )
    click.echo(f"{path}\n{code}")


@click.command("prove")
@click.argument("seq", type=int, required=False)
@click.option(
    "--check",
    "proof_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Check a proof file offline instead.",
)
@click.option(
    "--bundle",
    "bundle_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="With --check: the site's audit bundle (replayed to the note's size).",
)
@click.option(
    "--roster",
    "roster_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="With --check: only a roster.json (signers must be in force at its end).",
)
@click.option("--genesis", default=None, help="With --check: the pinned genesis hash.")
@click.option(
    "--pins",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="With --check: the centre's pins file (site,genesis).",
)
@pass_context
def prove(
    ctx: Context,
    seq: int | None,
    proof_file: Path | None,
    bundle_file: Path | None,
    roster_file: Path | None,
    genesis: str | None,
    pins: Path | None,
) -> None:
    """Print an inclusion proof of entry SEQ against the latest checkpoint, or
    check one offline with --check: the line, the audit path, the checkpoint's
    root, and its signatures by two officers whose keys were in force at the
    checkpoint's size, replaying the vault here or --bundle. With --genesis or
    --pins the log must also be the pinned one. --roster alone (a bundle's
    roster.json) accepts only signers still active, keys unrevoked, at its end.

    \b
    Example:
      vaultctl prove 41 > proof-41.json
      vaultctl prove --check proof-41.json --bundle S-330106-07.vaultctl.tar.gz \\
          --pins pins.csv
    """
    if proof_file is None:
        need(seq is not None, _("give SEQ, or --check FILE"))
        assert seq is not None  # noqa: S101 - for mypy
        click.echo(render.json_text(_make(ctx.vault, seq)))
        return
    doc = _read_json(proof_file, "a proof")
    if not isinstance(doc, dict):
        raise ProofError(
            _("{proof_file}: not a proof document").format(proof_file=proof_file)
        )
    pinned = genesis or (_pin_of(doc, pins) if pins else None)
    if bundle_file is not None:
        lines = bundle.read(bundle_file).lines()
    elif roster_file is not None:
        if pinned is not None:
            raise UsageError(_("a pinned genesis needs --bundle (or the vault)"))
        public = _roster_keys(_read_json(roster_file, "a roster"))
        said = proofs.check(doc, public)
        click.echo(
            render.safe(
                _("{value} (keys in force at the roster's end)").format(value=said)
            )
        )
        return
    elif ctx.vault.ledger.is_file() and not ctx.vault.is_empty():
        lines = ctx.vault.lines()
    else:
        raise ProofError(
            _(
                "cannot check the checkpoint's signatures without public "
                "keys: run it in the site's vault or give --bundle FILE"
            )
        )
    click.echo(render.safe(proofs.check_with_log(doc, lines, pinned)))


def _pin_of(doc: dict[str, Any], pins: Path) -> str:
    origin = str(anchors.from_note(str(doc.get("checkpoint")), "proof").origin)
    site = origin.split("/")[1] if origin.count("/") == 2 else ""
    pinned = centre.load_pins(pins).get(site)
    if pinned is None:
        raise ProofError(
            _("site {site!r} is not in {pins}").format(site=site, pins=pins)
        )
    return pinned


def _make(vault: Vault, seq: int) -> dict[str, Any]:
    vault.require()
    notes = vault.checkpoint_files()
    if not notes:
        raise ProofError(_("no checkpoint yet: run 'vaultctl checkpoint' first"))
    leaves = (raw for raw, complete in vault.lines() if complete)
    return proofs.make(leaves, seq, check.read_note(notes[-1]))


def _read_json(path: Path, what: str) -> Any:
    try:
        # NOTE: bytes, decoded strictly (no newline translation)
        return json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError) as e:
        raise ProofError(
            _("{path}: cannot read {what} ({name})").format(
                path=path, what=what, name=type(e).__name__
            )
        ) from e


def _roster_keys(roster: Any) -> dict[str, list[bytes]]:
    """Keys in force at the end of a bundle's roster.json: active officers'
    unrevoked keys (``[{id, active, keys: [{public_key, revoked}]}]``)."""
    try:
        return {
            o["id"]: [
                keys.parse_public_key(k["public_key"])
                for k in o["keys"]
                if k["revoked"] is False
            ]
            for o in roster
            if o["active"] is True
        }
    except (KeyError, TypeError, UsageError) as e:
        raise ProofError(_("not a roster with public keys ({e})").format(e=e)) from e


COMMANDS = [checkpoint_cmd, prove]
