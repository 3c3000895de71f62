"""The ``vaultctl`` command line: a thin click layer over the library.

``VaultGroup`` is the one place where a :class:`VaultError` becomes one line on
stderr and an exit code; ``-v`` shows the traceback instead. It also picks the
language before click renders anything, ends quietly on a closed pipe (exit
141, what a shell reports for a process killed by SIGPIPE, so ``set -o
pipefail`` scripts still see the output was cut), and turns Ctrl-C into one
line and exit 130.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from vaultctl import __version__
from vaultctl.cli.localise import localise
from vaultctl.core import i18n
from vaultctl.core.errors import VaultError
from vaultctl.core.i18n import _

# NOTE: commands are imported when used, not at start-up: `vaultctl --version`
# or `vaultctl note` need not import the verifier, tabulate, dateutil… Every
# command is listed here (a test checks this table against the modules'
# COMMANDS); `--help` and anything that iterates the commands load them all.
LAZY = {
    "access": ("duty", "access"),
    "amend": ("events", "amend"),
    "audit": ("audit_cmd", "audit_cmd"),
    "cctv": ("watch", "cctv"),
    "checkpoint": ("tlog", "checkpoint_cmd"),
    "close": ("duty", "close_cmd"),
    "custody": ("duty", "custody"),
    "dispatch": ("papers", "dispatch"),
    "enrol": ("audit_cmd", "enrol"),
    "export": ("audit_cmd", "export"),
    "incident": ("watch", "incident"),
    "init": ("events", "init"),
    "inspect": ("duty", "inspect"),
    "issue": ("papers", "issue"),
    "keys": ("keys_cmd", "keys_group"),
    "log": ("read", "log_cmd"),
    "note": ("events", "note_cmd"),
    "open": ("duty", "open_cmd"),
    "patrol": ("duty", "patrol"),
    "presence": ("shifts", "presence"),
    "prove": ("tlog", "prove"),
    "receipt": ("papers", "receipt"),
    "report": ("report_cmd", "report_cmd"),
    "repair": ("admin", "repair"),
    "return": ("papers", "return_cmd"),
    "roster": ("roster_cmd", "roster_group"),
    "rules": ("read", "rules_cmd"),
    "shift": ("shifts", "shift"),
    "status": ("read", "status"),
    "verify": ("read", "verify_cmd"),
}
MODULES = sorted({module for module, _ in LAZY.values()})


class LazyCommands(dict[str, click.Command]):
    """The group's commands: ``get`` imports one command's module, anything
    that walks them all (``--help``, iteration, ``len``) imports them all."""

    def _one(self, name: str) -> None:
        if name in LAZY and not dict.__contains__(self, name):
            module, attr = LAZY[name]
            command = getattr(importlib.import_module(f"vaultctl.cli.{module}"), attr)
            dict.__setitem__(self, name, command)

    def _all(self) -> None:
        for name in LAZY:
            self._one(name)

    def get(self, name: str, default: Any = None) -> Any:
        self._one(name)
        return dict.get(self, name, default)

    def __getitem__(self, name: str) -> click.Command:
        self._one(name)
        return dict.__getitem__(self, name)

    def __contains__(self, name: object) -> bool:
        return name in LAZY or dict.__contains__(self, name)

    def __iter__(self) -> Iterator[str]:
        self._all()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._all()
        return dict.__len__(self)

    def keys(self) -> Any:
        self._all()
        return dict.keys(self)

    def values(self) -> Any:
        self._all()
        return dict.values(self)

    def items(self) -> Any:
        self._all()
        return dict.items(self)


CANCELLED = 130
CLOSED_PIPE = 141

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Failure(click.ClickException):
    """A :class:`VaultError` on its way out: one line on stderr, its exit code."""

    def __init__(self, message: str, exit_code: int, hints: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]
        self.hints = tuple(hints)

    def show(self, file: object = None) -> None:
        from vaultctl.present.render import (
            safe,  # NOTE: a message may quote a ledger line
        )

        line = _("vaultctl: error: {message}").format(message=safe(self.message))
        click.echo(line, err=True)
        for hint in self.hints:  # NOTE: each escaped alone: no line from a log
            click.echo("  " + safe(hint), err=True)


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


_NO_SUCH_OPTION_INIT = click.exceptions.NoSuchOption.__init__


def _no_such_option(
    self: click.exceptions.NoSuchOption,
    option_name: str,
    message: str | None = None,
    possibilities: Sequence[str] | None = None,
    ctx: click.Context | None = None,
) -> None:
    """click's "did you mean", never offering --force as a spelling
    correction (``--officer`` is not a typo of it: issue 23)."""
    kept = [p for p in possibilities or () if p != "--force"] or None
    _NO_SUCH_OPTION_INIT(self, option_name, message, kept, ctx)


click.exceptions.NoSuchOption.__init__ = _no_such_option  # type: ignore[method-assign,assignment]


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
            raise Failure(i18n.localise_message(e.message), e.exit_code, e.hints) from e
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
    if getattr(ctx.obj, "verbose", False):
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
    from vaultctl.cli.common import Context
    from vaultctl.store.ledger import Vault

    lang = i18n.current() if lang is None else lang
    ctx.obj = Context(
        vault=Vault(vault_dir), key_dir=key_dir, lang=lang, verbose=verbose
    )


cli.commands = LazyCommands()


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="vaultctl")
