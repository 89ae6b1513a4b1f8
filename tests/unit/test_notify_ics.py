"""The .ics writer: fields in UTC, text escaped, lines folded at 75 octets with CRLF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from workflow.notify.ics import CalendarEvent, build_calendar, escape_text, event_uid, fold

STARTS = datetime(2025, 9, 30, 8, 30, tzinfo=UTC)
STAMP = datetime(2025, 9, 1, 7, 0, tzinfo=UTC)


def event(**fields) -> CalendarEvent:
    values = dict(
        uid="abc@mastery.example",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=6),
        summary="Cohort 9 launch event",
        location="The Exchange, Birmingham",
        description="Bring your planning; lunch is provided.",
    )
    values.update(fields)
    return CalendarEvent(**values)


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def properties(text: str) -> dict[str, str]:
    return dict(line.split(":", 1) for line in unfold(text) if line)


def test_the_calendar_has_one_event_with_its_fields_in_utc():
    text = build_calendar(event(), stamp=STAMP)
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-2:] == ["END:VCALENDAR", ""]
    assert lines.count("BEGIN:VEVENT") == 1
    fields = properties(text)
    assert fields["VERSION"] == "2.0"
    assert fields["METHOD"] == "PUBLISH"
    assert fields["PRODID"]
    assert fields["UID"] == "abc@mastery.example"
    assert fields["DTSTAMP"] == "20250901T070000Z"
    assert fields["DTSTART"] == "20250930T083000Z"
    assert fields["DTEND"] == "20250930T143000Z"
    assert fields["SUMMARY"] == "Cohort 9 launch event"
    assert fields["LOCATION"] == "The Exchange\\, Birmingham"
    assert fields["DESCRIPTION"] == "Bring your planning\\; lunch is provided."


def test_times_in_other_zones_are_written_in_utc():
    london_summer = timezone(timedelta(hours=1))
    text = build_calendar(
        event(starts_at=datetime(2025, 9, 30, 9, 30, tzinfo=london_summer)), stamp=STAMP
    )
    assert properties(text)["DTSTART"] == "20250930T083000Z"


def test_every_line_ends_with_crlf_and_no_bare_newline():
    text = build_calendar(event(description="line one\nline two\r\nline three"), stamp=STAMP)
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert properties(text)["DESCRIPTION"] == "line one\\nline two\\nline three"


def test_text_escaping_covers_backslash_comma_semicolon_and_control_characters():
    assert escape_text("a\\b,c;d\ne\x07f") == "a\\\\b\\,c\\;d\\ne f"


def test_long_lines_are_folded_at_75_octets_and_unfold_to_the_original():
    summary = "Central event 2: representations, structure and mathematical thinking " * 4
    text = build_calendar(event(summary=summary), stamp=STAMP)
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    assert properties(text)["SUMMARY"] == escape_text(summary)


def test_folding_never_splits_a_multibyte_character():
    line = "SUMMARY:" + "é£😀" * 40
    folded = fold(line)
    pieces = folded.split("\r\n")
    assert len(pieces) > 1
    for piece in pieces:
        assert len(piece.encode("utf-8")) <= 75
        piece.encode("utf-8").decode("utf-8")  # each piece is whole characters
    assert folded.replace("\r\n ", "") == line


def test_a_short_line_is_not_folded():
    assert fold("SUMMARY:short") == "SUMMARY:short"


def test_the_uid_is_stable_for_the_same_event_and_differs_between_events():
    assert event_uid("cohort", 9, "Launch", STARTS.isoformat()) == event_uid(
        "cohort", 9, "Launch", STARTS.isoformat()
    )
    assert event_uid("cohort", 9, "Launch", STARTS.isoformat()) != event_uid(
        "cohort", 10, "Launch", STARTS.isoformat()
    )


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        build_calendar(event(starts_at=datetime(2025, 9, 30, 9, 30)), stamp=STAMP)


def test_an_event_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="end after it starts"):
        build_calendar(event(ends_at=STARTS - timedelta(hours=1)), stamp=STAMP)


def test_a_uid_with_a_line_break_is_refused():
    with pytest.raises(ValueError, match="line break"):
        build_calendar(event(uid="x\r\nATTENDEE:evil"), stamp=STAMP)
