"""``vaultctl repair``: move a torn last line aside, never delete it."""

from __future__ import annotations

import click

from vaultctl.cli.common import Context, pass_context


@click.command("repair")
@click.option("--yes", is_flag=True, help="Do not ask before moving the bytes.")
@pass_context
def repair(ctx: Context, yes: bool) -> None:
    """Move the bytes of an interrupted append into torn/<UTC time>.bin.

    Shows the bytes first and asks; with nothing to repair it says so.

    \b
    Example:
      vaultctl --vault /srv/vault repair
      vaultctl repair --yes
    """
    vault = ctx.vault
    vault.require()
    with vault.locked():
        torn = vault.tail().torn
        if not torn:
            click.echo("nothing to repair: the ledger ends with a complete line")
            return
        click.echo(f"{len(torn)} bytes after the last complete line:", err=True)
        click.echo(repr(torn[:300]) + (" …" if len(torn) > 300 else ""), err=True)
        if not yes:
            click.confirm(f"move them to {vault.torn_dir}/?", abort=True, err=True)
        target = vault.move_torn(torn)
    click.echo(f"moved {len(torn)} bytes to {target}")


COMMANDS = [repair]
