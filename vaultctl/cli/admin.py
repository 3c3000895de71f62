"""``vaultctl repair``: move a torn last line aside, never delete it."""

from __future__ import annotations

import click

from vaultctl.cli.common import Context, pass_context
from vaultctl.core.errors import RefusedError
from vaultctl.core.i18n import _, ngettext


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
            click.echo(_("nothing to repair: the ledger ends with a complete line"))
            return
        click.echo(
            ngettext(
                "{n} byte after the last complete line:",
                "{n} bytes after the last complete line:",
                len(torn),
            ).format(n=len(torn)),
            err=True,
        )
        click.echo(repr(torn[:300]) + (" …" if len(torn) > 300 else ""), err=True)
        asked = _("move them to {folder}/?").format(folder=vault.torn_dir)
        if not yes and not click.confirm(asked, err=True):
            raise RefusedError(_("not moved: the ledger is as it was"))
        target = vault.move_torn(torn)
    click.echo(_("moved {n} bytes to {target}").format(n=len(torn), target=target))


COMMANDS = [repair]
