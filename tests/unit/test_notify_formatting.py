"""Money from integer pence and London times, as the emails show them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from workflow.notify.formatting import (
    format_day,
    format_in_days,
    format_pence,
    format_span,
    format_time,
    format_when,
)


@pytest.mark.parametrize(
    ("pence", "shown"),
    [
        (0, "£0.00"),
        (1, "£0.01"),
        (99, "£0.99"),
        (100, "£1.00"),
        (101, "£1.01"),
        (150000, "£1,500.00"),
        (123456789, "£1,234,567.89"),
        (-500, "-£5.00"),
        (10**17 + 1, "£1,000,000,000,000,000.01"),
    ],
)
def test_money_is_formatted_from_integer_pence(pence, shown):
    assert format_pence(pence) == shown


@pytest.mark.parametrize("bad", [1.5, 100.0, "100", True, None])
def test_money_refuses_anything_but_an_integer(bad):
    with pytest.raises(TypeError):
        format_pence(bad)


def test_summer_times_are_shown_in_british_summer_time():
    # 08:30 UTC in September is 9:30am in London.
    assert format_when(datetime(2025, 9, 30, 8, 30, tzinfo=UTC)) == (
        "Tuesday 30 September 2025, 9:30am"
    )


def test_winter_times_are_shown_in_greenwich_mean_time():
    assert format_when(datetime(2025, 11, 18, 14, 5, tzinfo=UTC)) == (
        "Tuesday 18 November 2025, 2:05pm"
    )


@pytest.mark.parametrize(
    ("hour", "minute", "shown"),
    [(0, 0, "midnight"), (12, 0, "midday"), (9, 0, "9am"), (12, 30, "12:30pm"), (0, 15, "12:15am")],
)
def test_clock_times_read_the_gov_uk_way(hour, minute, shown):
    assert format_time(datetime(2026, 1, 15, hour, minute, tzinfo=UTC)) == shown


def test_a_late_evening_utc_time_falls_on_the_next_london_day_in_summer():
    assert format_day(datetime(2025, 7, 1, 23, 30, tzinfo=UTC)) == "Wednesday 2 July 2025"


def test_other_offsets_are_converted_to_london():
    paris = timezone(timedelta(hours=2))
    assert format_when(datetime(2025, 9, 30, 10, 30, tzinfo=paris)) == (
        "Tuesday 30 September 2025, 9:30am"
    )


def test_iso_strings_from_a_json_payload_are_accepted():
    assert format_when("2025-09-30T08:30:00+00:00") == "Tuesday 30 September 2025, 9:30am"
    assert format_day("2025-10-31") == "Friday 31 October 2025"
    assert format_day(date(2025, 10, 31)) == "Friday 31 October 2025"


def test_a_time_without_a_time_zone_is_refused():
    with pytest.raises(ValueError, match="no time zone"):
        format_when(datetime(2025, 9, 30, 9, 30))


def test_a_span_on_one_day_names_the_day_once():
    starts = datetime(2025, 9, 30, 8, 30, tzinfo=UTC)
    assert format_span(starts, starts + timedelta(hours=6)) == (
        "Tuesday 30 September 2025, 9:30am to 3:30pm"
    )


def test_a_span_over_two_days_names_both():
    starts = datetime(2025, 9, 30, 8, 30, tzinfo=UTC)
    assert format_span(starts, starts + timedelta(days=1)) == (
        "Tuesday 30 September 2025, 9:30am to Wednesday 1 October 2025, 9:30am"
    )


@pytest.mark.parametrize(("days", "shown"), [(0, "today"), (1, "tomorrow"), (14, "in 14 days")])
def test_days_before_reads_naturally(days, shown):
    assert format_in_days(days) == shown


def test_times_are_shown_in_the_zone_given():
    moment = datetime(2025, 9, 30, 8, 30, tzinfo=UTC)
    assert format_when(moment) == "Tuesday 30 September 2025, 9:30am"  # London, summer time
    assert format_when(moment, zone="America/New_York") == "Tuesday 30 September 2025, 4:30am"
    assert format_day(datetime(2025, 9, 30, 23, 30, tzinfo=UTC), zone="UTC") == (
        "Tuesday 30 September 2025"
    )
