"""A national admin sets up a cohort's year in a real browser: changes a hub's places, opens
the cohort and sees its progress, then retries an email that could not be sent and looks at
the system's health. axe-core runs on every page; screenshots go to docs/screenshots/."""

from __future__ import annotations

from datetime import timedelta

from selenium.webdriver.common.by import By
from sqlalchemy import select

from tests.browser.test_refusals import sign_in
from tests.integration.conftest import ADMIN
from workflow.db.models import DeadLetter, EmailLog, Hub, HubAllocation
from workflow.services import dead_letters, health
from workflow.services.outbox import SEND_EMAIL, email_key
from workflow.services.specialists import transition


def places(runtime, hub: str) -> int:
    with runtime.uow() as uow:
        return uow.session.scalar(
            select(HubAllocation.places)
            .join(Hub, Hub.id == HubAllocation.hub_id)
            .where(Hub.code == hub)
        )


def test_a_national_admin_allocates_places_and_sees_the_cohorts_progress(
    browser, served, runtime, clock
):
    _, world = served
    runtime.settings.require_admin_totp = False
    north = world.nominate(3)
    world.nominate(1, school=world.other_school)
    for sid in north[:2]:
        transition(runtime.uow(), ADMIN, sid, "select", clock.now())
    sign_in(browser, "admin")

    browser.click_link("Hubs")
    assert browser.heading == "Hubs"
    assert "2 of 4" in browser.text
    browser.shoot("hubs")
    browser.click_link("North Maths Hub")
    assert browser.heading == "North Maths Hub"
    browser.follow(browser.driver.find_element(By.CSS_SELECTOR, 'a[href$="/cohorts/9/places"]'))
    assert browser.heading == "Places in cohort 9"
    browser.fill("Places", "1")
    browser.click_button("Save places")
    assert "There is a problem" in browser.text
    assert "2 places are already used; cannot allocate only 1" in browser.text
    assert places(runtime, "north") == 4
    browser.fill("Places", "6")
    browser.click_button("Save places")
    assert "North Maths Hub now has 6 places in cohort 9" in browser.text
    assert places(runtime, "north") == 6

    browser.click_link("Cohorts")
    browser.click_link("Cohort 9")
    assert browser.heading == "Cohort 9"
    text = browser.text
    assert "Places used: 2 of 10 allocated" in text
    assert "North Maths Hub" in text and "South Maths Hub" in text
    assert "1 September 2025" in text and "£200.00" in text and "y1-launch1" in text
    browser.shoot("cohort")


def test_a_national_admin_retries_a_dead_letter_and_checks_the_system(
    browser, served, runtime, clock
):
    runtime.settings.require_admin_totp = False
    now = clock.now()
    key = email_key(None, "staff_invitation", "new.lead@hub.example", "1")
    with runtime.uow() as uow:
        uow.session.add(
            EmailLog(
                idempotency_key=key, recipient="new.lead@hub.example", template="staff_invitation",
                status="dead", attempts=8, created_at=now, last_error="550 mailbox unavailable",
            )
        )  # fmt: skip
        uow.commit()
    letter = dead_letters.record(
        runtime.uow(), message_id="outbox-77", queue="emails", actor=SEND_EMAIL,
        args=[{"key": key, "template": "staff_invitation", "to": "new.lead@hub.example"}],
        kwargs={}, error="PermanentDeliveryError: 550 mailbox unavailable", attempts=8,
        now=now - timedelta(hours=2),
    )  # fmt: skip
    dead_letters.record(
        runtime.uow(), message_id="outbox-78", queue="emails", actor=SEND_EMAIL,
        args=[{"key": "5:term_digest:hub_lead:2025-09-01", "template": "term_digest",
               "specialist_id": None, "to": "hub_lead"}],
        kwargs={}, error="TransientDeliveryError: 421 try again later (retries exhausted)",
        attempts=9, now=now - timedelta(minutes=40),
    )  # fmt: skip
    health.record_tick(runtime.uow(), now - timedelta(minutes=1), 2, 1)
    sign_in(browser, "admin")

    browser.click_link("System health")
    assert browser.heading == "System health"
    assert "Running" in browser.text and "2 emails" in browser.text
    browser.shoot("system-health")

    browser.click_link("See the dead letters")  # from System health, not the navigation
    assert browser.heading == "Dead letters"
    assert "550 mailbox unavailable" in browser.text
    assert "new.lead@hub.example" not in browser.text
    browser.shoot("dead-letters")
    browser.click_button("Retry")  # the first: the invitation
    assert "1 email queued to be sent again" in browser.text
    assert "1 email not sent" in browser.text and "421 try again later" in browser.text
    browser.click_button("Retry all")
    assert "1 email queued to be sent again" in browser.text
    assert "There are no dead letters" in browser.text
    with runtime.uow() as uow:
        assert uow.session.get(DeadLetter, letter).retried_at is not None
        status = uow.session.scalar(select(EmailLog.status).where(EmailLog.idempotency_key == key))
        assert status == "pending"
