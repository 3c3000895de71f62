"""What every command shares: the context, option decorators, signing, times.

Only this edge of the program parses what people type (:mod:`vaultctl.core.times`)
and talks to the terminal; the library below never prompts.
"""

from __future__ import annotations

import difflib
import functools
import getpass
import os
import sys
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vaultctl.core import i18n, keys, times
from vaultctl.core.errors import (
    ArgumentError,
    IntegrityError,
    KeyFileError,
    UsageError,
    VaultMissingError,
    WrongPassphraseError,
)
from vaultctl.core.i18n import N_, _
from vaultctl.core.messages import Text
from vaultctl.core.model import format_ts, parse_ts
from vaultctl.present import render
from vaultctl.rules import Engine, Owed
from vaultctl.rules.state import State
from vaultctl.store import check, evidence, writer
from vaultctl.store.evidence import BAD_EVIDENCE
from vaultctl.store.ledger import Vault
from vaultctl.tlog.anchors import BAD_CHECKPOINT
from vaultctl.tlog.chain import Integrity
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
    attach: tuple[Path, ...] = ()


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
        attach: tuple[Path, ...],
        **kwargs: Any,
    ) -> Any:
        sign = Signing(signers, at, note, force, attach)
        return func(*args, sign=sign, **kwargs)

    decorated: Any = click.option(
        "--attach",
        "attach",
        multiple=True,
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="FILE",
        help="A photo or scan bound to the entry (repeat): copied into the "
        "vault's evidence/ folder under its SHA-256.",
    )(wrapper)
    decorated = click.option(
        "--force",
        is_flag=True,
        help="Record it even though it breaks a compliance rule.",
    )(decorated)
    decorated = click.option(
        "--note", default=None, metavar="TEXT", help="A remark stored in the entry."
    )(decorated)
    decorated = click.option(
        "--at",
        "at",
        default=None,
        metavar="TIME",
        help=TIME_HELP + " Default: now.",
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


TIME_HELP = (
    "When it happened, in site time unless an offset is given: "
    "2026-06-06 14:05 (or 2026-06-06T14:05+08:00), 6/6 14:05, 6月6日 14:05, "
    "14:05 (today), 今天/昨天 14:05; full-width digits and colons are fine."
)


def json_option(func: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Machine-readable output on stdout."
    )(func)


def parse_time(
    text: str | None,
    tz: ZoneInfo,
    now: datetime | None = None,
    option: str = "--at",
    date_ok: bool = False,
) -> str:
    """Turn what an officer types into a stored ``ts`` in the site time zone.

    One strict grammar (:mod:`vaultctl.core.times`); nothing is guessed.
    """
    now = (now or datetime.now(tz)).astimezone(tz)
    if text is None:
        return format_ts(now)
    try:
        return format_ts(times.parse(text, tz, now, date_ok=date_ok))
    except UsageError as e:
        # NOTE: a value that is not a time is a usage error, exit 2 like click's
        raise ArgumentError(
            Text("{option} {message}", option=option, message=e.message)
        ) from e


def check_signer_ids(state: State, signers: Sequence[str]) -> None:
    """Refuse before any passphrase is asked: unknown or repeated officers."""
    if len(signers) < 2:
        raise UsageError(_("two officers must sign: give --signer twice"))
    if len(set(signers)) != len(signers):
        raise UsageError(_("the same officer is named twice in --signer"))
    for officer_id in signers:
        if state.roster.get(officer_id) is None:
            raise UsageError(
                _("--signer {officer_id}: not on the roster").format(
                    officer_id=officer_id
                )
                + did_you_mean(officer_id, state.known("officer"))
            )


def nonempty(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A click callback: a text typed for the record is never empty."""
    if isinstance(value, str) and not value.strip():
        raise click.BadParameter(_("empty: write what happened"), ctx, param)
    return value


def did_you_mean(value: str, known: Sequence[str]) -> str:
    """`` (did you mean O-003?)`` for an id typed in another case, in
    full-width characters or one character off; "" when nothing is close."""

    def key(text: str) -> str:
        return unicodedata.normalize("NFKC", text).strip().casefold()

    same = [k for k in known if key(k) == key(value)]
    close = same or difflib.get_close_matches(value, list(known), n=1, cutoff=0.8)
    if not close:
        return ""
    return _(" (did you mean {id}?)").format(id=close[0])


PROMPT_TRIES = 3


def hidden_prompt(text: str) -> str:
    """Ask for a secret, hidden. Without a terminal (a pipe) nothing can be
    echoed to anyone, so getpass's "may be echoed" warning is not shown."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", getpass.GetPassWarning)
        value: str = click.prompt(text, hide_input=True, err=True)
    return value


def ask_passphrase(officer_id: str, label: str) -> str:
    """A hidden prompt on the terminal (the caller checks the environment first)."""
    try:
        value = hidden_prompt(_("{label}: passphrase").format(label=label))
    except click.Abort as e:
        if sys.stdin.isatty():
            raise  # NOTE: Ctrl-C or Ctrl-D at the terminal: the officer cancelled
        raise KeyFileError(
            _(
                "no passphrase for {officer_id} (type it on a terminal or set {value})"
            ).format(officer_id=officer_id, value=keys.passphrase_variable(officer_id))
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
            _(
                "warning: {officer_id}'s key file uses the old, "
                "fast-to-guess encryption; run 'vaultctl keys upgrade "
                "{officer_id}'"
            ).format(officer_id=officer_id),
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
        except WrongPassphraseError as e:
            if attempt == PROMPT_TRIES:
                raise e.with_hints(
                    _(
                        "nothing was written; check Caps Lock and that the input "
                        "method is not in full-width mode, then run the command "
                        "again"
                    ),
                    _(
                        "a passphrase that is lost: the site head and the room head "
                        "revoke the key (vaultctl roster revoke-key --id {officer_id} "
                        "--key …) and add a new one (vaultctl keys generate, "
                        "vaultctl roster add-key)"
                    ).format(officer_id=officer_id),
                ) from None
            click.echo(
                _("wrong passphrase for {officer_id}, try again ({value} left)").format(
                    officer_id=officer_id, value=PROMPT_TRIES - attempt
                ),
                err=True,
            )
    raise AssertionError("unreachable")  # pragma: no cover


PROGRESS_MIN_BYTES = 1 << 20


def verified(ctx: Context, label: str = N_("verifying"), **kwargs: Any) -> Report:
    """:func:`vaultctl.store.check.verify_vault` on the vault, with a progress bar on
    a terminal for long logs."""
    vault = ctx.vault
    vault.require()
    if sys.stderr.isatty() and vault.size() >= PROGRESS_MIN_BYTES:
        with click.progressbar(
            length=vault.size(), label=_(label), file=sys.stderr
        ) as bar:
            return check.verify_vault(vault, progress=bar.update, **kwargs)
    return check.verify_vault(vault, **kwargs)


def blocking(rep: Report) -> list[Integrity]:
    """The findings that forbid co-signing the log: all but a junk file in
    ``checkpoints/`` (which anchors nothing; verify still reports it)."""
    return [f for f in rep.integrity if f.code not in (BAD_CHECKPOINT, BAD_EVIDENCE)]


def failed_banner(rep: Report) -> str | None:
    """The line shown first when the log fails verification (status, log)."""
    if not rep.integrity:
        return None
    first = rep.integrity[0]
    return _(
        "WARNING: this log FAILS verification ({n} integrity finding(s); first: "
        "line {line} {code}). What follows may be forged: run 'vaultctl verify'."
    ).format(n=len(rep.integrity), line=first.line, code=first.code)


def require_genesis(ctx: Context, rep: Report) -> None:
    """Refuse to show a log with no trustworthy genesis (status, log)."""
    if rep.state.genesis is None:
        if rep.integrity:
            raise IntegrityError(failed_banner(rep) or "")
        raise VaultMissingError(
            _("{ledger}: no genesis entry").format(ledger=ctx.vault.ledger)
        )


def load(ctx: Context) -> Engine:
    """Replay the vault into state and rules; refuse a vault with no genesis."""
    ctx.vault.require()
    engine = writer.load_engine(ctx.vault, datetime.now().astimezone())
    if engine.state.tz is None:
        raise VaultMissingError(
            _("{path}: the vault has no genesis entry (run 'vaultctl init')").format(
                path=ctx.vault.path
            )
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
    # NOTE: the genesis too: SITE-SETUP judges the site as declared
    draft = writer.draft(engine, ts, entry_type, body, sign.signers)
    found = writer.precheck(engine, draft, sign.force, ctx.lang)
    if sign.attach:
        # NOTE: copied before the passphrases, so a bad file costs nobody a
        # typed passphrase; a copy left by a refused entry binds nothing
        ctx.vault.path.mkdir(parents=True, exist_ok=True)
        bound = [evidence.store(ctx.vault.path, p) for p in sign.attach]
        body = {**body, "attachments": bound}
    unlocked = unlock(ctx.key_dir, state, sign.signers)
    args = (ctx.vault, entry_type, body, ts, unlocked)
    options: dict[str, Any] = {
        "engine": engine,
        "force": sign.force,
        "prechecked": True,
        "lang": ctx.lang,
    }
    written: tuple[Path, str] | None = None
    if with_checkpoint:
        entry, path, code = writer.append_with_checkpoint(*args, **options)
        written = (path, code)
    else:
        entry = writer.append(*args, **options)
    click.echo(
        _("#{seq} {type} {time} signed by {who} · {hash}").format(
            seq=entry.seq,
            type=entry.type,
            time=times.show_zoned(parse_ts(entry.ts), state.tz),
            who=", ".join(entry.signers),
            hash=entry.hash[:16],
        )
    )
    if written:
        click.echo(
            _("checkpoint {name} · {code}").format(
                name=written[0].name, code=written[1]
            )
        )
    if state.genesis is not None:
        for line in owed_lines(engine.owed_by(draft), state.tz, sign.signers):
            click.echo(line)
    for f in found:
        label = _("recorded with --force") if f.level == "error" else _("warning")
        if f.seq != entry.seq:
            label = _("reminder about #{seq}").format(seq=f.seq)
        line = _("{label}: {rule} ({clause}): {text}").format(
            label=label,
            rule=f.rule,
            clause=f.clause,
            text=render.safe(f.text(ctx.lang)),
        )
        click.echo(line, err=True)


def settle_command(owed: Owed, signers: Sequence[str]) -> str:
    """The exact command that settles ``owed``, with the officer's blanks named."""
    who = " ".join(f"--signer {o}" for o in signers)
    if owed.action == "cctv-on":
        return f"vaultctl cctv on --camera {owed.camera} {who}".rstrip()
    refs = " ".join(f"--ref {r}" for r in owed.refs)
    blanks = (_("what happened"), _("reported to whom"), _("when reported"))
    return (
        f'vaultctl incident --kind {owed.kind} {refs} --text "<{blanks[0]}>" '
        f'--reported-to "<{blanks[1]}>" --reported-at "<{blanks[2]}>" {who}'
    ).rstrip()


def owed_lines(
    owed: Sequence[Owed], tz: ZoneInfo, signers: Sequence[str] | None = None
) -> list[str]:
    """Each obligation: what is owed, by when (site time), and the command."""
    if signers is None:
        signers = (_("<officer>"), _("<officer>"))
    lines = []
    for o in owed:
        if o.action == "cctv-on":
            head = _("owed at once: recording back on ({rule}): {what}")
        else:
            head = _("owed: an incident report by {due} ({rule}): {what}")
        due = times.show(o.due.astimezone(tz)) if o.due else ""
        lines.append(head.format(due=due, rule=o.rule, what=o.text(i18n.current())))
        lines.append("  " + settle_command(o, signers))
    return lines


def need_known(state: State, kind: str, value: str, option: str) -> None:
    """Refuse an id that the genesis (or the log) never declared."""
    known = state.known(kind)
    if value in known:
        return
    hint = did_you_mean(value, known) or _(" (known: {items}{more})").format(
        items=", ".join(known[:12]), more=" …" if len(known) > 12 else ""
    )
    raise UsageError(
        _("{option} {value}: unknown {kind}").format(
            option=option, value=value, kind=_(KIND_NAMES.get(kind, kind))
        )
        + hint
    )


# NOTE: the kinds of id need_known names, as words of the catalog
KIND_NAMES = {
    "officer": N_("officer"),
    "room": N_("room"),
    "door": N_("door"),
    "cabinet": N_("cabinet"),
    "item": N_("key or code"),
    "camera": N_("camera"),
    "session": N_("session"),
    "packet": N_("packet"),
}


def default_room(state: State, room: str | None) -> str:
    """The room named, or the site's only room."""
    if room is None:
        need(
            len(state.rooms) == 1,
            _("--room is needed: this site has {n} rooms ({items})").format(
                n=len(state.rooms), items=", ".join(state.rooms)
            ),
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
