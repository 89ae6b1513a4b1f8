"""A cohort's year starts as due items: each programme year's trigger, fired for the whole
cohort at 09:00 on the first term day on or after the date its rules give the year.

Scheduled when the cohort is created (``setup.add_cohort``); the scheduler's
``advance_cohort`` work (``scheduler/jobs.py``) runs them when they fall due.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from workflow.services import due
from workflow.services.calendar import Calendar
from workflow.states.programme import YEARS
from workflow.states.rules import CohortRules

ADVANCE_COHORT = "advance_cohort"  # the due item kind
TERM_START = "term_start"  # the due item kind of a term's digests (services/term_digests.py)


def advancement_key(cohort: int, trigger: str) -> str:
    return f"cohort:{cohort}:{trigger}"


def schedule_cohort_years(session: Session, cohort: int, rules: CohortRules, cal: Calendar) -> None:
    """The cohort's three year starts as ``advance_cohort`` items, then each term it is
    active as a ``term_start`` item (``services.term_digests``); safe to repeat."""
    year_starts = {
        cal.first_term_day(getattr(rules.dates, year.rules_date)): year.trigger for year in YEARS
    }
    due.schedule_many(
        session,
        [
            *(
                due.row(
                    advancement_key(cohort, trigger),
                    ADVANCE_COHORT,
                    cal.reminder_time(day),
                    {"cohort": cohort, "trigger": trigger},
                )
                for day, trigger in year_starts.items()
            ),
            # After the advancements: due at the same time, they are claimed first (id order).
            *term_items(cohort, rules, year_starts, cal),
        ],
    )


def term_key(cohort: int, term_start: date) -> str:
    return f"cohort:{cohort}:term:{term_start.isoformat()}"


def term_items(
    cohort: int, rules: CohortRules, year_starts: dict[date, str], cal: Calendar
) -> list[dict[str, Any]]:
    """The cohort's ``term_start`` due rows; ``year_starts`` maps a term start to the year
    trigger that fires on it (the job advances the cohort first, on those terms)."""
    first = cal.term_at(rules.dates.year1_start)[2].start
    last = cal.term_at(rules.dates.work_group_start)[2].start
    return [
        due.row(
            term_key(cohort, start),
            TERM_START,
            cal.reminder_time(start),
            {"cohort": cohort, "term_start": start.isoformat(), "trigger": year_starts.get(start)},
        )
        for start in cal.term_starts(first, last)
    ]
