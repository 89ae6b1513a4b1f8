"""In a real browser: a hub lead undoes a withdrawal made by mistake through the confirmation
page (what will change, the place and the money included), then sees the banner and the
correction in the timeline with their name and reason. axe-core runs on every page."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import func, select

from tests.browser.conftest import serving
from tests.browser.test_refusals import sign_in
from tests.browser.test_story import state_of
from tests.integration.conftest import ADMIN, build_world, instalment_rules
from workflow.db.models import FundingEntry, LedgerEntry
from workflow.services.specialists import record_milestone, transition

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def served(runtime, clock, tmp_path):
    """As the package's ``served``, on cohort 9 paid in fixed instalments: the undo then
    schedules instalments again and claws back a pro-rata payment, which the page shows."""
    runtime.settings.require_admin_totp = False  # test_authenticator covers the second factor
    world = build_world(runtime, clock, instalment_rules(tmp_path, "cohort-9"))
    yield from serving(runtime, clock, world)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON).astimezone(UTC)


def test_a_hub_lead_undoes_a_withdrawal_through_the_confirmation_page(
    browser, served, runtime, clock
):
    _, world = served
    (sid,) = world.nominate()
    transition(runtime.uow(), ADMIN, sid, "select", clock.now())
    clock.set(at(date(2025, 9, 1), 9))
    transition(runtime.uow(), ADMIN, sid, "start_year1", clock.now())
    record_milestone(runtime.uow(), ADMIN, sid, "central_day", clock.now(), half_days=4)
    clock.set(at(date(2025, 9, 2)))
    transition(runtime.uow(), ADMIN, sid, "withdraw", clock.now(), reason="Leaving teaching.")

    sign_in(browser)
    browser.visit(f"/specialists/{sid}")
    assert "Corrections" in browser.text
    browser.click_link("Undo the withdrawal")
    assert browser.heading == "Undo the withdrawal of Teacher 0"
    browser.click_button("Continue")  # no reason
    assert "There is a problem" in browser.text
    assert "Enter the reason for the correction" in browser.text
    browser.fill("Reason", "Withdrawn by mistake: Teacher 0 is staying.")
    browser.click_button("Continue")

    assert browser.heading == "Check before you undo the withdrawal of Teacher 0"
    text = browser.text
    assert "Nothing has changed yet" in text
    assert "Withdrawn to Year 1" in text
    assert "This uses 1 of North Maths Hub's 4 places for cohort 9: 0 used now, 1 after." in text
    assert "Scheduled again" in text and "£750.00" in text and "15 January 2026" in text
    assert "Clawed back" in text and "£400.00" in text
    assert state_of(runtime, sid) == "withdrawn"  # nothing done yet
    browser.shoot("undo-withdrawal-confirm")

    browser.click_button("Confirm")
    assert browser.path == f"/specialists/{sid}"
    text = browser.text
    assert "The withdrawal of Teacher 0 has been undone" in text
    assert "Reinstated (a correction)" in text and "by lead@north.example" in text
    assert "Reason: Withdrawn by mistake: Teacher 0 is staying." in text
    assert state_of(runtime, sid) == "year1"
    with runtime.uow() as uow:
        scheduled = uow.session.scalar(
            select(func.sum(FundingEntry.amount_pence)).where(
                FundingEntry.specialist_id == sid, FundingEntry.status == "scheduled"
            )
        )
        net = uow.session.scalar(
            select(func.sum(LedgerEntry.amount_pence)).where(LedgerEntry.specialist_id == sid)
        )
    assert (scheduled, net) == (150000, 0)  # as the confirmation page said
    browser.shoot("corrections")


def test_a_national_admin_voids_a_milestone_and_nominates_late(browser, served, runtime, clock):
    _, world = served
    (sid,) = world.nominate()
    transition(runtime.uow(), ADMIN, sid, "select", clock.now())
    clock.set(at(date(2025, 9, 1), 9))
    transition(runtime.uow(), ADMIN, sid, "start_year1", clock.now())
    record_milestone(runtime.uow(), ADMIN, sid, "central_day", clock.now(), half_days=4)
    sign_in(browser, "admin")
    browser.visit(f"/specialists/{sid}")
    # "Void" (and, for screen readers, which milestone)
    browser.follow(browser.driver.find_element(By.PARTIAL_LINK_TEXT, "Void"))
    assert browser.heading == "Void a milestone of Teacher 0"
    browser.fill("Reason", "Recorded for the wrong teacher.")
    browser.click_button("Continue")
    assert browser.heading == "Check before you void this milestone of Teacher 0"
    assert "Central day, 2 days on 1 September 2025: voided, no longer counted" in browser.text
    browser.shoot("void-milestone-confirm")
    browser.click_button("Confirm")
    assert "The milestone has been voided for Teacher 0" in browser.text
    assert "Voided" in browser.text and "Correction: milestone voided" in browser.text

    browser.visit("/nominations/new")
    browser.click_link("nominate a teacher late")
    assert browser.heading == "Nominate a teacher after the recruitment window"
    browser.fill("School URN", "200001")
    browser.fill("Full name", "Ada Lovelace")
    browser.fill("Email address", "ada@school.example")
    browser.choose("Yes")
    browser.fill("Day", "1")
    browser.fill("Month", "9")
    browser.fill("Year", "2015")
    browser.fill("Reason", "The head was ill in July.")
    browser.click_button("Continue")
    assert browser.heading == "Check before you nominate Ada Lovelace", browser.text[:1500]
    browser.click_button("Confirm")
    assert "Ada Lovelace has been nominated after the recruitment window" in browser.text
    assert browser.heading == "Ada Lovelace"
