"""Fixtures for the web application: the app on a real database (SQLite and PostgreSQL),
a small programme (``build_world``), staff of every role with passwords, and a client
that signs in through the real form, CSRF token included."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select, update

from tests.integration.conftest import ADMIN, World, build_world
from workflow.db.models import Staff
from workflow.services.staff import add_staff, set_password
from workflow.web.app import create_app

PASSWORD = "correct horse battery staple 9"
CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)

#: name: (email, role, hub)
STAFF = {
    "admin": ("national@mathshubs.example", "national_admin", None),
    "lead": ("lead@north.example", "hub_lead", "north"),
    "staff": ("staff@north.example", "hub_staff", "north"),
    "viewer": ("viewer@north.example", "viewer", "north"),
    "south_lead": ("lead@south.example", "hub_lead", "south"),
}


@dataclass
class WebWorld:
    world: World
    app: object
    runtime: object
    clock: object

    def client(self, who: str | None = None):
        client = self.app.test_client()
        if who is not None:
            sign_in(client, STAFF[who][0])
        return client


def csrf_token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    found = CSRF.search(page)
    assert found, f"no CSRF token on {path}"
    return found.group(1) or found.group(2)


def sign_in(client, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/sign-in")
    response = client.post(
        "/sign-in", data={"csrf_token": token, "email": email, "password": password}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def post(client, path: str, data: dict | None = None, form_page: str | None = None):
    """POST with the CSRF token of this client's session (taken from ``form_page``)."""
    token = csrf_token(client, form_page or "/nominations/new")
    return client.post(path, data={"csrf_token": token, **(data or {})})


def add_people(runtime, clock) -> None:
    """Staff of every role with the password ``PASSWORD``: the first set through the service,
    the others given the same argon2id hash (hashing costs a quarter of a second here)."""
    for email, role, hub in STAFF.values():
        add_staff(runtime.uow(), ADMIN, email, email.split("@")[0].title(), role, hub, clock.now())
    set_password(runtime.uow(), ADMIN, STAFF["admin"][0], PASSWORD)
    with runtime.uow() as uow:
        hashed = uow.session.scalar(
            select(Staff.password_hash).where(Staff.email == STAFF["admin"][0])
        )
        uow.session.execute(update(Staff).values(password_hash=hashed))
        uow.commit()


@pytest.fixture
def web(runtime, clock) -> WebWorld:
    runtime.settings.require_admin_totp = False
    world = build_world(runtime, clock)
    add_people(runtime, clock)
    app = create_app(runtime)
    app.config["TESTING"] = True
    return WebWorld(world=world, app=app, runtime=runtime, clock=clock)
