"""Writing outbox rows: what must follow a change, committed in the same transaction.

Messages carry ids and plain values only. One topic exists (funding is released by the
scheduler's due-item dispatch, not through the outbox):

- ``send_email``: ``{"key", "template", "specialist_id", "to", "extra"}`` where ``to`` is a
  recipient role (``specialist``, ``headteacher``, ``finance``, ``hub_lead``) or an address,
  and ``key`` is the email's idempotency key (specialist, template, recipient, occurrence).

A row's life: written (``created_at``), published by the relay (``sent_at``, again on
every re-publish), done when its effect is recorded (``done_at``: the actor finished, or
the message was dead-lettered). ``row_id_of`` reads a row's id back from its message id
(``outbox-<id>``); ``mark_done`` records the effect; ``hand_back`` makes rows pending
again (an in-process broker stopping with messages still queued).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, update
from sqlalchemy.orm import Session

from workflow.db.bulk import among
from workflow.db.driver import HotStatement
from workflow.db.models import OutboxMessage

SEND_EMAIL = "send_email"
TOPICS = (SEND_EMAIL,)
MESSAGE_ID_PREFIX = "outbox-"


class Unfinished:
    """What an actor returns when it did not record its effect (another delivery of the
    same key holds it): the row stays open, so it is published again if that one is lost."""


UNFINISHED = Unfinished()

_MARK_DONE = HotStatement(
    "UPDATE outbox SET done_at = :now WHERE id = :id AND done_at IS NULL", timestamps=["now"]
)


def message_id(row_id: int) -> str:
    return f"{MESSAGE_ID_PREFIX}{row_id}"


def row_id_of(message_id: str) -> int | None:
    """The outbox row a message id names, or None (a message not from the outbox)."""
    if not message_id.startswith(MESSAGE_ID_PREFIX):
        return None
    digits = message_id[len(MESSAGE_ID_PREFIX) :]
    return int(digits) if digits.isascii() and digits.isdigit() else None


def mark_done(connection: Connection, row_id: int, now: datetime) -> None:
    """Record that the row's effect is recorded (in the caller's transaction)."""
    _MARK_DONE.execute(connection, {"id": row_id, "now": now})


def mark_many_done(session: Session, row_ids: list[int], now: datetime) -> None:
    """``mark_done`` for many rows in one statement."""
    session.execute(
        update(OutboxMessage)
        .where(among(session, OutboxMessage.id, row_ids), OutboxMessage.done_at.is_(None))
        .values(done_at=now)
    )


def hand_back(session: Session, row_ids: list[int]) -> int:
    """Make relayed rows that are not done pending again, for the relay to publish anew."""
    if not row_ids:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(row_ids), OutboxMessage.done_at.is_(None))
        .values(sent_at=None)
    )
    return result.rowcount


def emit(session: Session, topic: str, payload: dict[str, Any], now: datetime) -> None:
    if topic not in TOPICS:
        raise ValueError(f"unknown outbox topic {topic!r}")
    session.add(OutboxMessage(topic=topic, payload=payload, created_at=now, attempts=0))


def email_key(specialist_id: int | None, template: str, to: str, occurrence: str = "1") -> str:
    return f"{specialist_id or '-'}:{template}:{to}:{occurrence}"
