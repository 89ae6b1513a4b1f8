"""The emails each trigger sends and to whom, as outbox rows.

``services/consequences.py`` writes them, with the rest of a transition's consequences
(audit, reminders, funding), in the transition's own transaction. Other producers (the
reminders, the stuck-specialists email of bulk advancement) build their rows with
``email_row``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workflow.db.bulk import insert_rows
from workflow.db.models import OutboxMessage
from workflow.services.outbox import SEND_EMAIL, email_key

SPECIALIST_AND_HEAD = ("specialist", "headteacher")

EMAILS_BY_TRIGGER: dict[str, tuple[str, tuple[str, ...]]] = {
    "nominate": ("nomination_received", SPECIALIST_AND_HEAD),
    "select": ("selected", SPECIALIST_AND_HEAD),
    "decline": ("not_selected", SPECIALIST_AND_HEAD),
    "start_year2": ("year2_started", SPECIALIST_AND_HEAD),
    "start_work_group": ("work_group_lead_started", SPECIALIST_AND_HEAD),
    "withdraw": ("withdrawal_confirmed", SPECIALIST_AND_HEAD),
    "defer": ("deferral_confirmed", SPECIALIST_AND_HEAD),
}


def email_row(
    now: datetime,
    template: str,
    specialist_id: int | None,
    to: str,
    occurrence: str,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    payload = {
        "key": email_key(specialist_id, template, to, occurrence),
        "template": template,
        "specialist_id": specialist_id,
        "to": to,
        "extra": extra or {},
    }
    return {"topic": SEND_EMAIL, "payload": payload, "created_at": now, "attempts": 0}


def transition_rows(
    specialist_id: int,
    trigger: str,
    now: datetime,
    occurrence: str,
    reason: str | None = None,
) -> list[dict[str, Any]]:
    """The outbox rows one transition causes; ``occurrence`` tells repeats apart."""
    template_and_recipients = EMAILS_BY_TRIGGER.get(trigger)
    if not template_and_recipients:
        return []
    template, recipients = template_and_recipients
    extra = {"reason": reason} if reason else None
    return [email_row(now, template, specialist_id, to, occurrence, extra) for to in recipients]


def write(session: Session, rows: list[dict[str, Any]]) -> None:
    insert_rows(session, OutboxMessage.__table__, rows)
