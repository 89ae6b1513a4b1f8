"""The English academic calendar: terms and half-terms, working days, and when reminders go out.

An academic year is named by the calendar year it starts in: 2025 is 2025/26, running from
September 2025 to August 2026, with three terms (autumn, spring, summer), each holding a
one-week half-term. A year's dates come from the first of these that lists it:

1. the hub's own terms file, passed to ``Calendar`` (it replaces whole academic years);
2. ``terms.toml``, shipped beside this module (typical local-authority dates);
3. the rule in ``default_year``, for any other year.

A terms file has one table per academic year, all three terms required, dates as TOML dates::

    [2025.autumn]
    start = 2025-09-03
    end = 2025-12-19
    half_term = { start = 2025-10-27, end = 2025-10-31 }

Working days are Monday to Friday except England's bank holidays (bank_holidays.py).
Reminders go out at 09:00 local time (Europe/London) and are returned as UTC datetimes.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from dateutil.easter import easter

from workflow.conversion import FieldProblem, Invalid, convert
from workflow.errors import RulesError, SettingsError
from workflow.services import bank_holidays

REMINDER_HOUR = time(9, 0)
DAY = timedelta(days=1)
# Weekdays as date.weekday() numbers them.
MONDAY, FRIDAY = (0,), (4,)
MONDAY_TO_WEDNESDAY, MONDAY_TO_THURSDAY, WEEKDAYS = (0, 1, 2), (0, 1, 2, 3), (0, 1, 2, 3, 4)


class Term(StrEnum):
    AUTUMN = "autumn"
    SPRING = "spring"
    SUMMER = "summer"


class Period(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A run of days, both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise FieldProblem("end", f"end before start ({self.end} is before {self.start})")

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


class TermDates(Period):
    """One term: its first and last day, and the half-term holiday inside it."""

    half_term: Period

    def __post_init__(self) -> None:
        super().__post_init__()
        half_term = self.half_term
        if not (self.start < half_term.start and half_term.end < self.end):
            raise FieldProblem(
                "half_term",
                f"half-term {half_term.start} to {half_term.end} is not inside "
                f"the term {self.start} to {self.end}",
            )


class AcademicYear(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Academic year ``year``/``year + 1``: three terms in order, within September to August."""

    year: int
    autumn: TermDates
    spring: TermDates
    summer: TermDates

    def __post_init__(self) -> None:
        if self.autumn.start < date(self.year, 9, 1):
            raise FieldProblem(
                "autumn", f"starts {self.autumn.start}, before the academic year (1 September)"
            )
        _after(self.spring, self.autumn, "spring", "autumn")
        if self.summer.end > date(self.year + 1, 8, 31):
            raise FieldProblem(
                "summer", f"ends {self.summer.end}, after the academic year (31 August)"
            )
        _after(self.summer, self.spring, "summer", "spring")

    @property
    def label(self) -> str:
        return f"{self.year}/{(self.year + 1) % 100:02d}"

    @property
    def terms(self) -> tuple[tuple[Term, TermDates], ...]:
        return tuple((term, self.term(term)) for term in Term)

    def term(self, term: Term | str) -> TermDates:
        return getattr(self, Term(term).value)


def _after(term: TermDates, previous: TermDates, name: str, previous_name: str) -> None:
    if term.start <= previous.end:
        raise FieldProblem(
            name, f"starts {term.start}, before {previous_name} ends ({previous.end})"
        )


# --- The rule for years no file lists ----------------------------------------------------


