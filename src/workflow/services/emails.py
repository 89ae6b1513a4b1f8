"""Delivering one email of the outbox: recipients and context from the database, sent once per key.

``deliver`` runs in one transaction:

1. *Load*: the specialist with their school, hub, cohort and the hub's first hub lead, in
   one query; resolve the recipient role to addresses.
2. *Record and claim*: insert the ``email_log`` row under its unique idempotency key
   (status ``pending``; ``skipped`` when the role has no address, e.g. a school without a
   finance contact, committed at once and nothing sent). The uncommitted row is this
   delivery's claim: a concurrent delivery of the same key waits on it at its own insert
   (PostgreSQL: the unique index; SQLite: the write lock every transaction takes) and then
   finds it sent. A row that exists already (a redelivery, a retry) is locked instead
   (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so a delivery that finds it locked does
   nothing, the other one owns it) and sent only if ``pending``.
3. *Send and mark*: render, hand the message to the sender, mark the row ``sent`` and
   commit. The claim is released by that commit, or by the database when the process
   dies, so a message redelivered after a crash finds no row (or a pending one) and sends.
   A failure is recorded on the row in the same transaction: attempts and last error, and
   for a permanent failure (or an email that cannot be written) the status ``dead`` (the
   actor then dead-letters the message).

The at-least-once edge of SMTP: a crash after the mail server accepted the message and
before the commit that marks the row ``sent`` leaves no row (or a pending one), so the
redelivered message sends it once more. Nothing can close that window short of the
receiving server deduplicating (the Message-ID is the same on every attempt, see
``message_id_for``); every other duplicate (the same message twice, two outbox rows with
one key, a redelivery after a crash before sending) sends nothing.

The template context (plain values, no ORM objects)::

    {"specialist": {"id", "name", "email", "state"} | None,
     "school": {"urn", "name", "head_name", "head_email", "finance_email"} | None,
     "hub": {"code", "name", "region"} | None,
     "cohort": {"number", "start_date"} | None,
     "hub_lead": {"name", "email"} | None (who signs and receives replies),
     "email_key": the idempotency key,
     ...and the payload's ``extra``, which may not name any of the above.}

Without a specialist, the hub is ``extra["hub_id"]`` and the cohort
``extra["cohort_number"]`` (a notification of hub or national scope). The renderer checks
the whole context against the notification's declared shape (``notify/notifications.py``).

Recipient roles (``notify.registry.Role``): ``specialist``, ``headteacher`` (the school's
head), ``finance`` (the school's finance contact), ``hub_lead`` (every hub lead of the
hub), ``hub_staff`` (every hub staff member of the hub), ``national_admin`` (every national
admin), or a literal address.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime
from email.utils import parseaddr
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Connection, Date, select

from workflow.db.driver import HotStatement
from workflow.db.models import Cohort, EmailLog, Hub, Staff
from workflow.db.uow import UnitOfWork
from workflow.errors import DeliveryError, InvalidInput, NotFound, PermanentDeliveryError
from workflow.notify.context import SCOPE_FIELDS
from workflow.notify.mime import FinishedEmail
from workflow.notify.registry import ROLES, Role
from workflow.notify.senders import Sender
from workflow.services.auth import Role as StaffRole

PENDING, SENT, SKIPPED, DEAD = "pending", "sent", "skipped", "dead"


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
    ) -> FinishedEmail:
        """Build the finished message for ``template`` with ``context``."""
        ...


def message_id_for(key: str, mail_from: str) -> str:
    """The same Message-ID for every attempt at one email: a resend after a crash replaces
    the file sender's file, and lets a receiving server recognise the repeat."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{_domain(mail_from)}>"


@functools.cache
def _domain(mail_from: str) -> str:
    return parseaddr(mail_from)[1].rpartition("@")[2] or "mastery.local"


class Outcome(StrEnum):
    """What one call of ``deliver`` did."""

    SENT = "sent"
    ALREADY_SENT = "already_sent"  # the key was sent before: nothing to do
    IN_FLIGHT = "in_flight"  # another delivery of the same key holds it right now
    SKIPPED = "skipped"  # the role has no address (e.g. no finance contact)
    DEAD = "dead"  # failed for good earlier; only a dead-letter retry sends it again


