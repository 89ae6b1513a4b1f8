"""A cohort's year starts as due items: each programme year's trigger, fired for the whole
cohort at 09:00 on the first term day on or after the date its rules give the year.

Scheduled when the cohort is created (``setup.add_cohort``); the scheduler's
``advance_cohort`` work (``scheduler/jobs.py``) runs them when they fall due.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from workflow.services import due
from workflow.services.calendar import Calendar
from workflow.states.programme import YEARS
from workflow.states.rules import CohortRules

ADVANCE_COHORT = "advance_cohort"  # the due item kind


def advancement_key(cohort: int, trigger: str) -> str:
    return f"cohort:{cohort}:{trigger}"


def schedule_cohort_years(session: Session, cohort: int, rules: CohortRules, cal: Calendar) -> None:
    """The cohort's three year starts as ``advance_cohort`` items; safe to repeat."""
    due.schedule_many(
        session,
        [
            due.row(
                advancement_key(cohort, year.trigger),
                ADVANCE_COHORT,
                cal.reminder_time(cal.first_term_day(getattr(rules.dates, year.rules_date))),
                {"cohort": cohort, "trigger": year.trigger},
            )
            for year in YEARS
        ],
    )
