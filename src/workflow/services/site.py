"""Secrets the web processes share, kept in the database when not configured."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workflow.db.models import SiteSecret
from workflow.db.uow import UnitOfWork

CSRF_KEY = "csrf_signing_key"


def secret_key(uow: UnitOfWork, name: str = CSRF_KEY) -> str:
    """The shared secret ``name``, made on first use (every process then reads the same)."""
    for _ in range(2):
        with uow.fresh() as attempt:
            found = attempt.session.scalar(select(SiteSecret.value).where(SiteSecret.name == name))
            if found:
                return found
            attempt.session.add(SiteSecret(name=name, value=secrets.token_urlsafe(48)))
            try:
                attempt.commit()
            except IntegrityError:  # another process made it first: read theirs
                continue
    with uow.fresh() as again:
        return again.session.scalar(select(SiteSecret.value).where(SiteSecret.name == name))
