"""The national team's pages: hubs and their places, cohorts (rules, progress, the
recruitment window), dead letters ("Retry", "Retry all") and the system's health; who gets
each (200, 403, 404, or the sign-in page), bad input (an error summary, nothing changed),
and that each change is in the database afterwards. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import ADMIN
from tests.web.conftest import csrf_token
from workflow.db.models import (
    Cohort,
    DeadLetter,
    DueItem,
    EmailLog,
    Hub,
    HubAllocation,
    OutboxMessage,
    SchedulerTick,
)
from workflow.services import dead_letters, health
from workflow.services.outbox import SEND_EMAIL, email_key
from workflow.services.specialists import transition

HUB_ROLES = ("lead", "staff", "viewer", "south_lead")
#: path: (what the national admin gets, what hub staff get)
PAGES = {
    "/hubs": (200, 404),
    "/hubs/north": (200, 404),
    "/hubs/south": (200, 404),
    "/hubs/north/cohorts/9/places": (200, 404),
    "/cohorts": (200, 200),
    "/cohorts/9": (200, 200),
    "/cohorts/9/window": (200, 403),
    "/dead-letters": (200, 403),
    "/system": (200, 403),
}
TITLES = {
    "/hubs": "Hubs",
    "/hubs/north": "North Maths Hub",
    "/hubs/north/cohorts/9/places": "Places for North Maths Hub in cohort 9",
    "/cohorts": "Cohorts",
    "/cohorts/9": "Cohort 9",
    "/cohorts/9/window": "Recruitment window of cohort 9",
    "/dead-letters": "Dead letters",
    "/system": "System health",
}


def post(client, path: str, data: dict, form_page: str = "/cohorts"):
    return client.post(path, data={"csrf_token": csrf_token(client, form_page), **data})


def places_of(web, hub: str, cohort: int) -> int | None:
    with web.runtime.uow() as uow:
        return uow.session.scalar(
            select(HubAllocation.places)
            .join(Hub, Hub.id == HubAllocation.hub_id)
            .join(Cohort, Cohort.id == HubAllocation.cohort_id)
            .where(Hub.code == hub, Cohort.number == cohort)
        )


def window_of(web) -> tuple:
    with web.runtime.uow() as uow:
        c = uow.session.scalar(select(Cohort).where(Cohort.number == 9))
        return c.recruitment_opens, c.recruitment_closes, c.nominees_per_school


def dead_letter(web, n: int = 1) -> int:
    """An email that failed for good: its log row ``dead`` and a dead letter; returns its id."""
    now = web.clock.now()
    key = email_key(n, "selected", "specialist", str(n))
    with web.runtime.uow() as uow:
        uow.session.add(
            EmailLog(
                idempotency_key=key, recipient="teacher@school.example", template="selected",
                status="dead", attempts=8, created_at=now, last_error="550 no such user",
            )
        )  # fmt: skip
        uow.commit()
    payload = {"key": key, "template": "selected", "specialist_id": None, "to": "specialist"}
    return dead_letters.record(
        web.runtime.uow(), message_id=f"outbox-{900 + n}", queue="emails", actor=SEND_EMAIL,
        args=[payload], kwargs={}, error="PermanentDeliveryError: 550 no such user\ntrace",
        attempts=8, now=now - timedelta(hours=3),
    )  # fmt: skip


def email_status(web, n: int = 1) -> str:
    key = email_key(n, "selected", "specialist", str(n))
    with web.runtime.uow() as uow:
        return uow.session.scalar(select(EmailLog.status).where(EmailLog.idempotency_key == key))


def retried_at(web, letter_id: int):
    with web.runtime.uow() as uow:
        return uow.session.get(DeadLetter, letter_id).retried_at


def outbox_rows(web) -> int:
    with web.runtime.uow() as uow:
        return uow.session.scalar(select(func.count(OutboxMessage.id)))


def window_form(opens=("1", "3", "2026"), closes=("10", "7", "2026"), time="17:30", n="2"):
    """The window form as a browser posts it (a date's three boxes share its name)."""
    return {"opens": list(opens), "closes": list(closes), "closes_time": time, "nominees": n}


# --- Who gets what ---------------------------------------------------------------------


def test_each_page_for_each_role(web):
    admin = web.client("admin")
    for path, (national, _) in PAGES.items():
        response = admin.get(path)
        assert response.status_code == national, path
    for who in HUB_ROLES:
        client = web.client(who)
        for path, (_, hub) in PAGES.items():
            response = client.get(path)
            assert response.status_code == hub, (who, path)
            if hub == 404:
                assert "Page not found" in response.get_data(as_text=True)
    anonymous = web.client()
    for path in PAGES:
        response = anonymous.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == f"/sign-in?next={path}"


def test_every_new_page_has_one_h1_and_its_title(web):
    admin = web.client("admin")
    for path, title in TITLES.items():
        page = admin.get(path).get_data(as_text=True)
        assert page.count("<h1") == 1, path
        assert f"<title>{title} – Mastery Specialists</title>" in page, path


def test_only_national_staff_see_the_national_links(web):
    admin = web.client("admin").get("/").get_data(as_text=True)
    for link in ('href="/hubs"', 'href="/system"', 'href="/cohorts"'):
        assert link in admin
    system = web.client("admin").get("/system").get_data(as_text=True)
    assert 'href="/dead-letters"' in system  # reached from System health
    for who in HUB_ROLES:
        page = web.client(who).get("/").get_data(as_text=True)
        assert 'href="/hubs"' not in page and 'href="/dead-letters"' not in page
        assert 'href="/system"' not in page and ">System health<" not in page
        assert 'href="/cohorts"' in page  # cohorts: every member of staff, their hub's view


def test_hub_staff_cannot_post_national_changes(web):
    letter = dead_letter(web)
    before = (places_of(web, "north", 9), window_of(web), outbox_rows(web))
    changes = {
        "/hubs/north/cohorts/9/places": ({"places": "9"}, 404),
        "/cohorts/9/window": (window_form(), 403),
        f"/dead-letters/{letter}/retry": ({}, 403),
        "/dead-letters/retry-all": ({}, 403),
    }
    for who in HUB_ROLES:
        client = web.client(who)
        for path, (data, status) in changes.items():
            assert post(client, path, data).status_code == status, (who, path)
    assert (places_of(web, "north", 9), window_of(web), outbox_rows(web)) == before
    assert retried_at(web, letter) is None and email_status(web) == "dead"


def test_a_post_without_the_csrf_token_changes_nothing(web):
    admin = web.client("admin")
    admin.get("/hubs")
    response = admin.post("/hubs/north/cohorts/9/places", data={"places": "7"})
    assert response.status_code == 400
    assert places_of(web, "north", 9) == 4


# --- Hubs and places -------------------------------------------------------------------


def test_the_hubs_page_shows_places_allocated_and_used_per_cohort(web):
    ids = web.world.nominate(3)
    for sid in ids[:2]:
        transition(web.runtime.uow(), ADMIN, sid, "select", web.clock.now())
    page = web.client("admin").get("/hubs").get_data(as_text=True)
    assert "North Maths Hub" in page and "South Maths Hub" in page
    assert "Cohort 9" in page and "2 of 4" in page and "0 of 4" in page
    hub = web.client("admin").get("/hubs/north").get_data(as_text=True)
    assert "Change places" in hub and 'href="/hubs/north/cohorts/9/places"' in hub
    assert "100001" not in hub  # no school's details, counts only


def test_a_national_admin_changes_a_hubs_places(web):
    admin = web.client("admin")
    form = admin.get("/hubs/north/cohorts/9/places").get_data(as_text=True)
    assert 'value="4"' in form and "Save places" in form
    response = post(admin, "/hubs/north/cohorts/9/places", {"places": "6"})
    assert response.status_code == 302 and response.headers["Location"] == "/hubs/north"
    assert places_of(web, "north", 9) == 6
    assert places_of(web, "south", 9) == 4
    page = admin.get("/hubs/north").get_data(as_text=True)
    assert "North Maths Hub now has 6 places in cohort 9" in page


BAD_PLACES = [
    ("", "Enter the number of places"),
    ("six", "Enter the number of places as a whole number, like 6"),
    ("-1", "Enter the number of places as a whole number, like 6"),
    ("2.5", "Enter the number of places as a whole number, like 6"),
    ("100001", "Places must be 100,000 or fewer"),
]


def test_bad_places_are_an_error_summary_and_change_nothing(web):
    admin = web.client("admin")
    for value, message in BAD_PLACES:
        response = post(admin, "/hubs/north/cohorts/9/places", {"places": value})
        page = response.get_data(as_text=True)
        assert response.status_code == 200, value
        assert "There is a problem" in page and message in page, value
        assert 'href="#places"' in page and "<title>Error: " in page
        assert places_of(web, "north", 9) == 4


def test_places_cannot_go_below_those_used(web):
    ids = web.world.nominate(3)
    for sid in ids:
        transition(web.runtime.uow(), ADMIN, sid, "select", web.clock.now())
    admin = web.client("admin")
    assert "3 places are used now" in admin.get("/hubs/north/cohorts/9/places").get_data(
        as_text=True
    )
    page = post(admin, "/hubs/north/cohorts/9/places", {"places": "2"}).get_data(as_text=True)
    assert "There is a problem" in page
    assert "3 places are already used; cannot allocate only 2" in page
    assert places_of(web, "north", 9) == 4
    assert post(admin, "/hubs/north/cohorts/9/places", {"places": "3"}).status_code == 302
    assert places_of(web, "north", 9) == 3


def test_an_unknown_hub_or_cohort_is_page_not_found(web):
    admin = web.client("admin")
    assert admin.get("/hubs/nowhere").status_code == 404
    assert admin.get("/hubs/north/cohorts/99/places").status_code == 404
    assert post(admin, "/hubs/nowhere/cohorts/9/places", {"places": "3"}).status_code == 404
    assert admin.get("/cohorts/99").status_code == 404


# --- Cohorts ---------------------------------------------------------------------------


def test_the_cohort_page_shows_its_rules_readably(web):
    page = web.client("admin").get("/cohorts/9").get_data(as_text=True)
    assert "Secondary Mastery Specialist Programme, cohort 9" in page
    assert "1 September 2025" in page and "1 September 2026" in page  # year starts
    assert "1 September 2027" in page
    assert "£200.00" in page  # the daily rate, from 20000 pence
    assert "£1,500.00" in page  # 7.5 funded days at £200
    assert "7.5" in page and "5.5" in page and "3 half-days" in page
    assert "y1-launch1" in page and "y1-central1" in page  # the events' ids
    assert "28 April 2025" in page and "11 July 2025, 5pm" in page  # the window, in London
    assert "Change the recruitment window" in page


def test_the_cohort_page_shows_progress_by_hub(web):
    north = web.world.nominate(3)
    web.world.nominate(2, school=web.world.other_school)
    transition(web.runtime.uow(), ADMIN, north[0], "select", web.clock.now())
    admin = web.client("admin").get("/cohorts/9").get_data(as_text=True)
    assert "Places used: <strong>1</strong> of 8 allocated" in admin
    assert "North Maths Hub" in admin and "South Maths Hub" in admin and "All hubs" in admin
    assert "Nominated" in admin and "Selected" in admin
    lead = web.client("lead").get("/cohorts/9").get_data(as_text=True)
    assert "Progress of your hub" in lead and "of 4 allocated" in lead
    assert "South Maths Hub" not in lead
    assert "Change the recruitment window" not in lead
    listing = web.client("lead").get("/cohorts").get_data(as_text=True)
    assert "Cohort 9" in listing and "1 of 4" in listing


def test_a_national_admin_changes_the_recruitment_window(web):
    admin = web.client("admin")
    form = admin.get("/cohorts/9/window").get_data(as_text=True)
    assert 'value="17:00"' in form and 'value="28"' in form  # today's window, prefilled
    response = post(admin, "/cohorts/9/window", window_form())
    assert response.status_code == 302 and response.headers["Location"] == "/cohorts/9"
    opens, closes, nominees = window_of(web)
    assert opens == date(2026, 3, 1)
    assert closes == datetime(2026, 7, 10, 16, 30, tzinfo=UTC)  # 17:30 in British Summer Time
    assert nominees == 2
    page = admin.get("/cohorts/9").get_data(as_text=True)
    assert "The recruitment window of cohort 9 has been changed" in page
    assert "10 July 2026, 5:30pm" in page


BAD_WINDOWS = [
    (window_form(opens=("31", "2", "2026")), "Not a valid date value", "#opens"),
    (window_form(closes=("", "", "")), "Enter the date the window closes", "#closes"),
    (window_form(time="5pm"), "Enter the closing time as hours and minutes", "#closes_time"),
    (window_form(time="25:00"), "Enter the closing time as hours and minutes", "#closes_time"),
    (window_form(n="0"), "Enter a whole number of nominees from 1 to 100", "#nominees"),
    (window_form(closes=("1", "2", "2026")), "The window closes before it opens", "#closes"),
]


def test_a_bad_window_is_an_error_summary_and_changes_nothing(web):
    before = window_of(web)
    admin = web.client("admin")
    for data, message, href in BAD_WINDOWS:
        response = post(admin, "/cohorts/9/window", data)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, message
        assert "There is a problem" in page and message in page and f'href="{href}' in page
        assert window_of(web) == before


# --- Dead letters ----------------------------------------------------------------------


def test_the_dead_letters_page_lists_the_reason_and_no_address(web):
    dead_letter(web)
    page = web.client("admin").get("/dead-letters").get_data(as_text=True)
    assert "Selected" in page and "Specialist" in page
    assert "PermanentDeliveryError: 550 no such user" in page and "trace" not in page
    assert "teacher@school.example" not in page
    assert "2 June 2025, 7am" in page  # 06:00 UTC, in London
    assert ">Retry<" in page and "Retry all" in page


def test_retry_puts_a_dead_letter_back_to_pending(web):
    letter = dead_letter(web)
    admin = web.client("admin")
    before = outbox_rows(web)
    response = post(admin, f"/dead-letters/{letter}/retry", {}, form_page="/dead-letters")
    assert response.status_code == 302 and response.headers["Location"] == "/dead-letters"
    assert email_status(web) == "pending"
    assert retried_at(web, letter) is not None
    assert outbox_rows(web) == before + 1
    page = admin.get("/dead-letters").get_data(as_text=True)
    assert "1 email queued to be sent again" in page
    assert "There are no dead letters" in page
    again = post(admin, f"/dead-letters/{letter}/retry", {}, form_page="/dead-letters")
    assert again.status_code == 409
    assert "was already retried" in again.get_data(as_text=True)
    assert outbox_rows(web) == before + 1


def test_retry_all_queues_every_dead_letter(web):
    letters = [dead_letter(web, 1), dead_letter(web, 2)]
    admin = web.client("admin")
    response = post(admin, "/dead-letters/retry-all", {}, form_page="/dead-letters")
    assert response.status_code == 302
    assert all(retried_at(web, i) is not None for i in letters)
    assert email_status(web, 1) == email_status(web, 2) == "pending"
    page = admin.get("/dead-letters").get_data(as_text=True)
    assert "2 emails queued to be sent again" in page
    nothing = post(admin, "/dead-letters/retry-all", {}, form_page="/dead-letters")
    assert "There were no dead letters to retry" in admin.get(nothing.headers["Location"]).get_data(
        as_text=True
    )


def test_retrying_an_unknown_dead_letter_is_page_not_found(web):
    admin = web.client("admin")
    assert post(admin, "/dead-letters/999/retry", {}).status_code == 404


# --- System health ---------------------------------------------------------------------


def test_system_health_before_the_scheduler_ever_ticked(web):
    dead_letter(web)
    page = web.client("admin").get("/system").get_data(as_text=True)
    assert "None recorded" in page and "Not running" in page
    assert "None: every message&#39;s effect is recorded" in page
    assert "1 email" in page and "Needs attention" in page
    assert "In-process" in page  # no Redis configured


def test_system_health_shows_the_outbox_and_the_last_tick(web):
    now = web.clock.now()
    with web.runtime.uow() as uow:
        for minutes in (90, 5):
            uow.session.add(
                OutboxMessage(
                    topic=SEND_EMAIL, payload={}, created_at=now - timedelta(minutes=minutes)
                )
            )
        uow.session.add(
            DueItem(key="late", kind="reminder", due_at=now - timedelta(days=2), payload={})
        )
        uow.session.add(
            DueItem(key="later", kind="reminder", due_at=now + timedelta(days=2), payload={})
        )
        uow.commit()
    health.record_tick(web.runtime.uow(), now - timedelta(minutes=2), 3, 1)
    page = web.client("admin").get("/system").get_data(as_text=True)
    assert "2 messages, of which 2 not yet published" in page
    assert "2 June 2025, 8:30am (1 hour ago)" in page  # the oldest, 07:30 UTC in London
    assert "2 June 2025, 9:58am (2 minutes ago)" in page and "Running" in page
    assert "3 due items done, 1 message published" in page
    assert "1 item (the oldest due 2 days ago)" in page  # not the one due in two days
    health.record_tick(web.runtime.uow(), now - timedelta(minutes=20), 0, 0)
    with web.runtime.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(SchedulerTick)) == 1
    late = web.client("admin").get("/system").get_data(as_text=True)
    assert "Late" in late and "20 minutes ago" in late


@pytest.mark.redis
def test_system_health_says_when_redis_answers(web, redis_url):
    web.runtime.settings.broker_url = redis_url
    page = web.client("admin").get("/system").get_data(as_text=True)
    assert "Reachable" in page and "Answers" in page and "Unreachable" not in page


def test_system_health_says_when_redis_does_not_answer(web):
    web.runtime.settings.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    page = web.client("admin").get("/system").get_data(as_text=True)
    assert "Unreachable" in page and "ConnectionError" in page


def test_every_scheduler_tick_is_recorded(web):
    from dramatiq.brokers.stub import StubBroker

    from workflow.scheduler.dispatch import tick

    web.runtime.broker = StubBroker()  # nothing is pending: the relay publishes nothing
    web.runtime.close_broker = lambda broker: broker.close()
    tick(web.runtime, handlers={})
    web.clock.set(web.clock.now() + timedelta(seconds=30))
    tick(web.runtime, handlers={})
    with web.runtime.uow() as uow:
        (row,) = uow.session.scalars(select(SchedulerTick))
        assert (row.job, row.at, row.items_done, row.published) == (
            "dispatch",
            web.clock.now(),
            0,
            0,
        )
