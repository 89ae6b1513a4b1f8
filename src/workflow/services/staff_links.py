"""Invitations and password resets: a single-use link emailed to a member of staff.

The link is ``BASE_URL/invitations/TOKEN`` (or ``/password-reset/TOKEN``); only the token's
SHA-256 is stored. Opening it changes nothing (mail scanners open links); setting a password
with it uses it up, in a statement that only one request can win. It expires after
``LIFETIME``. The email goes through the outbox like every other email. A deactivated member
of staff's links are used up when they are deactivated, and none is issued to them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflow.db.models import Staff, StaffLink
from workflow.db.uow import UnitOfWork
from workflow.errors import InvalidInput, NotFound
from workflow.notify.notifications import PASSWORD_RESET, STAFF_INVITATION, StaffMember
from workflow.notify.notifications import StaffLink as StaffLinkExtra
from workflow.services import effects, web_sessions
from workflow.services.passwords import hash_password, password_problem
from workflow.services.validation import clean_email

LIFETIME = timedelta(days=7)
INVITATION, RESET = "invitation", "reset"
PATHS = {INVITATION: "invitations", RESET: "password-reset"}
NOTIFICATIONS = {INVITATION: STAFF_INVITATION, RESET: PASSWORD_RESET}
EXPIRED = "This link has expired or has already been used"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, staff: Staff, purpose: str, base_url: str, now: datetime) -> str:
    """Write a new link for ``staff`` and queue its email (same transaction); returns it."""
    token = secrets.token_urlsafe(32)
    link = StaffLink(
        token_hash=_hash(token),
        staff_id=staff.id,
        purpose=purpose,
        created_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(link)
    session.flush()
    url = f"{base_url.rstrip('/')}/{PATHS[purpose]}/{token}"
    extra = StaffLinkExtra(
        staff=StaffMember(name=staff.name, email=staff.email), link=url, expires_at=link.expires_at
    )
    row = effects.email_row(now, NOTIFICATIONS[purpose], None, staff.email, f"link{link.id}", extra)
    effects.write(session, [row])
    return url


def request_reset(uow: UnitOfWork, email: str, base_url: str, now: datetime) -> None:
    """Email a reset link if ``email`` is a member of staff's; silent either way."""
    try:
        address = clean_email(email)
    except InvalidInput:
        return
    with uow:
        staff = uow.session.scalar(
            select(Staff).where(Staff.email == address, Staff.deactivated_at.is_(None))
        )
        if staff is None:
            return
        issue(uow.session, staff, RESET, base_url, now)
        uow.commit()


def open_link(uow: UnitOfWork, token: str, purpose: str, now: datetime) -> str:
    """The staff member's email address the live link is for; changes nothing."""
    with uow:
        row = uow.session.execute(
            select(Staff.email)
            .join(StaffLink, StaffLink.staff_id == Staff.id)
            .where(_live(token, purpose, now), Staff.deactivated_at.is_(None))
        ).first()
        if row is None:
            raise NotFound(EXPIRED)
        return row.email


def use_link(uow: UnitOfWork, token: str, purpose: str, password: str, now: datetime) -> int:
    """Set the password through a live link and use the link up; returns the staff id.
    Every session of that person ends (a reset signs out everywhere)."""
    problem = password_problem(password)
    if problem:
        raise InvalidInput(problem)
    with uow:
        session = uow.session
        staff_id = session.scalar(select(StaffLink.staff_id).where(_live(token, purpose, now)))
        used = session.execute(
            update(StaffLink).where(_live(token, purpose, now)).values(used_at=now)
        )
        if staff_id is None or used.rowcount != 1:
            raise NotFound(EXPIRED)
        session.get(Staff, staff_id).password_hash = hash_password(password)
        web_sessions.end_all_for(session, staff_id)
        uow.commit()
        return staff_id


def _live(token: str, purpose: str, now: datetime):
    return (
        (StaffLink.token_hash == _hash(token))
        & (StaffLink.purpose == purpose)
        & StaffLink.used_at.is_(None)
        & (StaffLink.expires_at > now)
    )
