"""Parameter types for the ``workflow`` command: text parsed into bounded values.

Every type refuses with one line naming what was wrong and what is expected (a usage
error, exit 2); the value typed is shown escaped (``shown``), so a control character or a
terminal escape never reaches the terminal raw. Domain bounds come from
``services/validation.py``, the one place they are written. Use these in every new
command rather than ``int``/``float``/``str``:

- ``RECORD_ID``: an id (ASCII digits, 1 to 2**63 - 1; ``-1`` is caught before click takes
  it for an option, see ``main.py``);
- ``COHORT_NUMBER``, ``whole(lo, hi, unit)``: bounded whole numbers;
- ``DAYS``: a finite, positive number of days in steps of 0.5 (returned as half-days);
- ``HALF_DAYS``: a whole number of half-days;
- ``iso_date(first, last)``, ``DATE``: an ISO date within bounds (default 2000 to 2100);
- ``REASON``: a reason for the record (``validation.clean_reason``);
- ``URN``: a school's six ASCII digits (``validation.clean_urn``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

import click

from workflow.errors import InvalidInput
from workflow.services.validation import (
    MAX_RECORD_ID,
    REASON_MAX,
    clean_reason,
    clean_urn,
)

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
MAX_DAYS = 50


def shown(value: object, limit: int = 40) -> str:
    """What was typed, quoted and escaped (``repr``: control characters as ``\\x1b``)."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[:limit] + "..."
    return repr(text)


def _ascii_whole(text: str) -> int | None:
    text = text.strip()
    if text.startswith("+"):
        text = text[1:]
    if not text or not (text.isascii() and text.isdigit()) or len(text) > 20:
        return None
    return int(text)


class Whole(click.ParamType):
    """A whole number from ``lo`` to ``hi``, in ASCII digits."""

    name = "integer"

    def __init__(self, lo: int, hi: int, unit: str = "a whole number"):
        self.lo, self.hi, self.unit = lo, hi, unit

    def convert(self, value, param, ctx):
        if isinstance(value, int) and not isinstance(value, bool):
            number: int | None = value
        else:
            number = _ascii_whole(str(value))
        if number is None or not self.lo <= number <= self.hi:
            self.fail(f"expected {self.unit} from {self.lo} to {self.hi}, got {shown(value)}")
        return number


RECORD_ID = Whole(1, MAX_RECORD_ID, "an ID: a whole number")
RECORD_ID.name = "ID"
COHORT_NUMBER = Whole(1, 10_000, "a cohort number")
HALF_DAYS = Whole(1, 2 * MAX_DAYS, "a whole number of half-days")


def whole(lo: int, hi: int, unit: str = "a whole number") -> Whole:
    return Whole(lo, hi, unit)


class Days(click.ParamType):
    """Days in steps of 0.5, more than 0 and at most ``MAX_DAYS``; converted to half-days."""

    name = "days"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value  # already half-days
        text = str(value).strip()
        try:
            days = Decimal(text) if text.isascii() else None
        except InvalidOperation:
            days = None
        ok = days is not None and days.is_finite() and 0 < days <= MAX_DAYS
        if not ok or (days * 2) % 1 != 0:
            self.fail(
                f"expected a number of days from 0.5 to {MAX_DAYS} in steps of 0.5"
                f" (1, 1.5, 2 ...), got {shown(value)}"
            )
        return int(days * 2)


DAYS = Days()


class IsoDate(click.ParamType):
    """An ISO 8601 date (2025-09-01) from ``first`` to ``last``."""

    name = "date"

    def __init__(self, first: date = EARLIEST, last: date = LATEST):
        self.first, self.last = first, last

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            day = value
        else:
            text = str(value).strip()
            try:
                day = date.fromisoformat(text) if text.isascii() and len(text) == 10 else None
            except ValueError:
                day = None
            if day is None:
                self.fail(f"expected a date like 2025-09-01, got {shown(value)}")
        if not self.first <= day <= self.last:
            self.fail(
                f"{day.isoformat()} is out of range: give a date from {self.first.isoformat()}"
                f" to {self.last.isoformat()}"
            )
        return day


def iso_date(first: date = EARLIEST, last: date = LATEST) -> IsoDate:
    return IsoDate(first, last)


DATE = IsoDate()


class _Checked(click.ParamType):
    """Text checked by a function of ``services.validation``."""

    def __init__(self, name: str, check):
        self.name, self.check = name, check

    def convert(self, value, param, ctx):
        try:
            return self.check(value)
        except InvalidInput as exc:
            self.fail(str(exc))


REASON = _Checked("text", lambda v: clean_reason(v, f"the reason (1 to {REASON_MAX} characters)"))
URN = _Checked("urn", clean_urn)
