"""What every command shares: the context, option decorators, signing, times.

Only this edge of the program parses what people type (dateutil) and talks to
the terminal; the library below never prompts.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dateutil import parser as dateparser

from vaultctl import check, keys, render, writer
from vaultctl.anchors import BAD_CHECKPOINT
from vaultctl.chain import Integrity
from vaultctl.errors import (
    IntegrityError,
    KeyFileError,
    UsageError,
    VaultMissingError,
    WrongPassphraseError,
)
from vaultctl.ledger import Vault
from vaultctl.model import format_ts
from vaultctl.rules import Engine, Finding
from vaultctl.state import State
from vaultctl.verify import Report

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Context:
    """The group's options, handed to every command."""

    vault: Vault
    key_dir: Path
    lang: str
    verbose: bool


pass_context = click.make_pass_decorator(Context)


@dataclass(frozen=True, slots=True)
class Signing:
    """The options every writing command shares, handed over as one value."""

    signers: tuple[str, ...]
    at: str | None
    note: str | None
    force: bool


def signing_options(func: F) -> F:
    """``--signer``… ``--at`` ``--note`` ``--force``: the options of every writer.

    The command receives them as one :class:`Signing` argument named ``sign``.
    """

    @functools.wraps(func)
    def wrapper(
        *args: Any,
        signers: tuple[str, ...],
        at: str | None,
        note: str | None,
        force: bool,
        **kwargs: Any,
    ) -> Any:
        return func(*args, sign=Signing(signers, at, note, force), **kwargs)

    decorated: Any = click.option(
        "--force",
        is_flag=True,
        help="Record it even though it breaks a compliance rule.",
    )(wrapper)
    decorated = click.option(
        "--note", default=None, metavar="TEXT", help="A remark stored in the entry."
    )(decorated)
    decorated = click.option(
        "--at",
        "at",
        default=None,
        metavar="TIME",
        help="When it happened: ISO, '6/7 08:30' or '08:30' (today); "
        "site time zone unless an offset is given. Default: now.",
    )(decorated)
    result: F = click.option(
        "--signer",
        "signers",
        multiple=True,
        required=True,
        metavar="ID",
        help="An officer who signs (at least two, in "
        "the order they type their passphrases).",
    )(decorated)
    return result


def json_option(func: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Machine-readable output on stdout."
    )(func)


def parse_time(
    text: str | None, tz: ZoneInfo, now: datetime | None = None, option: str = "--at"
) -> str:
    """Turn what an officer types into a stored ``ts`` in the site time zone."""
    now = (now or datetime.now(tz)).astimezone(tz)
    if text is None:
        return format_ts(now)
    default = now.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    try:
        moment = dateparser.parse(text, default=default)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)
        stored = format_ts(moment.astimezone(tz))
        if not 1900 <= int(stored[:4]) <= 9998:
            raise ValueError("year out of range")
    except (ValueError, OverflowError) as e:
        raise UsageError(
            f"{option} {text!r}: not a time (try 2027-06-07T08:30, '6/7 08:30' "
            "or '08:30')"
        ) from e
    return stored


def check_signer_ids(state: State, signers: Sequence[str]) -> None:
    """Refuse before any passphrase is asked: unknown or repeated officers."""
    if len(signers) < 2:
        raise UsageError("two officers must sign: give --signer twice")
    if len(set(signers)) != len(signers):
        raise UsageError("the same officer is named twice in --signer")
    for officer_id in signers:
        if state.roster.get(officer_id) is None:
            raise UsageError(f"--signer {officer_id}: not on the roster")


PROMPT_TRIES = 3


def ask_passphrase(officer_id: str, label: str) -> str:
    """A hidden prompt on the terminal (the caller checks the environment first)."""
    try:
        value: str = click.prompt(f"{label}: passphrase", hide_input=True, err=True)
    except click.Abort as e:
        raise KeyFileError(
            f"no passphrase for {officer_id} (type it on a terminal "
            f"or set {keys.passphrase_variable(officer_id)})"
        ) from e
    return value


def ask_current(officer_id: str, label: str | None = None) -> str:
    """An officer's current passphrase: the environment, else a hidden prompt."""
    env = os.environ.get(keys.passphrase_variable(officer_id))
    return env if env is not None else ask_passphrase(officer_id, label or officer_id)


def unlock(key_dir: Path, state: State, signers: Sequence[str]) -> list[writer.Signer]:
    """Decrypt each signer's key, one officer after the other.

    From ``VAULTCTL_PASSPHRASE_<ID>`` when set; otherwise a hidden prompt, with
    three tries each, so one mistyped passphrase does not send both officers
    back to the start.
    """
    return [writer.Signer(o, _unlock_one(key_dir, state, o)) for o in signers]


def _unlock_one(key_dir: Path, state: State, officer_id: str) -> Ed25519PrivateKey:
    private = _decrypt(key_dir, state, officer_id)
    if keys.kdf_of(key_dir, officer_id) != "scrypt":
        click.echo(
            f"warning: {officer_id}'s key file uses the old, fast-to-guess "
            f"encryption; run 'vaultctl keys upgrade {officer_id}'",
            err=True,
        )
    return private


