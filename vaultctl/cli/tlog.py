"""Checkpoints and proofs: ``checkpoint``, ``prove``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import click

from vaultctl import checkpoint, merkle, proofs, shortcode, verify, writer
from vaultctl.cli.common import (
    Context,
    check_signer_ids,
    load,
    pass_context,
    unlock,
)
from vaultctl.errors import ProofError, RefusedError, UsageError
from vaultctl.ledger import Vault
from vaultctl.state import State


def write_checkpoint(
    vault: Vault, state: State, signers: Sequence[writer.Signer], check: bool = True
) -> tuple[Path, str]:
    """Sign the current head as a C2SP checkpoint note and store it."""
    if check:
        report = verify.run(vault.lines())
        if report.integrity:
            raise RefusedError(
                f"refused: the log fails integrity ({len(report.integrity)}"
                " finding(s)); run 'vaultctl verify'"
            )
        size, root = report.entries, report.root
    else:
        tree = merkle.TreeBuilder()
        for raw, complete in vault.lines():
            if complete:
                tree.append(raw)
        size, root = tree.size, tree.root()
    origin = checkpoint.make_origin(state.site["id"], state.log or "")
    text = checkpoint.Checkpoint(origin=origin, size=size, root=root).note_text()
    note = checkpoint.sign_note(text, [(s.officer_id, s.private) for s in signers])
    return vault.write_checkpoint(size, note), shortcode.short_code(size, root)


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
    state = load(ctx).state
    check_signer_ids(state, signers)
    path, code = write_checkpoint(ctx.vault, state, unlock(ctx.key_dir, state, signers))
    click.echo(f"{path}\n{code}")


def known_keys(state: State) -> dict[str, list[bytes]]:
    return {
        o.id: [k.raw for k in o.keys.values()] for o in state.roster.officers.values()
    }


@click.command("prove")
@click.argument("seq", type=int, required=False)
@click.option(
    "--check",
    "proof_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Check a proof file offline instead.",
)
@pass_context
def prove(ctx: Context, seq: int | None, proof_file: Path | None) -> None:
    """Print an inclusion proof of entry SEQ against the latest checkpoint,
    or check one with --check (offline; with a vault here, its roster's keys
    also check the checkpoint's signatures).

    \b
    Example:
      vaultctl prove 41 > proof-41.json
      vaultctl --vault /audit/S-330106-07 prove --check proof-41.json
    """
    if proof_file is not None:
        try:
            doc = json.loads(proof_file.read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise ProofError(f"{proof_file}: cannot read a proof ({e})") from e
        have_vault = ctx.vault.ledger.is_file() and not ctx.vault.is_empty()
        keys = known_keys(load(ctx).state) if have_vault else None
        click.echo(proofs.check(doc, keys))
        return
    if seq is None:
        raise UsageError("give SEQ, or --check FILE")
    ctx.vault.require()
    notes = ctx.vault.checkpoint_files()
    if not notes:
        raise ProofError("no checkpoint yet: run 'vaultctl checkpoint' first")
    leaves = (raw for raw, complete in ctx.vault.lines() if complete)
    doc = proofs.make(leaves, seq, notes[-1].read_text("utf-8"))
    click.echo(json.dumps(doc, ensure_ascii=False, indent=1))


COMMANDS = [checkpoint_cmd, prove]
