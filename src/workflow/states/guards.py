"""The guards: pure checks of plain facts, each refusal a sentence a hub lead understands.

The services gather the facts from the database; the guards only judge them. Every
guard returns all its reasons at once (an empty list means allowed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the rules load only where a guard needs them
    from workflow.states.rules import CohortRules

SECONDARY_PHASES = ("secondary", "all-through")


@dataclass(frozen=True, slots=True)
class Facts:
    """What a guard may need to know; the services fill in what applies."""

    places: int = 0
    places_used: int = 0
    year1_half_days: dict[str, int] = field(default_factory=dict)
    launch_attended: bool = False
    accredited: bool = False
    rules: CohortRules | None = None
    # reinstate: from the reserve list (not selected), and whether Year 1 has begun;
    # whether the state returned to holds one of the hub's places.
    from_reserve: bool = False
    year1_started: bool = False
    needs_place: bool = False


@dataclass(frozen=True, slots=True)
class Nomination:
    """A nomination's facts; ``name_problem``/``email_problem`` come from the input checks."""

    name_problem: str | None
    email_problem: str | None
    qts: bool
    teaching_since: date
    school_phase: str
    school_state_funded: bool
    cohort_start: date
    # The address belonged to someone whose data was erased at their request.
    previously_erased: bool = False


def full_years_between(start: date, end: date) -> int:
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


def nomination_reasons(n: Nomination) -> list[str]:
    reasons = [problem for problem in (n.name_problem, n.email_problem) if problem]
    if not n.qts:
        reasons.append("the teacher does not have qualified teacher status (QTS)")
    reasons += school_reasons(n.school_phase, n.school_state_funded)
    years = full_years_between(n.teaching_since, n.cohort_start)
    if years < 2:
        reasons.append(
            f"the teacher will have {max(years, 0)} full year(s) of teaching by the cohort's "
            f"start on {n.cohort_start.isoformat()}; at least 2 are required "
            "(early-career teachers are not eligible)"
        )
    if n.previously_erased:
        reasons.append(
            "this address belongs to someone whose data was erased at their request; "
            "they cannot be nominated again with it (ask the national team)"
        )
    return reasons


def school_reasons(phase: str, state_funded: bool) -> list[str]:
    """Why a school cannot host a specialist (nomination, or a move to it)."""
    reasons = []
    if not state_funded:
        reasons.append("the school is not state-funded")
    if phase not in SECONDARY_PHASES:
        reasons.append(f"the school is {phase}, not secondary or all-through")
    return reasons


def _select(f: Facts) -> list[str]:
    if f.places_used >= f.places:
        used = f"{f.places_used} of {f.places} places used"
        return [f"the hub's allocation for this cohort is full ({used})"]
    return []


def _reinstate(f: Facts) -> list[str]:
    reasons = []
    if f.from_reserve and f.year1_started:
        reasons.append("the cohort's Year 1 has begun: its reserve list is closed")
    if f.needs_place:
        reasons += _select(f)
    return reasons


def _year1_complete(f: Facts) -> list[str]:
    if f.rules is None:
        return ["the cohort's rules are unknown"]
    need = f.rules.year1
    reasons = []
    if need.launch_attendance_required and not f.launch_attended:
        reasons.append("the headteacher's attendance at the launch event is not recorded")
    for kind, required in (
        ("central_day", need.central_half_days),
        ("development_day", need.development_half_days),
    ):
        done = f.year1_half_days.get(kind, 0)
        if done < required:
            label = kind.replace("_", " ")
            reasons.append(f"{label}s recorded in Year 1: {done / 2:g} of {required / 2:g}")
    return reasons


def _accredited(f: Facts) -> list[str]:
    return [] if f.accredited else ["PD Lead accreditation is not recorded"]


GUARDS = {
    "select": _select,
    "start_year2": _year1_complete,
    "start_work_group": _accredited,
    "reinstate": _reinstate,
}
# How each guard reads on the diagram.
GUARD_LABELS = {
    "select": "a place is free",
    "start_year2": "Year 1 requirements met",
    "start_work_group": "PD Lead accredited",
    "reinstate": "a correction, with a reason",
}


def guard_reasons(trigger: str, facts: Facts) -> list[str]:
    check = GUARDS.get(trigger)
    return check(facts) if check else []