def _decrypt(key_dir: Path, state: State, officer_id: str) -> Ed25519PrivateKey:
    env = os.environ.get(keys.passphrase_variable(officer_id))
    if env is not None:
        return keys.load_private(key_dir, officer_id, env)
    officer = state.roster.get(officer_id)
    label = f"{officer_id} {officer.name}" if officer else officer_id
    for attempt in range(1, PROMPT_TRIES + 1):
        try:
            return keys.load_private(
                key_dir, officer_id, ask_passphrase(officer_id, label)
            )
        except WrongPassphraseError:
            if attempt == PROMPT_TRIES:
                raise
            click.echo(
                f"wrong passphrase for {officer_id}, try again "
                f"({PROMPT_TRIES - attempt} left)",
                err=True,
            )
    raise AssertionError("unreachable")  # pragma: no cover


PROGRESS_MIN_BYTES = 1 << 20


def verified(ctx: Context, label: str = "verifying", **kwargs: Any) -> Report:
    """:func:`vaultctl.check.verify_vault` on the vault, with a progress bar on
    a terminal for long logs."""
    vault = ctx.vault
    vault.require()
    if sys.stderr.isatty() and vault.size() >= PROGRESS_MIN_BYTES:
        with click.progressbar(
            length=vault.size(), label=label, file=sys.stderr
        ) as bar:
            return check.verify_vault(vault, progress=bar.update, **kwargs)
    return check.verify_vault(vault, **kwargs)


def blocking(rep: Report) -> list[Integrity]:
    """The findings that forbid co-signing the log: all but a junk file in
    ``checkpoints/`` (which anchors nothing; verify still reports it)."""
    return [f for f in rep.integrity if f.code != BAD_CHECKPOINT]


def failed_banner(rep: Report) -> str | None:
    """The line shown first when the log fails verification (status, log)."""
    if not rep.integrity:
        return None
    first = rep.integrity[0]
    return (
        f"WARNING: this log FAILS verification ({len(rep.integrity)} integrity "
        f"finding(s); first: line {first.line} {first.code}). What follows may "
        "be forged: run 'vaultctl verify'."
    )


def require_genesis(ctx: Context, rep: Report) -> None:
    """Refuse to show a log with no trustworthy genesis (status, log)."""
    if rep.state.genesis is None:
        if rep.integrity:
            raise IntegrityError(failed_banner(rep) or "")
        raise VaultMissingError(f"{ctx.vault.ledger}: no genesis entry")


def load(ctx: Context) -> Engine:
    """Replay the vault into state and rules; refuse a vault with no genesis."""
    ctx.vault.require()
    engine = writer.load_engine(ctx.vault, datetime.now().astimezone())
    if engine.state.tz is None:
        raise VaultMissingError(
            f"{ctx.vault.path}: the vault has no genesis entry (run 'vaultctl init')"
        )
    return engine


def need(ok: bool, message: str) -> None:
    """Refuse bad input (an unknown id, a malformed value) before any passphrase."""
    if not ok:
        raise UsageError(message)


def record(
    ctx: Context,
    entry_type: str,
    body: dict[str, Any],
    sign: Signing,
    engine: Engine | None = None,
    with_checkpoint: bool = False,
) -> None:
    """The writing commands' common tail: check, unlock, append, confirm.

    Everything that can be checked is checked before the first passphrase.
    ``with_checkpoint``: also co-sign the new head (a shift handover), under
    the same lock.
    """
    engine = engine or load(ctx)
    state = engine.state
    assert state.tz is not None  # noqa: S101 - load() and init guarantee it
    check_signer_ids(state, sign.signers)
    ts = parse_time(sign.at, state.tz)
    if sign.note:
        body = {**body, "note": sign.note}
    found: list[Finding] = []
    if state.genesis is not None:
        draft = writer.draft(engine, ts, entry_type, body, sign.signers)
        found = writer.precheck(engine, draft, sign.force, ctx.lang)
    unlocked = unlock(ctx.key_dir, state, sign.signers)
    args = (ctx.vault, entry_type, body, ts, unlocked)
    options: dict[str, Any] = {
        "engine": engine,
        "force": sign.force,
        "prechecked": state.genesis is not None,
        "lang": ctx.lang,
    }
    written: tuple[Path, str] | None = None
    if with_checkpoint:
        entry, path, code = writer.append_with_checkpoint(*args, **options)
        written = (path, code)
    else:
        entry = writer.append(*args, **options)
    click.echo(
        f"#{entry.seq} {entry.type} {entry.ts} signed by "
        f"{', '.join(entry.signers)} · {entry.hash[:16]}"
    )
    if written:
        click.echo(f"checkpoint {written[0].name} · {written[1]}")
    for f in found:
        label = "recorded with --force" if f.level == "error" else "warning"
        if f.seq != entry.seq:
            label = f"reminder about #{f.seq}"
        click.echo(
            f"{label}: {f.rule} ({f.clause}): {render.safe(f.text(ctx.lang))}",
            err=True,
        )


def need_known(state: State, kind: str, value: str, option: str) -> None:
    """Refuse an id that the genesis (or the log) never declared."""
    known = state.known(kind)
    need(
        value in known,
        f"{option} {value}: unknown {kind} (known: "
        f"{', '.join(known[:12])}{' …' if len(known) > 12 else ''})",
    )


def default_room(state: State, room: str | None) -> str:
    """The room named, or the site's only room."""
    if room is None:
        need(
            len(state.rooms) == 1,
            "--room is needed: this site has "
            f"{len(state.rooms)} rooms ({', '.join(state.rooms)})",
        )
        return state.rooms[0]
    need_known(state, "room", room, "--room")
    return room


def on_off(value: str) -> bool:
    return value == "on"


cctv_option = click.option(
    "--cctv",
    type=click.Choice(["on", "off"]),
    required=True,
    help="Was CCTV recording during the handover?",
)