# The statements of every delivery, written as SQL, the same on PostgreSQL and SQLite, and
# run on the driver's cursor on PostgreSQL (db/driver.py: SQLAlchemy's execution of each
# would cost as much again in Python as the database takes to run it).

#: The specialist, their school, hub, cohort and the hub's first hub lead.
_SPECIALIST = HotStatement(
    "SELECT s.id, s.name, s.email, s.state,"
    " sc.urn, sc.name AS school_name, sc.head_name, sc.head_email, sc.finance_email,"
    " h.id AS hub_id, h.code AS hub_code, h.name AS hub_name, h.region,"
    " c.number, c.start_date, hl.name AS lead_name, hl.email AS lead_email"
    " FROM specialists s"
    " JOIN schools sc ON sc.id = s.school_id"
    " JOIN hubs h ON h.id = sc.hub_id"
    " JOIN cohorts c ON c.id = s.cohort_id"
    " LEFT JOIN staff hl ON hl.id ="
    " (SELECT min(id) FROM staff WHERE hub_id = h.id AND role = 'hub_lead')"
    " WHERE s.id = :specialist_id",
    start_date=Date,
)

#: No row back: the key is recorded already.
_RECORD = HotStatement(
    "INSERT INTO email_log"
    " (idempotency_key, specialist_id, recipient, template, status, attempts, created_at)"
    " VALUES (:key, :specialist_id, :recipient, :template, :status, 0, :now)"
    " ON CONFLICT (idempotency_key) DO NOTHING"
    " RETURNING id",
    timestamps=["now"],
)

_MARK_SENT = HotStatement(
    "UPDATE email_log SET attempts = attempts + 1, status = 'sent',"
    " provider_message_id = :provider_message_id, sent_at = :now, last_error = NULL"
    " WHERE id = :id",
    timestamps=["now"],
)

_MARK_FAILED = HotStatement(
    "UPDATE email_log SET attempts = attempts + 1, status = :status, last_error = :error"
    " WHERE id = :id"
)


