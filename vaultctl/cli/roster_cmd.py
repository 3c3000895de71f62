"""``vaultctl roster``: add, suspend or reinstate officers; keys; training."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from vaultctl.cli.common import (
    Context,
    Signing,
    load,
    need,
    need_known,
    nonempty,
    pass_context,
    record,
    signing_options,
)
from vaultctl.core import keys, schema
from vaultctl.core.errors import UsageError
from vaultctl.core.i18n import _

ID = click.option(
    "--id", "officer_id", required=True, metavar="ID", help="The officer's id."
)


def _key_ref(path: Path) -> dict[str, str]:
    try:
        raw = keys.parse_public_key(path.read_text("utf-8"), str(path))
    except OSError as e:
        raise UsageError(
            _("{path}: cannot read ({strerror})").format(path=path, strerror=e.strerror)
        ) from e
    return {"key": keys.key_id(raw), "public_key": keys.format_public_key(raw)}


def _write(
    ctx: Context,
    body: dict[str, Any],
    sign: Signing,
    new: bool = False,
) -> None:
    engine = load(ctx)
    if not new:
        need_known(engine.state, "officer", body["id"], "--id")
    problem = engine.state.roster.problem(body)
    need(problem is None, _("refused: {problem}").format(problem=problem))
    record(ctx, "roster", body, sign, engine)


@click.group("roster")
def roster_group() -> None:
    """Change the roster: every change is co-signed by the site head.

    \b
    Example:
      vaultctl roster add --id O-012 --name 钱芳 --role custodian \\
          --public-key-file O-012.pub --trained 2026-05-28 \\
          --signer O-001 --signer O-002
    """


@roster_group.command("add")
@ID
@click.option("--name", required=True, help="Full name.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(schema.ROLES),
    help="A role (repeat for several).",
)
@click.option(
    "--public-key-file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .pub file.",
)
@click.option(
    "--trained", default=None, metavar="DATE", help="Date of secrecy training."
)
@click.option("--conflict", is_flag=True, help="An immediate relative sits this exam.")
@signing_options
@pass_context
def add(
    ctx: Context,
    officer_id: str,
    name: str,
    roles: tuple[str, ...],
    public_key_file: Path,
    trained: str | None,
    conflict: bool,
    sign: Signing,
) -> None:
    """Add an officer with their public key.

    \b
    Example:
      vaultctl roster add --id O-012 --name 钱芳 --role custodian \\
          --public-key-file O-012.pub --trained 2026-05-28 --signer O-001 --signer O-002
    """
    officer: dict[str, Any] = {
        "id": officer_id,
        "name": name,
        "roles": list(roles),
        "keys": [_key_ref(public_key_file)],
        "conflict": conflict,
    }
    if trained:
        officer["trained"] = trained
    _write(ctx, {"action": "add", "officer": officer}, sign, True)


def _simple(
    action: str,
    doc: str,
    extra: list[Callable[[Any], Any]],
    make: Callable[..., dict[str, Any]],
) -> click.Command:
    """A roster subcommand whose body is built by ``make(**options)``."""

    @signing_options
    @pass_context
    def command(
        ctx: Context,
        /,
        sign: Signing,
        **options: Any,
    ) -> None:
        _write(ctx, {"action": action, **make(**options)}, sign)

    command.__doc__ = doc
    for decorate in reversed([ID, *extra]):
        command = decorate(command)
    return roster_group.command(action)(command)


REASON = click.option("--reason", default=None, help="Why.")


def _with_reason(officer_id: str, reason: str | None) -> dict[str, Any]:
    return {"id": officer_id, **({"reason": reason} if reason else {})}


_simple(
    "suspend",
    """Suspend an officer: they may no longer sign.

    \b
    Example:
      vaultctl roster suspend --id O-005 --reason 身体不适 --signer O-001 --signer O-002
    """,
    [REASON],
    _with_reason,
)
_simple(
    "reinstate",
    """Reinstate a suspended officer.

    \b
    Example:
      vaultctl roster reinstate --id O-005 --signer O-001 --signer O-002
    """,
    [REASON],
    _with_reason,
)
_simple(
    "add-key",
    """Add a key to an officer (rotation: add-key, then revoke-key).

    \b
    Example:
      vaultctl roster add-key --id O-003 --public-key-file new/O-003.pub \\
          --signer O-001 --signer O-002
    """,
    [
        click.option(
            "--public-key-file",
            required=True,
            type=click.Path(dir_okay=False, path_type=Path),
        )
    ],
    lambda officer_id, public_key_file: {
        "id": officer_id,
        "key": _key_ref(public_key_file),
    },
)
_simple(
    "revoke-key",
    """Revoke a key: it signs nothing recorded after this entry.

    \b
    Example:
      vaultctl roster revoke-key --id O-003 --key 9c0e3fa1b2c4d5e6 \\
          --reason 钥匙盘遗失 --signer O-001 --signer O-002
    """,
    [
        click.option("--key", required=True, metavar="KEYID"),
        click.option("--reason", required=True, callback=nonempty),
    ],
    lambda officer_id, key, reason: {"id": officer_id, "key": key, "reason": reason},
)
_simple(
    "train",
    """Record an officer's secrecy training.

    \b
    Example:
      vaultctl roster train --id O-012 --date 2026-06-01 --signer O-001 --signer O-002
    """,
    [click.option("--date", required=True, metavar="DATE")],
    lambda officer_id, date: {"id": officer_id, "date": date},
)
_simple(
    "declare",
    """Record or clear a conflict declaration (a relative sits the exam).

    \b
    Example:
      vaultctl roster declare --id O-006 --conflict --signer O-001 --signer O-002
    """,
    [click.option("--conflict/--no-conflict", required=True)],
    lambda officer_id, conflict: {"id": officer_id, "conflict": conflict},
)

COMMANDS = [roster_group]
