"""Subject access (UK GDPR Article 15): everything held about one person, as one document.

- ``export_specialist``: the record, school, hub and cohort; every transition and milestone
  with who and when; every email sent to or about them; every funding line; every other
  row of any table that refers to them (a foreign key to ``specialists.id``, so tables
  added later are included without change here); the Article 15 information.
- ``export_contact``: a headteacher, finance contact or member of staff, by address: the
  schools where they are a contact, their staff record, the emails sent to them.

National admins only. Emails are recorded without their text (only the template and the
context rebuilt from the database each time), so "text as rendered" is not kept.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from workflow.db.models import (
    AuditEntry,
    Base,
    Cohort,
    EmailLog,
    FundingEntry,
    Hub,
    LedgerEntry,
    School,
    Specialist,
    Staff,
)
from workflow.db.personal import specialist_links
from workflow.db.uow import UnitOfWork
from workflow.errors import NotFound, NotPermitted
from workflow.services.auth import Actor, Role, logs_refusals
from workflow.services.gdpr.article15 import article15
from workflow.services.queries import MILESTONE, TRANSITION
from workflow.services.validation import clean_email

EXPORT_ROLES = (Role.NATIONAL_ADMIN, Role.SYSTEM)
# Linked tables given their own section; any other linked table goes to "other_records".
SECTIONED = {"audit_log", "email_log", "funding_entries", "ledger"}


def _require(actor: Actor) -> None:
    if actor.role not in EXPORT_ROLES:
        raise NotPermitted("only a national admin may export a person's data")


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


@logs_refusals("gdpr export")
def export_specialist(
    uow: UnitOfWork, actor: Actor, specialist_id: int, now: datetime, retention: dict[str, int]
) -> dict[str, Any]:
    _require(actor)
    with uow:
        return _specialist(uow.session, specialist_id, now, retention)


def _specialist(session: Session, sid: int, now: datetime, retention) -> dict[str, Any]:
    specialist = session.get(Specialist, sid)
    if specialist is None:
        raise NotFound(f"specialist {sid} not found")
    school = session.get(School, specialist.school_id)
    hub = session.get(Hub, school.hub_id)
    cohort = session.get(Cohort, specialist.cohort_id)
    audit = session.scalars(
        select(AuditEntry).where(AuditEntry.specialist_id == sid).order_by(AuditEntry.id)
    ).all()
    roles = {
        specialist.email: "specialist",
        school.head_email: "headteacher",
        school.finance_email: "finance",
    }
    emails = session.scalars(  # about them, or to their address about no one in particular
        select(EmailLog)
        .where(or_(EmailLog.specialist_id == sid, EmailLog.recipient == specialist.email))
        .order_by(EmailLog.id)
    ).all()
    instalments = session.scalars(
        select(FundingEntry).where(FundingEntry.specialist_id == sid).order_by(FundingEntry.id)
    ).all()
    ledger = session.scalars(
        select(LedgerEntry).where(LedgerEntry.specialist_id == sid).order_by(LedgerEntry.id)
    ).all()
    return {
        "subject": {"kind": "specialist", "id": sid},
        "generated_at": now.isoformat(),
        "record": {
            "id": sid,
            "name": specialist.name,
            "email": specialist.email,
            "qualified_teacher_status": specialist.qts,
            "teaching_since": specialist.teaching_since.isoformat(),
            "state": specialist.state,
            "cohort": cohort.number,
            "created_at": specialist.created_at.isoformat(),
            "updated_at": specialist.updated_at.isoformat(),
        },
        "school": {"urn": school.urn, "name": school.name},
        "hub": {"code": hub.code, "name": hub.name},
        "transitions": [
            {
                "id": e.id,
                "trigger": e.name,
                "from": e.from_state,
                "to": e.to_state,
                "by": e.actor,
                "at": e.at.isoformat(),
                "reason": e.reason,
                "override": e.override,
            }
            for e in audit
            if e.kind == TRANSITION
        ],
        "milestones": [
            {
                "id": e.id,
                "kind": e.name,
                "half_days": e.half_days,
                "date": _iso(e.occurred_on),
                "programme_year": e.programme_year,
                "by": e.actor,
                "recorded_at": e.at.isoformat(),
            }
            for e in audit
            if e.kind == MILESTONE
        ],
        "emails": [
            {
                "id": e.id,
                "template": e.template,
                "recipient_role": _role(roles, e.recipient),
                "recipient": e.recipient,
                "status": e.status,
                "created_at": e.created_at.isoformat(),
                "sent_at": _iso(e.sent_at),
                "text": None,
            }
            for e in emails
        ],
        "funding": {
            "instalments": [
                {
                    "id": f.id,
                    "programme_year": f.programme_year,
                    "instalment": f.instalment,
                    "amount_pence": f.amount_pence,
                    "due_date": f.due_date.isoformat(),
                    "status": f.status,
                    "released_at": _iso(f.released_at),
                }
                for f in instalments
            ],
            "ledger": [
                {
                    "id": line.id,
                    "programme_year": line.programme_year,
                    "kind": line.kind,
                    "amount_pence": line.amount_pence,
                    "by": line.actor,
                    "reason": line.reason,
                    "at": line.at.isoformat(),
                }
                for line in ledger
            ],
        },
        "other_records": _other_records(session, sid),
        "article15": article15("specialist", **retention),
    }


def _role(roles: dict[str | None, str], recipient: str) -> str:
    found = [roles[a] for a in (r.strip() for r in recipient.split(",")) if a in roles]
    return ", ".join(found) or "other"


def _other_records(session: Session, sid: int) -> dict[str, list[dict[str, Any]]]:
    """Rows of every other table that refers to the specialist (tables added later too)."""
    records = {}
    for table, column in specialist_links(Base.metadata):
        if table.name in SECTIONED:
            continue
        rows = session.execute(select(table).where(table.c[column] == sid)).mappings().all()
        if rows:
            records[table.name] = [{k: _iso(v) for k, v in row.items()} for row in rows]
    return records


def _school_contact(school: School, address: str) -> dict[str, Any]:
    """A school where ``address`` is a contact: the roles, and the name held with each."""
    found = {
        "urn": school.urn,
        "name": school.name,
        "roles": [
            r
            for r, a in (("headteacher", school.head_email), ("finance", school.finance_email))
            if a == address
        ],
        "head_name": school.head_name if school.head_email == address else None,
    }
    if school.finance_email == address:
        found["finance_name"] = school.finance_name
    return found


@logs_refusals("gdpr export")
def export_contact(
    uow: UnitOfWork, actor: Actor, email: str, now: datetime, retention: dict[str, int]
) -> dict[str, Any]:
    """What is held about a headteacher, finance contact or staff member, by address."""
    _require(actor)
    address = clean_email(email)
    with uow:
        session = uow.session
        schools = session.scalars(
            select(School)
            .where(or_(School.head_email == address, School.finance_email == address))
            .order_by(School.urn)
        ).all()
        staff = session.scalars(select(Staff).where(Staff.email == address)).all()
        specialists = session.scalars(
            select(Specialist.id).where(Specialist.email == address).order_by(Specialist.id)
        ).all()
        emails = session.scalars(
            select(EmailLog).where(EmailLog.recipient.contains(address)).order_by(EmailLog.id)
        ).all()
        emails = [e for e in emails if address in (r.strip() for r in e.recipient.split(","))]
        if not (schools or staff or emails or specialists):
            raise NotFound("nothing is held under that address")
        return {
            "subject": {"kind": "contact", "email": address},
            "generated_at": now.isoformat(),
            "schools": [_school_contact(s, address) for s in schools],
            "staff": [
                {
                    "id": s.id,
                    "name": s.name,
                    "email": s.email,
                    "role": s.role,
                    "created_at": s.created_at.isoformat(),
                }
                for s in staff
            ],
            "emails": [
                {
                    "id": e.id,
                    "template": e.template,
                    "about_specialist": e.specialist_id,
                    "status": e.status,
                    "created_at": e.created_at.isoformat(),
                    "sent_at": _iso(e.sent_at),
                    "text": None,
                }
                for e in emails
            ],
            # A specialist's own record is exported by id (``gdpr export ID``).
            "specialist_records": list(specialists),
            "article15": article15("contact", **retention),
        }