def deliver(
    uow: UnitOfWork,
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
    with uow:
        # Statements on a plain connection: the ORM has nothing to add to them.
        connection = uow.connection()
        context, addresses = _context_and_recipients(connection, payload)
        recorded = _RECORD.execute(
            connection,
            {
                "key": payload["key"],
                "specialist_id": payload.get("specialist_id"),
                "recipient": (", ".join(addresses) or payload["to"])[:320],
                "template": payload["template"],
                "status": PENDING if addresses else SKIPPED,
                "now": now,
            },
        )
        row_id = recorded[0][0] if recorded else None
        if row_id is None:  # recorded before: send it only if still pending and free
            found = connection.execute(
                select(EmailLog.id, EmailLog.status)
                .where(EmailLog.idempotency_key == payload["key"])
                .with_for_update(skip_locked=True)
            ).first()
            if found is None:
                return Outcome.IN_FLIGHT
            row_id, status = found
            if status != PENDING:
                return _outcome_of(status)
        elif not addresses:
            uow.commit()
            return Outcome.SKIPPED

        try:
            message = _render(renderer, payload, context, addresses, now, mail_from)
            provider_message_id = sender.send(message)
        except (DeliveryError, InvalidInput) as exc:
            dead = isinstance(exc, PermanentDeliveryError | InvalidInput)
            _MARK_FAILED.execute(
                connection,
                {
                    "id": row_id,
                    "status": DEAD if dead else PENDING,
                    "error": f"{type(exc).__name__}: {exc}"[:2000],
                },
            )
            uow.commit()
            raise
        _MARK_SENT.execute(
            connection, {"id": row_id, "provider_message_id": provider_message_id, "now": now}
        )
        uow.commit()
        return Outcome.SENT


def compose(
    connection: Connection,
    renderer: Renderer,
    payload: dict[str, Any],
    now: datetime,
    mail_from: str,
) -> FinishedEmail | None:
    """The finished email of a payload, as ``deliver`` would send it (None: no recipient)."""
    context, addresses = _context_and_recipients(connection, payload)
    if not addresses:
        return None
    return _render(renderer, payload, context, addresses, now, mail_from)


def _render(renderer, payload, context, addresses, now, mail_from) -> FinishedEmail:
    return renderer(
        payload["template"],
        context,
        to=", ".join(addresses),
        sender=mail_from,
        now=now,
        message_id=message_id_for(payload["key"], mail_from),
    )


def _outcome_of(status: str) -> Outcome:
    return {
        SENT: Outcome.ALREADY_SENT,
        SKIPPED: Outcome.SKIPPED,
        DEAD: Outcome.DEAD,
    }[status]


def _context_and_recipients(
    connection: Connection, payload: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    specialist = school = hub = cohort = hub_lead = None
    hub_id = None
    specialist_id = payload.get("specialist_id")
    extra = payload.get("extra") or {}
    replaced = sorted(SCOPE_FIELDS & set(extra))
    if replaced:  # the extra would hide what the templates read from the records
        raise InvalidInput(
            f"email {payload['template']!r}: extra may not replace {', '.join(replaced)}"
        )
    if specialist_id is not None:
        rows = _SPECIALIST.execute(connection, {"specialist_id": specialist_id})
        if not rows:
            raise NotFound(f"no specialist with id {specialist_id}")
        (
            _,
            name,
            email,
            state,
            urn,
            school_name,
            head_name,
            head_email,
            finance_email,
            hub_id,
            hub_code,
            hub_name,
            region,
            number,
            start_date,
            lead_name,
            lead_email,
        ) = rows[0]
        specialist = {"id": specialist_id, "name": name, "email": email, "state": state}
        school = {
            "urn": urn,
            "name": school_name,
            "head_name": head_name,
            "head_email": head_email,
            "finance_email": finance_email,
        }
        hub = {"code": hub_code, "name": hub_name, "region": region}
        cohort = {"number": number, "start_date": start_date.isoformat()}
        if lead_email is not None:
            hub_lead = {"name": lead_name, "email": lead_email}
    elif extra.get("hub_id") is not None:
        found = connection.execute(
            select(Hub.id, Hub.code, Hub.name, Hub.region).where(Hub.id == extra["hub_id"])
        ).first()
        if found is not None:
            hub_id = found.id
            hub = {"code": found.code, "name": found.name, "region": found.region}
            hub_lead = _hub_lead(connection, hub_id)
    if specialist_id is None and extra.get("cohort_number") is not None:
        found = connection.execute(
            select(Cohort.number, Cohort.start_date).where(Cohort.number == extra["cohort_number"])
        ).first()
        if found is not None:
            cohort = {"number": found.number, "start_date": found.start_date}

    context: dict[str, Any] = {
        "specialist": specialist,
        "school": school,
        "hub": hub,
        "cohort": cohort,
        "hub_lead": hub_lead,
        "email_key": payload["key"],
    }
    context.update(extra)
    if payload["to"] == Role.NATIONAL_ADMIN:
        context["recipient"] = {"name": None, "role": Role.NATIONAL_ADMIN.value}
    return context, _addresses(connection, payload["to"], specialist, school, hub_id)


def _hub_lead(connection: Connection, hub_id: int) -> dict[str, str] | None:
    """The hub's first hub lead, who signs the emails and receives replies."""
    row = connection.execute(
        select(Staff.name, Staff.email)
        .where(Staff.hub_id == hub_id, Staff.role == StaffRole.HUB_LEAD.value)
        .order_by(Staff.id)
    ).first()
    return {"name": row.name, "email": row.email} if row else None


def _addresses(connection: Connection, to: str, specialist, school, hub_id) -> list[str]:
    if "@" in to:
        return [to]
    if to not in ROLES:
        raise InvalidInput(
            f"unknown recipient {to!r}: expected {', '.join(ROLES)} or an email address"
        )
    if to == Role.NATIONAL_ADMIN:
        return list(
            connection.scalars(
                select(Staff.email)
                .where(Staff.role == StaffRole.NATIONAL_ADMIN.value)
                .order_by(Staff.id)
            )
        )
    if to in (Role.HUB_LEAD, Role.HUB_STAFF):
        if hub_id is None:
            raise InvalidInput(f"an email to the {to} needs a specialist or extra.hub_id")
        return list(
            connection.scalars(
                select(Staff.email)
                .where(Staff.hub_id == hub_id, Staff.role == StaffRole(str(to)).value)
                .order_by(Staff.id)
            )
        )
    if specialist is None:
        raise InvalidInput(f"an email to the {to} needs a specialist")
    if to == Role.SPECIALIST:
        return [specialist["email"]]
    if to == Role.HEADTEACHER:
        return [school["head_email"]]
    return [school["finance_email"]] if school["finance_email"] else []
