"""Events and registers on the web (issue 17 point 2): the cohort's events, one event's
attendance across hubs, and a hub's register saved in one action through
``services.events.register``; who may see and do what on each route."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.web.conftest import csrf_token
from tests.web.programme import NORTH, SOUTH, year1
from workflow.db.models import AuditEntry, RegisterMark, Specialist

EVENT = "/cohorts/9/events/y1-central1"
REGISTER = EVENT + "/register"


@pytest.fixture
def programme(web):
    return year1(web.world)


def save(client, ids, path: str = REGISTER):
    token = csrf_token(client, path)
    return client.post(path, data={"csrf_token": token, "attended": [str(i) for i in ids]})


def fingerprint(web) -> tuple:
    with web.runtime.uow() as uow:
        s = uow.session
        return (
            s.scalar(select(func.count(AuditEntry.id))),
            tuple(s.execute(select(RegisterMark.specialist_id, RegisterMark.milestone_id)).all()),
            tuple(s.execute(select(Specialist.id, Specialist.version)).all()),
        )


def central_days(web, sid: int) -> list[str]:
    """The specialist's central-day milestones and voids, oldest first."""
    with web.runtime.uow() as uow:
        return list(
            uow.session.scalars(
                select(AuditEntry.name)
                .where(AuditEntry.specialist_id == sid)
                .where(AuditEntry.name.in_(["central_day", "void"]))
                .order_by(AuditEntry.id)
            )
        )


def test_the_events_page_lists_the_cohorts_events_with_their_registers(web, programme):
    page = web.client("staff").get("/cohorts/9/events").get_data(as_text=True)
    assert '<h1 class="govuk-heading-l">Events</h1>' in page
    assert "Central event 1: teaching for mastery principles" in page
    assert "16 October 2025, 9:30am" in page  # Europe/London
    assert "half a day" in page and "1 day" in page
    assert f'href="{REGISTER}"' in page
    assert f'href="{EVENT}"' in page
    viewer = web.client("viewer").get("/cohorts/9/events").get_data(as_text=True)
    assert "Central event 1" in viewer and "Take the register" not in viewer


def test_the_register_lists_the_hubs_specialists_with_a_checkbox_each(web, programme):
    page = web.client("staff").get(REGISTER).get_data(as_text=True)
    for sid, name in zip(programme.north, NORTH, strict=True):
        assert re.search(rf'<input[^>]+id="attended-{sid}"[^>]+value="{sid}"', page)
        assert re.search(rf'<label[^>]+for="attended-{sid}">\s*{name}\s*</label>', page)
    assert SOUTH[0] not in page
    assert "Save register" in page


def test_a_register_is_saved_once_and_saving_again_changes_nothing(web, programme):
    client = web.client("staff")
    a, b, _ = programme.north
    response = save(client, [a, b])
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Register saved: 2 attended, 0 removed (2 newly recorded)" in page
    assert f"Already on the register: {NORTH[0]}, {NORTH[1]}." in page  # hub staff's view
    lead_page = web.client("lead").get(REGISTER).get_data(as_text=True)
    assert re.search(rf'id="attended-{a}"[^>]+checked', lead_page)  # pre-ticked
    assert central_days(web, a) == ["central_day"] and central_days(web, b) == ["central_day"]
    before = fingerprint(web)
    again = save(client, [a, b])
    assert again.status_code == 302
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Register saved: 2 attended, 0 removed (0 newly recorded)" in page
    assert fingerprint(web) == before


def test_a_hub_lead_unticking_someone_voids_their_day(web, programme):
    a, b, _ = programme.north
    save(web.client("staff"), [a, b])
    lead = web.client("lead")
    response = save(lead, [a])
    assert response.status_code == 302
    assert "1 attended, 1 removed" in lead.get(response.headers["Location"]).get_data(as_text=True)
    assert central_days(web, b) == ["central_day", "void"]
    assert central_days(web, a) == ["central_day"]
    with web.runtime.uow() as uow:
        on = set(uow.session.scalars(select(RegisterMark.specialist_id)))
    assert on == {a}


def test_hub_staff_cannot_take_someone_off(web, programme):
    a, b, _ = programme.north
    client = web.client("staff")
    save(client, [a, b])
    page = client.get(REGISTER).get_data(as_text=True)
    # On the register already: listed, not offered to untick, and sent as a hidden field.
    assert f'id="attended-{b}"' not in page and f'id="attended-{a}"' not in page
    assert f"Already on the register: {NORTH[0]}, {NORTH[1]}." in page
    assert f'<input type="hidden" name="attended" value="{b}">' in page
    assert "Only a hub lead can take someone off the register" in page
    assert re.search(rf'id="attended-{programme.north[2]}"', page)  # still to tick
    before = fingerprint(web)
    assert save(client, [a]).status_code == 403
    assert fingerprint(web) == before


