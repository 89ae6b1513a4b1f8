"""People in a real browser: a national admin invites a hub lead (the invitation email is
queued in the outbox), edits a school's finance contact, and erases a specialist who left,
through the confirmation page. axe-core checks every page; the screenshots are the
README's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from tests.browser.test_refusals import sign_in
from tests.integration.conftest import ADMIN
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.db.models import Erasure, OutboxMessage, School, Specialist, Staff
from workflow.runtime import Runtime
from workflow.services import setup
from workflow.services.auth import SYSTEM
from workflow.services.specialists import transition


@pytest.fixture
def runtime(database_url, clock, tmp_path) -> Iterator[Runtime]:
    """With an erasure key, as a site that erases must have."""
    settings = Settings(
        database_url=database_url,
        mail_dir=tmp_path / "mail",
        erasure_key="browser test key 1234",
        require_admin_totp=False,
    )
    rt = bootstrap(settings, clock=clock)
    yield rt
    rt.close()


def row_id(runtime, email: str) -> int:
    with runtime.uow() as uow:
        return uow.session.scalar(select(Staff.id).where(Staff.email == email))


def test_a_national_admin_invites_edits_a_school_and_erases(browser, served, runtime, clock):
    _, world = served
    for urn, name in (("100002", "Northgate High School"), ("100003", "Riverside Academy")):
        setup.add_school(runtime.uow(), ADMIN, urn=urn, name=name, hub_code="north",
                         phase="secondary", funding="state", head_name="Sam Head",
                         head_email=f"head@{urn}.example")  # fmt: skip
    left, _ = world.nominate(2)
    transition(runtime.uow(), SYSTEM, left, "select", clock.now())
    transition(runtime.uow(), SYSTEM, left, "withdraw", clock.now(), reason="Moved to Wales")
    sign_in(browser, "admin")

    # -- invite a hub lead ---------------------------------------------------------------
    browser.click_link("Staff")
    assert browser.heading == "Staff"
    browser.click_button("Invite a member of staff")
    assert browser.heading == "Invite a member of staff"
    browser.click_button("Send invitation")  # empty: every problem at once
    assert "There is a problem" in browser.text and "Enter their full name" in browser.text
    browser.visit("/staff/invite")
    browser.fill("Full name", "Priya Patel")
    browser.fill("Email address", "priya.patel@north.example")
    browser.choose("Hub lead")
    Select(browser.field("Hub")).select_by_visible_text("North Maths Hub")
    browser.shoot("invite")
    browser.click_button("Send invitation")
    assert browser.path == "/staff"
    assert "An invitation has been sent to priya.patel@north.example" in browser.text
    assert "Priya Patel" in browser.text
    assert "Re-send invitation" in browser.text
    browser.shoot("staff")
    with runtime.uow() as uow:
        row = uow.session.scalar(select(Staff).where(Staff.email == "priya.patel@north.example"))
        assert row.role == "hub_lead" and row.password_hash is None
        queued = [p for p in uow.session.scalars(select(OutboxMessage.payload))
                  if p["template"] == "staff_invitation"]  # fmt: skip
    assert [p["to"] for p in queued] == ["priya.patel@north.example"]
    assert "/invitations/" in queued[0]["extra"]["link"]

    # the other staff pages, through axe-core: changing a role and deactivating
    viewer = row_id(runtime, "viewer@north.example")
    browser.visit(f"/staff/{viewer}/role")
    assert browser.heading == "Change the role of Viewer"
    browser.visit(f"/staff/{viewer}/deactivate")
    assert browser.heading == "Deactivate Viewer"
    assert "they can no longer sign in" in browser.text

    # -- deactivate and reactivate -------------------------------------------------------
    browser.click_button("Deactivate")
    assert "Viewer has been deactivated" in browser.text
    reactivate = browser.driver.find_element(
        By.CSS_SELECTOR, f'a[href="/staff/{viewer}/reactivate"]'
    )
    browser.follow(reactivate)
    assert browser.heading == "Reactivate Viewer"
    assert "emailed an invitation to create a new password" in browser.text
    browser.shoot("staff-reactivate")
    browser.click_button("Reactivate")
    assert browser.path == "/staff"
    assert "Viewer has been reactivated" in browser.text
    with runtime.uow() as uow:
        row = uow.session.scalar(select(Staff).where(Staff.id == viewer))
        assert row.deactivated_at is None and row.password_hash is None

    # -- edit a school's finance contact -------------------------------------------------
    browser.click_link("Schools")
    browser.fill("Search by URN or school name", "north")
    browser.click_button("Search")
    assert "Northgate High School" in browser.text and "Riverside Academy" not in browser.text
    browser.visit("/schools")
    browser.shoot("schools")
    browser.click_link("Northgate High School")
    assert browser.heading == "Northgate High School"
    browser.fill("Finance contact's email address", "bursar@northgate")
    browser.click_button("Save contacts")
    assert "Enter an email address in the correct format" in browser.text
    browser.fill("Finance contact's name", "Bea Bursar")
    browser.fill("Finance contact's email address", "bursar@northgate.example")
    browser.click_button("Save contacts")
    assert "The contacts of Northgate High School have been saved" in browser.text
    with runtime.uow() as uow:
        school = uow.session.scalar(select(School).where(School.urn == "100002"))
        assert school.finance_email == "bursar@northgate.example"
        assert school.finance_name == "Bea Bursar"
    browser.shoot("school")

    # -- erase a specialist who left -----------------------------------------------------
    with runtime.uow() as uow:
        name, email = uow.session.execute(
            select(Specialist.name, Specialist.email).where(Specialist.id == left)
        ).one()
    browser.visit(f"/specialists/{left}")
    browser.click_button("Erase")
    assert browser.heading == f"Erase the personal data of {name}"
    assert "This cannot be undone" in browser.text
    browser.shoot("erase-confirm")
    browser.click_button("Erase personal data")
    assert "Enter the reason for erasing" in browser.text
    browser.fill("Reason", "Request of 1 June 2025, reference SAR-17")
    browser.click_button("Erase personal data")
    assert browser.path == f"/specialists/{left}"
    assert f"The personal data of specialist {left} has been erased" in browser.text
    assert name not in browser.text and email not in browser.text
    assert "Moved to Wales" not in browser.text
    with runtime.uow() as uow:
        assert uow.session.scalar(select(Erasure.reason).where(Erasure.specialist_id == left))
