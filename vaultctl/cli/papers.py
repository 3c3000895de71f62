"""Commands that move papers: receipt, issue, return, dispatch."""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path
from typing import Any

import click

from vaultctl.cli.common import (
    Context,
    Signing,
    cctv_option,
    default_room,
    load,
    need,
    need_known,
    on_off,
    pass_context,
    record,
    signing_options,
)
from vaultctl.core import schema
from vaultctl.core.errors import UsageError
from vaultctl.core.i18n import _

PACKET_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
KINDS = ("paper", "answer-sheet")
MANIFEST_COLUMNS = ("packet", "subject", "session", "kind", "seal")


def parse_packet(spec: str, kind: str) -> dict[str, Any]:
    """``ID:SUBJECT:SESSION:SEAL[:broken]`` as officers type it (the IME's
    full-width colon too)."""
    parts = [p.strip() for p in spec.replace("：", ":").split(":")]
    broken = len(parts) == 5 and parts[4].lower() == "broken"
    if len(parts) not in (4, 5) or (len(parts) == 5 and not broken) or not all(parts):
        raise UsageError(
            _("--packet {spec!r}: expected ID:SUBJECT:SESSION:SEAL[:broken]").format(
                spec=spec
            )
        )
    if not PACKET_ID.fullmatch(parts[0]):
        raise UsageError(
            _("--packet {spec!r}: bad packet id {value!r}").format(
                spec=spec, value=parts[0]
            )
        )
    return {
        "id": parts[0],
        "subject": parts[1],
        "session": parts[2],
        "kind": kind,
        "seal": parts[3],
        "intact": not broken,
    }


def parse_moved(spec: str) -> dict[str, str]:
    """``ID[:SEAL]``: a packet leaving, with the seal serial read if given."""
    pid, _sep, seal = spec.replace("：", ":").partition(":")
    if not PACKET_ID.fullmatch(pid):
        raise UsageError(
            _("--packet {spec!r}: expected ID or ID:SEAL").format(spec=spec)
        )
    return {"id": pid, **({"seal": seal} if seal else {})}


def read_manifest(path: Path) -> list[dict[str, Any]]:
    """The centre's packing list: CSV with packet,subject,session,kind,seal."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise UsageError(
            _("{path}: cannot read the manifest ({e})").format(path=path, e=e)
        ) from e
    if not rows or set(MANIFEST_COLUMNS) - set(rows[0]):
        raise UsageError(
            _("{path}: expected columns {items}").format(
                path=path, items=",".join(MANIFEST_COLUMNS)
            )
        )
    packets = []
    for n, row in enumerate(rows, start=2):
        kind = (row["kind"] or "paper").strip()
        if kind not in KINDS:
            raise UsageError(
                _("{path}:{n}: kind {kind!r}, expected paper or answer-sheet").format(
                    path=path, n=n, kind=kind
                )
            )
        spec = ":".join(
            (row[c] or "").strip() for c in ("packet", "subject", "session", "seal")
        )
        try:
            packets.append(parse_packet(spec, kind))
        except UsageError as e:
            raise UsageError(f"{path}:{n}: {e}") from e
    twice = schema.repeated(p["id"] for p in packets)
    need(
        not twice,
        _("{path}: packet {items} listed twice").format(
            path=path, items=", ".join(twice)
        ),
    )
    return packets


def scan(expected: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Read barcodes from stdin against the manifest; warn at once on bad ones."""
    by_id = {p["id"]: p for p in expected}
    seen: list[str] = []
    click.echo(
        _("scan {n} packets, one barcode per line; end with Ctrl-D").format(
            n=len(by_id)
        ),
        err=True,
    )
    for line in sys.stdin:
        code = line.strip()
        if not code:
            continue
        if code not in by_id:
            click.echo(_("  ! {code}: not on the manifest").format(code=code), err=True)
        elif code in seen:
            click.echo(_("  ! {code}: already scanned").format(code=code), err=True)
        else:
            seen.append(code)
            click.echo(
                _("  ok {code} ({n}/{n2})").format(
                    code=code, n=len(seen), n2=len(by_id)
                ),
                err=True,
            )
    missing = [pid for pid in by_id if pid not in seen]
    if missing:
        click.echo(
            _("missing {n}: {items}").format(n=len(missing), items=", ".join(missing)),
            err=True,
        )
    return [by_id[pid] for pid in seen], missing


