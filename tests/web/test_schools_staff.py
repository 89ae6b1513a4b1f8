"""Schools (``/schools``, ``/schools/URN``) and staff (``/staff``, invite, change role,
deactivate, re-send an invitation) in the web application, on SQLite and PostgreSQL.

Every route against every role: national admins every hub; hub leads their own hub (and
no role above their own); hub staff and viewers read their own hub's schools and are
refused (403) everything else; another hub's school or member of staff is 404. A refused
POST changes nothing; a done one is checked in the database.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import ADMIN
from tests.web.conftest import PASSWORD, STAFF, csrf_token, sign_in
from workflow.db.models import OutboxMessage, Refusal, School, Staff, StaffLink, WebSession
from workflow.errors import NotFound, NotPermitted
from workflow.services import setup, staff_links
from workflow.services.auth import Actor, Role
from workflow.services.gdpr.export import export_contact
from workflow.services.gdpr.retention import Rules
from workflow.services.staff import (
    add_staff,
    authenticate,
    change_role,
    deactivate,
    grantable_roles,
    reactivate,
    resend_invitation,
    set_password,
)

ROLES = ("admin", "lead", "staff", "viewer")
INVITED = "invited@north.example"


def staff_id(web, email: str) -> int:
    with web.runtime.uow() as uow:
        return uow.session.scalar(select(Staff.id).where(Staff.email == email))


def staff_row(web, email: str) -> Staff | None:
    with web.runtime.uow() as uow:
        row = uow.session.scalar(select(Staff).where(Staff.email == email))
        if row is not None:
            uow.session.expunge(row)
        return row


def school(web, urn: str) -> School:
    with web.runtime.uow() as uow:
        row = uow.session.scalar(select(School).where(School.urn == urn))
        uow.session.expunge(row)
        return row


def invitations_to(web, email: str) -> int:
    with web.runtime.uow() as uow:
        payloads = uow.session.scalars(select(OutboxMessage.payload))
        return sum(1 for p in payloads if p["template"] == "staff_invitation" and p["to"] == email)


def add_invited(web) -> None:
    add_staff(web.runtime.uow(), ADMIN, INVITED, "Ivy Invited", "hub_staff", "north",
              web.clock.now(), invite_base_url="http://127.0.0.1:8000")  # fmt: skip


def post(client, path: str, data: dict, form_page: str = "/schools"):
    return client.post(path, data={"csrf_token": csrf_token(client, form_page), **data})


# -- the authorisation matrix: GET --------------------------------------------------------


def get_matrix(web) -> list[tuple[str, dict[str, int]]]:
    """path -> status per role (admin, lead, staff, viewer)."""
    viewer = staff_id(web, STAFF["viewer"][0])
    south = staff_id(web, STAFF["south_lead"][0])
    admin = staff_id(web, STAFF["admin"][0])
    lead = staff_id(web, STAFF["lead"][0])
    ok_leads = {"admin": 200, "lead": 200, "staff": 403, "viewer": 403}
    other_hub = {"admin": 200, "lead": 404, "staff": 403, "viewer": 403}
    return [
        ("/schools", {"admin": 200, "lead": 200, "staff": 200, "viewer": 200}),
        ("/schools?q=academy&page=2", {"admin": 200, "lead": 200, "staff": 200, "viewer": 200}),
        ("/schools/100001", {"admin": 200, "lead": 200, "staff": 200, "viewer": 200}),
        ("/schools/200001", {"admin": 200, "lead": 404, "staff": 404, "viewer": 404}),
        ("/schools/999999", {"admin": 404, "lead": 404, "staff": 404, "viewer": 404}),
        ("/schools/not-a-urn", {"admin": 404, "lead": 404, "staff": 404, "viewer": 404}),
        ("/staff", ok_leads),
        ("/staff/invite", ok_leads),
        (f"/staff/{viewer}/role", ok_leads),
        (f"/staff/{viewer}/deactivate", ok_leads),
        (f"/staff/{south}/role", other_hub),
        (f"/staff/{south}/deactivate", other_hub),
        (f"/staff/{admin}/role", {"admin": 403, "lead": 404, "staff": 403, "viewer": 403}),
        (f"/staff/{lead}/deactivate", {"admin": 200, "lead": 403, "staff": 403, "viewer": 403}),
        ("/staff/999999/role", {"admin": 404, "lead": 404, "staff": 403, "viewer": 403}),
    ]


@pytest.mark.parametrize("who", ROLES)
def test_every_page_answers_each_role_as_the_services_allow(web, who):
    client = web.client(who)
    for path, expected in get_matrix(web):
        response = client.get(path)
        assert response.status_code == expected[who], (who, path, response.status_code)
        if expected[who] == 404:
            assert "Page not found" in response.get_data(as_text=True)


def test_signed_out_goes_to_sign_in(web):
    client = web.client()
    for path in ("/schools", "/schools/100001", "/staff", "/staff/invite", "/staff/1/role",
                 "/staff/1/deactivate"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in?next=")
    assert client.post("/staff/1/invitation").status_code == 400  # no CSRF token: refused


@pytest.mark.parametrize("who", ROLES)
def test_navigation_offers_schools_to_everyone_and_staff_to_leads(web, who):
    page = web.client(who).get("/").get_data(as_text=True)
    assert 'href="/schools"' in page
    assert ('href="/staff"' in page) == (who in ("admin", "lead"))


# -- schools ------------------------------------------------------------------------------


def test_search_by_urn_or_name_within_what_one_sees(web):
    setup.add_school(web.runtime.uow(), ADMIN, urn="100777", name="St Mary's 100% School",
                     hub_code="north", phase="secondary", funding="state", head_name="H",
                     head_email="h@m.example")  # fmt: skip
    admin, lead = web.client("admin"), web.client("lead")
    everything = admin.get("/schools").get_data(as_text=True)
    assert "North Academy" in everything and "South Academy" in everything
    assert "3 schools" in everything
    north_only = lead.get("/schools").get_data(as_text=True)
    assert "North Academy" in north_only and "South Academy" not in north_only
    by_urn = admin.get("/schools?q=2000").get_data(as_text=True)
    assert "South Academy" in by_urn and "North Academy" not in by_urn
    by_name = admin.get("/schools?q=mary").get_data(as_text=True)
    assert "St Mary&#39;s 100% School" in by_name and "1 school matching" in by_name
    percent = admin.get("/schools?q=100%25").get_data(as_text=True)  # a literal %, not "any"
    assert "1 school matching" in percent and "North Academy" not in percent
    wildcard = admin.get("/schools?q=_").get_data(as_text=True)  # a literal underscore
    assert "No schools match" in wildcard
    hidden = lead.get("/schools?q=200001").get_data(as_text=True)
    assert "No schools match" in hidden and "South Academy" not in hidden


def test_schools_are_paginated_fifty_a_page(web):
    for n in range(55):
        setup.add_school(web.runtime.uow(), ADMIN, urn=f"3{n:05d}", name=f"Paged School {n:02d}",
                         hub_code="north", phase="secondary", funding="state",
                         head_name="H", head_email=f"h{n}@p.example")  # fmt: skip
    client = web.client("lead")
    first = client.get("/schools?q=paged").get_data(as_text=True)
    assert "55 schools" in first and "Paged School 00" in first and "Paged School 54" not in first
    assert "page=2" in first
    second = client.get("/schools?q=paged&page=2").get_data(as_text=True)
    assert "Paged School 54" in second and "Paged School 00" not in second


def test_a_schools_page_shows_contacts_and_specialists(web):
    (sid,) = web.world.nominate(1)
    page = web.client("viewer").get("/schools/100001").get_data(as_text=True)
    assert "<h1" in page and page.count("<h1") == 1
    assert "North Academy – Mastery Specialists" in page
    assert "North Maths Hub" in page
    assert "Alex Head" in page and "head@north.example" in page and "finance@north.example" in page
    assert f'href="/specialists/{sid}"' in page
    assert "Save contacts" not in page  # a viewer: read only
    assert "Save contacts" in web.client("lead").get("/schools/100001").get_data(as_text=True)


def test_a_hub_lead_edits_the_finance_contact(web):
    client = web.client("lead")
    response = post(client, "/schools/100001", {
        "head_name": "Alex Head", "head_email": "head@north.example",
        "finance_name": "Bea Bursar", "finance_email": "Bursar@North.example",
    }, "/schools/100001")  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"] == "/schools/100001"
    row = school(web, "100001")
    assert (row.finance_name, row.finance_email) == ("Bea Bursar", "bursar@north.example")
    page = client.get("/schools/100001").get_data(as_text=True)
    assert "The contacts of North Academy have been saved" in page
    assert "Bea Bursar" in page and "bursar@north.example" in page
    # a subject access export for the finance contact's address names them too
    rules = Rules.from_settings(web.runtime.settings).as_dict()
    document = export_contact(
        web.runtime.uow(), ADMIN, "bursar@north.example", web.clock.now(), rules
    )
    assert document["schools"][0]["roles"] == ["finance"]
    assert document["schools"][0]["finance_name"] == "Bea Bursar"


def test_the_command_line_edits_the_finance_contacts_name_too(web):
    from click.testing import CliRunner

    from workflow.cli.main import cli

    token = add_staff(web.runtime.uow(), ADMIN, "cli.lead@north.example", "Cli Lead",
                      "hub_lead", "north", web.clock.now())  # fmt: skip
    env = {"WORKFLOW_DATABASE_URL": web.runtime.settings.database_url,
           "WORKFLOW_TOKEN": token, "WORKFLOW_NOW": "2025-06-02T10:00"}  # fmt: skip
    result = CliRunner().invoke(
        cli, ["school", "edit", "100001", "--finance-name", "Bo Bursar", "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    assert school(web, "100001").finance_name == "Bo Bursar"
    cleared = CliRunner().invoke(cli, ["school", "edit", "100001", "--finance-name", ""], env=env)
    assert cleared.exit_code == 0, cleared.output
    assert school(web, "100001").finance_name is None


def test_a_blank_finance_email_removes_the_finance_contact(web):
    response = post(web.client("admin"), "/schools/200001", {
        "head_name": "New Head", "head_email": "new.head@south.example", "finance_email": "",
    }, "/schools/200001")  # fmt: skip
    assert response.status_code == 302
    row = school(web, "200001")
    assert (row.head_name, row.head_email, row.finance_email) == (
        "New Head",
        "new.head@south.example",
        None,
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"head_name": "A", "head_email": "not an email", "finance_email": ""}, "head_email",
         "Enter an email address in the correct format, like name@example.com"),
        ({"head_name": "A", "head_email": "a@b.example", "finance_email": "x@"}, "finance_email",
         "Enter an email address in the correct format, like name@example.com"),
        ({"head_name": "", "head_email": "a@b.example", "finance_email": ""}, "head_name",
         "Enter the headteacher&#39;s name"),
        ({"head_name": "A", "head_email": "a@b.example", "finance_name": "Bea",
          "finance_email": ""}, "finance_email",
         "Enter the finance contact&#39;s email address, or leave their name blank"),
        ({"head_name": "A", "head_email": "a@b.example\r\nBcc: x@y.example",
          "finance_email": ""}, "head_email",
         "Enter an email address in the correct format, like name@example.com"),
    ],
)  # fmt: skip
def test_bad_contacts_show_the_error_summary_and_change_nothing(web, data, field, message):
    before = school(web, "100001")
    response = post(web.client("lead"), "/schools/100001", data, "/schools/100001")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and f'href="#{field}"' in page
    assert page.count(message) == 2  # in the summary and beside the field
    assert "<title>Error: North Academy" in page
    after = school(web, "100001")
    assert (after.head_name, after.head_email, after.finance_email) == (
        before.head_name,
        before.head_email,
        before.finance_email,
    )


@pytest.mark.parametrize("who", ROLES)
def test_editing_a_school_is_for_national_admins_and_its_hub_lead(web, who):
    client = web.client(who)
    data = {"head_name": "Changed", "head_email": "changed@north.example", "finance_email": ""}
    own = post(client, "/schools/100001", data, "/schools/100001")
    other = post(client, "/schools/200001", data)
    if who in ("admin", "lead"):
        assert own.status_code == 302
        assert school(web, "100001").head_name == "Changed"
    else:
        assert own.status_code == 403
        assert school(web, "100001").head_name == "Alex Head"
    assert other.status_code == (302 if who == "admin" else 404)
    assert (school(web, "200001").head_name == "Changed") == (who == "admin")


def test_saving_unchanged_contacts_changes_nothing(web):
    client = web.client("lead")
    response = post(client, "/schools/100001", {
        "head_name": "Alex Head", "head_email": "head@north.example",
        "finance_email": "finance@north.example",
    }, "/schools/100001")  # fmt: skip
    assert response.status_code == 302
    assert "Nothing was changed" in client.get("/schools/100001").get_data(as_text=True)


# -- staff: the list ----------------------------------------------------------------------


def test_the_staff_list_national_and_hub(web):
    add_invited(web)
    everyone = web.client("admin").get("/staff").get_data(as_text=True)
    for email, *_ in STAFF.values():
        assert email in everyone
    assert "South Maths Hub" in everyone and "Every hub" in everyone
    assert "Invite a member of staff" in everyone
    hub = web.client("lead").get("/staff").get_data(as_text=True)
    assert STAFF["staff"][0] in hub and STAFF["viewer"][0] in hub
    assert STAFF["south_lead"][0] not in hub and STAFF["admin"][0] not in hub
    # what is offered: no action on oneself; re-send only to who has no password yet
    me = staff_id(web, STAFF["lead"][0])
    assert f"/staff/{me}/role" not in hub
    assert f"/staff/{staff_id(web, STAFF['viewer'][0])}/role" in hub
    invited = staff_id(web, INVITED)
    assert f"/staff/{invited}/invitation" in hub
    assert f"/staff/{staff_id(web, STAFF['viewer'][0])}/invitation" not in hub
    assert "Invited" in hub and "Active" in hub


# -- staff: inviting ----------------------------------------------------------------------


def invite_data(**overrides) -> dict:
    return {"name": "Nia New", "email": "nia@north.example", "role": "hub_staff",
            "hub": "north", **overrides}  # fmt: skip


@pytest.mark.parametrize("who", ROLES)
def test_inviting_is_for_national_admins_and_hub_leads(web, who):
    response = post(web.client(who), "/staff/invite", invite_data())
    row = staff_row(web, "nia@north.example")
    if who in ("admin", "lead"):
        assert response.status_code == 302 and response.headers["Location"] == "/staff"
        assert (row.name, row.role) == ("Nia New", "hub_staff")
        assert row.hub_id == staff_row(web, STAFF["lead"][0]).hub_id
        assert row.password_hash is None
        assert invitations_to(web, "nia@north.example") == 1
    else:
        assert response.status_code == 403
        assert row is None and invitations_to(web, "nia@north.example") == 0


def test_the_role_radios_offer_no_role_above_ones_own(web):
    admin = web.client("admin").get("/staff/invite").get_data(as_text=True)
    lead = web.client("lead").get("/staff/invite").get_data(as_text=True)
    assert 'value="national_admin"' in admin and 'name="hub"' in admin
    assert 'value="national_admin"' not in lead and 'name="hub"' not in lead
    for role in ("hub_lead", "hub_staff", "viewer"):
        assert f'value="{role}"' in lead


def test_a_hub_lead_cannot_invite_a_national_admin_or_into_another_hub(web):
    lead = web.client("lead")
    above = post(lead, "/staff/invite", invite_data(role="national_admin"))
    assert above.status_code == 200 and "Select the role" in above.get_data(as_text=True)
    elsewhere = post(lead, "/staff/invite", invite_data(hub="south"))  # hub is not the lead's
    assert elsewhere.status_code == 302
    assert staff_row(web, "nia@north.example").hub_id == staff_row(web, STAFF["lead"][0]).hub_id
    # the service refuses too, whatever the front end
    lead_actor = Actor(STAFF["lead"][0], Role.HUB_LEAD, staff_row(web, STAFF["lead"][0]).hub_id)
    with pytest.raises(NotPermitted):
        add_staff(web.runtime.uow(), lead_actor, "x@n.example", "X", "national_admin", None,
                  web.clock.now())  # fmt: skip
    with pytest.raises(NotFound):
        add_staff(web.runtime.uow(), lead_actor, "x@n.example", "X", "viewer", "south",
                  web.clock.now())  # fmt: skip
    assert staff_row(web, "x@n.example") is None
    assert [r.value for r in grantable_roles(lead_actor)] == ["hub_lead", "hub_staff", "viewer"]


def test_a_national_admin_invites_a_hub_lead_to_a_chosen_hub(web):
    admin = web.client("admin")
    data = invite_data(role="hub_lead", hub="south", email="sol@south.example")
    response = post(admin, "/staff/invite", data)
    assert response.status_code == 302
    row = staff_row(web, "sol@south.example")
    assert row.role == "hub_lead"
    assert row.hub_id == staff_row(web, STAFF["south_lead"][0]).hub_id
    page = admin.get("/staff").get_data(as_text=True)
    assert "An invitation has been sent to sol@south.example" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (invite_data(email="not-an-address"), "email",
         "Enter an email address in the correct format, like name@example.com"),
        (invite_data(name=""), "name", "Enter their full name"),
        (invite_data(role=""), "role", "Select the role"),
        (invite_data(hub=""), "hub", "Select the hub"),
        (invite_data(email=STAFF["viewer"][0]), "email", "is already a member of staff"),
    ],
)  # fmt: skip
def test_bad_invitations_show_the_error_summary_and_change_nothing(web, data, field, message):
    with web.runtime.uow() as uow:
        before = uow.session.scalar(select(func.count(Staff.id)))
        outbox = uow.session.scalar(select(func.count(OutboxMessage.id)))
    response = post(web.client("admin"), "/staff/invite", data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and f'href="#{field}' in page and message in page
    with web.runtime.uow() as uow:
        assert uow.session.scalar(select(func.count(Staff.id))) == before
        assert uow.session.scalar(select(func.count(OutboxMessage.id))) == outbox


# -- staff: changing a role ---------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
def test_changing_a_role(web, who):
    viewer = staff_id(web, STAFF["viewer"][0])
    response = post(web.client(who), f"/staff/{viewer}/role", {"role": "hub_staff"}, "/schools")
    row = staff_row(web, STAFF["viewer"][0])
    if who in ("admin", "lead"):
        assert response.status_code == 302
        assert row.role == "hub_staff" and row.hub_id is not None
    else:
        assert response.status_code == 403 and row.role == "viewer"


def test_role_changes_refused(web):
    lead = web.client("lead")
    lead_id, south = staff_id(web, STAFF["lead"][0]), staff_id(web, STAFF["south_lead"][0])
    viewer = staff_id(web, STAFF["viewer"][0])
    assert post(lead, f"/staff/{south}/role", {"role": "viewer"}).status_code == 404
    assert post(lead, f"/staff/{lead_id}/role", {"role": "hub_staff"}).status_code == 403
    above = post(lead, f"/staff/{viewer}/role", {"role": "national_admin"})
    assert above.status_code == 200 and "Select the role" in above.get_data(as_text=True)
    assert staff_row(web, STAFF["south_lead"][0]).role == "hub_lead"
    assert staff_row(web, STAFF["lead"][0]).role == "hub_lead"
    assert staff_row(web, STAFF["viewer"][0]).role == "viewer"
    lead_actor = Actor(STAFF["lead"][0], Role.HUB_LEAD, staff_row(web, STAFF["lead"][0]).hub_id)
    with pytest.raises(NotPermitted):
        change_role(web.runtime.uow(), lead_actor, STAFF["viewer"][0], "national_admin")
    with pytest.raises(NotFound):
        change_role(web.runtime.uow(), lead_actor, STAFF["admin"][0], "viewer")
    assert staff_row(web, STAFF["viewer"][0]).role == "viewer"


def test_a_national_admin_moves_someone_to_another_hub_and_role(web):
    admin = web.client("admin")
    viewer = staff_id(web, STAFF["viewer"][0])
    response = post(admin, f"/staff/{viewer}/role", {"role": "hub_lead", "hub": "south"})
    assert response.status_code == 302
    row = staff_row(web, STAFF["viewer"][0])
    assert row.role == "hub_lead"
    assert row.hub_id == staff_row(web, STAFF["south_lead"][0]).hub_id
    assert "Viewer is now hub lead" in admin.get("/staff").get_data(as_text=True)
    # the change takes effect on their next page: now they see south's school, not north's
    client = web.client("viewer")
    assert client.get("/schools/200001").status_code == 200
    assert client.get("/schools/100001").status_code == 404


# -- staff: deactivating ------------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
def test_deactivating(web, who):
    viewer_client = web.client("viewer")  # signed in before being deactivated
    viewer = staff_id(web, STAFF["viewer"][0])
    page = web.client(who).get(f"/staff/{viewer}/deactivate")
    if who in ("admin", "lead"):
        assert "they can no longer sign in" in page.get_data(as_text=True)
    response = post(web.client(who), f"/staff/{viewer}/deactivate", {}, "/schools")
    row = staff_row(web, STAFF["viewer"][0])
    if who in ("admin", "lead"):
        assert response.status_code == 302
        assert row.deactivated_at == web.clock.now()
        assert viewer_client.get("/").status_code == 302  # signed out at once
        with web.runtime.uow() as uow:
            assert not uow.session.scalar(
                select(func.count(WebSession.id)).where(WebSession.staff_id == viewer)
            )
        # cannot sign in again (the same message as a wrong password)
        client = web.app.test_client()
        token = csrf_token(client, "/sign-in")
        data = {"csrf_token": token, "email": STAFF["viewer"][0], "password": PASSWORD}
        again = client.post("/sign-in", data=data)
        assert again.status_code == 200
        assert "Enter a correct email address and password" in again.get_data(as_text=True)
        listing = web.client(who).get("/staff").get_data(as_text=True)
        assert "Deactivated" in listing and f"/staff/{viewer}/role" not in listing
        twice = post(web.client(who), f"/staff/{viewer}/deactivate", {}, "/schools")
        assert twice.status_code == 409
    else:
        assert response.status_code == 403 and row.deactivated_at is None
        assert viewer_client.get("/").status_code == 200


def test_a_deactivated_token_and_links_stop_working(web):
    add_invited(web)
    token = add_staff(web.runtime.uow(), ADMIN, "tok@north.example", "Tok", "viewer", "north",
                      web.clock.now())  # fmt: skip
    assert authenticate(web.runtime.uow(), token).email == "tok@north.example"
    deactivate(web.runtime.uow(), ADMIN, "tok@north.example", web.clock.now())
    deactivate(web.runtime.uow(), ADMIN, INVITED, web.clock.now())
    with pytest.raises(NotPermitted):
        authenticate(web.runtime.uow(), token)
    with web.runtime.uow() as uow:
        links = uow.session.scalars(
            select(StaffLink.used_at).join(Staff, Staff.id == StaffLink.staff_id)
            .where(Staff.email == INVITED)
        ).all()  # fmt: skip
    assert links and all(used is not None for used in links)


def test_nobody_deactivates_themselves_or_another_hubs_staff(web):
    lead = web.client("lead")
    assert post(lead, f"/staff/{staff_id(web, STAFF['lead'][0])}/deactivate", {}).status_code == 403
    south = staff_id(web, STAFF["south_lead"][0])
    assert post(lead, f"/staff/{south}/deactivate", {}).status_code == 404
    admin_id = staff_id(web, STAFF["admin"][0])
    assert post(web.client("admin"), f"/staff/{admin_id}/deactivate", {}).status_code == 403
    for email in (STAFF["lead"][0], STAFF["south_lead"][0], STAFF["admin"][0]):
        assert staff_row(web, email).deactivated_at is None
    with web.runtime.uow() as uow:
        refused = uow.session.scalars(select(Refusal.command)).all()
    assert "staff show" in refused  # another hub's member of staff: the refusal is recorded


# -- staff: reactivating ------------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
def test_reactivating(web, who):
    email = "gone@north.example"  # a viewer with a password, deactivated
    add_staff(web.runtime.uow(), ADMIN, email, "Gone", "viewer", "north", web.clock.now())
    set_password(web.runtime.uow(), ADMIN, email, PASSWORD)
    viewer = staff_id(web, email)
    deactivate(web.runtime.uow(), ADMIN, email, web.clock.now())
    client = web.client(who)
    page = client.get(f"/staff/{viewer}/reactivate")
    response = post(client, f"/staff/{viewer}/reactivate", {}, "/schools")
    row = staff_row(web, email)
    if who in ("admin", "lead"):
        text = page.get_data(as_text=True)
        assert "emailed an invitation to create a new password" in text
        assert f"which works for {staff_links.LIFETIME.days} days" in text
        assert response.status_code == 302
        assert row.deactivated_at is None and row.role == "viewer"
        assert row.password_hash is None and row.totp_secret is None
        assert invitations_to(web, email) == 1
        listing = client.get("/staff").get_data(as_text=True)
        assert (
            f"has been reactivated: an invitation to create a password has been sent to {email}"
            in listing
        )
        assert f"/staff/{viewer}/role" in listing and f"/staff/{viewer}/reactivate" not in listing
        # the password from before deactivation does not sign in
        anonymous = web.app.test_client()
        data = {"csrf_token": csrf_token(anonymous, "/sign-in"), "email": email,
                "password": PASSWORD}  # fmt: skip
        again = anonymous.post("/sign-in", data=data)
        assert "Enter a correct email address and password" in again.get_data(as_text=True)
        twice = post(client, f"/staff/{viewer}/reactivate", {}, "/schools")
        assert twice.status_code == 409
        assert "is not deactivated" in twice.get_data(as_text=True)
    else:
        assert page.status_code == 403 and response.status_code == 403
        assert row.deactivated_at is not None and invitations_to(web, email) == 0


def test_the_staff_list_offers_reactivate_to_those_who_may(web):
    email = STAFF["viewer"][0]
    viewer = staff_id(web, email)
    deactivate(web.runtime.uow(), ADMIN, email, web.clock.now())
    for who in ("admin", "lead"):
        listing = web.client(who).get("/staff").get_data(as_text=True)
        assert f"/staff/{viewer}/reactivate" in listing
        assert f"/staff/{viewer}/deactivate" not in listing


def test_a_reactivated_member_of_staff_gets_a_new_token_and_nothing_old_works(web):
    add_invited(web)
    old = add_staff(web.runtime.uow(), ADMIN, "tok@north.example", "Tok", "viewer", "north",
                    web.clock.now())  # fmt: skip
    deactivate(web.runtime.uow(), ADMIN, "tok@north.example", web.clock.now())
    new = reactivate(web.runtime.uow(), ADMIN, "tok@north.example", "http://web.example",
                     web.clock.now())  # fmt: skip
    assert authenticate(web.runtime.uow(), new).email == "tok@north.example"
    with pytest.raises(NotPermitted):
        authenticate(web.runtime.uow(), old)
    assert invitations_to(web, "tok@north.example") == 1


def test_nobody_reactivates_another_hubs_staff_or_someone_above_them(web):
    south = STAFF["south_lead"][0]
    deactivate(web.runtime.uow(), ADMIN, south, web.clock.now())
    lead = web.client("lead")
    assert post(lead, f"/staff/{staff_id(web, south)}/reactivate", {}).status_code == 404
    with pytest.raises(NotFound):
        reactivate(web.runtime.uow(), Actor(STAFF["lead"][0], Role.HUB_LEAD,
                                            staff_row(web, STAFF["lead"][0]).hub_id),
                   south, "http://web.example", web.clock.now())  # fmt: skip
    assert staff_row(web, south).deactivated_at is not None
    add_staff(web.runtime.uow(), ADMIN, "boss@x.example", "Boss", "national_admin", None,
              web.clock.now())  # fmt: skip
    deactivate(web.runtime.uow(), ADMIN, "boss@x.example", web.clock.now())
    boss = staff_id(web, "boss@x.example")
    assert post(lead, f"/staff/{boss}/reactivate", {}).status_code == 404
    assert staff_row(web, "boss@x.example").deactivated_at is not None


# -- staff: re-sending an invitation --------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
def test_resending_an_invitation(web, who):
    add_invited(web)
    invited = staff_id(web, INVITED)
    client = web.client(who)
    response = post(client, f"/staff/{invited}/invitation", {}, "/schools")
    if who in ("admin", "lead"):
        assert response.status_code == 302
        assert invitations_to(web, INVITED) == 2
        page = client.get("/staff").get_data(as_text=True)
        assert f"A new invitation has been sent to {INVITED}" in page
    else:
        assert response.status_code == 403 and invitations_to(web, INVITED) == 1


def test_no_invitation_to_someone_with_a_password_or_in_another_hub(web):
    viewer = staff_id(web, STAFF["viewer"][0])
    response = post(web.client("lead"), f"/staff/{viewer}/invitation", {})
    assert response.status_code == 409
    assert "already created a password" in response.get_data(as_text=True)
    south = staff_id(web, STAFF["south_lead"][0])
    assert post(web.client("lead"), f"/staff/{south}/invitation", {}).status_code == 404
    assert invitations_to(web, STAFF["viewer"][0]) == invitations_to(web, STAFF["south_lead"][0])
    lead_actor = Actor(STAFF["lead"][0], Role.HUB_LEAD, staff_row(web, STAFF["lead"][0]).hub_id)
    with pytest.raises(NotFound):
        resend_invitation(web.runtime.uow(), lead_actor, STAFF["south_lead"][0], "http://x",
                          web.clock.now())  # fmt: skip


def test_a_hub_lead_adds_staff_from_the_command_line_too(web):
    """The CLI's ``staff add`` calls the same service: a hub lead, their hub, not above."""
    from click.testing import CliRunner

    from workflow.cli.main import cli

    lead_token = add_staff(web.runtime.uow(), ADMIN, "cli.lead@north.example", "Cli Lead",
                           "hub_lead", "north", web.clock.now())  # fmt: skip
    env = {"WORKFLOW_DATABASE_URL": web.runtime.settings.database_url,
           "WORKFLOW_TOKEN": lead_token, "WORKFLOW_NOW": "2025-06-02T10:00",
           "WORKFLOW_MAIL_DIR": str(web.runtime.settings.mail_dir)}  # fmt: skip
    runner = CliRunner()
    ok = runner.invoke(cli, ["staff", "add", "v@north.example", "--name", "V", "--role", "viewer",
                             "--hub", "north"], env=env)  # fmt: skip
    assert ok.exit_code == 0, ok.output
    above = runner.invoke(cli, ["staff", "add", "n@x.example", "--name", "N", "--role",
                                "national_admin"], env=env)  # fmt: skip
    assert above.exit_code == 1 and "above their own" in above.output
    assert staff_row(web, "v@north.example").role == "viewer"
    assert staff_row(web, "n@x.example") is None


def test_sign_in_helper_still_works_for_the_others(web):
    """Deactivating one person leaves everyone else signed in and able to sign in."""
    deactivate(web.runtime.uow(), ADMIN, STAFF["viewer"][0], web.clock.now())
    client = web.app.test_client()
    sign_in(client, STAFF["staff"][0])
    assert client.get("/schools").status_code == 200
