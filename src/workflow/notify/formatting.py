"""How money, dates and times read in an email: £1,234.56 and "Tuesday 30 September 2025, 9:30am".

Money arrives as integer pence and is formatted with ``divmod`` (never a float). Times
arrive as timezone-aware datetimes in UTC and are shown in the configured zone
(``WORKFLOW_TIMEZONE``, passed as ``zone``; Europe/London by default), in the GOV.UK
style (9am, 9:30am, midday, midnight). Day and month names are spelt out here rather than
taken from ``strftime``, so that a process locale cannot turn them into another language.

Values that crossed a JSON boundary (an outbox payload) may be ISO 8601 strings; they
are accepted, but a datetime without a time zone never is.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from workflow.config import DEFAULT_TIMEZONE

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_pence(pence: int) -> str:
    """``123456`` -> ``"£1,234.56"``; negative amounts read ``"-£5.00"``."""
    if isinstance(pence, bool) or not isinstance(pence, int):
        raise TypeError(f"money must be integer pence, not {type(pence).__name__} {pence!r}")
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}.{rest:02d}"


def as_datetime(value: datetime | str) -> datetime:
    """An aware datetime from a datetime or an ISO 8601 string; naive values are refused."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, not {type(value).__name__} {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"datetime {value.isoformat()} has no time zone; times must be UTC")
    return value


def as_date(value: date | datetime | str, zone: str = DEFAULT_TIMEZONE) -> date:
    """A calendar date; a datetime is first moved to ``zone``, then its date taken."""
    if isinstance(value, datetime):
        return in_zone(value, zone).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        if "T" in value or " " in value.strip():
            return in_zone(value, zone).date()
        return date.fromisoformat(value)
    raise TypeError(f"expected a date, not {type(value).__name__} {value!r}")


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def in_zone(value: datetime | str, zone: str = DEFAULT_TIMEZONE) -> datetime:
    return as_datetime(value).astimezone(_zone(zone))


def format_day(value: date | datetime | str, zone: str = DEFAULT_TIMEZONE) -> str:
    """``"Tuesday 30 September 2025"``."""
    day = as_date(value, zone)
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def format_time(value: datetime | str, zone: str = DEFAULT_TIMEZONE) -> str:
    """Clock time: ``"9am"``, ``"9:30am"``, ``"3:15pm"``, ``"midday"``, ``"midnight"``."""
    local = in_zone(value, zone)
    if local.minute == 0 and local.hour in (0, 12):
        return "midnight" if local.hour == 0 else "midday"
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    if local.minute == 0:
        return f"{hour}{suffix}"
    return f"{hour}:{local.minute:02d}{suffix}"


def format_when(value: datetime | str, zone: str = DEFAULT_TIMEZONE) -> str:
    """``"Tuesday 30 September 2025, 9:30am"`` in ``zone``."""
    return f"{format_day(in_zone(value, zone), zone)}, {format_time(value, zone)}"


def format_span(
    starts_at: datetime | str, ends_at: datetime | str, zone: str = DEFAULT_TIMEZONE
) -> str:
    """``"Tuesday 30 September 2025, 9:30am to 3:30pm"``; both dates when the days differ."""
    if in_zone(starts_at, zone).date() == in_zone(ends_at, zone).date():
        return f"{format_when(starts_at, zone)} to {format_time(ends_at, zone)}"
    return f"{format_when(starts_at, zone)} to {format_when(ends_at, zone)}"


def format_in_days(days: int) -> str:
    """How far off something is: ``"today"``, ``"tomorrow"``, ``"in 14 days"``."""
    if days <= 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days"
