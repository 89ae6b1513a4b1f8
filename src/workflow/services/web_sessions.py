"""Browser sessions kept in the database: the cookie carries a random token, the row its data.

A session ends after ``IDLE`` without a request or ``ABSOLUTE`` after it began, whichever
comes first; signing out deletes it. Only the token's SHA-256 is stored, so a copy of the
table signs nobody in. Signing in starts a new session (a token seen before signing in is
never the one after).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from workflow.db.models import Staff, WebSession
from workflow.db.uow import UnitOfWork
from workflow.services.auth import Actor, Role

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
# A request within this long of the last one does not rewrite ``last_seen_at``.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass
class Loaded:
    token: str
    data: dict[str, Any] = field(default_factory=dict)
    actor: Actor | None = None
    staff_id: int | None = None
    staff_name: str | None = None


def _id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def load(uow: UnitOfWork, token: str | None, now: datetime) -> Loaded | None:
    """The live session of ``token`` with its signed-in actor (if any), or None."""
    if not token or len(token) > 100:
        return None
    with uow:
        session = uow.session
        row = session.execute(
            select(WebSession, Staff)
            .outerjoin(Staff, Staff.id == WebSession.staff_id)
            .where(WebSession.id == _id(token))
        ).first()
        if row is None:
            return None
        web, staff = row
        if web.last_seen_at + IDLE <= now or web.created_at + ABSOLUTE <= now:
            session.delete(web)
            uow.commit()
            return None
        if now - web.last_seen_at >= TOUCH_EVERY:
            web.last_seen_at = now
            uow.commit()
        loaded = Loaded(token=token, data=dict(web.data or {}), staff_id=web.staff_id)
        if staff is not None and staff.deactivated_at is None:
            loaded.actor = Actor(staff.email, Role(staff.role), staff.hub_id)
            loaded.staff_name = staff.name
        return loaded


def save(
    uow: UnitOfWork, token: str | None, data: dict[str, Any], staff_id: int | None, now: datetime
) -> str:
    """Write the session's data (creating it when new); returns its token."""
    with uow:
        session = uow.session
        web = session.get(WebSession, _id(token)) if token else None
        if web is None:
            token = new_token()
            session.add(
                WebSession(
                    id=_id(token), staff_id=staff_id, data=data, created_at=now, last_seen_at=now
                )
            )
        else:
            web.data = data
            web.staff_id = staff_id
            web.last_seen_at = now
        uow.commit()
    return token


def end(uow: UnitOfWork, token: str | None) -> None:
    if not token:
        return
    with uow:
        uow.session.execute(delete(WebSession).where(WebSession.id == _id(token)))
        uow.commit()


def end_all_for(session, staff_id: int) -> None:
    """Every session of one member of staff (a new password signs out everywhere)."""
    session.execute(delete(WebSession).where(WebSession.staff_id == staff_id))


def sweep(uow: UnitOfWork, now: datetime) -> int:
    """Delete sessions that have ended; returns how many."""
    with uow:
        result = uow.session.execute(
            delete(WebSession).where(
                (WebSession.last_seen_at <= now - IDLE) | (WebSession.created_at <= now - ABSOLUTE)
            )
        )
        uow.commit()
        return result.rowcount or 0
