"""A specialist's progress against their programme year's requirements, at a term start.

Pure: plain facts in (the rules, what was recorded, how many of the year's terms have
ended), plain figures out; no database, no calendar. The services gather the facts
(``services.progress``) and the term digest and ``workflow report progress`` print the
same figures.

What is expected by a term start, for a specialist in programme year P:

- central days, development days, hub support: the year's requirement times the share of
  the year's three terms that have ended, rounded down to a half-day (none at the autumn
  start, a third at spring, two thirds at summer, all of it once the year is over);
- the headteacher's attendance at the launch (Year 1, when the rules require it): once
  the launch event has taken place;
- PD Lead accreditation (Year 2): once the year is over.

A specialist is *behind* when anything recorded falls short of what is expected. What
*lapses* at the year's end is the funded days not yet recorded (central and development),
and the money they stand for at the cohort's daily rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workflow.states.rules import CohortRules

TERMS_PER_YEAR = 3
MEASURED = ("central_day", "development_day", "hub_support")
LABELS = {
    "central_day": "central days",
    "development_day": "development days",
    "hub_support": "hub support days",
    "launch_attended": "headteacher at the launch",
    "accreditation": "PD Lead accreditation",
}


@dataclass(frozen=True, slots=True)
class Recorded:
    """What was recorded for one specialist in their current programme year."""

    half_days: dict[str, int] = field(default_factory=dict)  # by milestone, this year
    launch_attended: bool = False
    accredited: bool = False


@dataclass(frozen=True, slots=True)
class Line:
    """One requirement: half-days (or 0/1 for a yes/no) done, expected by now, for the year."""

    what: str
    done: int
    expected: int
    required: int

    @property
    def short_by(self) -> int:
        return max(self.expected - self.done, 0)


@dataclass(frozen=True, slots=True)
class Progress:
    specialist_id: int
    name: str
    school: str
    programme_year: int
    lines: tuple[Line, ...]
    lapsing_half_days: int
    lapsing_pence: int

    @property
    def behind(self) -> bool:
        return any(line.short_by for line in self.lines)

    @property
    def shortfalls(self) -> list[str]:
        """Each requirement short of what is expected, as a hub lead reads it."""
        return [describe(line) for line in self.lines if line.short_by]


def describe(line: Line) -> str:
    label = LABELS[line.what]
    if line.what in MEASURED:
        return (
            f"{label}: {line.done / 2:g} of {line.expected / 2:g} expected by now "
            f"({line.required / 2:g} this year)"
        )
    return f"{label}: not recorded"


def expected_share(required: int, terms_ended: int) -> int:
    """The half-days of ``required`` expected once ``terms_ended`` of three terms ended."""
    terms_ended = min(max(terms_ended, 0), TERMS_PER_YEAR)
    return required * terms_ended // TERMS_PER_YEAR


def progress(
    rules: CohortRules,
    specialist_id: int,
    name: str,
    school: str,
    programme_year: int,
    recorded: Recorded,
    *,
    terms_ended: int,
    launch_passed: bool,
) -> Progress:
    """One specialist's figures (see the module's docstring for what is expected when)."""
    year = rules.year(programme_year)
    lines = []
    if programme_year == 1 and year.launch_attendance_required:
        lines.append(Line("launch_attended", int(recorded.launch_attended), int(launch_passed), 1))
    for kind, required in (
        ("central_day", year.central_half_days),
        ("development_day", year.development_half_days),
        ("hub_support", year.hub_support_half_days),
    ):
        if required:
            done = recorded.half_days.get(kind, 0)
            lines.append(Line(kind, done, expected_share(required, terms_ended), required))
    if programme_year == 2:
        over = int(terms_ended >= TERMS_PER_YEAR)
        lines.append(Line("accreditation", int(recorded.accredited), over, 1))
    paid_days = sum(recorded.half_days.get(k, 0) for k in ("central_day", "development_day"))
    lapsing = max(year.funded_half_days - paid_days, 0)
    return Progress(
        specialist_id=specialist_id,
        name=name,
        school=school,
        programme_year=programme_year,
        lines=tuple(lines),
        lapsing_half_days=lapsing,
        lapsing_pence=lapsing * rules.funding.daily_rate_pence // 2,
    )
