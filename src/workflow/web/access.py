"""Who is signed in, pages that need it, and calling the services as that person.

The web never decides what someone may do: it passes the signed-in actor to the same
services the command line calls, and turns their refusals into status codes
(``errors.py``: not found 404, not permitted 403).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, redirect, request, session, url_for

from workflow.db.uow import UnitOfWork
from workflow.services.auth import Actor


def runtime():
    return current_app.extensions["workflow"]


def uow() -> UnitOfWork:
    return runtime().uow()


def now() -> datetime:
    return runtime().clock.now()


def actor() -> Actor | None:
    return getattr(session, "actor", None)


def the_actor() -> Actor:
    found = actor()
    if found is None:  # pragma: no cover - pages use @signed_in first
        raise RuntimeError("no one is signed in")
    return found


def signed_in(view: Callable) -> Callable:
    """A page for signed-in staff: others go to ``/sign-in?next=PATH``."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if actor() is None:
            path = request.full_path if request.query_string else request.path
            return redirect(url_for("signing_in.sign_in", next=path))
        return view(*args, **kwargs)

    return wrapper


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only (never ``//host``)."""
    if not value:
        return url_for("dashboard.home")
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return url_for("dashboard.home")
    if "\\" in value:
        return url_for("dashboard.home")
    return value