@cache
def default_year(year: int) -> AcademicYear:
    """Academic year ``year`` by rule, close to typical English local-authority dates.

    autumn  starts the first Monday, Tuesday or Wednesday on or after 1 September;
            half-term is the week of the last Monday of October;
            ends the last Friday on or before 20 December.
    spring  starts the first Monday to Thursday on or after 4 January (so after the New
            Year bank holiday, even when that moves to Monday 3rd);
            half-term is the week of the Monday nearest 14 February;
            ends before the Easter holiday (below).
    summer  starts after the Easter holiday;
            half-term is the week of the Spring bank holiday (the last Monday of May);
            ends the last weekday on or before 22 July.

    Easter: the two-week Easter holiday sits around Easter Sunday (E) by how early it is:
      E on or before 31 March:  spring ends the Thursday before Good Friday (E-3),
                                summer starts two weeks after Easter Monday (E+15);
      E from 1 to 14 April:     spring ends the Friday a week before Good Friday (E-9),
                                summer starts a week after Easter Monday (E+8);
      E on or after 15 April:   spring ends the Friday two weeks before Good Friday (E-16),
                                summer starts the Tuesday after Easter Monday (E+2).
    """
    spring_year = year + 1
    sunday = easter(spring_year)
    if sunday <= date(spring_year, 3, 31):
        spring_end, summer_start = sunday - 3 * DAY, sunday + 15 * DAY
    elif sunday <= date(spring_year, 4, 14):
        spring_end, summer_start = sunday - 9 * DAY, sunday + 8 * DAY
    else:
        spring_end, summer_start = sunday - 16 * DAY, sunday + 2 * DAY

    return AcademicYear(
        year=year,
        autumn=TermDates(
            start=_on_or_after(date(year, 9, 1), MONDAY_TO_WEDNESDAY),
            end=_on_or_before(date(year, 12, 20), FRIDAY),
            half_term=_week_of(_last_monday(year, 10)),
        ),
        spring=TermDates(
            start=_on_or_after(date(spring_year, 1, 4), MONDAY_TO_THURSDAY),
            end=spring_end,
            half_term=_week_of(_monday_nearest(date(spring_year, 2, 14))),
        ),
        summer=TermDates(
            start=summer_start,
            end=_on_or_before(date(spring_year, 7, 22), WEEKDAYS),
            half_term=_week_of(_last_monday(spring_year, 5)),
        ),
    )


def _on_or_after(day: date, weekdays: tuple[int, ...]) -> date:
    while day.weekday() not in weekdays:
        day += DAY
    return day


def _on_or_before(day: date, weekdays: tuple[int, ...]) -> date:
    while day.weekday() not in weekdays:
        day -= DAY
    return day