def test_one_hubs_register_leaves_another_hubs_alone(web, programme):
    a, b, _ = programme.north
    save(web.client("staff"), [a, b])
    (s,) = programme.south
    south = web.client("south_lead")
    page = south.get(REGISTER).get_data(as_text=True)
    assert SOUTH[0] in page and NORTH[0] not in page
    response = save(south, [s])
    assert response.status_code == 302
    assert "1 attended, 0 removed" in south.get(response.headers["Location"]).get_data(as_text=True)
    with web.runtime.uow() as uow:
        on = set(uow.session.scalars(select(RegisterMark.specialist_id)))
    assert on == {a, b, s}
    # Someone of another hub slipped into the form: refused, nothing saved.
    before = fingerprint(web)
    response = save(web.client("lead"), [a, b, s])
    assert response.status_code == 200
    assert "There is a problem" in response.get_data(as_text=True)
    assert fingerprint(web) == before


def test_a_national_admin_chooses_the_hub(web, programme):
    admin = web.client("admin")
    chooser = admin.get(REGISTER).get_data(as_text=True)
    assert "Whose register of Central event 1" in chooser
    assert f'href="{REGISTER}?hub=north"' in chooser and f'href="{REGISTER}?hub=south"' in chooser
    page = admin.get(REGISTER + "?hub=south").get_data(as_text=True)
    assert SOUTH[0] in page and NORTH[0] not in page
    response = save(admin, programme.south, REGISTER + "?hub=south")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/register?hub=south")
    assert central_days(web, programme.south[0]) == ["central_day"]
    assert admin.get(REGISTER + "?hub=nowhere").status_code == 404


def test_an_empty_register_is_a_problem_and_changes_nothing(web, programme):
    client = web.client("staff")
    before = fingerprint(web)
    response = save(client, [])
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert f'href="#attended-{programme.north[0]}">Select the specialists who attended' in page
    assert 'class="govuk-error-message"' in page
    assert fingerprint(web) == before


def test_a_register_before_the_event_is_refused_with_each_name(web, programme):
    client = web.client("staff")
    path = "/cohorts/9/events/y1-central3/register"  # 14 May 2026
    page = client.get(path).get_data(as_text=True)
    assert "has not happened yet" in page
    before = fingerprint(web)
    response = save(client, programme.north[:1], path)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and f"{NORTH[0]}: " in page
    assert f'href="#attended-{programme.north[0]}"' in page
    assert fingerprint(web) == before


def test_the_event_page_shows_attendance_across_hubs_to_national_staff(web, programme):
    a, b, _ = programme.north
    save(web.client("staff"), [a, b])
    save(web.client("south_lead"), programme.south)
    national = web.client("admin").get(EVENT).get_data(as_text=True)
    assert "North Maths Hub: 2 attended" in national
    assert "South Maths Hub: 1 attended" in national
    assert "3 across 2 hubs" in national
    assert "16 October 2025, 9:30am to 3:30pm" in national
    assert NORTH[0] in national and SOUTH[0] in national
    hub = web.client("lead").get(EVENT).get_data(as_text=True)
    assert "North Maths Hub: 2 attended" in hub
    assert "South Maths Hub" not in hub and SOUTH[0] not in hub


# -- who may do what, on every route ------------------------------------------------------

ROLES = ("admin", "lead", "staff", "viewer", "south_lead")
#: route -> role -> status (GET)
GETS = {
    "/cohorts/9/events": dict.fromkeys(ROLES, 200),
    EVENT: dict.fromkeys(ROLES, 200),
    REGISTER: {"admin": 200, "lead": 200, "staff": 200, "viewer": 403, "south_lead": 200},
    REGISTER + "?hub=north": {
        "admin": 200,
        "lead": 200,
        "staff": 200,
        "viewer": 403,
        "south_lead": 404,
    },
    REGISTER + "?hub=south": {
        "admin": 200,
        "lead": 404,
        "staff": 404,
        "viewer": 404,
        "south_lead": 200,
    },
    "/cohorts/9/events/y9-nothing": dict.fromkeys(ROLES, 404),
    "/cohorts/9/events/y9-nothing/register": dict.fromkeys(ROLES, 404),
    "/cohorts/77/events": dict.fromkeys(ROLES, 404),
}


def test_who_may_see_each_page(web, programme):
    clients = {who: web.client(who) for who in ROLES}
    for path, expected in GETS.items():
        for who, status in expected.items():
            assert clients[who].get(path).status_code == status, (path, who)
        signed_out = web.client().get(path)
        assert signed_out.status_code == 302 and "/sign-in?next=" in signed_out.headers["Location"]


@pytest.mark.parametrize(
    ("who", "hub", "status"),
    [
        ("admin", "north", 302),
        ("lead", "north", 302),
        ("staff", "north", 302),
        ("viewer", "north", 403),
        ("south_lead", "north", 404),
        ("lead", "south", 404),
    ],
)
def test_who_may_save_a_register(web, programme, who, hub, status):
    client = web.client(who)
    ids = programme.north[:1] if hub == "north" else programme.south
    token = csrf_token(client, "/cohorts/9/events")
    before = fingerprint(web)
    response = client.post(
        f"{REGISTER}?hub={hub}", data={"csrf_token": token, "attended": [str(i) for i in ids]}
    )
    assert response.status_code == status
    assert (fingerprint(web) != before) == (status == 302)


def test_a_register_without_a_csrf_token_is_refused(web, programme):
    before = fingerprint(web)
    response = web.client("lead").post(REGISTER, data={"attended": [str(programme.north[0])]})
    assert response.status_code == 400
    assert fingerprint(web) == before
