"""Shift commands: start, handover (with its checkpoint), end; presence."""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from vaultctl.cli.common import (
    Context,
    Signing,
    load,
    need,
    need_known,
    parse_time,
    pass_context,
    record,
    signing_options,
)
from vaultctl.core.errors import ArgumentError
from vaultctl.core.i18n import _


@click.group("shift")
def shift() -> None:
    """Duty shifts: start, handover to the next shift, end.

    \b
    Example:
      vaultctl shift start --leader O-003 --member O-004 --member O-009 \\
          --signer O-003 --signer O-004
    """


LEADER = click.option(
    "--leader",
    required=True,
    metavar="ID",
    help="The shift leader (counts as a member).",
)
MEMBERS = click.option(
    "--member",
    "members",
    multiple=True,
    metavar="ID",
    help="A member of the shift (repeat).",
)
SHIFT_ID = click.option(
    "--shift",
    "shift_id",
    default=None,
    metavar="SID",
    help="The shift id (default: SH-<MMDD>-<HHMM> of --at).",
)


def _shift_body(
    ctx: Context,
    action: str,
    leader: str,
    members: tuple[str, ...],
    shift_id: str | None,
    sign: Signing,
) -> tuple[Any, dict[str, Any], Signing]:
    """The shift body; the time is fixed once, so the default id matches ``ts``."""
    engine = load(ctx)
    state = engine.state
    need_known(state, "officer", leader, "--leader")
    crew = list(dict.fromkeys((leader, *members)))
    for m in members:
        need_known(state, "officer", m, "--member")
    assert state.tz is not None  # noqa: S101 - load() guarantees it
    stamp = parse_time(sign.at, state.tz)
    if shift_id is None:
        shift_id = f"SH-{stamp[5:7]}{stamp[8:10]}-{stamp[11:13]}{stamp[14:16]}"
    body = {"action": action, "shift": shift_id, "leader": leader, "members": crew}
    if action == "handover":
        cur = state.shift
        need(cur is not None, _("no shift is on duty: use 'shift start'"))
        assert cur is not None  # noqa: S101 - for mypy, need() refused otherwise
        body |= {"from_shift": cur.id, "from_leader": cur.leader}
    return engine, body, dataclasses.replace(sign, at=stamp)


@shift.command("start")
@LEADER
@MEMBERS
@SHIFT_ID
@signing_options
@pass_context
def shift_start(
    ctx: Context,
    leader: str,
    members: tuple[str, ...],
    shift_id: str | None,
    sign: Signing,
) -> None:
    """Start a shift when none is on duty.

    \b
    Example:
      vaultctl shift start --leader O-003 --member O-004 --member O-009 \\
          --signer O-003 --signer O-004 --at "6/6 08:00"
    """
    engine, body, sign = _shift_body(ctx, "start", leader, members, shift_id, sign)
    record(ctx, "shift", body, sign, engine)


@shift.command("handover")
@LEADER
@MEMBERS
@SHIFT_ID
@click.option(
    "--stock",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Packets the incoming leader counted in the room (needed while "
    "papers are stored).",
)
@signing_options
@pass_context
def shift_handover(
    ctx: Context,
    leader: str,
    members: tuple[str, ...],
    shift_id: str | None,
    stock: int | None,
    sign: Signing,
) -> None:
    """Hand over to the incoming shift (signed by both leaders), with the
    number of packets the incoming leader counted in the room.

    Also writes a checkpoint of the log head co-signed by the same two, so the
    head is anchored at every change of shift.

    \b
    Example:
      vaultctl shift handover --leader O-005 --member O-006 --member O-010 \\
          --stock 12 --signer O-003 --signer O-005 --at "6/6 16:00"
    """
    engine, body, sign = _shift_body(ctx, "handover", leader, members, shift_id, sign)
    if stock is not None:
        body["stock"] = stock
    record(ctx, "shift", body, sign, engine, with_checkpoint=True)


@shift.command("end")
@signing_options
@pass_context
def shift_end(
    ctx: Context,
    sign: Signing,
) -> None:
    """End the shift on duty (when no papers are stored any more).

    \b
    Example:
      vaultctl shift end --signer O-003 --signer O-004
    """
    engine = load(ctx)
    cur = engine.state.shift
    need(cur is not None, _("no shift is on duty"))
    assert cur is not None  # noqa: S101 - for mypy
    record(
        ctx,
        "shift",
        {"action": "end", "shift": cur.id},
        sign,
        engine,
    )


# NOTE: why a member leaves, as typed in English or Chinese (issue 20)
LEAVE_WORDS = {
    "meal": "meal",
    "就餐": "meal",
    "吃饭": "meal",
    "toilet": "toilet",
    "如厕": "toilet",
    "patrol": "patrol",
    "巡查": "patrol",
    "errand": "errand",
    "办事": "errand",
    "home": "home",
    "回家": "home",
    "other": "other",
    "其他": "other",
}


def leave_kind(reason: str | None) -> str:
    """The kind of a ``--reason`` (``KIND`` or ``KIND:words``, either colon)."""
    given = (reason or "").replace("：", ":")
    kind = LEAVE_WORDS.get(given.split(":", 1)[0].strip().lower())
    if kind is None:
        raise ArgumentError(
            _(
                "--reason {reason!r}: say why with one of meal (就餐), toilet (如厕), "
                "patrol (巡查), errand (办事), home (回家), other (其他), then "
                "':' and your own words if you like, e.g. --reason \"办事:取快递\""
            ).format(reason=reason or "")
        )
    if kind == "other" and ":" not in given:
        raise ArgumentError(
            _('--reason other: say what, e.g. --reason "其他:接家长电话"')
        )
    return kind


def _presence(
    ctx: Context,
    action: str,
    member: str,
    reason: str | None,
    sign: Signing,
) -> None:
    engine = load(ctx)
    cur = engine.state.shift
    need(
        cur is not None and member in cur.members,
        _("--member {member}: not a member of the shift on duty").format(member=member),
    )
    body: dict[str, Any] = {"action": action, "member": member}
    if action == "leave":
        body["kind"] = leave_kind(reason)
    if reason:
        body["reason"] = reason
    record(ctx, "presence", body, sign, engine)


@click.group("presence")
def presence() -> None:
    """A duty member leaves or returns to the site during a shift.

    \b
    Example:
      vaultctl presence leave --member O-004 --reason 就餐 --signer O-003 --signer O-004
      vaultctl presence leave --member O-009 --reason "办事:取快递" \\
          --signer O-003 --signer O-009
    """


for _action, _doc in (
    ("leave", "A member leaves the site during the shift."),
    ("return", "A member is back on site."),
):

    def _make(action: str = _action) -> Any:
        @click.option("--member", required=True, metavar="ID")
        @click.option(
            "--reason",
            default=None,
            required=action == "leave",
            metavar="KIND[:WORDS]",
            help="Why: meal (就餐), toilet (如厕), patrol (巡查), errand (办事), "
            "home (回家) or other (其他), then ':' and your own words if you like."
            if action == "leave"
            else "A remark on the return.",
        )
        @signing_options
        @pass_context
        def command(
            ctx: Context,
            member: str,
            reason: str | None,
            sign: Signing,
        ) -> None:
            _presence(ctx, action, member, reason, sign)

        return command

    _cmd = _make()
    _reason = " --reason 就餐" if _action == "leave" else ""
    _cmd.__doc__ = f"""{_doc}

    \b
    Example:
      vaultctl presence {_action} --member O-004{_reason} --signer O-003 --signer O-004
    """
    presence.command(_action)(_cmd)


COMMANDS = [shift, presence]
