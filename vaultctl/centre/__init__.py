"""What the exam centre holds about its sites, read from the centre's own files.

These, and never anything inside a site's bundle, are the anchors of an audit:

* ``--pins FILE``: CSV ``site,genesis[,…]``, the hash of each site's genesis
  entry taken at enrolment (``vaultctl enrol BUNDLE`` prints the line);
* ``--codes FILE``: CSV ``site,code[,…]``, the short codes phoned in each
  night (other columns, e.g. date and who took the call, are kept in labels);
* ``--checkpoints DIR``: signed notes the centre kept, mapped to their site by
  the note's signed origin ``vaultctl/<site>/<log>``;
* ``--previous DIR``: the bundles of the last audit; each new ledger must start
  with the previous one byte for byte. An earlier bundle is believed to be of
  a site only once it verifies (and matches the site's pin, when pins are
  given); one that does not, or one of two claiming one site, is a row of its
  own, and every site is still audited.

A malformed file is a usage error naming the file and line (exit 2). A code
that cannot be read (misheard, the check symbol missing) is a row of its own
naming file, line and site, with exit 2, while every bundle is still audited:
the clerk asks the site to read it again; the site is not accused of forgery.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from vaultctl.centre import bundle
from vaultctl.core.errors import CheckpointError, UsageError
from vaultctl.core.i18n import N_
from vaultctl.core.messages import CANNOT_READ, Text, at
from vaultctl.core.model import OFFICER_RE
from vaultctl.store import check
from vaultctl.tlog import checkpoint, shortcode

HASH_RE = re.compile(r"[0-9a-f]{64}")
MAX_FILE = 64 * 1024**2


class RecordsError(UsageError):
    """A centre file (pins, codes, kept checkpoints) is malformed (exit 2)."""

    exit_code = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Code:
    """One phoned-in code: the text as typed and where it was written down."""

    site: str
    text: str
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Records:
    """Everything the centre holds, per site. ``pins`` None: no pins file given."""

    pins: dict[str, str] | None = None
    codes: dict[str, list[Code]] = field(default_factory=dict)
    # NOTE: codes that could not be read (misheard, check symbol missing):
    # each a row of its own, naming file, line and site; the rest is audited
    bad_codes: list[Code] = field(default_factory=list)
    notes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    previous: dict[str, Path] = field(default_factory=dict)


def _at_line(path: Path, line: int, message: str) -> str:
    return Text(N_("{path}: line {n}: {message}"), path=path, n=line, message=message)


def _rows(path: Path, needed: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of a CSV file with a header holding at least ``needed``."""
    try:
        if path.stat().st_size > MAX_FILE:
            too_big = Text(N_("larger than {n} MiB"), n=MAX_FILE >> 20)
            raise RecordsError(at(path, too_big))
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise RecordsError(Text(CANNOT_READ, path=path, why=e)) from e
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in needed if c not in header]
    if missing:
        raise RecordsError(
            _at_line(
                path,
                1,
                Text(
                    N_("the header needs the columns {needed} (missing {missing})"),
                    needed=", ".join(needed),
                    missing=", ".join(missing),
                ),
            )
        )
    reader.fieldnames = header
    for row in reader:
        line = reader.line_num
        clean = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if not any(clean.values()):
            continue
        if not all(clean.get(c) for c in needed):
            empty = Text(N_("empty {columns}"), columns=" / ".join(needed))
            raise RecordsError(_at_line(path, line, empty))
        if not OFFICER_RE.fullmatch(clean["site"]):
            # NOTE: an invisible or odd character would match no bundle
            odd = Text(
                N_("site {site} is not a site id (letters, digits, '.', '_', '-')"),
                site=f"{clean['site']!r:.80}",
            )
            raise RecordsError(_at_line(path, line, odd))
        yield line, clean


def load_pins(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line, row in _rows(path, ("site", "genesis")):
        site, genesis = row["site"], row["genesis"].lower()
        if not HASH_RE.fullmatch(genesis):
            not_hex = Text(
                N_("genesis must be 64 hex characters (got {got})"),
                got=repr(row["genesis"]),
            )
            raise RecordsError(_at_line(path, line, not_hex))
        if pins.get(site, genesis) != genesis:
            twice = Text(N_("site {site} pinned twice"), site=site)
            raise RecordsError(_at_line(path, line, twice))
        pins[site] = genesis
    return pins


def load_codes(path: Path) -> tuple[dict[str, list[Code]], list[Code]]:
    """The phoned-in codes by site, and those that cannot be read (each with
    the problem as its label: ``codes.csv:4: …``)."""
    codes: dict[str, list[Code]] = {}
    bad: list[Code] = []
    for line, row in _rows(path, ("site", "code")):
        try:
            parsed = shortcode.parse(row["code"])
        except shortcode.MistypedCodeError as e:
            where = f"{path.name}:{line}"
            bad.append(
                Code(site=row["site"], text=row["code"], label=at(where, e.message))
            )
            continue
        extra = ", ".join(
            f"{k} {v}" for k, v in row.items() if k not in ("site", "code") and v
        )
        size = f"{parsed.size} · {parsed.chars}"
        label = f"{path.name}:{line} code {size}" + (f" ({extra})" if extra else "")
        codes.setdefault(row["site"], []).append(
            Code(site=row["site"], text=row["code"], label=label)
        )
    return codes, bad


def load_notes(folder: Path) -> dict[str, list[tuple[str, str]]]:
    notes: dict[str, list[tuple[str, str]]] = {}
    for path in _files(folder, ".note"):
        try:
            text = check.read_note(path)
            origin = checkpoint.Checkpoint.parse_body(
                text.rsplit("\n\n", 1)[0] + "\n"
            ).origin
        except CheckpointError as e:
            raise RecordsError(
                at(path, Text(N_("not a checkpoint note ({why})"), why=e.message))
            ) from e
        site = origin.split("/")[1] if origin.count("/") == 2 else ""
        notes.setdefault(site, []).append((f"centre {path.name}", text))
    return notes


def previous_bundles(folder: Path) -> list[Path]:
    """The last audit's bundles; which site each is of is known only once it
    verifies (:func:`vaultctl.centre.audit.vet_previous`), never from what it says."""
    return _files(folder, bundle.SUFFIX)


def genesis_of(ledger: bytes) -> tuple[str, str]:
    """Site id and stored hash of the genesis (line 1); "" where unreadable."""
    try:
        entry = json.loads(ledger.split(b"\n", 1)[0])
        site = entry["body"]["site"]["id"]
        digest = entry["hash"]
    except (ValueError, KeyError, TypeError, IndexError, RecursionError):
        return "", ""
    ok = isinstance(site, str) and isinstance(digest, str)
    return (site, digest) if ok else ("", "")


def _files(folder: Path, suffix: str) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.name.endswith(suffix))
    except OSError as e:
        raise RecordsError(Text(CANNOT_READ, path=folder, why=e.strerror)) from e


def load(
    pins: Path | None = None,
    codes: Path | None = None,
    notes: Path | None = None,
) -> Records:
    """The centre's records from whichever files were given (the earlier
    bundles are added once verified: :func:`vaultctl.centre.audit.vet_previous`)."""
    read, bad = load_codes(codes) if codes else ({}, [])
    return Records(
        pins=load_pins(pins) if pins else None,
        codes=read,
        bad_codes=bad,
        notes=load_notes(notes) if notes else {},
    )
