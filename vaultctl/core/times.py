"""The one grammar for times that officers type, and how times are shown.

Accepted (after NFKC, so full-width digits, colons and slashes count too):

* ISO: ``2026-06-06T14:05``, ``2026-06-06 14:05``, optional ``:SS``, optional
  offset ``Z``, ``+08:00`` or ``+0800``;
* month/day: ``6/6 14:05``, ``2026/6/6 14:05``;
* Chinese: ``6月6日 14:05``, ``6月6日14:05``, ``6月6日 14时05分``,
  ``2026年6月6日 14:05``;
* a time of today: ``14:05``; ``今天 14:05``, ``昨天 14:05``, ``today 14:05``,
  ``yesterday 14:05``.

Anything else is refused with a hint of what was probably meant; nothing is
guessed (``3.40`` is not 3 June). A local time that does not exist or exists
twice at a daylight-saving change is refused too, with a hint.

Pure: no click, no I/O; the clock is a parameter.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

from vaultctl.core.errors import UsageError
from vaultctl.core.i18n import _

_HM = (
    r"(?P<h>\d{1,2})(?::(?P<m>\d{2})(?::(?P<s>\d{2}))?"
    r"|[时点](?P<m2>\d{1,2})分(?:(?P<s2>\d{1,2})秒)?)"
)
_OFF = r"(?P<off>z|[+-]\d{2}:?\d{2})?"
_DAY = {"今天": 0, "today": 0, "昨天": -1, "yesterday": -1}

_FORMS = (
    re.compile(r"(?P<Y>\d{4})-(?P<M>\d{1,2})-(?P<D>\d{1,2})[t ]" + _HM + _OFF),
    re.compile(r"(?:(?P<Y>\d{4})/)?(?P<M>\d{1,2})/(?P<D>\d{1,2}) " + _HM + _OFF),
    re.compile(
        r"(?:(?P<Y>\d{4})年)?(?P<M>\d{1,2})月(?P<D>\d{1,2})[日号] ?" + _HM + _OFF
    ),
    re.compile(r"(?:(?P<rel>今天|昨天|today|yesterday) ?)?" + _HM + _OFF),
)

FORMS_HELP = "2026-06-06 14:05, 6/6 14:05, 6月6日 14:05, 14:05, 今天 14:05"


def show_parse(text: str, tz: tzinfo, now: datetime) -> str:
    """``parse`` then ``show``: what the officer will see for ``text``."""
    return show(parse(text, tz, now))


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a text is not a time, and what was probably meant (or None)."""

    reason: str
    hint: str | None


def normalise(text: str) -> str:
    """NFKC (full-width ``１４：０５`` becomes ``14:05``), single spaces, lowercase."""
    flat = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"\s+", " ", flat)


def parse(text: str, tz: tzinfo, now: datetime, date_ok: bool = False) -> datetime:
    """The aware moment (in ``tz``) that ``text`` names, or :class:`UsageError`.

    ``now`` supplies today's date for forms without a year or date. With
    ``date_ok`` an ISO date alone (``2026-06-01``) means its first moment.
    """
    flat = normalise(text)
    today = now.astimezone(tz).date()
    if date_ok and re.fullmatch(r"\d{4}-\d{2}-\d{2}", flat):
        flat += " 00:00"
    for form in _FORMS:
        match = form.fullmatch(flat)
        if match is not None:
            return _build(match.groupdict(), tz, today, text)
    raise UsageError(_explain(text, flat))


def _build(g: dict[str, str | None], tz: tzinfo, today: date, text: str) -> datetime:
    hour, minute = int(g["h"] or 0), int(g["m"] or g["m2"] or 0)
    second = int(g["s"] or g["s2"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise UsageError(
            _(
                "{text!r}: {hour}:{minute:02d} is not a time of day (00:00 to 23:59)"
            ).format(text=text, hour=hour, minute=minute)
        )
    if g.get("M") is not None:
        year = int(g["Y"] or 0) if g.get("Y") else today.year
        try:
            day = date(year, int(g["M"] or 0), int(g["D"] or 0))
        except ValueError:
            raise UsageError(
                _("{text!r}: there is no such date").format(text=text)
            ) from None
    else:
        day = today + timedelta(days=_DAY.get(g.get("rel") or "", 0))
    if not 1900 <= day.year <= 9998:
        raise UsageError(_("{text!r}: year out of range").format(text=text))
    naive = datetime(day.year, day.month, day.day, hour, minute, second)
    if g["off"]:
        return naive.replace(tzinfo=_offset(g["off"])).astimezone(tz)
    return _localise(naive, tz, text)


def _offset(text: str) -> timezone:
    if text == "z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise UsageError(_("offset {text} is out of range").format(text=text))
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _localise(naive: datetime, tz: tzinfo, text: str) -> datetime:
    """Attach the site zone, refusing times skipped or repeated by DST."""
    early, late = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if early.utcoffset() == late.utcoffset():
        return early
    back = early.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if back != naive:
        raise UsageError(
            _(
                "{text!r}: {time} does not exist on that day in the site time zone "
                "(the clocks were put forward); did you mean {hint}?"
            ).format(text=text, time=f"{naive:%H:%M}", hint=f"{back:%H:%M}")
        )
    raise UsageError(
        _(
            "{text!r}: {time} happens twice on that day in the site time zone "
            "(the clocks were put back); give the offset: {a} or {b}"
        ).format(text=text, time=f"{naive:%H:%M}", a=show(early), b=show(late))
    )


def _explain(text: str, flat: str) -> str:
    """The refusal of a text that fits no form, with what was probably meant."""
    hint = _guess(flat)
    if hint is not None:
        return _("{text!r} is not a time; did you mean {hint}?").format(
            text=text, hint=hint
        )
    return _("{text!r} is not a time (write it like {forms})").format(
        text=text, forms=FORMS_HELP
    )


def _guess(flat: str) -> str | None:
    """A suggestion for a near miss: ``3.40`` → ``03:40``, ``1140`` → ``11:40``."""
    split = re.fullmatch(r"(.*?(?:[日号]|\s))?([^\s日号]+)", flat)
    prefix, rest = (split.group(1) or "", split.group(2)) if split else ("", flat)
    loose = re.fullmatch(r"(\d{1,2})[.,。，;h](\d{2})", rest) or re.fullmatch(
        r"(\d{1,2})(\d{2})", rest
    )
    if loose is not None:
        hour, minute = int(loose.group(1)), int(loose.group(2))
        if hour <= 23 and minute <= 59:
            return f"{prefix}{hour:02d}:{minute:02d}"
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", flat):
        return f"{flat} 00:00"
    dotted = re.fullmatch(r"(\d{1,2})\.(\d{1,2}) (.*)", flat)
    if dotted is not None:
        return f"{dotted.group(1)}/{dotted.group(2)} {dotted.group(3)}"
    return None


def show(moment: datetime) -> str:
    """How a stored time is shown: site wall time and its offset, re-parseable.

    ``2026-06-06 14:05+08:00``; seconds only when not zero.
    """
    text = f"{moment:%Y-%m-%d %H:%M}"
    if moment.second:
        text += f":{moment.second:02d}"
    offset = moment.strftime("%z")
    return f"{text}{offset[:3]}:{offset[3:]}"


def show_zoned(moment: datetime, tz: tzinfo) -> str:
    """``show`` in the site zone, with the zone's name: what a confirmation prints."""
    local = moment.astimezone(tz)
    return f"{show(local)} ({tz})"
