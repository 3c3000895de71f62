"""The ``vaultctl`` command line: a thin click layer over the library.

``main`` is the one place where a :class:`VaultError` becomes one line on
stderr and an exit code; ``-v`` shows the traceback instead.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path

import click

from vaultctl import __version__
from vaultctl.cli.common import Context
from vaultctl.errors import VaultError
from vaultctl.ledger import Vault

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Failure(click.ClickException):
    """A :class:`VaultError` on its way out: one line on stderr, its exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file: object = None) -> None:
        from vaultctl.render import safe  # NOTE: a message may quote a ledger line

        click.echo(f"vaultctl: error: {safe(self.message)}", err=True)


class VaultGroup(click.Group):
    """The root group; the one place errors become a line and an exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except VaultError as e:
            _trace(ctx)
            raise Failure(str(e), e.exit_code) from e
        except KeyboardInterrupt as e:
            raise Failure("interrupted; nothing was written", 130) from e
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except OSError as e:
            # NOTE: a read-only vault, a full disk, a folder we may not read
            _trace(ctx)
            where = f"{e.filename}: " if e.filename else ""
            raise Failure(f"{where}{e.strerror or e}", 4) from e
        except Exception as e:  # noqa: BLE001 - the last line of defence for users
            _trace(ctx)
            raise Failure(
                f"internal error: {type(e).__name__}: {e} (run with -v for details)", 70
            ) from e


def _trace(ctx: click.Context) -> None:
    if isinstance(ctx.obj, Context) and ctx.obj.verbose:
        traceback.print_exc()


@click.group(cls=VaultGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="vaultctl")
@click.option(
    "--vault",
    "vault_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="VAULTCTL_VAULT",
    default=".",
    show_default=True,
    help="The vault directory [env VAULTCTL_VAULT].",
)
@click.option(
    "--key-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="VAULTCTL_KEY_DIR",
    default=lambda: Path.home() / ".vaultctl/keys",
    show_default="~/.vaultctl/keys",
    help="Where officers' key files are [env VAULTCTL_KEY_DIR].",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default=None,
    help="Language of reports (default: from LANG).",
)
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of errors.")
@click.pass_context
def cli(
    ctx: click.Context, vault_dir: Path, key_dir: Path, lang: str | None, verbose: bool
) -> None:
    """Tamper-evident, two-person-signed record of an exam site's paper room.

    Every event is one ledger entry signed by two officers and hash-chained to
    the one before; `vaultctl verify` proves the log intact and checks the rules.

    \b
    Example:
      vaultctl --vault /srv/vault note --text "交班检查无异常" \\
          --signer O-003 --signer O-004
    """
    lang = lang or ("zh" if os.environ.get("LANG", "").startswith("zh") else "en")
    ctx.obj = Context(
        vault=Vault(vault_dir), key_dir=key_dir, lang=lang, verbose=verbose
    )


def _register() -> None:
    from vaultctl.cli import (
        admin,
        audit_cmd,
        duty,
        events,
        keys_cmd,
        papers,
        read,
        roster_cmd,
        shifts,
        tlog,
        watch,
    )

    for module in (
        keys_cmd,
        events,
        roster_cmd,
        duty,
        shifts,
        papers,
        watch,
        read,
        tlog,
        audit_cmd,
        admin,
    ):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="vaultctl")