def sealed(moved: list[dict[str, str]]) -> bool:
    """True only when every packet leaving had its seal serial read: the rules
    compare it with the serial it came in with (never claimed, issue 21)."""
    return all("seal" in p for p in moved)


def no_repeats(packets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Refuse a packet named twice in one command."""
    twice = schema.repeated(p["id"] for p in packets)
    need(not twice, _("--packet {items}: named twice").format(items=", ".join(twice)))
    return packets


def _check_packets(state: Any, packets: list[dict[str, Any]]) -> None:
    no_repeats(packets)
    for p in packets:
        need_known(state, "session", p["session"], f"--packet {p['id']}: session")


@click.command("receipt")
@click.option(
    "--from",
    "source",
    required=True,
    metavar="TEXT",
    help="Who delivered the papers (the centre's courier).",
)
@click.option(
    "--packet",
    "packets",
    multiple=True,
    metavar="ID:SUBJECT:SESSION:SEAL[:broken]",
    help="A packet (repeat).",
)
@click.option("--kind", type=click.Choice(KINDS), default="paper", show_default=True)
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The centre's CSV packing list.",
)
@click.option(
    "--scan",
    "scanning",
    is_flag=True,
    help="With --manifest: read barcodes from stdin and check each.",
)
@click.option("--room", default=None, metavar="R")
@cctv_option
@signing_options
@pass_context
def receipt(
    ctx: Context,
    source: str,
    packets: tuple[str, ...],
    kind: str,
    manifest: Path | None,
    scanning: bool,
    room: str | None,
    cctv: str,
    sign: Signing,
) -> None:
    """Papers come into the room: count, subject, seal, under CCTV.

    \b
    Example:
      vaultctl receipt --from "市考试院 机要车" --cctv on \\
          --packet P-0607-YW-E01:语文:S-0607-AM:SL-1001 \\
          --signer O-002 --signer O-001
      vaultctl receipt --from 机要车 --manifest despatch.csv --scan --cctv on \\
          --signer O-002 --signer O-001 < barcodes.txt
    """
    need(bool(packets) != (manifest is not None), _("give --packet… or --manifest"))
    need(not scanning or manifest is not None, _("--scan needs --manifest"))
    engine = load(ctx)
    body: dict[str, Any] = {"from": source, "room": default_room(engine.state, room)}
    if manifest is not None:
        listed = read_manifest(manifest)
        got, missing = scan(listed) if scanning else (listed, [])
        body |= {"expected": len(listed), **({"missing": missing} if missing else {})}
    else:
        got = [parse_packet(spec, kind) for spec in packets]
    need(bool(got), _("no packet received"))
    _check_packets(engine.state, got)
    body |= {"packets": got, "count": len(got), "cctv": on_off(cctv)}
    record(ctx, "receipt", body, sign, engine)


SESSION = click.option("--session", required=True, metavar="S")
EXAM_ROOM = click.option("--exam-room", required=True, metavar="E")


def _session_room(state: Any, session: str, exam_room: str) -> None:
    need_known(state, "session", session, "--session")
    rooms = state.sessions[session]["exam_rooms"]
    need(
        exam_room in rooms,
        _("--exam-room {exam_room}: not an exam room of {session} ({items})").format(
            exam_room=exam_room, session=session, items=", ".join(rooms)
        ),
    )


COUNT = click.option(
    "--count",
    type=click.IntRange(min=0),
    required=True,
    metavar="N",
    help="How many packets you counted (a number you counted, not the list).",
)


@click.command("issue")
@SESSION
@EXAM_ROOM
@click.option(
    "--to",
    "to",
    required=True,
    metavar="ID",
    help="The invigilator collecting (must sign).",
)
@click.option(
    "--packet",
    "packets",
    multiple=True,
    required=True,
    metavar="ID[:SEAL]",
    help="A packet handed out, with the seal serial read (repeat).",
)
@COUNT
@cctv_option
@signing_options
@pass_context
def issue(
    ctx: Context,
    session: str,
    exam_room: str,
    to: str,
    packets: tuple[str, ...],
    count: int,
    cctv: str,
    sign: Signing,
) -> None:
    """Papers go out to an exam room's invigilator before the session.

    \b
    Example:
      vaultctl issue --session S-0607-AM --exam-room E01 --to O-101 \\
          --packet P-0607-YW-E01:SL-1001 --count 1 --cctv on \\
          --signer O-002 --signer O-101
    """
    engine = load(ctx)
    _session_room(engine.state, session, exam_room)
    need_known(engine.state, "officer", to, "--to")
    moved = no_repeats([parse_moved(p) for p in packets])
    body = {
        "session": session,
        "exam_room": exam_room,
        "to": to,
        "packets": moved,
        "count": count,
        "seal_checked": sealed(moved),
        "cctv": on_off(cctv),
    }
    record(ctx, "issue", body, sign, engine)


@click.command("return")
@SESSION
@EXAM_ROOM
@click.option(
    "--from",
    "giver",
    required=True,
    metavar="ID",
    help="The invigilator returning (must sign).",
)
@click.option(
    "--packet",
    "packets",
    multiple=True,
    required=True,
    metavar="ID:SUBJECT:SESSION:SEAL[:broken]",
    help="A packet (repeat).",
)
@click.option(
    "--kind", type=click.Choice(KINDS), default="answer-sheet", show_default=True
)
@COUNT
@cctv_option
@signing_options
@pass_context
def return_cmd(
    ctx: Context,
    session: str,
    exam_room: str,
    giver: str,
    packets: tuple[str, ...],
    kind: str,
    count: int,
    cctv: str,
    sign: Signing,
) -> None:
    """Answer sheets (and unused papers) come back after the session.

    \b
    Example:
      vaultctl return --session S-0607-AM --exam-room E01 --from O-101 \\
          --packet P-0607-YW-E01:语文:S-0607-AM:SA-9001 --count 1 --cctv on \\
          --signer O-101 --signer O-002
    """
    engine = load(ctx)
    _session_room(engine.state, session, exam_room)
    need_known(engine.state, "officer", giver, "--from")
    got = [parse_packet(spec, kind) for spec in packets]
    _check_packets(engine.state, got)
    body = {
        "session": session,
        "exam_room": exam_room,
        "from": giver,
        "packets": got,
        "count": count,
        "cctv": on_off(cctv),
    }
    record(ctx, "return", body, sign, engine)


@click.command("dispatch")
@click.option(
    "--to",
    "to",
    required=True,
    metavar="TEXT",
    help="The centre's courier taking the answer sheets.",
)
@click.option(
    "--packet",
    "packets",
    multiple=True,
    required=True,
    metavar="ID:SEAL",
    help="A packet leaving, with the seal serial read (repeat).",
)
@COUNT
@cctv_option
@signing_options
@pass_context
def dispatch(
    ctx: Context,
    to: str,
    packets: tuple[str, ...],
    count: int,
    cctv: str,
    sign: Signing,
) -> None:
    """Answer sheets leave the site with the centre's courier.

    \b
    Example:
      vaultctl dispatch --to O-301 --packet P-0607-YW-E01:SA-9001 --count 1 \\
          --cctv on --signer O-002 --signer O-301
    """
    moved = no_repeats([parse_moved(p) for p in packets])
    body = {
        "to": to,
        "packets": moved,
        "count": count,
        "seal_checked": sealed(moved),
        "cctv": on_off(cctv),
    }
    record(ctx, "dispatch", body, sign)


COMMANDS = [receipt, issue, return_cmd, dispatch]
