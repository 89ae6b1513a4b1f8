"""Staff identities: the first national admin, adding staff, re-issuing a token, listing
staff, and knowing who holds a token.

A token is shown once, when issued, and stored only as a slow salted hash (scrypt).
It has two parts: a short lookup id, stored plainly to find the row, and a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import func, select

from workflow.db.models import Hub, Staff
from workflow.db.uow import UnitOfWork
from workflow.errors import DomainError, InvalidInput, NotFound, NotPermitted
from workflow.services.auth import Action, Actor, Role, authorize, logs_refusals
from workflow.services.setup import hub_by_code
from workflow.services.validation import clean_email, clean_name

PREFIX = "wf"
# scrypt cost: about 50 ms per check here, so guessing a secret offline is slow.
SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def _hash(secret: str, salt: bytes) -> str:
    digest = hashlib.scrypt(secret.encode(), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def _matches(secret: str, stored: str) -> bool:
    _, salt_hex, digest_hex = stored.split("$")
    candidate = _hash(secret, bytes.fromhex(salt_hex)).split("$")[2]
    return hmac.compare_digest(candidate, digest_hex)


def _issue() -> tuple[str, str, str]:
    lookup = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    return f"{PREFIX}_{lookup}_{secret}", lookup, _hash(secret, secrets.token_bytes(16))


def init(uow: UnitOfWork, email: str, name: str, now: datetime) -> str:
    """Create the first national admin; refused once any staff exist. Returns the token."""
    with uow:
        if uow.session.scalar(select(func.count(Staff.id))):
            raise DomainError("already initialised: ask a national admin to add you")
        token = _add(uow.session, email, name, Role.NATIONAL_ADMIN, None, now)
        uow.commit()
        return token


@logs_refusals("add_staff")
def add_staff(
    uow: UnitOfWork,
    actor: Actor,
    email: str,
    name: str,
    role: str,
    hub_code: str | None,
    now: datetime,
) -> str:
    """Add a member of staff; returns their token (shown once)."""
    authorize(actor, Action.SETUP)
    try:
        role_ = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role if r != Role.SYSTEM)
        raise InvalidInput(f"role {role!r}: expected one of {roles}") from None
    if role_ == Role.SYSTEM:
        raise InvalidInput("the system role cannot be given to staff")
    if role_ != Role.NATIONAL_ADMIN and not hub_code:
        raise InvalidInput(f"a {role_.value} needs --hub")
    with uow:
        hub_id = hub_by_code(uow.session, hub_code).id if hub_code else None
        if role_ == Role.NATIONAL_ADMIN:
            hub_id = None
        token = _add(uow.session, email, name, role_, hub_id, now)
        uow.commit()
        return token


def _add(session, email, name, role: Role, hub_id, now) -> str:
    email = clean_email(email)
    if session.scalar(select(Staff.id).where(Staff.email == email)):
        raise DomainError(f"{email} is already a member of staff")
    token, lookup, hashed = _issue()
    session.add(
        Staff(
            email=email,
            name=clean_name(name),
            role=role.value,
            hub_id=hub_id,
            token_hash=hashed,
            token_lookup=lookup,
            created_at=now,
        )
    )
    session.flush()
    return token


def authenticate(uow: UnitOfWork, token: str | None) -> Actor:
    """The actor holding ``token``: no token, a malformed one, and one that is unknown or
    revoked each get their own message (none says which part of a token was wrong)."""
    if not token:
        raise NotPermitted("not signed in: set WORKFLOW_TOKEN to the token you were given")
    refused = NotPermitted(
        "the token in WORKFLOW_TOKEN (or --token) is not valid: it was mistyped, or it was"
        " replaced by `workflow staff token`; ask a national admin for a new one"
    )
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise refused
    _, lookup, secret = parts
    with uow:
        row = uow.session.execute(
            select(Staff.email, Staff.role, Staff.hub_id, Staff.token_hash).where(
                Staff.token_lookup == lookup
            )
        ).first()
    if row is None or not _matches(secret, row.token_hash):
        raise refused
    return Actor(row.email, Role(row.role), row.hub_id)


def hub_code_of(uow: UnitOfWork, hub_id: int | None) -> str | None:
    if hub_id is None:
        return None
    with uow:
        return uow.session.scalar(select(Hub.code).where(Hub.id == hub_id))


@logs_refusals("staff token")
def reissue_token(uow: UnitOfWork, actor: Actor, email: str, now: datetime) -> str:
    """A new token for a member of staff; the old one stops working at once. National
    admins for anyone, a hub lead for their own hub's staff. Returns the new token."""
    email = clean_email(email)
    with uow:
        row = uow.session.scalar(select(Staff).where(Staff.email == email))
        if row is None or not (actor.national or actor.email == email or _leads(actor, row)):
            raise NotFound(f"no member of staff {email} that you may manage")
        token, lookup, hashed = _issue()
        row.token_hash, row.token_lookup = hashed, lookup
        uow.commit()
        return token


def _leads(actor: Actor, row: Staff) -> bool:
    return actor.role == Role.HUB_LEAD and row.hub_id is not None and row.hub_id == actor.hub_id


@logs_refusals("staff list")
def list_staff(uow: UnitOfWork, actor: Actor) -> list[dict]:
    """Staff, with their role and hub (a hub's own staff only, unless national)."""
    authorize(actor, Action.VIEW)
    with uow:
        query = (
            select(Staff.email, Staff.name, Staff.role, Hub.code)
            .outerjoin(Hub, Hub.id == Staff.hub_id)
            .order_by(Staff.role, Staff.email)
        )
        if not actor.national:
            query = query.where(Staff.hub_id == actor.hub_id)
        return [
            {"email": r.email, "name": r.name, "role": r.role, "hub": r.code}
            for r in uow.session.execute(query)
        ]
