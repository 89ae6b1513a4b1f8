"""The academic calendar: shipped and computed term dates, terms files, working days, reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dateutil.easter import easter
from hypothesis import given
from hypothesis import strategies as st

from workflow.errors import RulesError, SettingsError
from workflow.services.calendar import (
    Calendar,
    Period,
    Term,
    TermDates,
    default_year,
    is_working_day,
    next_working_day,
    reminder_before,
    reminder_time,
    working_day_on_or_before,
)

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def calendar() -> Calendar:
    return Calendar()


def d(text: str) -> date:
    return date.fromisoformat(text)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- Term dates ----------------------------------------------------------------------------


def test_shipped_2025_26_dates(calendar):
    year = calendar.academic_year(2025)
    assert year.label == "2025/26"
    assert year.autumn == TermDates(
        start=d("2025-09-03"),
        end=d("2025-12-19"),
        half_term=Period(start=d("2025-10-27"), end=d("2025-10-31")),
    )
    assert year.spring == TermDates(
        start=d("2026-01-05"),
        end=d("2026-03-27"),
        half_term=Period(start=d("2026-02-16"), end=d("2026-02-20")),
    )
    assert year.summer == TermDates(
        start=d("2026-04-13"),
        end=d("2026-07-22"),
        half_term=Period(start=d("2026-05-25"), end=d("2026-05-29")),
    )
    # The shipped file wins over the rule, which would start on Monday 1 September.
    assert default_year(2025).autumn.start == d("2025-09-01")


@pytest.mark.parametrize(
    ("year", "label", "starts", "ends"),
    [
        (
            2026,
            "2026/27",
            ["2026-09-02", "2027-01-04", "2027-04-12"],
            ["2026-12-18", "2027-03-25", "2027-07-21"],
        ),
        (
            2027,
            "2027/28",
            ["2027-09-01", "2028-01-04", "2028-04-18"],
            ["2027-12-17", "2028-03-31", "2028-07-21"],
        ),
    ],
)
def test_shipped_later_years(calendar, year, label, starts, ends):
    academic_year = calendar.academic_year(year)
    assert academic_year.label == label
    assert [dates.start for _, dates in academic_year.terms] == [d(s) for s in starts]
    assert [dates.end for _, dates in academic_year.terms] == [d(e) for e in ends]


def test_rule_for_a_far_year():
    year = default_year(2031)
    assert year.label == "2031/32"
    assert [
        (term, dates.start, dates.half_term.start, dates.end) for term, dates in year.terms
    ] == [
        (Term.AUTUMN, d("2031-09-01"), d("2031-10-27"), d("2031-12-19")),
        (Term.SPRING, d("2032-01-05"), d("2032-02-16"), d("2032-03-25")),  # Easter 28 March
        (Term.SUMMER, d("2032-04-12"), d("2032-05-31"), d("2032-07-22")),
    ]


@pytest.mark.parametrize("year", range(2020, 2041))
def test_rule_gives_working_days_in_order(year):
    academic_year = default_year(year)
    days = []
    for _, dates in academic_year.terms:
        assert is_working_day(dates.start) and is_working_day(dates.end)
        assert dates.half_term.start.weekday() == 0 and dates.half_term.end.weekday() == 4
        days += [dates.start, dates.half_term.start, dates.half_term.end, dates.end]
    assert days == sorted(days) and len(set(days)) == len(days)
    assert date(year, 9, 1) <= days[0] and days[-1] <= date(year + 1, 7, 31)
    # Easter falls in the holiday between spring and summer.
    assert academic_year.spring.end < easter(year + 1) < academic_year.summer.start


@pytest.mark.parametrize(
    ("year", "spring_end", "summer_start"),
    [
        (2023, "2024-03-28", "2024-04-15"),  # early Easter, 31 March: ends the Thursday before
        (2025, "2026-03-27", "2026-04-13"),  # Easter 5 April: the fortnight around it
        (2024, "2025-04-04", "2025-04-22"),  # late Easter, 20 April: back the Tuesday after
    ],
)
def test_easter_holiday_rule(year, spring_end, summer_start):
    assert default_year(year).spring.end == d(spring_end)
    assert default_year(year).summer.start == d(summer_start)


def test_academic_year_runs_september_to_august(calendar):
    assert calendar.academic_year_of(d("2026-08-31")) == 2025
    assert calendar.academic_year_of(d("2026-09-01")) == 2026
    assert calendar.academic_year_of(d("2026-01-01")) == 2025


def test_term_start_and_term_of(calendar):
    assert calendar.term_start(2025, "spring") == d("2026-01-05")
    assert calendar.term_start(2026, Term.SUMMER) == d("2027-04-12")
    assert calendar.term_of(d("2025-09-03")) is Term.AUTUMN
    assert calendar.term_of(d("2025-09-02")) is None
    assert calendar.term_of(d("2025-10-29")) is Term.AUTUMN  # half-term belongs to its term
    assert calendar.term_of(d("2025-12-19")) is Term.AUTUMN
    assert calendar.term_of(d("2025-12-24")) is None
    assert calendar.term_of(d("2026-04-01")) is None
    assert calendar.term_of(d("2026-06-15")) is Term.SUMMER
    assert calendar.term_of(d("2026-08-10")) is None
    assert calendar.term_of(d("2032-02-01")) is Term.SPRING  # by rule


def test_next_term_start(calendar):
    assert calendar.next_term_start(d("2025-12-19")) == d("2026-01-05")
    assert calendar.next_term_start(d("2026-01-05")) == d("2026-04-13")  # strictly after
    assert calendar.next_term_start(d("2026-05-01")) == d("2026-09-02")
    assert calendar.next_term_start(d("2026-08-31")) == d("2026-09-02")


# --- Terms files ---------------------------------------------------------------------------

GOOD_YEAR = """
[{year}.autumn]
start = {year}-09-08
end = {year}-12-18
half_term = {{ start = {year}-10-19, end = {year}-10-23 }}

