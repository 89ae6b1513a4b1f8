"""What must follow a transition, written to the outbox in the same transaction.

This is the one table of consequences: which emails each trigger sends and to whom.
Funding schedules and due items hook in here too, so every path that changes state
(a single command, a bulk advancement, a replay of the rules) has the same effects.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from workflow.db.models import Specialist
from workflow.services.outbox import emit_email
from workflow.states.lifecycle import Outcome

SPECIALIST_AND_HEAD = ("specialist", "headteacher")

EMAILS_BY_TRIGGER: dict[str, tuple[str, tuple[str, ...]]] = {
    "select": ("selected", SPECIALIST_AND_HEAD),
    "decline": ("not_selected", SPECIALIST_AND_HEAD),
    "start_year2": ("year2_started", SPECIALIST_AND_HEAD),
    "start_work_group": ("work_group_lead_started", SPECIALIST_AND_HEAD),
    "withdraw": ("withdrawal_confirmed", SPECIALIST_AND_HEAD),
    "defer": ("deferral_confirmed", SPECIALIST_AND_HEAD),
}


def on_nominated(session: Session, specialist: Specialist, now: datetime) -> None:
    for to in SPECIALIST_AND_HEAD:
        emit_email(session, now, template="nomination_received", specialist_id=specialist.id, to=to)


def on_transition(
    session: Session,
    specialist: Specialist,
    trigger: str,
    outcome: Outcome,
    now: datetime,
    occurrence: str,
    reason: str | None = None,
) -> None:
    """Queue the consequences of one transition; ``occurrence`` tells repeats apart."""
    template_and_recipients = EMAILS_BY_TRIGGER.get(trigger)
    if template_and_recipients:
        template, recipients = template_and_recipients
        for to in recipients:
            emit_email(
                session,
                now,
                template=template,
                specialist_id=specialist.id,
                to=to,
                occurrence=occurrence,
                extra={"reason": reason} if reason else None,
            )
