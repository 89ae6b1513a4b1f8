"""Writing outbox rows: what must follow a change, committed in the same transaction.

Messages carry ids and plain values only. One topic exists (funding is released by the
scheduler's due-item dispatch, not through the outbox):

- ``send_email``: ``{"key", "template", "specialist_id", "to", "extra"}`` where ``to`` is a
  recipient role (``specialist``, ``headteacher``, ``finance``, ``hub_lead``) or an address,
  and ``key`` is the email's idempotency key (specialist, template, recipient, occurrence).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workflow.db.models import OutboxMessage

SEND_EMAIL = "send_email"
TOPICS = (SEND_EMAIL,)


def emit(session: Session, topic: str, payload: dict[str, Any], now: datetime) -> None:
    if topic not in TOPICS:
        raise ValueError(f"unknown outbox topic {topic!r}")
    session.add(OutboxMessage(topic=topic, payload=payload, created_at=now, attempts=0))


def email_key(specialist_id: int | None, template: str, to: str, occurrence: str = "1") -> str:
    return f"{specialist_id or '-'}:{template}:{to}:{occurrence}"
