"""An exam week at one site, as the officers would type it into ``vaultctl``.

``commands()`` lists every command of the week in time order; ``main()`` runs
them through the real ``vaultctl`` executable (``demo.sh`` sets the vault, the
key dir and the passphrases in the environment). ``--plant`` adds five
violations recorded with ``--force``, for the rule tests.

Site (examples/site.toml): site head O-001, room head O-002; three duty crews
of three (a leader, a custodian, a security officer) on 8-hour shifts; the
shift leader carries the inner-door key K-D2 and the combination CODE-C2,
the room head the outer-door key K-D1, and the two heads the cabinet keys.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

SITE_HEAD, ROOM_HEAD, COURIER = "O-001", "O-002", "O-301"
CREWS = [
    ("O-003", "O-004", "O-009"),
    ("O-005", "O-006", "O-010"),
    ("O-007", "O-008", "O-011"),
]
EXAM_ROOMS = {"E01": "O-101", "E02": "O-102", "E03": "O-103"}
# session id, subject, start, end (from site.toml)
SESSIONS = [
    ("S-0607-AM", "语文", "2026-06-07 09:00", "2026-06-07 11:30"),
    ("S-0607-PM", "数学", "2026-06-07 15:00", "2026-06-07 17:00"),
    ("S-0608-AM", "物理", "2026-06-08 09:00", "2026-06-08 10:15"),
    ("S-0608-PM", "外语", "2026-06-08 15:00", "2026-06-08 17:00"),
    ("S-0609-AM", "化学", "2026-06-09 08:30", "2026-06-09 09:45"),
    ("S-0609-PM", "生物", "2026-06-09 14:30", "2026-06-09 15:45"),
]
DELIVERIES = {"2026-06-06 14:00": SESSIONS[:4], "2026-06-08 13:00": SESSIONS[4:]}
BROKEN = "P-0609-AM-E02"  # its seal is found broken at the second delivery
PHOTOS = Path(__file__).resolve().parent / "photos"

Step = tuple[str, list[str]]  # (time, arguments)


def signed(*ids: str) -> list[str]:
    return [arg for officer in ids for arg in ("--signer", officer)]


def at(when: str, *args: str) -> Step:
    return when, [*args, "--at", when]


def shift_times() -> Iterator[tuple[str, int]]:
    """Handover times from 6/6 16:00 to 6/9 16:00 and the crew taking over."""
    crew = 0
    for day in ("06", "07", "08", "09"):
        for hour in ("00:00", "08:00", "16:00"):
            when = f"2026-06-{day} {hour}"
            if "2026-06-06 16:00" <= when <= "2026-06-09 16:00":
                crew = (crew + 1) % 3
                yield when, crew


def setup() -> Iterator[Step]:
    yield at(
        "2026-06-05 09:00",
        "inspect",
        "--result",
        "pass",
        "--item",
        "防盗门窗",
        "--item",
        "报警装置",
        "--item",
        "消防器材",
        *signed("O-201", "O-202"),
    )
    assign = [
        ("K-D1", ROOM_HEAD, SITE_HEAD),
        ("K-D2", "O-003", ROOM_HEAD),
        ("CODE-C2", "O-003", ROOM_HEAD),
        ("K-C1-A", SITE_HEAD, ROOM_HEAD),
        ("K-C1-B", ROOM_HEAD, SITE_HEAD),
        ("K-C2-A", SITE_HEAD, ROOM_HEAD),
        ("K-C2-B", ROOM_HEAD, SITE_HEAD),
    ]
    for i, (item, to, giver) in enumerate(assign):
        yield at(
            f"2026-06-05 09:{10 + i:02d}",
            "custody",
            "assign",
            "--item",
            item,
            "--to",
            to,
            *signed(to, giver),
        )
    for i, cam in enumerate(("CAM-1", "CAM-2")):
        yield at(
            f"2026-06-05 09:{30 + i}",
            "cctv",
            "on",
            "--camera",
            cam,
            *signed(ROOM_HEAD, "O-003"),
        )
    lead, *rest = CREWS[0]
    yield at(
        "2026-06-06 08:00",
        "shift",
        "start",
        "--leader",
        lead,
        *[a for m in rest for a in ("--member", m)],
        *signed(lead, rest[0]),
    )
    # NOTE: nobody enters through a closed outer door (DOOR-STATE)
    yield at("2026-06-06 10:00", "open", "--door", "D1", *signed(ROOM_HEAD, "O-009"))
    yield at(
        "2026-06-06 10:00",
        "access",
        "enter",
        "--person",
        "电工 张师傅",
        "--approver",
        ROOM_HEAD,
        "--escort",
        "O-009",
        "--purpose",
        "检修照明",
        *signed(ROOM_HEAD, "O-009"),
    )
    yield at(
        "2026-06-06 10:40",
        "access",
        "exit",
        "--person",
        "电工 张师傅",
        *signed(ROOM_HEAD, "O-009"),
    )
    yield at("2026-06-06 10:40", "close", "--door", "D1", *signed(ROOM_HEAD, "O-009"))
    yield at(
        "2026-06-06 12:00",
        "presence",
        "leave",
        "--member",
        "O-004",
        "--reason",
        "就餐",
        *signed("O-003", "O-004"),
    )
    yield at(
        "2026-06-06 12:30",
        "presence",
        "return",
        "--member",
        "O-004",
        *signed("O-003", "O-004"),
    )


def handovers() -> Iterator[Step]:
    for when, crew in shift_times():
        old, new = CREWS[crew - 1][0], CREWS[crew][0]
        members = [a for m in CREWS[crew][1:] for a in ("--member", m)]
        yield at(
            when, "shift", "handover", "--leader", new, *members, *signed(old, new)
        )
        for item in ("K-D2", "CODE-C2"):
            yield at(
                when,
                "custody",
                "handover",
                "--item",
                item,
                "--from",
                old,
                "--to",
                new,
                *signed(old, new),
            )


def leader_at(when: str) -> str:
    crew = 0
    for t, c in shift_times():
        if t <= when:
            crew = c
    return CREWS[crew][0]


def in_room(when: str, minutes: int, *inner: list[str]) -> Iterator[Step]:
    """Open outer door, inner door and cabinet C1; do ``inner``; close again."""
    lead, day, hh_mm = leader_at(when), when[:10], when[11:]
    hh, mm = int(hh_mm[:2]), int(hh_mm[3:])

    def t(offset: int) -> str:
        total = hh * 60 + mm + offset
        return f"{day} {total // 60:02d}:{total % 60:02d}"

    yield at(t(0), "open", "--door", "D1", *signed(ROOM_HEAD, lead))
    yield at(t(0), "open", "--door", "D2", *signed(ROOM_HEAD, lead))
    yield at(
        t(1),
        "open",
        "--cabinet",
        "C1",
        "--present",
        lead,
        *signed(SITE_HEAD, ROOM_HEAD),
    )
    for i, args in enumerate(inner):
        yield at(t(2 + i), *args)
    end = minutes
    yield at(t(end), "close", "--cabinet", "C1", *signed(SITE_HEAD, ROOM_HEAD))
    yield at(t(end), "close", "--door", "D2", *signed(ROOM_HEAD, lead))
    yield at(t(end), "close", "--door", "D1", *signed(ROOM_HEAD, lead))


def packet(kind: str, session: str, room: str) -> str:
    return f"{kind}-{session[2:]}-{room}"


def seal(kind: str, session: str, room: str) -> str:
    n = SESSIONS.index(next(s for s in SESSIONS if s[0] == session)) * 10
    return f"{'SL' if kind == 'P' else 'SA'}-{n + int(room[1:]):04d}"


def deliveries() -> Iterator[Step]:
    for when, sessions in DELIVERIES.items():
        specs = []
        for sid, subject, _, _ in sessions:
            for room in EXAM_ROOMS:
                pid = packet("P", sid, room)
                broken = ":broken" if pid == BROKEN else ""
                specs += [
                    "--packet",
                    f"{pid}:{subject}:{sid}:{seal('P', sid, room)}" + broken,
                ]
        receipt = [
            "receipt",
            "--from",
            COURIER,
            "--cctv",
            "on",
            *specs,
            *signed(COURIER, ROOM_HEAD),
        ]
        yield from in_room(when, 15, receipt)


def exams() -> Iterator[Step]:
    for sid, subject, start, end in SESSIONS:
        issue_at = _shift(start, -40)
        issues = [
            [
                "issue",
                "--session",
                sid,
                "--exam-room",
                room,
                "--to",
                inv,
                "--packet",
                f"{packet('P', sid, room)}:{seal('P', sid, room)}",
                "--count",
                "1",
                "--cctv",
                "on",
                *signed(ROOM_HEAD, inv),
            ]
            for room, inv in EXAM_ROOMS.items()
        ]
        yield from in_room(issue_at, 8, *issues)
        returns = [
            [
                "return",
                "--session",
                sid,
                "--exam-room",
                room,
                "--from",
                inv,
                "--kind",
                "answer-sheet",
                "--packet",
                f"{packet('P', sid, room)}:{subject}:{sid}:{seal('A', sid, room)}",
                "--count",
                "1",
                "--cctv",
                "on",
                *signed(inv, ROOM_HEAD),
            ]
            for room, inv in EXAM_ROOMS.items()
        ]
        yield from in_room(_shift(end, 20), 8, *returns)


def _shift(when: str, minutes: int) -> str:
    day, hh, mm = when[:10], int(when[11:13]), int(when[14:16])
    total = hh * 60 + mm + minutes
    return f"{day} {total // 60:02d}:{total % 60:02d}"


def dispatches() -> Iterator[Step]:
    for day, sessions in (
        ("2026-06-07", SESSIONS[:2]),
        ("2026-06-08", SESSIONS[2:4]),
        ("2026-06-09", SESSIONS[4:]),
    ):
        ids = [
            f"{packet('P', sid, room)}:{seal('A', sid, room)}"
            for sid, *_ in sessions
            for room in EXAM_ROOMS
        ]
        args = [
            "dispatch",
            "--to",
            COURIER,
            "--count",
            str(len(ids)),
            "--cctv",
            "on",
            *[a for i in ids for a in ("--packet", i)],
            *signed(ROOM_HEAD, COURIER),
        ]
        yield from in_room(f"{day} 18:00", 10, args)


def incident() -> Iterator[Step]:
    yield at(
        "2026-06-08 13:20",
        "incident",
        "--kind",
        "seal-broken",
        "--text",
        f"{BROKEN} 外袋封条破损，内袋完好；已拍照封存，监控录像留存",
        "--reported-to",
        "县教育考试中心 值班室",
        "--reported-at",
        "2026-06-08 13:25",
        # NOTE: the photo is bound to the entry (evidence/, checked by verify)
        "--attach",
        str(PHOTOS / f"seal-{BROKEN}.png"),
        *signed(ROOM_HEAD, SITE_HEAD),
    )


def closing() -> Iterator[Step]:
    lead = leader_at("2026-06-09 20:00")
    yield at("2026-06-09 20:00", "shift", "end", *signed(lead, ROOM_HEAD))
    yield at(
        "2026-06-10 09:00",
        "note",
        "--text",
        "考试结束，保密室清空，钥匙收回",
        *signed(SITE_HEAD, ROOM_HEAD),
    )


def commands(plant: bool = False) -> list[list[str]]:
    steps = [
        *setup(),
        *handovers(),
        *deliveries(),
        *incident(),
        *exams(),
        *dispatches(),
        *closing(),
    ]
    if plant:
        steps += list(planted_violations())
    steps.sort(key=lambda s: s[0])  # NOTE: a stable sort keeps same-minute order
    return counted([args for _, args in steps])


def counted(steps: list[list[str]]) -> list[list[str]]:
    """Each shift handover with the number of packets the incoming leader
    counts in the room (STOCK-COUNT): the stock the steps before it leave."""
    stock, out = 0, []
    for args in steps:
        if args[0] == "receipt":
            stock += args.count("--packet")
        elif args[0] in ("issue", "return", "dispatch"):
            n = int(args[args.index("--count") + 1])
            stock += n if args[0] == "return" else -n
        elif args[:2] == ["shift", "handover"] and stock:
            args = [*args[:2], "--stock", str(stock), *args[2:]]
        out.append(args)
    return out


def planted_violations() -> Iterator[Step]:
    """Five violations recorded with --force, one finding each (tests/test_demo.py)."""
    # 1 SHIFT-SIZE: crew 3 (O-007, O-008, O-011) is on duty 6/7 00:00-08:00
    yield at(
        "2026-06-07 03:00",
        "presence",
        "leave",
        "--member",
        "O-008",
        "--reason",
        "办事:送材料",
        *signed("O-007", "O-008"),
    )
    yield at(
        "2026-06-07 03:05",
        "presence",
        "leave",
        "--member",
        "O-011",
        "--reason",
        "办事:取文件",
        *signed("O-007", "O-011"),
        "--force",
    )
    yield at(
        "2026-06-07 03:40",
        "presence",
        "return",
        "--member",
        "O-008",
        *signed("O-007", "O-008"),
    )
    yield at(
        "2026-06-07 03:40",
        "presence",
        "return",
        "--member",
        "O-011",
        *signed("O-007", "O-011"),
    )
    # 2 ACCESS: a visitor let in with approval but nobody escorting
    lead = leader_at("2026-06-07 13:00")
    yield at("2026-06-07 13:00", "open", "--door", "D1", *signed(ROOM_HEAD, lead))
    yield at(
        "2026-06-07 13:00",
        "access",
        "enter",
        "--person",
        "送水工",
        "--approver",
        ROOM_HEAD,
        *signed(ROOM_HEAD, "O-003"),
        "--force",
    )
    yield at(
        "2026-06-07 13:05",
        "access",
        "exit",
        "--person",
        "送水工",
        *signed(ROOM_HEAD, "O-003"),
    )
    yield at("2026-06-07 13:05", "close", "--door", "D1", *signed(ROOM_HEAD, lead))
    # 3 CCTV: a camera switched off with papers in store (crew 3 on duty)
    yield at(
        "2026-06-08 02:00",
        "cctv",
        "off",
        "--camera",
        "CAM-2",
        *signed("O-007", "O-008"),
        "--force",
    )
    yield at(
        "2026-06-08 02:10", "cctv", "on", "--camera", "CAM-2", *signed("O-007", "O-008")
    )
    # 4 REPORTED: an incident reported 90 minutes late (crew 2 on duty)
    yield at(
        "2026-06-08 21:00",
        "incident",
        "--kind",
        "other",
        "--text",
        "窗外有人逗留，已驱离",
        "--reported-to",
        "县教育考试中心",
        "--reported-at",
        "2026-06-08 22:30",
        *signed("O-005", "O-010"),
        "--force",
    )
    # 5 KEY-SPLIT: the outer-door key lent to the leader who holds the inner one
    yield at(
        "2026-06-09 12:00",
        "custody",
        "handover",
        "--item",
        "K-D1",
        "--from",
        ROOM_HEAD,
        "--to",
        "O-003",
        *signed(ROOM_HEAD, "O-003"),
        "--force",
    )
    yield at(
        "2026-06-09 12:10",
        "custody",
        "handover",
        "--item",
        "K-D1",
        "--from",
        "O-003",
        "--to",
        ROOM_HEAD,
        *signed(ROOM_HEAD, "O-003"),
    )


def vaultctl(args: list[str]) -> None:
    """Run one command; stop the demo on the first refusal."""
    print("$ vaultctl " + shlex.join(args), flush=True)
    # NOTE: the demo runs the vaultctl on PATH (the venv's), as an officer would
    result = subprocess.run(["vaultctl", *args], capture_output=True, text=True)  # noqa: S603, S607
    for line in result.stdout.splitlines():
        print("  " + line)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        sys.exit(f"demo step failed with exit {result.returncode}")


def main() -> None:
    plant = "--plant" in sys.argv
    site_toml = sys.argv[-1] if sys.argv[-1].endswith(".toml") else "site.toml"
    vaultctl(
        [
            "init",
            "--config",
            site_toml,
            *signed(SITE_HEAD, ROOM_HEAD),
            "--at",
            "2026-06-05 08:00",
        ]
    )
    steps = commands(plant)
    day = ""
    for n, args in enumerate(steps, start=1):
        when = args[args.index("--at") + 1] if "--at" in args else ""
        if when[:10] != day:  # NOTE: progress to stderr, a line per day
            day = when[:10]
            print(f"== {day}: step {n} of {len(steps)}", file=sys.stderr, flush=True)
        vaultctl(args)


if __name__ == "__main__":
    main()