[{year}.spring]
start = {next}-01-06
end = {next}-03-31
half_term = {{ start = {next}-02-09, end = {next}-02-13 }}

[{year}.summer]
start = {next}-04-16
end = {next}-07-17
half_term = {{ start = {next}-05-25, end = {next}-05-29 }}
"""


def write(tmp_path: Path, text: str, name: str = "terms.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def good(year: int) -> str:
    return GOOD_YEAR.format(year=year, next=year + 1)


def test_hub_file_replaces_whole_years(tmp_path):
    path = write(tmp_path, good(2025) + good(2031))
    calendar = Calendar(path)
    assert calendar.term_start(2025, "autumn") == d("2025-09-08")
    assert calendar.academic_year(2025).spring.half_term == Period(
        start=d("2026-02-09"), end=d("2026-02-13")
    )
    assert calendar.term_start(2031, "summer") == d("2032-04-16")
    assert calendar.term_start(2026, "autumn") == d("2026-09-02")  # shipped, untouched
    assert calendar.term_start(2028, "autumn") == default_year(2028).autumn.start


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (good(2025).replace("end = 2025-12-18\n", ""), "2025.autumn.end: missing"),
        (good(2025).split("[2025.summer]")[0], "2025.summer: missing"),
        (
            good(2025).replace("start = 2025-09-08", 'start = "2025-09-08"'),
            "2025.autumn.start: expected a date such as 2025-09-03 (no quotes), got '2025-09-08'",
        ),
        (
            good(2025).replace("start = 2025-09-08", "start = 3"),
            "2025.autumn.start: expected a date",
        ),
        (
            good(2025).replace("start = 2025-09-08", "start = 2025-09-08T09:00:00"),
            "2025.autumn.start: expected a date",
        ),
        (
            good(2025).replace("end = 2025-12-18", "end = 2025-08-18"),
            "2025.autumn.end: end before start",
        ),
        (
            good(2025).replace("end = 2025-10-23", "end = 2025-10-13"),
            "2025.autumn.half_term.end: end before start",
        ),
        (
            good(2025).replace("2025-10-19, end = 2025-10-23", "2025-12-21, end = 2025-12-25"),
            "2025.autumn.half_term: half-term 2025-12-21 to 2025-12-25 is not inside",
        ),
        (
            good(2025).replace("start = 2026-01-06", "start = 2025-12-01"),
            "2025.spring: starts 2025-12-01, before autumn ends (2025-12-18)",
        ),
        (
            good(2025).replace("start = 2025-09-08", "start = 2025-08-20"),
            "2025.autumn: starts 2025-08-20, before the academic year",
        ),
        (
            good(2025).replace("end = 2025-12-18\n", "end = 2025-12-18\nfinish = 2025-12-19\n"),
            "2025.autumn.finish: unknown field",
        ),
        ("[2025]\nautumn = 3\n", "2025.autumn: expected a table, got 3"),
        ("[autumn]\nstart = 2025-09-01\n", "autumn: not an academic year"),
        ("this is not TOML at all\n", "not a valid TOML file"),
    ],
)
def test_bad_terms_file_names_file_field_and_problem(tmp_path, text, problem):
    path = write(tmp_path, text, name="hub-terms.toml")
    with pytest.raises(RulesError) as caught:
        Calendar(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert problem in message
    assert "\n" not in message


def test_binary_and_missing_files_are_rules_errors(tmp_path):
    binary = tmp_path / "terms.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00\x81")
    with pytest.raises(RulesError, match=r"terms\.xlsx: not a valid TOML file"):
        Calendar(binary)
    with pytest.raises(RulesError, match=r"nowhere\.toml: no such file"):
        Calendar(tmp_path / "nowhere.toml")


def test_unknown_time_zone():
    with pytest.raises(SettingsError, match="unknown time zone 'Mars/Olympus'"):
        Calendar(timezone="Mars/Olympus")


# --- Working days --------------------------------------------------------------------------

ENGLAND_BANK_HOLIDAYS = [
    "2025-12-25",
    "2025-12-26",
    "2026-01-01",
    "2026-04-03",  # Good Friday
    "2026-04-06",  # Easter Monday
    "2026-05-04",  # Early May
    "2026-05-25",  # Spring
    "2026-08-31",  # Summer
    "2026-12-28",  # Boxing Day, moved from Saturday
]


@pytest.mark.parametrize("day", ENGLAND_BANK_HOLIDAYS)
def test_bank_holidays_in_england_are_not_working_days(day):
    assert not is_working_day(d(day))


@pytest.mark.parametrize(
    "day",
    [
        "2025-12-24",
        "2026-01-02",  # a bank holiday in Scotland only
        "2026-03-17",  # St Patrick's Day: Northern Ireland only
        "2026-07-13",  # Battle of the Boyne, moved from Sunday: Northern Ireland only
        "2026-08-03",  # Summer bank holiday in Scotland only
    ],
)
def test_other_nations_holidays_are_working_days_in_england(day):
    assert is_working_day(d(day))


def test_weekends_are_not_working_days():
    assert not is_working_day(d("2026-03-07")) and not is_working_day(d("2026-03-08"))
    assert is_working_day(d("2026-03-06")) and is_working_day(d("2026-03-09"))


@pytest.mark.parametrize(
    ("day", "forward", "backward"),
    [
        ("2026-03-10", "2026-03-10", "2026-03-10"),  # a working day is its own answer
        ("2026-03-07", "2026-03-09", "2026-03-06"),  # Saturday
        ("2025-12-25", "2025-12-29", "2025-12-24"),  # Christmas, Boxing Day, weekend
        ("2026-04-03", "2026-04-07", "2026-04-02"),  # Good Friday to Easter Monday
        ("2026-12-26", "2026-12-29", "2026-12-24"),  # Boxing Day moved to Monday 28th
    ],
)
def test_skipping_weekends_and_bank_holidays(day, forward, backward):
    assert next_working_day(d(day)) == d(forward)
    assert working_day_on_or_before(d(day)) == d(backward)


# --- Reminders -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "sent"),
    [
        ("2026-07-01", "2026-07-01 08:00"),  # British Summer Time: 09:00 is 08:00 UTC
        ("2026-01-12", "2026-01-12 09:00"),  # Greenwich Mean Time
        ("2026-03-29", "2026-03-30 08:00"),  # clocks go forward that Sunday
        ("2026-10-25", "2026-10-26 09:00"),  # clocks go back that Sunday
        ("2025-12-25", "2025-12-29 09:00"),  # Christmas: the next working day
        ("2026-04-04", "2026-04-07 08:00"),  # Easter Saturday: Tuesday
    ],
)
def test_reminder_time_is_nine_in_london_on_a_working_day(calendar, day, sent):
    assert reminder_time(d(day), LONDON) == utc(sent)
    assert calendar.reminder_time(d(day)) == utc(sent)
    assert calendar.reminder_time(d(day)).tzinfo is UTC


@pytest.mark.parametrize(
    ("event", "days", "sent"),
    [
        ("2026-07-15", 14, "2026-07-01 08:00"),
        ("2026-11-02", 14, "2026-10-19 08:00"),  # still summer time on 19 October
        ("2026-11-09", 14, "2026-10-26 09:00"),  # winter time from 25 October
        ("2026-04-07", 1, "2026-04-02 08:00"),  # Easter Monday: back to Thursday
        ("2026-01-05", 14, "2025-12-22 09:00"),  # Monday 22 December: a working day
        ("2026-01-11", 14, "2025-12-24 09:00"),  # Sunday 28 December: back to Christmas Eve
        ("2026-01-12", 0, "2026-01-12 09:00"),
    ],
)
def test_reminder_before_moves_earlier(calendar, event, days, sent):
    assert reminder_before(d(event), days, LONDON) == utc(sent)
    assert calendar.reminder_before(d(event), days) == utc(sent)


def test_reminder_before_refuses_negative_days():
    with pytest.raises(ValueError, match="days must be >= 0"):
        reminder_before(d("2026-01-12"), -1, LONDON)


# --- Properties ----------------------------------------------------------------------------

days_2020_2040 = st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31))


@given(days_2020_2040)
def test_next_working_day_is_a_working_day_within_five_days(day):
    found = next_working_day(day)
    assert is_working_day(found)
    assert day <= found <= day + timedelta(days=5)


@given(days_2020_2040, st.integers(min_value=1, max_value=120))
def test_reminder_before_arrives_before_the_event_on_a_working_day(event, days):
    sent = reminder_before(event, days, LONDON)
    local = sent.astimezone(LONDON)
    assert sent.tzinfo is UTC
    assert (local.hour, local.minute) == (9, 0)
    assert is_working_day(local.date())
    assert sent < datetime.combine(event, datetime.min.time().replace(hour=9), tzinfo=LONDON)
