"""Signing in to the web application: password, lockout, authenticator-app codes, events.

Every attempt is recorded in ``sign_in_events`` with the address it was for. After
``LOCK_AFTER`` wrong attempts for one address within ``WINDOW``, the address is locked for
``LOCKED_FOR``: even the right password is refused until then (``Locked``). A wrong
authenticator code counts as a wrong attempt, and a code is accepted once only (the step
it belongs to is kept). The messages never say whether the address or the password was
wrong.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import func, or_, select, update

from workflow.db.models import SignInEvent, Staff
from workflow.db.uow import UnitOfWork
from workflow.errors import DomainError, InvalidInput
from workflow.services.auth import Actor, Role
from workflow.services.passwords import verify_password

LOCK_AFTER = 10
WINDOW = timedelta(minutes=15)
LOCKED_FOR = timedelta(minutes=15)
WRONG = "Enter a correct email address and password"
FAILED = ("failure", "code_failure")


class WrongCredentials(DomainError):
    """The address or the password (or the code) was wrong; which one is not said."""


class Locked(DomainError):
    """Too many wrong attempts for this address: no sign-in until ``until``."""

    def __init__(self, until: datetime):
        self.until = until
        super().__init__(
            "There have been too many attempts to sign in with this email address. "
            "Wait 15 minutes, then try again."
        )


@dataclass(frozen=True)
class PasswordChecked:
    """A right password: who, and what the second step is."""

    staff_id: int
    needs_code: bool  # an authenticator app is set up: ask for its code
    must_set_up_code: bool  # required (national admins) but not set up yet


def normalise(email: str) -> str:
    return email.strip().lower()[:320]


def check_password(
    uow: UnitOfWork, email: str, password: str, now: datetime, *, require_totp: bool = True
) -> PasswordChecked:
    """The first step of signing in; raises ``WrongCredentials`` or ``Locked``."""
    address = normalise(email)
    with uow:
        session = uow.session
        until = locked_until(session, address, now)
        if until is not None:
            _record(session, address, None, "locked", now)
            uow.commit()
            raise Locked(until)
        staff = session.scalar(select(Staff).where(Staff.email == address)) if address else None
        if staff is not None and staff.deactivated_at is not None:
            staff = None  # deactivated: refused like a wrong password, never said why
        if not verify_password(staff.password_hash if staff else None, password):
            _record(session, address, staff.id if staff else None, "failure", now)
            locked = _lock_if_due(session, address, staff, now)
            uow.commit()
            if locked:
                raise Locked(now + LOCKED_FOR)
            raise WrongCredentials(WRONG)
        needs_code = staff.totp_secret is not None
        uow.commit()
        return PasswordChecked(
            staff_id=staff.id,
            needs_code=needs_code,
            must_set_up_code=(
                require_totp and not needs_code and staff.role == Role.NATIONAL_ADMIN.value
            ),
        )


def check_code(uow: UnitOfWork, staff_id: int, code: str, now: datetime) -> None:
    """The second step: the authenticator app's current code; ``WrongCredentials`` if not."""
    with uow:
        session = uow.session
        staff = session.get(Staff, staff_id)
        until = locked_until(session, staff.email, now)
        if until is not None:
            _record(session, staff.email, staff.id, "locked", now)
            uow.commit()
            raise Locked(until)
        step = matching_step(staff.totp_secret, code, now) if staff.totp_secret else None
        if step is None or not _use_step(session, staff.id, step):
            _record(session, staff.email, staff.id, "code_failure", now)
            locked = _lock_if_due(session, staff.email, staff, now)
            uow.commit()
            if locked:
                raise Locked(now + LOCKED_FOR)
            raise WrongCredentials("Enter the code shown in your authenticator app")
        uow.commit()


def _use_step(session, staff_id: int, step: int) -> bool:
    """Keep ``step`` as the last accepted one, unless it or a later one was used already:
    one statement, so that two requests with the same code cannot both pass."""
    used = session.execute(
        update(Staff)
        .where(
            Staff.id == staff_id,
            or_(Staff.totp_last_step.is_(None), Staff.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return used.rowcount == 1


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The 30-second step (RFC 6238) whose code ``code`` is, allowing one step either side
    for clock drift; None when it matches none."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // totp.interval
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="Mastery Specialists")


def set_up_code(uow: UnitOfWork, staff_id: int, secret: str, code: str, now: datetime) -> None:
    """Keep ``secret`` as the staff member's authenticator secret once a code from it works."""
    step = matching_step(secret, code, now)
    if step is None:
        raise InvalidInput("Enter the code shown in your authenticator app")
    with uow:
        staff = uow.session.get(Staff, staff_id)
        staff.totp_secret, staff.totp_last_step = secret, step
        uow.commit()


def signed_in(uow: UnitOfWork, staff_id: int, now: datetime) -> None:
    """Record a completed sign-in (after the second step when there is one)."""
    with uow:
        staff = uow.session.get(Staff, staff_id)
        _record(uow.session, staff.email, staff.id, "success", now)
        uow.commit()


def signed_out(uow: UnitOfWork, actor: Actor, now: datetime) -> None:
    with uow:
        staff_id = uow.session.scalar(select(Staff.id).where(Staff.email == actor.email))
        _record(uow.session, actor.email, staff_id, "sign_out", now)
        uow.commit()


def locked_until(session, address: str, now: datetime) -> datetime | None:
    last = session.scalar(
        select(func.max(SignInEvent.at)).where(
            SignInEvent.email == address,
            SignInEvent.outcome == "lockout",
            SignInEvent.at > now - LOCKED_FOR,
        )
    )
    return last + LOCKED_FOR if last is not None else None


def _lock_if_due(session, address: str, staff: Staff | None, now: datetime) -> bool:
    """After a failure: lock the address when it has had ``LOCK_AFTER`` failures within
    ``WINDOW`` since its last lockout."""
    last_lockout = session.scalar(
        select(func.max(SignInEvent.at)).where(
            SignInEvent.email == address, SignInEvent.outcome == "lockout"
        )
    )
    since = now - WINDOW
    if last_lockout is not None and last_lockout > since:
        since = last_lockout
    failures = session.scalar(
        select(func.count(SignInEvent.id)).where(
            SignInEvent.email == address,
            SignInEvent.outcome.in_(FAILED),
            SignInEvent.at > since,
        )
    )
    if failures < LOCK_AFTER:
        return False
    _record(session, address, staff.id if staff else None, "lockout", now)
    return True


def _record(session, address: str, staff_id: int | None, outcome: str, now: datetime) -> None:
    session.add(SignInEvent(email=address, staff_id=staff_id, outcome=outcome, at=now))
    session.flush()
