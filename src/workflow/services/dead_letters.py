"""Dead letters: messages that failed for good, kept (never expiring) until someone re-drives them.

A dead letter is recorded by the workers' middleware when a message fails permanently,
exhausts its retries, or keeps killing its worker. ``retry`` sends it again through the
normal path: a new outbox row with the same payload (so the relay publishes it as any
other), and for an email the ``email_log`` row goes from ``dead`` back to ``pending`` so
that the new delivery may send it. Its key is unchanged, so an email that did go out is
still not sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from workflow.db.models import DeadLetter, EmailLog
from workflow.db.uow import UnitOfWork
from workflow.errors import DomainError, InvalidInput, NotFound
from workflow.services import outbox
from workflow.services.auth import Action, Actor, authorize, logs_refusals


@dataclass(frozen=True)
class DeadLetterView:
    id: int
    message_id: str
    actor: str
    queue: str
    payload: dict[str, Any] | None
    error: str
    attempts: int
    created_at: datetime
    retried_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "actor": self.actor,
            "queue": self.queue,
            "payload": self.payload,
            "error": self.error,
            "attempts": self.attempts,
            "created_at": self.created_at.isoformat(),
            "retried_at": self.retried_at and self.retried_at.isoformat(),
        }


def record(
    uow: UnitOfWork,
    *,
    message_id: str,
    queue: str,
    actor: str,
    args: list[Any],
    kwargs: dict[str, Any],
    error: str,
    attempts: int,
    now: datetime,
) -> int | None:
    """Keep a failed message; returns its id, or None when it is already kept and not retried.

    (A worker that dies after recording and before acknowledging sees the message again.)
    A dead letter is the recorded effect of its outbox row: the row is done, in the same
    transaction, so the relay does not publish it again; an email still ``pending`` (its
    retries ran out) is marked ``dead`` with the reason, so that ``show`` says so.
    """
    with uow:
        session = uow.session
        row_id = outbox.row_id_of(message_id)
        if row_id is not None:
            outbox.mark_done(session.connection(), row_id, now)
        key = _email_key(actor, args)
        if key is not None:
            session.execute(
                update(EmailLog)
                .where(EmailLog.idempotency_key == key, EmailLog.status == "pending")
                .values(status="dead", last_error=error[:2000])
            )
        already = session.scalar(
            select(DeadLetter.id).where(
                DeadLetter.message_id == message_id, DeadLetter.retried_at.is_(None)
            )
        )
        if already is not None:
            return None
        row = DeadLetter(
            message_id=message_id,
            queue=queue,
            actor=actor,
            args={"args": list(args), "kwargs": dict(kwargs)},
            error=error,
            attempts=attempts,
            created_at=now,
        )
        session.add(row)
        uow.commit()
        return row.id


@logs_refusals("dead-letters list")
def list_dead_letters(
    uow: UnitOfWork, actor: Actor, *, include_retried: bool = False
) -> list[DeadLetterView]:
    authorize(actor, Action.OPERATE)  # operators: the national team
    with uow:
        query = select(DeadLetter).order_by(DeadLetter.id)
        if not include_retried:
            query = query.where(DeadLetter.retried_at.is_(None))
        return [_view(row) for row in uow.session.scalars(query)]


@logs_refusals("dead-letters retry")
def retry(
    uow: UnitOfWork, actor: Actor, now: datetime, dead_letter_id: int | None = None
) -> list[int]:
    """Re-enqueue one dead letter (by id) or, with no id, every one not yet retried.

    Returns the ids retried. Refuses (nothing changed) an unknown id, one already retried,
    or one whose actor the outbox does not carry.
    """
    authorize(actor, Action.OPERATE)
    with uow:
        session = uow.session
        if dead_letter_id is not None:
            row = session.get(DeadLetter, dead_letter_id)
            if row is None:
                raise NotFound(f"no dead letter with id {dead_letter_id}")
            if row.retried_at is not None:
                raise DomainError(
                    f"dead letter {dead_letter_id} was already retried"
                    f" at {row.retried_at.isoformat(timespec='seconds')}"
                )
            rows = [row]
        else:
            rows = list(
                session.scalars(
                    select(DeadLetter)
                    .where(DeadLetter.retried_at.is_(None))
                    .order_by(DeadLetter.id)
                    .with_for_update()
                )
            )
        for row in rows:
            payload = _payload(row)
            if row.actor not in outbox.TOPICS or payload is None:
                raise InvalidInput(
                    f"dead letter {row.id} is a message for {row.actor!r}"
                    " that the outbox cannot carry; nothing was retried"
                )
            outbox.emit(session, row.actor, payload, now)
            if row.actor == outbox.SEND_EMAIL:
                email = session.scalar(
                    select(EmailLog).where(EmailLog.idempotency_key == payload.get("key"))
                )
                if email is not None and email.status == "dead":
                    email.status = "pending"
            row.retried_at = now
        uow.commit()
        return [row.id for row in rows]


def _email_key(actor: str, args: list[Any]) -> str | None:
    if actor != outbox.SEND_EMAIL or not args or not isinstance(args[0], dict):
        return None
    key = args[0].get("key")
    return key if isinstance(key, str) else None


def _payload(row: DeadLetter) -> dict[str, Any] | None:
    """The outbox payload: every actor of the outbox takes it as its one argument."""
    args = (row.args or {}).get("args") or []
    return args[0] if len(args) == 1 and isinstance(args[0], dict) else None


def _view(row: DeadLetter) -> DeadLetterView:
    return DeadLetterView(
        id=row.id,
        message_id=row.message_id,
        actor=row.actor,
        queue=row.queue,
        payload=_payload(row),
        error=row.error,
        attempts=row.attempts,
        created_at=row.created_at,
        retried_at=row.retried_at,
    )
