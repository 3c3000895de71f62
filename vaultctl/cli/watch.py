"""Commands for cameras and incidents: cctv, incident."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from vaultctl.cli.common import (
    Context,
    Signing,
    load,
    need,
    need_known,
    nonempty,
    parse_time,
    pass_context,
    record,
    signing_options,
)
from vaultctl.core import schema
from vaultctl.core.errors import UsageError
from vaultctl.core.i18n import _
from vaultctl.core.model import parse_ts
from vaultctl.rules import Engine
from vaultctl.store import footage

CAMERA = click.option("--camera", required=True, metavar="CAM")


def _camera(ctx: Context, camera: str) -> Engine:
    engine = load(ctx)
    need_known(engine.state, "camera", camera, "--camera")
    return engine


@click.group("cctv")
def cctv() -> None:
    """Camera recording on/off/fault, footage segments, footage deletion.

    \b
    Example:
      vaultctl cctv on --camera CAM-1 --signer O-002 --signer O-003
      vaultctl cctv segment --camera CAM-1 --file cam1-0607.mp4 \\
          --from "6/7 00:00" --to "6/7 23:59" --signer O-002 --signer O-003
    """


def _state_command(action: str, text: str) -> click.Command:
    @CAMERA
    @signing_options
    @pass_context
    def command(
        ctx: Context,
        camera: str,
        sign: Signing,
    ) -> None:
        engine = _camera(ctx, camera)
        record(
            ctx,
            "cctv",
            {"action": action, "camera": camera},
            sign,
            engine,
        )

    command.__doc__ = f"""{text}

    \b
    Example:
      vaultctl cctv {action} --camera CAM-1 --signer O-002 --signer O-003
    """
    return cctv.command(action)(command)


_state_command("on", "A camera starts recording.")
_state_command("off", "A camera stops recording.")
_state_command("fault", "A camera has a fault (record the incident too).")


def _hash_video(path: Path) -> tuple[str, int]:
    try:
        return footage.sha256_file(path), path.stat().st_size
    except OSError as e:
        raise UsageError(
            _("{path}: cannot read ({strerror})").format(path=path, strerror=e.strerror)
        ) from e


@cctv.command("segment")
@CAMERA
@click.option(
    "--file",
    "video",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The video file.",
)
@click.option(
    "--from",
    "start",
    required=True,
    metavar="TIME",
    help="Start of the footage (forms as --at).",
)
@click.option(
    "--to",
    "end",
    required=True,
    metavar="TIME",
    help="End of the footage (forms as --at).",
)
@signing_options
@pass_context
def segment(
    ctx: Context,
    camera: str,
    video: Path,
    start: str,
    end: str,
    sign: Signing,
) -> None:
    """Bind a footage file to the log by its SHA-256 (streamed, any size).

    \b
    Example:
      vaultctl cctv segment --camera CAM-1 --file /footage/cam1-0607.mp4 \\
          --from "6/7 00:00" --to "6/7 23:59" --signer O-002 --signer O-003
    """
    engine = _camera(ctx, camera)
    assert engine.state.tz is not None  # noqa: S101 - load() guarantees it
    digest, size = _hash_video(video)
    tz = engine.state.tz
    begin = parse_time(start, tz, option="--from")
    finish = parse_time(end, tz, option="--to")
    need(begin <= finish, _("--from is after --to"))
    body = {
        "action": "segment",
        "camera": camera,
        "file": video.name,
        "sha256": digest,
        "size": size,
        "from": begin,
        "to": finish,
    }
    record(ctx, "cctv", body, sign, engine)


@cctv.command("delete-footage")
@CAMERA
@click.option(
    "--before",
    required=True,
    metavar="T",
    help="Footage recorded before this time was deleted (forms as --at, or a date).",
)
@signing_options
@pass_context
def delete_footage(
    ctx: Context,
    camera: str,
    before: str,
    sign: Signing,
) -> None:
    """Record that old footage was deleted (kept 6 months after the exam).

    \b
    Example:
      vaultctl cctv delete-footage --camera CAM-1 --before 2026-06-01 \\
          --signer O-001 --signer O-002
    """
    engine = _camera(ctx, camera)
    assert engine.state.tz is not None  # noqa: S101 - load() guarantees it
    body = {
        "action": "delete-footage",
        "camera": camera,
        "before": parse_time(before, engine.state.tz, option="--before", date_ok=True),
    }
    record(ctx, "cctv", body, sign, engine)


@click.command("incident")
@click.option("--kind", type=click.Choice(schema.INCIDENT_KINDS), required=True)
@click.option(
    "--ref",
    "refs",
    type=int,
    multiple=True,
    metavar="SEQ",
    help="An entry this incident is about (repeat).",
)
@click.option(
    "--text",
    required=True,
    callback=nonempty,
    help="What happened and what was done.",
)
@click.option(
    "--reported-to", required=True, metavar="TEXT", help="Whom it was reported to."
)
@click.option(
    "--reported-at",
    required=True,
    metavar="TIME",
    help="When it was reported (forms as --at).",
)
@click.option(
    "--occurred-at",
    default=None,
    metavar="TIME",
    help="When it happened or was found (forms as --at); needed for a leak, a "
    "theft or an intrusion. The reporting window runs from it.",
)
@signing_options
@pass_context
def incident(
    ctx: Context,
    kind: str,
    refs: tuple[int, ...],
    text: str,
    reported_to: str,
    reported_at: str,
    occurred_at: str | None,
    sign: Signing,
) -> None:
    """Record an incident and whom it was reported to, and when.

    \b
    Example:
      vaultctl incident --kind seal-broken --ref 41 \\
          --text "P-0608-WL-E02 封条破损，已封存现场" \\
          --reported-to "县考试中心 王主任" --reported-at "6/8 07:52" \\
          --signer O-002 --signer O-001 --at "6/8 07:45"
      vaultctl incident --kind intrusion --occurred-at "6/8 22:00" \\
          --text "夜间窗外有人攀爬，已驱离" --reported-to "县考试中心" \\
          --reported-at "6/8 22:10" --signer O-005 --signer O-010 --at "6/8 22:05"
    """
    engine = load(ctx)
    for seq in refs:
        need(
            0 <= seq <= engine.state.seq,
            _("--ref {seq}: no such entry").format(seq=seq),
        )
    assert engine.state.tz is not None  # noqa: S101 - load() guarantees it
    body = {
        "kind": kind,
        "refs": list(refs),
        "text": text,
        "reported_to": reported_to,
        "reported_at": parse_time(reported_at, engine.state.tz, option="--reported-at"),
    }
    need(
        occurred_at is not None or kind not in schema.EVENT_KINDS,
        _(
            "--kind {kind}: give --occurred-at, when it happened or was found "
            "(the 30 minutes to report run from then)"
        ).format(kind=kind),
    )
    if occurred_at is not None:
        happened = parse_time(occurred_at, engine.state.tz, option="--occurred-at")
        recorded = parse_time(sign.at, engine.state.tz)
        need(
            parse_ts(happened) <= parse_ts(recorded),
            _(
                "--occurred-at {occurred}: after the time of the entry ({at}); "
                "an incident is recorded after it happens"
            ).format(occurred=happened, at=recorded),
        )
        body["occurred_at"] = happened
        sign = dataclasses.replace(sign, at=recorded)
    record(ctx, "incident", body, sign, engine)


COMMANDS = [cctv, incident]
