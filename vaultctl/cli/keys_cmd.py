"""``vaultctl keys``: generate an officer's key pair, show a public key."""

from __future__ import annotations

import os

import click

from vaultctl.cli import common
from vaultctl.cli.common import Context, ask_current, pass_context
from vaultctl.core import keys
from vaultctl.core.errors import KeyFileError
from vaultctl.core.i18n import _


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
    """A new passphrase: from ``variable`` in the environment, or asked on the
    terminal: its length is checked before it is asked a second time, three
    tries at most."""
    env = os.environ.get(variable)
    if env is not None:
        return env
    problem = ""
    for _try in range(NEW_TRIES):
        if problem:
            click.echo(_("{problem}; try again").format(problem=problem), err=True)
        value = common.hidden_prompt(
            _("new passphrase for {officer_id} ({passphrase_rule})").format(
                officer_id=officer_id, passphrase_rule=_(keys.PASSPHRASE_RULE)
            )
        )
        if keys.passphrase_problem(value) is not None:
            # NOTE: said before the passphrase is typed a second time
            problem = _("the passphrase is too short ({passphrase_rule})").format(
                passphrase_rule=_(keys.PASSPHRASE_RULE)
            )
            continue
        if common.hidden_prompt(_("repeat the passphrase")) == value:
            return value
        problem = _("the two entries differ")
    raise KeyFileError(
        _("{problem}: no key written for {officer_id} after {n} tries").format(
            problem=problem, officer_id=officer_id, n=NEW_TRIES
        )
    )


@keys_group.command("generate")
@click.argument("officer_id", metavar="ID")
@click.option(
    "--demo",
    is_flag=True,
    help="The officer's published demo key, wrapped with a cheap KDF, for "
    "`make demo` and training; only a site.toml with demo = true accepts it.",
)
@pass_context
def generate(ctx: Context, officer_id: str, demo: bool) -> None:
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
    key_path, pub_path = keys.generate(ctx.key_dir, officer_id, passphrase, demo=demo)
    raw = keys.read_public(ctx.key_dir, officer_id)
    click.echo(
        _("{key_path}\n{pub_path}\nkey id {value}").format(
            key_path=key_path, pub_path=pub_path, value=keys.key_id(raw)
        )
    )


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
    click.echo(
        _("{path}: re-encrypted with {value}").format(
            path=path, value=keys.kdf_of(ctx.key_dir, officer_id)
        )
    )


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
