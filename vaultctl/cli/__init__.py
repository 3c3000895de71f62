"""The ``vaultctl`` command line: a thin click layer over the library.

``VaultGroup`` is the one place where a :class:`VaultError` becomes one line on
stderr and an exit code; ``-v`` shows the traceback instead. It also picks the
language before click renders anything, ends quietly on a closed pipe (exit
141, what a shell reports for a process killed by SIGPIPE, so ``set -o
pipefail`` scripts still see the output was cut), and turns Ctrl-C into one
line and exit 130.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from vaultctl import __version__, i18n
from vaultctl.cli.common import Context
from vaultctl.cli.localise import localise
from vaultctl.errors import VaultError
from vaultctl.i18n import _
from vaultctl.ledger import Vault

CANCELLED = 130
CLOSED_PIPE = 141

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Failure(click.ClickException):
    """A :class:`VaultError` on its way out: one line on stderr, its exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file: object = None) -> None:
        from vaultctl.render import safe  # NOTE: a message may quote a ledger line

        line = _("vaultctl: error: {message}").format(message=safe(self.message))
        click.echo(line, err=True)


class Cancelled(click.ClickException):
    """Ctrl-C (or Ctrl-D at a prompt): one line, exit 130, nothing written."""

    def __init__(self) -> None:
        super().__init__("cancelled")
        self.exit_code = CANCELLED  # type: ignore[misc]

    def show(self, file: object = None) -> None:
        click.echo(_("cancelled, nothing written"), err=True)


class ClosedPipe(click.ClickException):
    """The reader went away (``| head``): say nothing, exit 141 like SIGPIPE."""

    def __init__(self) -> None:
        super().__init__("closed pipe")
        self.exit_code = CLOSED_PIPE  # type: ignore[misc]

    def show(self, file: object = None) -> None:
        """Nothing: the output was wanted no further."""


class VaultGroup(click.Group):
    """The root group; the one place errors become a line and an exit code."""

    def main(self, args: Sequence[str] | None = None, *a: Any, **kw: Any) -> Any:
        """Choose the language first, so that ``--help`` is already in it."""
        argv = list(sys.argv[1:] if args is None else args)
        i18n.use(i18n.choose(argv, os.environ))
        i18n.patch_click()
        localise(self, i18n.current())
        return super().main(argv, *a, **kw)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except VaultError as e:
            _trace(ctx)
            raise Failure(i18n.localise_message(str(e)), e.exit_code) from e
        except (KeyboardInterrupt, click.Abort) as e:
            raise Cancelled() from e
        except BrokenPipeError as e:
            _quiet_stdout()
            raise ClosedPipe() from e
        except (click.ClickException, click.exceptions.Exit):
            raise
        except OSError as e:
            # NOTE: a read-only vault, a full disk, a folder we may not read
            _trace(ctx)
            where = f"{e.filename}: " if e.filename else ""
            raise Failure(
                f"{where}{i18n.localise_message(str(e.strerror or e))}", 4
            ) from e
        except Exception as e:  # noqa: BLE001 - the last line of defence for users
            _trace(ctx)
            raise Failure(
                _("internal error: {error} (run with -v for details)").format(
                    error=f"{type(e).__name__}: {e}"
                ),
                70,
            ) from e


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # NOTE: not a real file (a test runner's buffer)
        pass


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
    help="Language of every message: en or zh (default: from LC_ALL, "
    "LC_MESSAGES or LANG).",
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
    Shell completion: add one line to your shell's start-up file —
      bash:  eval "$(_VAULTCTL_COMPLETE=bash_source vaultctl)"
      zsh:   eval "$(_VAULTCTL_COMPLETE=zsh_source vaultctl)"
      fish:  _VAULTCTL_COMPLETE=fish_source vaultctl | source

    \b
    Example:
      vaultctl --vault /srv/vault note --text "交班检查无异常" \\
          --signer O-003 --signer O-004
    """
    lang = i18n.current() if lang is None else lang
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
        report_cmd,
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
        report_cmd,
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
