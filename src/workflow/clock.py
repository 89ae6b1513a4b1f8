"""The one clock every command, service and job reads: the system's, fixed, or simulated."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

from workflow.errors import SettingsError


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """Always the same moment (``WORKFLOW_NOW``); tests and simulations move it by hand."""

    def __init__(self, at: datetime):
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)


#: The years a "now" may fall in (``WORKFLOW_NOW``, ``simulate --from/--until``): anything
#: else is a typing slip, and 9999-12-31 would overflow the first date arithmetic.
NOW_YEARS = (2000, 2100)


def parse_now(text: str, tz: ZoneInfo) -> datetime:
    """``WORKFLOW_NOW``: an ISO date (midnight, local time) or datetime (local if naive),
    in the years ``NOW_YEARS``."""
    try:
        if "T" in text or " " in text.strip():
            parsed = datetime.fromisoformat(text)
        else:
            parsed = datetime.combine(date.fromisoformat(text), time())
    except ValueError:
        raise SettingsError(
            f"WORKFLOW_NOW: {text[:40]!r} is not an ISO 8601 date or datetime (e.g. 2025-09-01)"
        ) from None
    first, last = NOW_YEARS
    if not first <= parsed.year <= last:
        raise SettingsError(f"WORKFLOW_NOW: {text[:40]!r} is not between {first} and {last}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def local_date(moment: datetime, timezone: str) -> date:
    """The date a person in ``timezone`` gives ``moment`` (not the UTC date: 00:30 on a
    summer night in London is still the previous day in UTC)."""
    return moment.astimezone(ZoneInfo(timezone)).date()
