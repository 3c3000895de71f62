"""Build a log in memory through the real code (writer.build, Engine, verify.run).

A :class:`Story` signs each entry with keys from fixed seeds, feeds it to a
rules engine (so state moves on), and keeps the canonical lines; ``verify``
runs the real verifier over them. ``compliant_story()`` is a day at the test
site that breaks no rule: every rule test starts from it and changes one thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from vaultctl import verify
from vaultctl.core import canonical
from vaultctl.rules import Engine, Finding
from vaultctl.store import config, writer

from .conftest import private_key, site_toml

NOW = datetime.fromisoformat("2026-11-30T12:00:00+08:00")
DAY = "2026-06-06"
CREW_A = ("O-003", "O-004", "O-009")  # leader first
CREW_B = ("O-005", "O-006", "O-010")
PACKETS = [("P-E01", "O-101")]  # packet id, invigilator of E01


def t(hhmm: str, day: str = DAY) -> str:
    """A stored time at the test site: ``t("08:30")``, ``t("09:00", "2026-06-07")``."""
    return f"{day}T{hhmm}:00+08:00"


class Story:
    """An append-only log being written, entry by entry, in memory."""

    def __init__(self, tmp: Path, extra_toml: str = "", policy: str = "") -> None:
        toml = site_toml(extra_toml)
        if policy:
            toml = toml.replace(
                "[[officers]]", f"[policy]\n{policy}\n\n[[officers]]", 1
            )
        path = tmp / "site.toml"
        path.write_text(toml, "utf-8")
        self.genesis = config.load(path)
        self.engine = Engine(NOW)
        self.lines: list[bytes] = []
        self.add("genesis", self.genesis, t("07:00"), ("O-001", "O-002"))

    @property
    def state(self) -> Any:
        return self.engine.state

    def add(
        self, entry_type: str, body: dict[str, Any], ts: str, signers: Sequence[str]
    ) -> int:
        """Sign and append one entry; return its seq."""
        entry = writer.build(
            self.state,
            ts,
            entry_type,
            body,
            [writer.Signer(s, private_key(s)) for s in signers],
        )
        self.engine.feed(entry)
        self.lines.append(canonical.encode(entry.to_dict()))
        return entry.seq

    def preview(
        self, entry_type: str, body: dict[str, Any], ts: str, signers: Sequence[str]
    ) -> list[Finding]:
        """What the write-time check would say of this entry."""
        return self.engine.preview(
            writer.draft(self.engine, ts, entry_type, body, signers)
        )

    def verify(self, now: datetime = NOW) -> verify.Report:
        return verify.run(((line, True) for line in self.lines), now=now)

    def rules(self, now: datetime = NOW) -> list[str]:
        """The rule ids of every compliance finding, sorted."""
        report = self.verify(now)
        assert report.integrity == [], report.integrity
        return sorted(f.rule for f in report.findings)

    # --- the usual steps ---------------------------------------------------
    def shift_start(self, crew: Sequence[str], at: str, sid: str = "A") -> int:
        return self.add(
            "shift",
            {"action": "start", "shift": sid, "leader": crew[0], "members": list(crew)},
            at,
            crew[:2],
        )

    def handover(
        self,
        old: Sequence[str],
        new: Sequence[str],
        at: str,
        old_id: str = "A",
        new_id: str = "B",
    ) -> int:
        return self.add(
            "shift",
            {
                "action": "handover",
                "shift": new_id,
                "leader": new[0],
                "members": list(new),
                "from_shift": old_id,
                "from_leader": old[0],
                # NOTE: the incoming leader counts what is stored (STOCK-COUNT)
                **({"stock": len(self.state.stocked)} if self.state.stocked else {}),
            },
            at,
            (old[0], new[0]),
        )

    def custody(
        self, action: str, item: str, at: str, signers: Sequence[str], **parties: str
    ) -> int:
        return self.add(
            "custody", {"action": action, "item": item, **parties}, at, signers
        )

    def open_close(
        self,
        what: str,
        target: str,
        at: str,
        signers: Sequence[str],
        present: Sequence[str] = (),
    ) -> None:
        self.add("open", {what: target, "present": list(present)}, at, signers)
        self.add("close", {what: target}, at, signers)

    def receipt(
        self, at: str, packets: Sequence[dict[str, Any]] | None = None, **extra: Any
    ) -> int:
        packets = packets or [packet(pid) for pid, _ in PACKETS]
        body = {
            "from": "O-005",
            "room": "R1",
            "packets": list(packets),
            "count": len(packets),
            "cctv": True,
            **extra,
        }
        return self.add("receipt", body, at, ("O-005", "O-002"))

    def issue(
        self,
        at: str,
        pid: str = "P-E01",
        to: str = "O-101",
        signers: Sequence[str] | None = None,
        **extra: Any,
    ) -> int:
        body = {
            "session": "S-0607-AM",
            "exam_room": "E01",
            "to": to,
            "packets": [{"id": pid, "seal": "SL-1"}],
            "count": 1,
            "seal_checked": True,
            "cctv": True,
            **extra,
        }
        return self.add("issue", body, at, signers or ("O-002", to))

    def give_back(self, at: str, pid: str = "P-E01", **changes: Any) -> int:
        body = {
            "session": "S-0607-AM",
            "exam_room": "E01",
            "from": "O-101",
            "packets": [packet(pid, kind="answer-sheet", seal="SA-1", **changes)],
            "count": 1,
            "cctv": True,
        }
        return self.add("return", body, at, ("O-101", "O-002"))

    def dispatch(self, at: str, pid: str = "P-E01") -> int:
        body = {
            "to": "外送车",
            "packets": [{"id": pid, "seal": "SA-1"}],
            "count": 1,
            "seal_checked": True,
            "cctv": True,
        }
        return self.add("dispatch", body, at, ("O-002", "O-005"))


def packet(
    pid: str,
    subject: str = "语文",
    session: str = "S-0607-AM",
    kind: str = "paper",
    seal: str = "SL-1",
    intact: bool = True,
) -> dict[str, Any]:
    return {
        "id": pid,
        "subject": subject,
        "session": session,
        "kind": kind,
        "seal": seal,
        "intact": intact,
    }


def setup(
    story: Story, *, inspect: bool = True, cctv: bool = True, shift: bool = True
) -> None:
    """Inspection, keys to their holders, cameras on, the first shift (each of
    inspection, cameras and shift can be left out, for the rule tests)."""
    if inspect:
        story.add(
            "inspection",
            {"room": "R1", "result": "pass", "items": ["门窗"]},
            t("07:10"),
            ("O-201", "O-202"),
        )
    story.custody("assign", "K-D1", t("07:20"), ("O-002", "O-001"), to="O-002")
    story.custody("assign", "K-D2", t("07:20"), ("O-003", "O-002"), to="O-003")
    story.custody("assign", "K-C1-A", t("07:21"), ("O-001", "O-002"), to="O-001")
    story.custody("assign", "K-C1-B", t("07:21"), ("O-002", "O-001"), to="O-002")
    if cctv:
        story.add(
            "cctv", {"action": "on", "camera": "CAM-1"}, t("07:30"), ("O-002", "O-003")
        )
    if shift:
        story.shift_start(CREW_A, t("08:00"))


def compliant_story(tmp: Path, **kwargs: Any) -> Story:
    """A full cycle that breaks no rule: receive, issue, return, dispatch, end."""
    story = Story(tmp, **kwargs)
    setup(story)
    story.open_close("door", "D1", t("10:00"), ("O-002", "O-003"))
    story.open_close("cabinet", "C1", t("10:01"), ("O-001", "O-002"))
    story.receipt(t("10:05"))
    story.handover(CREW_A, CREW_B, t("16:00"))
    story.custody(
        "handover",
        "K-D2",
        t("16:00"),
        ("O-003", "O-005"),
        **{"from": "O-003", "to": "O-005"},
    )
    exam = "2026-06-07"
    # NOTE: no shift runs past SHIFT-LONG's 12 hours (B: 16:00-04:00, A2: 04:00-13:00)
    story.handover(CREW_B, CREW_A, t("04:00", exam), "B", "A2")
    story.custody(
        "handover",
        "K-D2",
        t("04:00", exam),
        ("O-005", "O-003"),
        **{"from": "O-005", "to": "O-003"},
    )
    story.issue(t("08:30", exam))
    story.give_back(t("11:45", exam))
    story.dispatch(t("12:30", exam))
    story.add(
        "shift", {"action": "end", "shift": "A2"}, t("13:00", exam), ("O-003", "O-004")
    )
    return story
