"""Checkpoints and proofs: ``checkpoint``, ``prove``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from vaultctl import checkpoint, keys, proofs, writer
from vaultctl.cli.common import (
    Context,
    blocking,
    check_signer_ids,
    load,
    need,
    pass_context,
    unlock,
    verified,
)
from vaultctl.errors import ProofError, RefusedError, UsageError
from vaultctl.ledger import Vault
from vaultctl.state import State


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
            f"refused: the log fails verification ({len(failing)} "
            f"finding(s); first: line {first.line} {first.code}); "
            "run 'vaultctl verify'"
        )
    state = report.state
    check_signer_ids(state, signers)
    unlocked = unlock(ctx.key_dir, state, signers)
    path, code = writer.sign_checkpoint(
        ctx.vault, state, unlocked, report.entries, report.root
    )
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
@click.option(
    "--roster",
    "roster_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="With --check: the public roster (roster.json of a bundle).",
)
@pass_context
def prove(
    ctx: Context, seq: int | None, proof_file: Path | None, roster_file: Path | None
) -> None:
    """Print an inclusion proof of entry SEQ against the latest checkpoint, or
    check one offline with --check: the line, the audit path, the checkpoint's
    root, and its signatures by the public keys of the vault here or of
    --roster (the roster.json of an audit bundle).

    \b
    Example:
      vaultctl prove 41 > proof-41.json
      vaultctl prove --check proof-41.json --roster bundle/roster.json
    """
    if proof_file is None:
        need(seq is not None, "give SEQ, or --check FILE")
        assert seq is not None  # noqa: S101 - for mypy
        click.echo(json.dumps(_make(ctx.vault, seq), ensure_ascii=False, indent=1))
        return
    doc = _read_json(proof_file, "a proof")
    if not isinstance(doc, dict):
        raise ProofError(f"{proof_file}: not a proof document")
    if roster_file is not None:
        public, origin = _roster_keys(_read_json(roster_file, "a roster")), None
    elif ctx.vault.ledger.is_file() and not ctx.vault.is_empty():
        state = load(ctx).state
        public = known_keys(state)
        origin = checkpoint.make_origin(state.site["id"], state.log or "")
    else:
        raise ProofError(
            "cannot check the checkpoint's signatures without public "
            "keys: run it in the site's vault or give --roster FILE"
        )
    if origin is not None and doc.get("origin") != origin:
        raise ProofError(
            f"the proof is for {doc.get('origin')}, not this vault ({origin})"
        )
    click.echo(proofs.check(doc, public))


def _make(vault: Vault, seq: int) -> dict[str, Any]:
    vault.require()
    notes = vault.checkpoint_files()
    if not notes:
        raise ProofError("no checkpoint yet: run 'vaultctl checkpoint' first")
    leaves = (raw for raw, complete in vault.lines() if complete)
    return proofs.make(leaves, seq, notes[-1].read_text("utf-8"))


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError, RecursionError) as e:
        raise ProofError(f"{path}: cannot read {what} ({type(e).__name__})") from e


def _roster_keys(roster: Any) -> dict[str, list[bytes]]:
    """Public keys from a bundle's roster.json: ``[{id, keys: [{public_key}]}]``."""
    try:
        return {
            o["id"]: [keys.parse_public_key(k["public_key"]) for k in o["keys"]]
            for o in roster
        }
    except (KeyError, TypeError, UsageError) as e:
        raise ProofError(f"not a roster with public keys ({e})") from e


COMMANDS = [checkpoint_cmd, prove]
