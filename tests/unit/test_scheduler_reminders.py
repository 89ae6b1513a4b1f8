"""Which reminders a specialist gets, and when: driven by the calendar, never in the past."""

from __future__ import annotations

from datetime import UTC, date, datetime

from workflow.services.calendar import Calendar
from workflow.services.reminders import (
    heads_launch_emails,
    launch_invitations,
    planned,
    reminder_key,
    school_key,
)
from workflow.states.lifecycle import State

CAL = Calendar()
JUNE = datetime(2025, 6, 2, 9, tzinfo=UTC)


def by_key(rows):
    return {r["key"]: r for r in rows}


def test_selected_specialists_get_launch_reminders_14_and_2_days_before(cohort9_rules):
    rows = by_key(planned(7, cohort9_rules, State.SELECTED, JUNE, CAL))
    # the launch is Tuesday 30 September 2025; 14 days before is Tuesday the 16th
    fourteen = rows[reminder_key(7, "launch_reminder", 0, "specialist", 14)]
    assert fourteen["due_at"] == datetime(2025, 9, 16, 8, 0, tzinfo=UTC)  # 09:00 BST
    assert fourteen["payload"]["extra"]["days_before"] == 14
    assert fourteen["payload"]["extra"]["event"]["starts_at"] == "2025-09-30T09:30:00+01:00"
    # 2 days before is Sunday 28th: moved earlier, to Friday 26th
    two = rows[reminder_key(7, "launch_reminder", 0, "specialist", 2)]
    assert two["due_at"] == datetime(2025, 9, 26, 8, 0, tzinfo=UTC)
    assert len(rows) == 2  # the headteacher's are the school's (issue 15): see below
    assert {r["kind"] for r in rows.values()} == {"reminder"}


def test_the_headteacher_gets_one_invitation_and_reminder_per_school_and_event(cohort9_rules):
    rows = by_key(heads_launch_emails(cohort9_rules, 7, 5, 1, JUNE, CAL))
    assert set(rows) == {
        school_key(5, "launch_invitation", 0, 0),
        school_key(5, "launch_reminder", 0, 14),
        school_key(5, "launch_reminder", 0, 2),
    }
    two = rows[school_key(5, "launch_reminder", 0, 2)]
    assert two["due_at"] == datetime(2025, 9, 26, 8, 0, tzinfo=UTC)  # as the specialist's
    assert two["payload"]["to"] == "headteacher" and two["payload"]["school_id"] == 5
    # the same rows whichever of the school's specialists is selected: one email each
    again = by_key(heads_launch_emails(cohort9_rules, 8, 5, 1, JUNE, CAL))
    assert set(again) == set(rows)


def test_reminders_already_past_are_not_scheduled(cohort9_rules):
    late = datetime(2025, 9, 20, 9, tzinfo=UTC)  # after the 14-day reminder, before the 2-day
    rows = planned(7, cohort9_rules, State.SELECTED, late, CAL)
    assert {r["payload"]["extra"]["days_before"] for r in rows} == {2}
    assert planned(7, cohort9_rules, State.SELECTED, datetime(2025, 10, 1, tzinfo=UTC), CAL) == []


def test_year1_central_events_are_reminded_a_week_before_to_the_specialist(cohort9_rules):
    rows = planned(3, cohort9_rules, State.YEAR1, datetime(2025, 9, 3, 8, tzinfo=UTC), CAL)
    assert [r["payload"]["template"] for r in rows] == ["central_event_reminder"] * 3
    assert {r["payload"]["to"] for r in rows} == {"specialist"}
    assert [r["due_at"] for r in rows] == [
        datetime(2025, 10, 9, 8, tzinfo=UTC),  # Thursday 16 October, less 7 days, BST
        datetime(2026, 1, 22, 9, tzinfo=UTC),  # GMT in January
        datetime(2026, 5, 7, 8, tzinfo=UTC),
    ]


def test_year2_adds_accreditation_reminders_on_working_days(cohort9_rules):
    rows = planned(3, cohort9_rules, State.YEAR2, datetime(2026, 9, 2, 8, tzinfo=UTC), CAL)
    accreditation = [r for r in rows if r["payload"]["template"] == "accreditation_reminder"]
    # 1 March 2027 is a Monday; 1 June 2027 a Tuesday
    assert [r["due_at"] for r in accreditation] == [
        datetime(2027, 3, 1, 9, tzinfo=UTC),
        datetime(2027, 6, 1, 8, tzinfo=UTC),
    ]
    assert all(r["payload"]["unless_milestone"] == "accreditation" for r in accreditation)
    assert len(rows) == 4  # and the two Year 2 central events


def test_keys_are_distinct_and_stable(cohort9_rules):
    once = planned(5, cohort9_rules, State.YEAR2, JUNE, CAL)
    again = planned(5, cohort9_rules, State.YEAR2, JUNE, CAL)
    assert [r["key"] for r in once] == [r["key"] for r in again]
    assert len({r["key"] for r in once}) == len(once)
    assert all(r["key"].startswith("reminder:5:") for r in once)


def test_no_reminders_for_states_without_any(cohort9_rules):
    for state in (State.NOMINATED, State.WORK_GROUP_LEAD, State.WITHDRAWN):
        assert planned(1, cohort9_rules, state, JUNE, CAL) == []


def test_launch_invitation_only_before_the_launch(cohort9_rules):
    rows = launch_invitations(4, cohort9_rules, JUNE)
    assert [r["payload"]["to"] for r in rows] == ["specialist", "headteacher"]
    assert rows[0]["payload"]["extra"]["event"]["title"] == "Cohort 9 launch event"
    assert launch_invitations(4, cohort9_rules, datetime(2025, 10, 1, tzinfo=UTC)) == []


def test_cohort_years_start_on_the_first_term_day():
    # cohort 9's year1_start is Monday 1 September 2025; the autumn term starts on the 3rd
    assert CAL.first_term_day(date(2025, 9, 1)) == date(2025, 9, 3)
    assert CAL.first_term_day(date(2025, 9, 10)) == date(2025, 9, 10)
    assert CAL.reminder_time(CAL.first_term_day(date(2025, 9, 1))) == datetime(
        2025, 9, 3, 8, tzinfo=UTC
    )
