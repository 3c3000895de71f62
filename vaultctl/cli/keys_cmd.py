"""``vaultctl keys``: generate an officer's key pair, show a public key."""

from __future__ import annotations

import os

import click

from vaultctl import keys
from vaultctl.cli.common import Context, ask_current, pass_context


@click.group("keys")
def keys_group() -> None:
    """Officers' Ed25519 keys (kept outside the vault).

    \b
    Example:
      vaultctl --key-dir /media/usb/keys keys generate O-003
      vaultctl keys show O-003
    """


NEW_TRIES = 3


def _new_passphrase(officer_id: str, variable: str) -> str:
    """A new passphrase: from ``variable`` in the environment, or asked (twice)
    until it is long enough, three times at most."""
    env = os.environ.get(variable)
    if env is not None:
        return env
    for attempt in range(1, NEW_TRIES + 1):
        value: str = click.prompt(
            f"new passphrase for {officer_id} ({keys.PASSPHRASE_RULE})",
            hide_input=True,
            confirmation_prompt="repeat the passphrase",
            err=True,
        )
        problem = keys.passphrase_problem(value)
        if problem is None or attempt == NEW_TRIES:
            return value
        click.echo(f"{problem}; try again", err=True)
    raise AssertionError("unreachable")  # pragma: no cover


@keys_group.command("generate")
@click.argument("officer_id", metavar="ID")
@pass_context
def generate(ctx: Context, officer_id: str) -> None:
    """Create ID.key (encrypted, 0600) and ID.pub in the key dir.

    The passphrase (at least 10 characters, or 4 Chinese characters) is asked
    twice on the terminal (hidden), or taken from VAULTCTL_PASSPHRASE_<ID>.
    The key file is PKCS#8 encrypted with scrypt (about 0.4 s a guess), which
    `openssl pkey -in ID.key` also opens. An existing key file is never
    overwritten.

    \b
    Example:
      vaultctl --key-dir ~/.vaultctl/keys keys generate O-003
    """
    keys.refuse_existing(ctx.key_dir, officer_id)  # checks the id, before prompting
    passphrase = _new_passphrase(officer_id, keys.passphrase_variable(officer_id))
    key_path, pub_path = keys.generate(ctx.key_dir, officer_id, passphrase)
    raw = keys.read_public(ctx.key_dir, officer_id)
    click.echo(f"{key_path}\n{pub_path}\nkey id {keys.key_id(raw)}")


@keys_group.command("upgrade")
@click.argument("officer_id", metavar="ID")
@pass_context
def upgrade(ctx: Context, officer_id: str) -> None:
    """Re-encrypt ID.key with scrypt and a new passphrase; the key stays the same.

    For key files written by earlier versions (PBKDF2, about 1 ms a guess).
    The current passphrase is asked first (or VAULTCTL_PASSPHRASE_<ID>), then
    the new one twice (or VAULTCTL_NEW_PASSPHRASE_<ID>).

    \b
    Example:
      vaultctl keys upgrade O-003
    """
    private = keys.load_private(ctx.key_dir, officer_id, ask_current(officer_id))
    new = _new_passphrase(officer_id, keys.new_passphrase_variable(officer_id))
    path = keys.upgrade(ctx.key_dir, officer_id, private, new)
    click.echo(f"{path}: re-encrypted with {keys.kdf_of(ctx.key_dir, officer_id)}")


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
