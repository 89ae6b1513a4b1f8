"""The issue's story in a real browser (headless Chromium), with axe-core on every page:
invitation email -> create password -> sign in -> dashboard -> find a nominee by name ->
select -> the timeline shows it -> record a central day -> sign out -> asked to sign in.
Screenshots of the main pages go to docs/screenshots/ (shown in the README)."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import date

from sqlalchemy import select

from tests.integration.conftest import ADMIN
from tests.web.conftest import PASSWORD
from workflow.db.models import OutboxMessage, Specialist
from workflow.services.emails import deliver
from workflow.services.staff import add_staff

LINK = re.compile(r"http://127\.0\.0\.1:\d+/invitations/[A-Za-z0-9_-]+")


def invitation_link(runtime, address: str) -> str:
    """Deliver the queued invitation as a worker does (``services.emails.deliver``: render,
    send through the configured sender, here .eml files) and read it from the file written.
    No broker is started: its worker-log filters would outlive this test."""
    with runtime.uow() as uow:
        payloads = uow.session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.sent_at.is_(None))
        ).all()
    for payload in payloads:
        if payload["template"] == "staff_invitation":
            deliver(runtime.uow(), runtime.renderer, runtime.sender, payload,
                    runtime.clock.now(), runtime.settings.mail_from)  # fmt: skip
    for path in sorted(runtime.settings.mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in message["To"]:
            found = LINK.search(message.get_body(("plain",)).get_content())
            if found:
                return found.group(0)
    raise AssertionError(f"no invitation email to {address}")


def state_of(runtime, specialist_id: int) -> str:
    with runtime.uow() as uow:
        return uow.session.scalar(select(Specialist.state).where(Specialist.id == specialist_id))


def test_a_new_hub_lead_runs_their_day(browser, served, runtime, clock):
    base, world = served
    ids = world.nominate(3)
    world.nominate(1, school=world.other_school)
    nominee = ids[1]  # "Teacher 1"
    add_staff(runtime.uow(), ADMIN, "priya.lead@north.example", "Priya Lead", "hub_lead",
              "north", clock.now(), invite_base_url=base)  # fmt: skip

    link = invitation_link(runtime, "priya.lead@north.example")
    browser.driver.get(link)
    browser.after_navigation()
    assert browser.heading == "Create your password"
    browser.shoot("create-password")
    browser.fill("Password", "short")
    browser.fill("Confirm password", "short")
    browser.click_button("Create password")
    assert "There is a problem" in browser.text
    assert "12 characters or more" in browser.text
    browser.fill("Password", PASSWORD)
    browser.fill("Confirm password", PASSWORD)
    browser.click_button("Create password")
    assert browser.heading == "Sign in"
    assert "Your password has been saved" in browser.text
    browser.shoot("sign-in")

    browser.fill("Email address", "priya.lead@north.example")
    browser.fill("Password", PASSWORD)
    browser.click_button("Sign in")
    assert browser.path == "/"
    assert browser.heading == "Your hub"
    browser.shoot("dashboard")

    browser.click_link("Specialists")
    browser.fill("Search by name, email address or school URN", "Teacher 1")
    browser.click_button("Search")
    assert "1 specialist" in browser.text
    browser.shoot("specialists")
    browser.click_link("Teacher 1")
    assert browser.path == f"/specialists/{nominee}"
    assert browser.heading == "Teacher 1"

    browser.click_link("Select")
    assert browser.heading == "Select Teacher 1"
    browser.shoot("select")
    browser.click_button("Select")
    assert "Teacher 1 has been selected" in browser.text
    assert "Nominated to Selected" in browser.text
    assert state_of(runtime, nominee) == "selected"
    browser.shoot("specialist")

    # Into Year 1, then a central day, as the hub would record it.
    browser.click_link("Advance")
    browser.click_button("Advance")
    assert state_of(runtime, nominee) == "year1"
    browser.click_link("Record")
    browser.choose("Central day")
    browser.fill("Days", "1")
    day, month, year = browser.driver.find_elements("css selector", "input[name=on]")
    for box, value in zip((day, month, year), ("2", "6", "2025"), strict=True):
        box.send_keys(value)
    browser.shoot("record")
    browser.click_button("Record")
    assert "The milestone has been recorded for Teacher 1" in browser.text
    assert "Milestone: Central day, 1 day" in browser.text
    assert "On 2 June 2025" in browser.text

    browser.click_button("Sign out")
    assert "You have signed out" in browser.text
    browser.visit("/")
    assert browser.path == "/sign-in?next=/" or browser.path.startswith("/sign-in?next=%2F")
    assert browser.heading == "Sign in"
    assert date.today()  # the pages above were each checked by axe-core
    assert {"/", "/specialists", f"/specialists/{nominee}", "/sign-in"} <= set(browser.checked)
