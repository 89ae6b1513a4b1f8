"""Invitations and password resets: a single-use link by email (through the outbox), whose
GET changes nothing, that expires after 7 days; the password rules; the CLI's side."""

from __future__ import annotations

import re
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from tests.integration.conftest import ADMIN
from tests.web.conftest import PASSWORD, STAFF, csrf_token
from workflow.cli.main import cli
from workflow.db.models import OutboxMessage, Staff
from workflow.services import setup
from workflow.services.staff import add_staff, init

NEW = "new.lead@north.example"
LINK = re.compile(r"/(invitations|password-reset)/([A-Za-z0-9_-]+)$")


def queued_links(web, template: str) -> list[str]:
    with web.runtime.uow() as uow:
        payloads = uow.session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id))
        return [p["extra"]["link"] for p in payloads if p["template"] == template]


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def invite(web) -> str:
    add_staff(web.runtime.uow(), ADMIN, NEW, "New Lead", "hub_lead", "north", web.clock.now(),
              invite_base_url="http://127.0.0.1:8000")  # fmt: skip
    (link,) = queued_links(web, "staff_invitation")
    assert link.startswith("http://127.0.0.1:8000/invitations/")
    return path_of(link)


def password_of(web, email: str) -> str | None:
    with web.runtime.uow() as uow:
        return uow.session.scalar(select(Staff.password_hash).where(Staff.email == email))


def create(client, path: str, password: str, confirm: str | None = None):
    token = csrf_token(client, path)
    confirm = password if confirm is None else confirm
    return client.post(path, data={"csrf_token": token, "password": password, "confirm": confirm})


def test_opening_an_invitation_changes_nothing_and_the_post_uses_it_once(web):
    path = invite(web)
    client = web.client()
    for _ in range(3):  # a mail scanner, then the person
        page = client.get(path)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "Create your password" in text and "Confirm password" in text
    assert password_of(web, NEW) is None
    response = create(client, path, PASSWORD)
    assert response.headers["Location"] == "/sign-in?password_set=1"
    assert password_of(web, NEW).startswith("$argon2id$")
    used = web.client().get(path)
    assert used.status_code == 404
    assert "This link has expired" in used.get_data(as_text=True)


def test_the_password_rules(web):
    path = invite(web)
    client = web.client()
    for password, confirm, message in (
        ("short pass", None, "Password must be 12 characters or more"),
        ("password1234", None, "Password is too common"),
        (PASSWORD, PASSWORD + "x", "The passwords do not match"),
        ("", None, "Enter a password"),
    ):
        text = create(client, path, password, confirm).get_data(as_text=True)
        assert "There is a problem" in text and message in text
    assert password_of(web, NEW) is None


def test_a_link_expires_after_7_days(web):
    path = invite(web)
    web.clock.set(web.clock.now() + timedelta(days=7, seconds=1))
    assert web.client().get(path).status_code == 404
    assert password_of(web, NEW) is None


def test_a_reset_link_is_sent_only_to_staff_and_signs_out_everywhere(web):
    client = web.client("lead")
    stranger = web.client()
    for email in ("nobody@north.example", STAFF["lead"][0]):
        token = csrf_token(stranger, "/password-reset")
        page = stranger.post("/password-reset", data={"csrf_token": token, "email": email})
        assert "Check your email" in page.get_data(as_text=True)  # the same either way
    (link,) = queued_links(web, "password_reset")
    new_password = "a brand new passphrase 42"
    assert create(web.client(), path_of(link), new_password).status_code == 302
    assert client.get("/").status_code == 302  # the old session ended
    token = csrf_token(stranger, "/sign-in")
    signed = stranger.post("/sign-in", data={"csrf_token": token, "email": STAFF["lead"][0],
                                              "password": new_password})  # fmt: skip
    assert signed.headers["Location"] == "/"


def test_workflow_staff_add_emails_the_invitation_and_staff_password_reads_stdin(
    runtime, clock, monkeypatch, tmp_path
):
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("WORKFLOW_NOW", clock.now().isoformat())
    monkeypatch.setenv("WORKFLOW_BASE_URL", "https://mastery.example")
    token = init(runtime.uow(), "boss@mathshubs.example", "Boss", clock.now())
    setup.add_hub(runtime.uow(), ADMIN, "north", "North Maths Hub", "North West")
    runner = CliRunner()
    result = runner.invoke(
        cli, ["--token", token, "staff", "add", NEW, "--name", "New Lead", "--role",
              "hub_lead", "--hub", "north"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with runtime.uow() as uow:
        (payload,) = [
            p for p in uow.session.scalars(select(OutboxMessage.payload))
            if p["template"] == "staff_invitation"
        ]  # fmt: skip
    assert payload["to"] == NEW
    assert payload["extra"]["link"].startswith("https://mastery.example/invitations/")

    refused = runner.invoke(cli, ["--token", token, "staff", "password", NEW], input="short\n")
    assert refused.exit_code == 1
    result = runner.invoke(cli, ["--token", token, "staff", "password", NEW], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    with runtime.uow() as uow:
        stored = uow.session.scalar(select(Staff.password_hash).where(Staff.email == NEW))
    assert stored.startswith("$argon2id$")
