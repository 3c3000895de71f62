"""The time grammar: what is accepted is stored as shown; near misses are refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultctl.core import times
from vaultctl.core.errors import UsageError
from vaultctl.core.model import format_ts, parse_ts

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=TZ)
ZONES = [ZoneInfo(z) for z in ("Asia/Shanghai", "Europe/Berlin", "America/New_York")]

ACCEPTED = [
    ("2026-06-06T14:05", "2026-06-06T14:05:00+08:00"),
    ("2026-06-06 14:05", "2026-06-06T14:05:00+08:00"),
    ("2026-06-06 14:05:07", "2026-06-06T14:05:07+08:00"),
    ("2026-06-06T06:05Z", "2026-06-06T14:05:00+08:00"),
    ("2026-06-06T15:05+09:00", "2026-06-06T14:05:00+08:00"),
    ("2026-06-06T15:05+0900", "2026-06-06T14:05:00+08:00"),
    ("6/6 14:05", "2026-06-06T14:05:00+08:00"),
    ("2026/6/6 14:05", "2026-06-06T14:05:00+08:00"),
    ("6月6日 14:05", "2026-06-06T14:05:00+08:00"),
    ("6月6日14:05", "2026-06-06T14:05:00+08:00"),
    ("6月6日 14时05分", "2026-06-06T14:05:00+08:00"),
    ("2026年6月6日 14:05", "2026-06-06T14:05:00+08:00"),
    ("12月3日 11:40", "2026-12-03T11:40:00+08:00"),
    ("14:05", "2026-12-04T14:05:00+08:00"),
    ("11：40", "2026-12-04T11:40:00+08:00"),
    ("１１：４０", "2026-12-04T11:40:00+08:00"),
    ("今天 08:30", "2026-12-04T08:30:00+08:00"),
    ("今天08:30", "2026-12-04T08:30:00+08:00"),
    ("昨天 23:59", "2026-12-03T23:59:00+08:00"),
    ("today 8:30", "2026-12-04T08:30:00+08:00"),
    ("Yesterday 01:05", "2026-12-03T01:05:00+08:00"),
]

REFUSED = [
    ("3.40", "did you mean 03:40?"),
    ("8.30", "did you mean 08:30?"),
    ("1140", "did you mean 11:40?"),
    ("25:00", "25:00 is not a time of day"),
    ("14:60", "is not a time of day"),
    ("6/6 3.40", "did you mean 6/6 03:40?"),
    ("12.3 11:40", "did you mean 12/3 11:40?"),
    ("2026-06-06", "did you mean 2026-06-06 00:00?"),
    ("2026-02-30 10:00", "there is no such date"),
    ("2026-06-06T09:50:59.900", "is not a time"),
    ("next tuesday", "is not a time (write it like"),
    ("", "is not a time"),
]


@pytest.mark.parametrize(("typed", "stored"), ACCEPTED)
def test_accepted_forms(typed: str, stored: str) -> None:
    assert format_ts(times.parse(typed, TZ, NOW)) == stored


@pytest.mark.parametrize(("typed", "hint"), REFUSED)
def test_refused_with_a_hint(typed: str, hint: str) -> None:
    with pytest.raises(UsageError) as caught:
        times.parse(typed, TZ, NOW)
    assert hint in str(caught.value)


def test_a_date_alone_only_where_allowed() -> None:
    moment = times.parse("2026-06-01", TZ, NOW, date_ok=True)
    assert format_ts(moment) == "2026-06-01T00:00:00+08:00"


def test_dst_gap_and_fold_are_refused_with_a_hint() -> None:
    ny = ZoneInfo("America/New_York")
    with pytest.raises(UsageError, match="does not exist.*did you mean 03:30"):
        times.parse("2026-03-08 02:30", ny, NOW)
    with pytest.raises(UsageError, match="happens twice.*01:30-04:00 or .*01:30-05:00"):
        times.parse("2026-11-01 01:30", ny, NOW)
    moment = times.parse("2026-11-01 01:30-05:00", ny, NOW)
    assert times.show(moment) == "2026-11-01 01:30-05:00"


def test_show_zoned_names_the_zone() -> None:
    moment = parse_ts("2026-06-06T06:05:00+00:00")
    assert times.show_zoned(moment, TZ) == "2026-06-06 14:05+08:00 (Asia/Shanghai)"


@given(
    st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2090, 12, 31)).map(
        lambda d: d.replace(microsecond=0)
    ),
    st.sampled_from(ZONES),
)
def test_what_is_shown_parses_back_to_the_same_moment(
    naive: datetime, tz: ZoneInfo
) -> None:
    moment = naive.replace(tzinfo=tz)
    stored = format_ts(moment.astimezone(tz))
    shown = times.show(parse_ts(stored))
    again = times.parse(shown, tz, NOW)
    assert format_ts(again) == stored
    assert times.show(again) == shown


@given(
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(0, 23),
    st.integers(0, 59),
    st.sampled_from(
        [
            "{M}/{D} {h}:{m:02d}",
            "{M}月{D}日 {h:02d}:{m:02d}",
            "2026-{M:02d}-{D:02d} {h:02d}:{m:02d}",
            "{M}月{D}日{h}时{m}分",
        ]
    ),
    st.booleans(),
)
def test_the_stored_time_is_the_time_typed(
    month: int, day: int, hour: int, minute: int, form: str, wide: bool
) -> None:
    typed = form.format(M=month, D=day, h=hour, m=minute)
    if wide:  # full-width digits and colon, as a Chinese IME types them
        typed = typed.translate({c: c + 0xFEE0 for c in range(0x30, 0x3B)})
    moment = times.parse(typed, TZ, NOW)
    assert (moment.month, moment.day, moment.hour, moment.minute) == (
        month,
        day,
        hour,
        minute,
    )
    assert times.show(parse_ts(format_ts(moment))) == times.show(moment)


def test_relative_days_follow_the_site_date() -> None:
    late = datetime(2026, 12, 4, 23, 30, tzinfo=TZ)
    assert times.parse("昨天 23:00", TZ, late) == late - timedelta(days=1, minutes=30)


def test_ahead_of_the_clock_shows_the_clock_in_site_time() -> None:
    from vaultctl.rules.state import State
    from vaultctl.rules.watch import TimeOrder

    clock = datetime(2026, 12, 3, 17, 1, tzinfo=ZoneInfo("UTC"))
    rule = TimeOrder({}, "error", clock)
    s = State()
    s.tz = TZ
    event = type(
        "E",
        (),
        {"moment": datetime(2026, 12, 4, 14, 5, tzinfo=TZ), "signers": (), "seq": 5},
    )()
    event.ts = "2026-12-04T14:05:00+08:00"
    found = list(rule.step(event, s))  # type: ignore[arg-type]
    assert found[0].message == (
        "time 2026-12-04 14:05+08:00 is ahead of the clock of this machine "
        "(2026-12-04 01:01+08:00 in site time)"
    )