def _last_monday(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return _on_or_before(first_of_next - DAY, MONDAY)


def _monday_nearest(day: date) -> date:
    back = day.weekday()
    return day - back * DAY if back <= 3 else day + (7 - back) * DAY


def _week_of(monday: date) -> Period:
    return Period(start=monday, end=monday + 4 * DAY)


# --- Terms files ---------------------------------------------------------------------------


def shipped_terms_path() -> Path:
    return Path(str(files("workflow.services").joinpath("terms.toml")))


def load_terms(path: Path, label: str | None = None) -> dict[int, AcademicYear]:
    """The academic years a terms file lists; any fault is one ``RulesError`` line.

    The line names the file (``label``, default the path), the field and the problem, as
    ``terms.toml: 2025.autumn.end: end before start (...)``.
    """
    name = label or str(path)
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise RulesError(f"{name}: no such file") from None
    except OSError as exc:
        raise RulesError(f"{name}: cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RulesError(f"{name}: not a valid TOML file: {exc}") from None

    years: dict[int, AcademicYear] = {}
    for key, table in document.items():
        if not (key.isdigit() and len(key) == 4):
            raise RulesError(
                f"{name}: {key}: not an academic year (expected the year it starts in, "
                "e.g. [2025.autumn] for 2025/26)"
            )
        if not isinstance(table, dict):
            raise RulesError(f"{name}: {key}: expected a table of terms, e.g. [{key}.autumn]")
        try:
            # Only real TOML dates: a quoted string, a datetime or a number is refused.
            years[int(key)] = convert(
                {**table, "year": int(key)}, AcademicYear, builtin_types=[date]
            )
        except Invalid as exc:
            raise RulesError(f"{name}: {key}.{exc.where}: {exc.message}") from None
    return years


# --- Working days and reminders ------------------------------------------------------------


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a bank holiday in England."""
    return day.weekday() < 5 and day not in bank_holidays.in_england(day.year)


def next_working_day(day: date) -> date:
    """``day`` itself if it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += DAY
    return day


def working_day_on_or_before(day: date) -> date:
    """``day`` itself if it is a working day, else the last working day before it."""
    while not is_working_day(day):
        day -= DAY
    return day


def _at_reminder_hour(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, REMINDER_HOUR, tzinfo=tz).astimezone(UTC)


def reminder_time(day: date, tz: ZoneInfo) -> datetime:
    """When a reminder meant for ``day`` goes out: 09:00 local on the next working day from it."""
    return _at_reminder_hour(next_working_day(day), tz)


def reminder_before(event_day: date, days: int, tz: ZoneInfo) -> datetime:
    """When the reminder ``days`` before an event goes out: 09:00 local, on a working day.

    A reminder due on a weekend or bank holiday moves *earlier*, to the working day before,
    so that it still arrives ahead of the event (moving it later could land it on the day).
    """
    if days < 0:
        raise ValueError(f"a reminder comes before its event: days must be >= 0, not {days}")
    return _at_reminder_hour(working_day_on_or_before(event_day - days * DAY), tz)


# --- The calendar a process builds once ----------------------------------------------------


class Calendar:
    """Term dates (hub file, shipped file, rule) and reminder times in one time zone."""

    def __init__(self, overrides: Path | str | None = None, timezone: str = "Europe/London"):
        try:
            self.tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"unknown time zone {timezone!r}") from None
        self._listed = load_terms(shipped_terms_path(), label="terms.toml")
        if overrides is not None:
            self._listed.update(load_terms(Path(overrides)))

    def academic_year(self, year: int) -> AcademicYear:
        return self._listed.get(year) or default_year(year)

    @staticmethod
    def academic_year_of(day: date) -> int:
        """The academic year a day belongs to: September to August."""
        return day.year if day.month >= 9 else day.year - 1

    def term_start(self, year: int, term: Term | str) -> date:
        return self.academic_year(year).term(term).start

    def term_of(self, day: date) -> Term | None:
        """The term whose dates hold ``day`` (its half-term included); None in the holidays."""
        for term, dates in self.academic_year(self.academic_year_of(day)).terms:
            if day in dates:
                return term
        return None

    def term_at(self, day: date) -> tuple[AcademicYear, Term, TermDates]:
        """The term holding ``day`` or, in the holidays, the next term to start."""
        year = self.academic_year_of(day)
        for candidate in (year, year + 1):
            academic = self.academic_year(candidate)
            for term, dates in academic.terms:
                if day <= dates.end:
                    return academic, term, dates
        raise AssertionError("every academic year has a term after the previous one")

    def term_starts(self, first: date, last: date) -> list[date]:
        """The first day of each term starting from ``first`` to ``last``, both included."""
        starts, day = [], first
        while day <= last:
            _, _, dates = self.term_at(day)
            if first <= dates.start <= last:
                starts.append(dates.start)
            day = dates.end + DAY
        return starts

    def next_term_start(self, after: date) -> date:
        """The first day of the first term that starts after ``after``."""
        year = self.academic_year_of(after)
        for candidate in (year, year + 1):
            for _, dates in self.academic_year(candidate).terms:
                if dates.start > after:
                    return dates.start
        raise AssertionError("every academic year has a term starting after the previous one")

    def first_term_day(self, day: date) -> date:
        """``day`` if it is in a term (half-terms count), else the first day of the next term."""
        return day if self.term_of(day) is not None else self.next_term_start(day)

    def reminder_time(self, day: date) -> datetime:
        return reminder_time(day, self.tz)

    def reminder_before(self, event_day: date, days: int) -> datetime:
        return reminder_before(event_day, days, self.tz)


@cache
def calendar(timezone: str) -> Calendar:
    """The shipped calendar in ``timezone`` (the settings' zone), built once per zone."""
    return Calendar(timezone=timezone)
