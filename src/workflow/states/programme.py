"""The programme's years, declared once: each year's number, the trigger that starts it,
the state a specialist is in during it, and the field of the cohort's rules that dates it.

Every other module asks this table (which year a state belongs to, which trigger starts a
year, which trigger moves a state on) instead of keeping a mapping of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.states.lifecycle import State


@dataclass(frozen=True, slots=True)
class ProgrammeYear:
    number: int  # 1 (own teaching), 2 (leading the department), 3 (Work Group)
    trigger: str  # the trigger that starts the year
    source: State  # the state the trigger moves from
    state: State  # the state during the year
    rules_date: str  # the field of ``CohortRules.dates`` the year starts on
    funded: bool  # whether the rules fund release time in this year


YEARS: tuple[ProgrammeYear, ...] = (
    ProgrammeYear(1, "start_year1", State.SELECTED, State.YEAR1, "year1_start", True),
    ProgrammeYear(2, "start_year2", State.YEAR1, State.YEAR2, "year2_start", True),
    ProgrammeYear(
        3, "start_work_group", State.YEAR2, State.WORK_GROUP_LEAD, "work_group_start", False
    ),
)

YEAR_TRIGGERS: tuple[str, ...] = tuple(year.trigger for year in YEARS)
_BY_TRIGGER = {year.trigger: year for year in YEARS}
_BY_STATE = {year.state: year for year in YEARS}
_BY_SOURCE = {year.source: year for year in YEARS}


def started_by(trigger: str) -> ProgrammeYear | None:
    """The year ``trigger`` starts, or None when it starts none."""
    return _BY_TRIGGER.get(trigger)


def year_of_state(state: State | str) -> ProgrammeYear | None:
    """The year a specialist in ``state`` is in, or None (not yet started, or left)."""
    return _BY_STATE.get(State(state))


def milestone_year(state: State | str) -> int | None:
    """The year a milestone recorded in ``state`` counts toward: a selected specialist's
    milestones (the launch) count toward Year 1."""
    if State(state) == State.SELECTED:
        return YEARS[0].number
    year = year_of_state(state)
    return year.number if year else None


def next_year_trigger(state: State | str) -> str | None:
    """The trigger that moves a specialist in ``state`` into their next year (``advance``)."""
    year = _BY_SOURCE.get(State(state))
    return year.trigger if year else None


def source_of(trigger: str) -> State:
    """The state a year trigger moves specialists from (bulk advancement selects them)."""
    return _BY_TRIGGER[trigger].source


def funded_year(state: State | str) -> int | None:
    """The funded programme year a state belongs to (1 or 2), else None."""
    year = year_of_state(state)
    return year.number if year and year.funded else None
