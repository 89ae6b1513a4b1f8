"""What follows a transition, written in the transition's own transaction: the audit
entries, the emails (outbox rows), the reminders, the funding, and whether each is now
stuck.

This is the one path. A single command (``services/specialists.py``) calls ``follow``
with a batch of one; bulk advancement (``services/advancement.py``) with the batch it
moved. A new consequence of a transition is added here, once, for both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from workflow.db.bulk import insert_rows
from workflow.db.models import AuditEntry, Specialist
from workflow.services import effects, funding, standing
from workflow.services.auth import Actor
from workflow.services.queries import TRANSITION, cohort_rules
from workflow.services.reminders import schedule_year_reminders, update_reminders
from workflow.states.lifecycle import Outcome, State
from workflow.states.programme import started_by


@dataclass(frozen=True, slots=True)
class Moved:
    """One specialist a trigger moved: plain values, no ORM object."""

    specialist_id: int
    cohort_id: int
    version: int  # the version it changed from: tells this change's emails from others'
    source: State | None  # None for a new nomination
    dest: State
    overridden: tuple[str, ...] = ()

    @classmethod
    def of(cls, specialist_id: int, cohort_id: int, version: int, outcome: Outcome) -> Moved:
        return cls(
            specialist_id,
            cohort_id,
            version,
            outcome.source,
            outcome.dest,
            tuple(outcome.overridden),
        )

    @property
    def outcome(self) -> Outcome:
        return Outcome(self.source, self.dest, list(self.overridden))

    def reason(self, given: str | None) -> str | None:
        """The reason the audit keeps: an override names what it overrode."""
        if self.overridden:
            return f"{given} (overrode: {'; '.join(self.overridden)})"
        return given


def follow(
    session: Session,
    moved: Sequence[Moved],
    trigger: str,
    actor: Actor,
    now: datetime,
    *,
    reason: str | None = None,
) -> None:
    """Write every consequence of ``trigger`` having moved ``moved`` (states already set)."""
    if not moved:
        return
    insert_rows(
        session,
        AuditEntry.__table__,
        [
            {
                "specialist_id": m.specialist_id,
                "kind": TRANSITION,
                "name": trigger,
                "from_state": m.source.value if m.source else "none",
                "to_state": m.dest.value,
                "actor": actor.email,
                "at": now,
                "reason": m.reason(reason),
                "override": bool(m.overridden),
            }
            for m in moved
        ],
    )
    effects.write(
        session,
        [
            row
            for m in moved
            for row in effects.transition_rows(
                m.specialist_id, trigger, now, f"v{m.version}", m.reason(reason)
            )
        ],
    )
    by_cohort: dict[int, list[Moved]] = defaultdict(list)
    for m in moved:
        by_cohort[m.cohort_id].append(m)
    for cohort_id, group in by_cohort.items():
        _reminders_and_funding(session, cohort_id, group, trigger, actor, now)
    standing.refresh(session, [m.specialist_id for m in moved])


def _reminders_and_funding(
    session: Session,
    cohort_id: int,
    moved: list[Moved],
    trigger: str,
    actor: Actor,
    now: datetime,
) -> None:
    if started_by(trigger) is not None:
        # A year start: the same plan for everyone moved, written with a few bulk statements.
        rules = cohort_rules(session, cohort_id)
        ids = [m.specialist_id for m in moved]
        schedule_year_reminders(session, rules, trigger, ids, now)
        funding.schedule_years(session, rules, trigger, ids, now)
        return
    for m in moved:
        update_reminders(session, m.specialist_id, cohort_id, trigger, m.dest, now)
        if m.source is not None:
            specialist = session.get(Specialist, m.specialist_id)
            funding.after_transition(session, specialist, trigger, m.outcome, actor, now)
