"""The emails each trigger sends and to whom, as outbox rows.

``services/consequences.py`` writes them, with the rest of a transition's consequences
(audit, reminders, funding), in the transition's own transaction. Other producers (the
reminders, the stuck-specialists email of bulk advancement, funding, the term digests)
build their rows with ``email_row``/``email_rows`` from a notification's declaration
(``notify/notifications.py``, where its recipients are declared too).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workflow.db.bulk import insert_rows
from workflow.db.models import OutboxMessage
from workflow.notify import notifications as note
from workflow.notify.context import Extra
from workflow.notify.registry import Notification
from workflow.services.outbox import SEND_EMAIL, email_key

#: The email each trigger sends (to the notification's declared recipients).
EMAILS_BY_TRIGGER: dict[str, Notification] = {
    "nominate": note.NOMINATION_RECEIVED,
    "select": note.SELECTED,
    "decline": note.NOT_SELECTED,
    "start_year2": note.YEAR2_STARTED,
    "start_work_group": note.WORK_GROUP_LEAD_STARTED,
    "withdraw": note.WITHDRAWAL_CONFIRMED,
    "defer": note.DEFERRAL_CONFIRMED,
}


def email_row(
    now: datetime,
    notification: Notification,
    specialist_id: int | None,
    to: str,
    occurrence: str,
    extra: Extra | dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One outbox row sending ``notification`` to ``to`` (a role or an address).

    ``extra`` is checked against the notification's declared shape here, so a producer
    writing the wrong values fails in its own transaction, not later in a worker.
    """
    payload = {
        "key": email_key(specialist_id, notification.name, str(to), occurrence),
        "template": notification.name,
        "specialist_id": specialist_id,
        "to": str(to),
        "extra": notification.payload_extra(extra),
    }
    return {"topic": SEND_EMAIL, "payload": payload, "created_at": now, "attempts": 0}


def email_rows(
    now: datetime,
    notification: Notification,
    specialist_id: int | None,
    occurrence: str,
    extra: Extra | dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The outbox rows sending ``notification`` to each of its declared recipients."""
    return [
        email_row(now, notification, specialist_id, to, occurrence, extra)
        for to in notification.recipients
    ]


def transition_rows(
    specialist_id: int,
    trigger: str,
    now: datetime,
    occurrence: str,
    reason: str | None = None,
) -> list[dict[str, Any]]:
    """The outbox rows one transition causes; ``occurrence`` tells repeats apart."""
    notification = EMAILS_BY_TRIGGER.get(trigger)
    if notification is None:
        return []
    extra = {"reason": reason} if reason else None
    return email_rows(now, notification, specialist_id, occurrence, extra)


def write(session: Session, rows: list[dict[str, Any]]) -> None:
    insert_rows(session, OutboxMessage.__table__, rows)
