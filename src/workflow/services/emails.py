"""Delivering one email of the outbox: recipients and context from the database, sent once per key.

``deliver`` runs in three short steps, each its own transaction:

1. *Record*: load the specialist, school, hub and cohort, resolve the recipient role to
   addresses, and insert the ``email_log`` row under its unique idempotency key (status
   ``pending``; ``skipped`` when the role has no address, e.g. a school without a finance
   contact), committed before anything is sent. A row that already exists is reused: a
   concurrent duplicate loses the insert (``IntegrityError``) and reads the winner's row.
2. *Claim and send*: lock the row (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so a second
   delivery of the same key that finds it locked does nothing, the first one owns it;
   SQLite: the transaction's write lock, so the second waits and then finds it sent).
   Only a ``pending`` row is sent. The lock is held while the sender talks to the mail
   server and released by the commit that marks the row ``sent``, or by the database when
   the process dies, so a redelivered message after a crash finds the row free and pending.
3. A failure is recorded on the row in the same transaction: attempts and last error, and
   for a permanent failure the status ``dead`` (the actor then dead-letters the message).

The at-least-once edge of SMTP: a crash after the mail server accepted the message and
before the commit that marks the row ``sent`` leaves it ``pending``, so the redelivered
message sends it once more. Nothing can close that window short of the receiving server
deduplicating; every other duplicate (the same message twice, two outbox rows with one key,
a redelivery after a crash before sending) sends nothing.

The template context (plain values, no ORM objects)::

    {"specialist": {"id", "name", "email", "state"} | None,
     "school": {"urn", "name", "head_name", "head_email", "finance_email"} | None,
     "hub": {"code", "name", "region"} | None,
     "cohort": {"number", "start_date"} | None,
     "hub_lead": {"name", "email"} | None (who signs and receives replies),
     "email_key": the idempotency key,
     ...and the payload's ``extra``, merged last.}

Recipient roles: ``specialist``, ``headteacher`` (the school's head), ``finance`` (the
school's finance contact), ``hub_lead`` (every hub lead of the hub; without a specialist the
hub is ``extra["hub_id"]``), or a literal address.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.db.models import Cohort, EmailLog, Hub, School, Specialist, Staff
from workflow.db.uow import UnitOfWork
from workflow.errors import DeliveryError, InvalidInput, NotFound, PermanentDeliveryError
from workflow.notify.senders import Sender

PENDING, SENT, SKIPPED, DEAD = "pending", "sent", "skipped", "dead"
ROLES = ("specialist", "headteacher", "finance", "hub_lead")


class Renderer(Protocol):
    def __call__(
        self,
        template: str,
        context: dict[str, Any],
        *,
        to: str,
        sender: str,
        now: datetime,
        message_id: str,
    ) -> EmailMessage:
        """Build the finished message for ``template`` with ``context``."""
        ...


def message_id_for(key: str, mail_from: str) -> str:
    """The same Message-ID for every attempt at one email: a resend after a crash replaces
    the file sender's file, and lets a receiving server recognise the repeat."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "mastery.local"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


class Outcome(StrEnum):
    """What one call of ``deliver`` did."""

    SENT = "sent"
    ALREADY_SENT = "already_sent"  # the key was sent before: nothing to do
    IN_FLIGHT = "in_flight"  # another delivery of the same key holds it right now
    SKIPPED = "skipped"  # the role has no address (e.g. no finance contact)
    DEAD = "dead"  # failed for good earlier; only a dead-letter retry sends it again


@dataclass(frozen=True)
class _Prepared:
    row_id: int
    status: str
    context: dict[str, Any]
    addresses: list[str]


def deliver(
    uow_factory: Callable[[], UnitOfWork],
    renderer: Renderer,
    sender: Sender,
    payload: dict[str, Any],
    now: datetime,
    mail_from: str,
) -> Outcome:
    """Send the email of one ``send_email`` outbox payload, at most once per key (see above).

    Raises ``TransientDeliveryError`` to be retried, ``PermanentDeliveryError`` (the row is
    then ``dead``), ``NotFound``/``InvalidInput`` for a payload that can never be sent.
    """
    prepared = _record(uow_factory, payload, now)
    if prepared.status != PENDING:
        return _outcome_of(prepared.status)
    return _claim_and_send(uow_factory, renderer, sender, payload, prepared, now, mail_from)


