"""Commands of the duty record: inspection, key custody, access, opening and
closing, patrols."""

from __future__ import annotations

from typing import Any

import click

from vaultctl.cli.common import (
    Context,
    Signing,
    default_room,
    load,
    need,
    need_known,
    pass_context,
    record,
    signing_options,
)
from vaultctl.core.i18n import _

ROOM = click.option(
    "--room",
    default=None,
    metavar="R",
    help="The room (default: the site's only room).",
)


@click.command("inspect")
@ROOM
@click.option("--result", type=click.Choice(["pass", "fail"]), required=True)
@click.option(
    "--item", "items", multiple=True, metavar="TEXT", help="An item checked (repeat)."
)
@signing_options
@pass_context
def inspect(
    ctx: Context,
    room: str | None,
    result: str,
    items: tuple[str, ...],
    sign: Signing,
) -> None:
    """Record the joint pre-use inspection of a room (signed by both inspectors).

    \b
    Example:
      vaultctl inspect --room R1 --result pass --item 防盗门 --item 报警装置 \\
          --item 消防器材 --signer O-201 --signer O-202
    """
    engine = load(ctx)
    body = {
        "room": default_room(engine.state, room),
        "result": result,
        "items": list(items),
    }
    record(ctx, "inspection", body, sign, engine)


@click.group("custody")
def custody() -> None:
    """Custody of physical keys and codes: assign, handover, return.

    \b
    Example:
      vaultctl custody assign --item K-D1 --to O-002 --signer O-001 --signer O-002
      vaultctl custody handover --item K-D2 --from O-003 --to O-004 \\
          --signer O-003 --signer O-004
    """


def _custody(
    ctx: Context,
    body: dict[str, Any],
    sign: Signing,
) -> None:
    engine = load(ctx)
    need_known(engine.state, "item", body["item"], "--item")
    for role in ("from", "to"):
        if role in body:
            need_known(engine.state, "officer", body[role], f"--{role}")
    record(ctx, "custody", body, sign, engine)


ITEM = click.option("--item", required=True, metavar="K", help="A key or code id.")
FROM = click.option("--from", "giver", required=True, metavar="ID")
TO = click.option("--to", "receiver", required=True, metavar="ID")


@custody.command("assign")
@ITEM
@TO
@signing_options
@pass_context
def assign(
    ctx: Context,
    item: str,
    receiver: str,
    sign: Signing,
) -> None:
    """Give a key or code to its first holder.

    \b
    Example:
      vaultctl custody assign --item K-C1-A --to O-001 --signer O-001 --signer O-002
    """
    _custody(
        ctx,
        {"action": "assign", "item": item, "to": receiver},
        sign,
    )


@custody.command("handover")
@ITEM
@FROM
@TO
@signing_options
@pass_context
def handover(
    ctx: Context,
    item: str,
    giver: str,
    receiver: str,
    sign: Signing,
) -> None:
    """Hand a key or code from its holder to another (both sign).

    \b
    Example:
      vaultctl custody handover --item K-D2 --from O-003 --to O-005 \\
          --signer O-003 --signer O-005
    """
    _custody(
        ctx,
        {"action": "handover", "item": item, "from": giver, "to": receiver},
        sign,
    )


@custody.command("return")
@ITEM
@FROM
@signing_options
@pass_context
def give_back(
    ctx: Context,
    item: str,
    giver: str,
    sign: Signing,
) -> None:
    """Return a key or code to safekeeping (nobody holds it after).

    \b
    Example:
      vaultctl custody return --item K-D2 --from O-005 --signer O-005 --signer O-002
    """
    _custody(ctx, {"action": "return", "item": item, "from": giver}, sign)


@click.group("access")
def access() -> None:
    """Register a person entering or leaving the room.

    \b
    Example:
      vaultctl access enter --person "电工 张师傅" --approver O-002 --escort O-003 \\
          --purpose 检修照明 --signer O-003 --signer O-009
    """


