"""Registers and funding in a real browser (issue 17 points 2 and 3), with axe-core on every
page: a hub administrator takes the first central event's register; a hub lead marks a
funding statement paid with a reference; a national admin goes from the hubs to a hub's
schools. Screenshots: register, funding, statement, funding-per-hub."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from sqlalchemy import select

from tests.web.conftest import PASSWORD, STAFF
from tests.web.programme import NORTH, SOUTH, with_statements, year1
from workflow.db.models import AuditEntry, RegisterMark, Statement

REGISTER = "/cohorts/9/events/y1-central1/register"


def sign_in(browser, who: str) -> None:
    browser.visit("/sign-in")
    browser.fill("Email address", STAFF[who][0])
    browser.fill("Password", PASSWORD)
    browser.click_button("Sign in")
    assert browser.path == "/"


def test_a_hub_administrator_takes_a_register(browser, served, runtime):
    _, world = served
    programme = year1(world)  # the clock: the day after the first central event
    a, b, _ = programme.north
    sign_in(browser, "staff")  # a hub administrator (role hub_staff)

    browser.click_link("Events and registers of cohort 9")
    assert browser.heading == "Events"
    browser.follow(browser.driver.find_element(By.CSS_SELECTOR, f'a[href="{REGISTER}"]'))
    assert browser.heading == "Register: Central event 1: teaching for mastery principles"
    assert SOUTH[0] not in browser.text  # another hub's specialist is not on this register
    browser.choose(NORTH[0])
    browser.choose(NORTH[1])
    browser.shoot("register")
    browser.click_button("Save register")
    assert "Register saved: 2 attended, 0 removed" in browser.text
    # On the register now (only a hub lead may take someone off); the third still to tick.
    assert f"Already on the register: {NORTH[0]}, {NORTH[1]}." in browser.text
    assert not browser.field(NORTH[2]).is_selected()

    with runtime.uow() as uow:
        on = set(uow.session.scalars(select(RegisterMark.specialist_id)))
        days = uow.session.scalars(
            select(AuditEntry.specialist_id).where(AuditEntry.name == "central_day")
        ).all()
    assert on == {a, b} and sorted(days) == sorted([a, b])

    browser.click_link("Back to Central event 1: teaching for mastery principles")
    assert "North Maths Hub: 2 attended" in browser.text


def test_a_hub_lead_marks_a_statement_paid(browser, served, runtime):
    _, world = served
    money = with_statements(world)
    statement_id = money.statements["north"]
    sign_in(browser, "lead")

    browser.click_link("Funding")
    assert browser.heading == "Funding"
    browser.click_link("Cohort 9")
    assert "North Academy" in browser.text and "South Academy" not in browser.text
    assert "Clawed back" in browser.text
    browser.shoot("funding")

    browser.click_link("Statements of cohort 9")
    assert browser.heading == "Funding statements"
    browser.click_link(f"Statement {statement_id}")
    assert browser.heading == f"Statement {statement_id}"
    assert "Clawback" in browser.text and "-£200.00" in browser.text
    browser.click_button("Mark as paid")  # no reference yet
    assert "There is a problem" in browser.text
    assert "Enter the payment reference" in browser.text
    browser.visit(f"/funding/statements/{statement_id}")
    browser.fill("Payment reference", "BACS-2026-0720")
    browser.shoot("statement")
    browser.click_button("Mark as paid")
    assert f"Statement {statement_id} marked as paid, reference BACS-2026-0720" in browser.text
    assert "Mark as paid" not in [
        b.text for b in browser.driver.find_elements(By.TAG_NAME, "button")
    ]

    with runtime.uow() as uow:
        paid = uow.session.get(Statement, statement_id)
        assert (paid.status, paid.reference, paid.paid_by) == (
            "paid",
            "BACS-2026-0720",
            STAFF["lead"][0],
        )


def test_a_national_admin_sees_funding_per_hub_then_a_hubs_schools(browser, served, runtime):
    _, world = served
    with_statements(world)
    runtime.settings.require_admin_totp = False  # the authenticator has its own test
    sign_in(browser, "admin")

    browser.click_link("Funding")
    browser.click_link("Cohort 9")
    assert "Per hub" in browser.text and "National total" in browser.text
    assert "North Academy" not in browser.text
    browser.shoot("funding-per-hub")
    north = browser.driver.find_element(By.CSS_SELECTOR, 'a[href="/funding?cohort=9&hub=north"]')
    browser.follow(north)
    assert "Cohort 9, North Maths Hub" in browser.text
    assert "North Academy" in browser.text and "South Academy" not in browser.text
    browser.click_link("Every hub")
    assert "Per hub" in browser.text
