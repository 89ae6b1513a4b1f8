"""The progress figures a term digest carries, per hub and specialist, as typed values.

``services/progress.py`` builds them; the ``term_digest`` and ``term_summary``
notifications carry them and ``workflow report progress`` prints them, so the three show
the same numbers. Half-days are integers; money is integer pence.
"""

from __future__ import annotations

from datetime import date

from workflow.notify.context import Extra


class TermInfo(Extra, frozen=True):
    """The term a digest is for: ``autumn`` 2025/26, its first and last day."""

    name: str
    academic_year: str
    start: date
    end: date


class RequirementFigures(Extra, frozen=True):
    """One requirement of the year: half-days (0/1 for a yes/no) done, expected, required."""

    what: str
    done: int
    expected: int
    required: int


class SpecialistFigures(Extra, frozen=True):
    id: int
    name: str
    school: str
    programme_year: int
    behind: bool
    shortfalls: list[str]
    lines: list[RequirementFigures]
    lapsing_half_days: int
    lapsing_pence: int


class HubFigures(Extra, frozen=True):
    """One hub's figures at a term start (``services.progress``; ``report progress``)."""

    hub: str
    name: str
    on_track: int
    behind: int
    paid_pence: int
    due_pence: int
    lapsing_pence: int
    specialists: list[SpecialistFigures]


class HubCount(Extra, frozen=True):
    hub: str
    name: str
    on_track: int
    behind: int
