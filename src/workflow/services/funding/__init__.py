"""Funding: what each programme year is worth, its instalments, their release, the ledger.

Money is integer pence throughout; no floats. The package holds one job per module:

- ``planning``: pure arithmetic from the cohort's rules (entitlement splits, resumed
  schedules, pro rata), tested without a database;
- ``schedule``: instalments scheduled on a year start, cancelled on withdrawal or
  deferral, scheduled again on resume (``after_transition``, ``schedule_years``);
- ``release``: one instalment released exactly once (``release_instalment``), run by the
  scheduler's due-item dispatch;
- ``ledger``: the one way a ledger row is appended, with its kind and origin as columns;
- ``adjustments``: ``funding adjust``, a manual correction;
- ``reports``: ``report funding`` and the identity it keeps
  (``entitled == released + scheduled + cancelled``);
- basis ``days`` (claims from the days recorded): ``claims`` (lines from milestones,
  voids, withdrawal, year ends), ``statements`` (per school per release date, paid by the
  hub), ``invariants`` (the daily check that the money adds up).

Callers import the names below from ``workflow.services.funding``.
"""

from workflow.services.funding.adjustments import adjust
from workflow.services.funding.claims import (
    GATHER_STATEMENTS,
    on_milestone_recorded,
    on_milestone_voided,
)
from workflow.services.funding.ledger import PRO_RATA_REASON
from workflow.services.funding.release import release_instalment
from workflow.services.funding.reports import FundingReport, funding_report, report
from workflow.services.funding.schedule import (
    RELEASE_FUNDING,
    after_transition,
    cancel_scheduled,
    follow_school,
    schedule_years,
    undo_withdrawal,
    year_released,
)

__all__ = [
    "GATHER_STATEMENTS",
    "PRO_RATA_REASON",
    "RELEASE_FUNDING",
    "FundingReport",
    "adjust",
    "after_transition",
    "cancel_scheduled",
    "follow_school",
    "funding_report",
    "on_milestone_recorded",
    "on_milestone_voided",
    "release_instalment",
    "report",
    "schedule_years",
    "undo_withdrawal",
    "year_released",
]