def _record(uow_factory, payload: dict[str, Any], now: datetime) -> _Prepared:
    with uow_factory() as uow:
        session = uow.session
        context, addresses = _context_and_recipients(session, payload)
        status = PENDING if addresses else SKIPPED
        try:
            row_id = session.execute(
                insert(EmailLog)
                .values(
                    idempotency_key=payload["key"],
                    specialist_id=payload.get("specialist_id"),
                    recipient=(", ".join(addresses) or payload["to"])[:320],
                    template=payload["template"],
                    status=status,
                    attempts=0,
                    created_at=now,
                )
                .returning(EmailLog.id)
            ).scalar_one()
            uow.commit()
        except IntegrityError:
            # Recorded before (a redelivery) or just now by a concurrent duplicate.
            session.rollback()
            row_id, status = session.execute(
                select(EmailLog.id, EmailLog.status).where(
                    EmailLog.idempotency_key == payload["key"]
                )
            ).one()
        return _Prepared(row_id, status, context, addresses)


def _claim_and_send(
    uow_factory, renderer, sender, payload, prepared: _Prepared, now, mail_from
) -> Outcome:
    with uow_factory() as uow:
        session = uow.session
        status = session.scalar(
            select(EmailLog.status)
            .where(EmailLog.id == prepared.row_id)
            .with_for_update(skip_locked=True)
        )
        if status is None:
            return Outcome.IN_FLIGHT
        if status != PENDING:
            return _outcome_of(status)

        def mark(**values) -> None:
            session.execute(update(EmailLog).where(EmailLog.id == prepared.row_id).values(values))
            uow.commit()

        if not prepared.addresses:
            mark(status=SKIPPED)
            return Outcome.SKIPPED
        message = renderer(
            payload["template"],
            prepared.context,
            to=", ".join(prepared.addresses),
            sender=mail_from,
            now=now,
            message_id=message_id_for(payload["key"], mail_from),
        )
        attempts = EmailLog.attempts + 1
        try:
            provider_message_id = sender.send(message)
        except DeliveryError as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
            dead = isinstance(exc, PermanentDeliveryError)
            mark(attempts=attempts, last_error=error, status=DEAD if dead else PENDING)
            raise
        mark(
            attempts=attempts,
            status=SENT,
            provider_message_id=provider_message_id,
            sent_at=now,
            last_error=None,
        )
        return Outcome.SENT


def _outcome_of(status: str) -> Outcome:
    return {
        SENT: Outcome.ALREADY_SENT,
        SKIPPED: Outcome.SKIPPED,
        DEAD: Outcome.DEAD,
    }[status]


def _context_and_recipients(
    session: Session, payload: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    specialist = school = hub = cohort = None
    specialist_id = payload.get("specialist_id")
    extra = payload.get("extra") or {}
    if specialist_id is not None:
        found = session.execute(
            select(Specialist, School, Hub, Cohort)
            .join(School, Specialist.school_id == School.id)
            .join(Hub, School.hub_id == Hub.id)
            .join(Cohort, Specialist.cohort_id == Cohort.id)
            .where(Specialist.id == specialist_id)
        ).one_or_none()
        if found is None:
            raise NotFound(f"no specialist with id {specialist_id}")
        specialist, school, hub, cohort = found
    elif extra.get("hub_id") is not None:
        hub = session.get(Hub, extra["hub_id"])

    context: dict[str, Any] = {
        "specialist": specialist
        and {
            "id": specialist.id,
            "name": specialist.name,
            "email": specialist.email,
            "state": specialist.state,
        },
        "school": school
        and {
            "urn": school.urn,
            "name": school.name,
            "head_name": school.head_name,
            "head_email": school.head_email,
            "finance_email": school.finance_email,
        },
        "hub": hub and {"code": hub.code, "name": hub.name, "region": hub.region},
        "cohort": cohort and {"number": cohort.number, "start_date": cohort.start_date.isoformat()},
        "hub_lead": hub and _hub_lead(session, hub.id),
        "email_key": payload["key"],
    }
    context.update(extra)
    return context, _addresses(session, payload["to"], specialist, school, hub)


def _hub_lead(session: Session, hub_id: int) -> dict[str, str] | None:
    """The hub's first hub lead, who signs the emails and receives replies."""
    row = session.execute(
        select(Staff.name, Staff.email)
        .where(Staff.hub_id == hub_id, Staff.role == "hub_lead")
        .order_by(Staff.id)
    ).first()
    return {"name": row.name, "email": row.email} if row else None


def _addresses(session: Session, to: str, specialist, school, hub) -> list[str]:
    if "@" in to:
        return [to]
    if to not in ROLES:
        raise InvalidInput(
            f"unknown recipient {to!r}: expected {', '.join(ROLES)} or an email address"
        )
    if to == "hub_lead":
        if hub is None:
            raise InvalidInput("an email to the hub lead needs a specialist or extra.hub_id")
        return list(
            session.scalars(
                select(Staff.email)
                .where(Staff.hub_id == hub.id, Staff.role == "hub_lead")
                .order_by(Staff.id)
            )
        )
    if specialist is None:
        raise InvalidInput(f"an email to the {to} needs a specialist")
    if to == "specialist":
        return [specialist.email]
    if to == "headteacher":
        return [school.head_email]
    return [school.finance_email] if school.finance_email else []
