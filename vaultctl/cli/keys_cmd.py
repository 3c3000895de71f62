"""``vaultctl keys``: generate an officer's key pair, show a public key."""

from __future__ import annotations

import os

import click

from vaultctl import keys
from vaultctl.cli.common import Context, pass_context


@click.group("keys")
def keys_group() -> None:
    """Officers' Ed25519 keys (kept outside the vault).

    \b
    Example:
      vaultctl --key-dir /media/usb/keys keys generate O-003
      vaultctl keys show O-003
    """


def _new_passphrase(officer_id: str) -> str:
    env = os.environ.get(keys.passphrase_variable(officer_id))
    if env is not None:
        return env
    value: str = click.prompt(
        f"new passphrase for {officer_id}",
        hide_input=True,
        confirmation_prompt="repeat the passphrase",
        err=True,
    )
    return value


@keys_group.command("generate")
@click.argument("officer_id", metavar="ID")
@pass_context
def generate(ctx: Context, officer_id: str) -> None:
    """Create ID.key (encrypted, 0600) and ID.pub in the key dir.

    The passphrase is asked twice on the terminal (hidden), or taken from
    VAULTCTL_PASSPHRASE_<ID>. An existing key file is never overwritten.

    \b
    Example:
      vaultctl --key-dir ~/.vaultctl/keys keys generate O-003
    """
    keys.refuse_existing(ctx.key_dir, officer_id)  # checks the id, before prompting
    passphrase = _new_passphrase(officer_id)
    key_path, pub_path = keys.generate(ctx.key_dir, officer_id, passphrase)
    raw = keys.read_public(ctx.key_dir, officer_id)
    click.echo(f"{key_path}\n{pub_path}\nkey id {keys.key_id(raw)}")


@keys_group.command("show")
@click.argument("officer_id", metavar="ID")
@pass_context
def show(ctx: Context, officer_id: str) -> None:
    """Print the key id and the public key line of ID.

    \b
    Example:
      vaultctl keys show O-003
    """
    raw = keys.read_public(ctx.key_dir, officer_id)
    click.echo(f"{keys.key_id(raw)} {keys.format_public_key(raw)}")


COMMANDS = [keys_group]
