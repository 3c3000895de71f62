"""The state of the paper room, built by replaying entries in log order (pure).

One model, read by ``status``, by the write-time checks and by the rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from vaultctl.model import Entry
from vaultctl.roster import Roster


class State:
    """Everything known after the entries applied so far."""

    def __init__(self) -> None:
        self.genesis: dict[str, Any] | None = None
        self.roster = Roster([])
        self.log: str | None = None
        self.head: str | None = None
        self.seq = -1
        self.entries = 0
        self.last: Entry | None = None
        self.tz: ZoneInfo | None = None

    @property
    def site(self) -> dict[str, Any]:
        return self.genesis["site"] if self.genesis else {}

    @property
    def last_moment(self) -> datetime | None:
        return self.last.moment if self.last else None

    def summary(self) -> dict[str, Any]:
        """The state at the end, as the JSON report shows it."""
        return {
            "site": self.site.get("id"),
            "seq": self.seq,
            "last_ts": self.last.ts if self.last else None,
            "officers": [o.public() for o in self.roster.officers.values()],
        }

    def apply(self, entry: Entry) -> None:
        """Fold one entry into the state."""
        if entry.type == "genesis" and self.genesis is None:
            self.genesis = entry.body
            self.roster = Roster(entry.body["officers"])
            self.tz = ZoneInfo(entry.body["site"]["timezone"])
            self.log = entry.log
        elif entry.type == "roster":
            self.roster.apply(entry.body)
        self.head = entry.hash
        self.seq = entry.seq
        self.entries += 1
        self.last = entry


def replay(entries: Iterable[Entry]) -> State:
    state = State()
    for entry in entries:
        state.apply(entry)
    return state
