"""Generate a signed vault of N entries quickly, for benchmarks (not for tests).

The entries are the demo week (``bench/week.json``, recorded from
``examples/exam_week.py`` by ``make_week.py``: receipts, issues, returns,
custody, shifts, openings, access, notes…) repeated, each repetition a week
later with its own packet ids, signed by the week's officers (keys from the
demo's fixed seeds). They are built with the library's own ``writer.build``
in one pass, so 1M entries do not replay the log on every append.

``findings=True`` plants a rule violation every few entries (a note signed
by an untrained officer, besides the week's entries), for the memory figures
of a log with findings.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vaultctl.core import canonical
from vaultctl.rules.state import State
from vaultctl.store import writer

WEEK = json.loads((Path(__file__).parent / "week.json").read_text("utf-8"))
PERIOD = timedelta(days=7)
FINDING_EVERY = 5
LAST_HOLDER = (
    "O-005",
    "O-003",
)  # of K-D2 and CODE-C2: the week's last and first leader


def _rename(value: Any, rep: int) -> Any:
    """Give repetition ``rep`` its own packet ids (P-…) and times (+rep weeks)."""
    if isinstance(value, dict):
        return {k: _rename(v, rep) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, rep) for v in value]
    if isinstance(value, str) and value.startswith("P-"):
        return f"{value}-{rep}"
    if isinstance(value, str) and len(value) == 25 and value[10:11] == "T":
        try:
            return (datetime.fromisoformat(value) + rep * PERIOD).isoformat()
        except ValueError:
            return value
    return value


def genesis(findings: bool) -> dict[str, Any]:
    body = json.loads(json.dumps(WEEK["entries"][0]["body"]))
    # NOTE: the calendar of the week (sessions, exam window) is not repeated;
    # NO-PROXY (bound to the session times) is off, INVENTORY a warning
    levels = body["policy"].setdefault("levels", {})
    levels.update({"NO-PROXY": "off", "INVENTORY": "warn"})
    if findings:
        body["officers"][-1]["trained"] = None
        body["officers"][-1].pop("trained")
    return body


def _week(rep: int) -> Iterator[dict[str, Any]]:
    for e in WEEK["entries"][1:]:
        # NOTE: the keys stay with their holders from one week to the next
        body = e["body"]
        if rep and e["type"] == "custody" and body.get("action") == "assign":
            if body["to"] != LAST_HOLDER[1]:
                continue
            # NOTE: what the last leader of the week carries goes back to the first
            body = {
                "action": "handover",
                "item": body["item"],
                "from": LAST_HOLDER[0],
                "to": LAST_HOLDER[1],
            }
            yield {**e, "body": body, "signers": list(LAST_HOLDER)}
            continue
        yield e


def steps(
    n: int, findings: bool
) -> Iterator[tuple[str, str, dict[str, Any], list[str]]]:
    first = WEEK["entries"][0]
    yield first["ts"], "genesis", genesis(findings), first["signers"]
    untrained, other = WEEK["officers"][-1], WEEK["officers"][0]
    i, rep = 1, 0
    # NOTE: whole weeks only: a log cut mid-week ends with a door open and
    # packets out, findings the clean vault must not have
    while i < n:
        for e in _week(rep):
            ts = (datetime.fromisoformat(e["ts"]) + rep * PERIOD).isoformat()
            if findings and i % FINDING_EVERY == 0:
                yield ts, "note", {"text": f"第{i}条记录"}, [untrained, other]
                i += 1
            yield ts, e["type"], _rename(e["body"], rep), e["signers"]
            i += 1
        rep += 1


def generate(path: Path, n: int, findings: bool = False) -> Path:
    """Write ``path/ledger.jsonl`` with at least ``n`` entries of the demo
    week's mix (whole weeks: about 200 entries more at most)."""
    private = {
        o: Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32)
        for i, o in enumerate(WEEK["officers"], start=1)
    }
    state = State()
    path.mkdir(parents=True, exist_ok=True)
    (path / "evidence").mkdir(exist_ok=True)
    for sha, data in WEEK.get("evidence", {}).items():
        (path / "evidence" / sha).write_bytes(base64.b64decode(data))
    with (path / "ledger.jsonl").open("wb") as f:
        for ts, kind, body, ids in steps(n, findings):
            signers = [writer.Signer(o, private[o]) for o in ids]
            entry = writer.build(state, ts, kind, body, signers)
            state.apply(entry)
            f.write(canonical.encode(entry.to_dict()) + b"\n")
    return path


def cached(n: int, findings: bool = False) -> Path:
    """A generated vault in ``bench/.cache``, made once per version of the
    generator and of week.json (1M entries take minutes to sign)."""
    here = Path(__file__).parent
    digest = hashlib.sha256(
        (here / "gen.py").read_bytes() + (here / "week.json").read_bytes()
    ).hexdigest()[:8]
    path = here / ".cache" / f"{n}-{'findings' if findings else 'clean'}-{digest}"
    if not (path / "done").exists():
        generate(path, n, findings)
        (path / "done").write_text("")
    return path


if __name__ == "__main__":
    print(cached(int(sys.argv[1]), len(sys.argv) > 2))