@access.command("enter")
@click.option("--person", required=True, metavar="ID-OR-NAME")
@click.option(
    "--approver",
    default=None,
    metavar="ID",
    help="The room head or site head who approved it.",
)
@click.option("--purpose", default=None, metavar="TEXT")
@click.option(
    "--escort", default=None, metavar="ID", help="The officer escorting a visitor."
)
@ROOM
@signing_options
@pass_context
def enter(
    ctx: Context,
    person: str,
    approver: str | None,
    purpose: str | None,
    escort: str | None,
    room: str | None,
    sign: Signing,
) -> None:
    """A person enters the room.

    \b
    Example:
      vaultctl access enter --person O-005 --approver O-002 --purpose 清点 \\
          --signer O-002 --signer O-005
    """
    engine = load(ctx)
    for option, value in (("--approver", approver), ("--escort", escort)):
        if value is not None:
            need_known(engine.state, "officer", value, option)
    extra = {"approver": approver, "purpose": purpose, "escort": escort}
    body = {
        "action": "enter",
        "person": person,
        "room": default_room(engine.state, room),
        **{k: v for k, v in extra.items() if v is not None},
    }
    record(ctx, "access", body, sign, engine)


@access.command("exit")
@click.option("--person", required=True, metavar="ID-OR-NAME")
@ROOM
@signing_options
@pass_context
def leave(
    ctx: Context,
    person: str,
    room: str | None,
    sign: Signing,
) -> None:
    """A person leaves the room.

    \b
    Example:
      vaultctl access exit --person O-005 --signer O-002 --signer O-005
    """
    engine = load(ctx)
    body = {
        "action": "exit",
        "person": person,
        "room": default_room(engine.state, room),
    }
    record(ctx, "access", body, sign, engine)


def _target(
    ctx: Context, door: str | None, cabinet: str | None
) -> tuple[Any, dict[str, Any]]:
    need(
        (door is None) != (cabinet is None), _("give exactly one of --door, --cabinet")
    )
    engine = load(ctx)
    if door is not None:
        need_known(engine.state, "door", door, "--door")
        return engine, {"door": door}
    assert cabinet is not None  # noqa: S101 - for mypy
    need_known(engine.state, "cabinet", cabinet, "--cabinet")
    return engine, {"cabinet": cabinet}


DOOR = click.option("--door", default=None, metavar="D")
CABINET = click.option("--cabinet", default=None, metavar="C")


@click.command("open")
@DOOR
@CABINET
@click.option(
    "--present",
    multiple=True,
    metavar="ID",
    help="Others present besides the signers (repeat).",
)
@signing_options
@pass_context
def open_cmd(
    ctx: Context,
    door: str | None,
    cabinet: str | None,
    present: tuple[str, ...],
    sign: Signing,
) -> None:
    """A door or cabinet is opened; signers and --present are who was there.

    \b
    Example:
      vaultctl open --cabinet C1 --present O-003 --signer O-001 --signer O-002
    """
    engine, body = _target(ctx, door, cabinet)
    for who in present:
        need_known(engine.state, "officer", who, "--present")
    body["present"] = list(present)
    record(ctx, "open", body, sign, engine)


@click.command("close")
@DOOR
@CABINET
@signing_options
@pass_context
def close_cmd(
    ctx: Context,
    door: str | None,
    cabinet: str | None,
    sign: Signing,
) -> None:
    """A door or cabinet is closed and locked.

    \b
    Example:
      vaultctl close --cabinet C1 --signer O-001 --signer O-002
    """
    engine, body = _target(ctx, door, cabinet)
    record(ctx, "close", body, sign, engine)


@click.command("patrol")
@click.option(
    "--item", "items", multiple=True, metavar="TEXT", help="What was checked (repeat)."
)
@signing_options
@pass_context
def patrol(
    ctx: Context,
    items: tuple[str, ...],
    sign: Signing,
) -> None:
    """The two signers walked the perimeter and checked locks and seals.

    \b
    Example:
      vaultctl patrol --item 门锁完好 --item 封条完好 --signer O-003 --signer O-009
    """
    record(ctx, "patrol", {"items": list(items)}, sign)


COMMANDS = [inspect, custody, access, open_cmd, close_cmd, patrol]
