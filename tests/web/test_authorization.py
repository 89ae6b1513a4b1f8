"""Every route against every role, for the actor's own hub and another hub (the CLI's
matrix, extended to the web): GET and POST, through the real app, signed in through the
real form. Another hub's specialist is 404 ("Page not found"), never 403; an action the
role may not take is 403 on GET and POST; a refused POST changes nothing."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import build_world
from tests.web.conftest import STAFF, add_people, csrf_token, sign_in
from workflow.bootstrap import bootstrap
from workflow.clock import FixedClock
from workflow.config import Settings
from workflow.db.models import AuditEntry, Specialist
from workflow.services.auth import SYSTEM
from workflow.services.specialists import transition
from workflow.web.app import create_app

NOW = datetime(2025, 6, 2, 9, tzinfo=UTC)
ROLES = {"national_admin": "admin", "hub_lead": "lead", "hub_staff": "staff", "viewer": "viewer"}
LEADS, STAFF_ROLES = {"national_admin", "hub_lead"}, {"national_admin", "hub_lead", "hub_staff"}
EVERYONE = set(ROLES)

#: action -> (the specialist it targets, POST data, roles that may take it)
ACTIONS = {
    "select": ("nominated", {}, LEADS),
    "decline": ("nominated", {"reason": "Not this year"}, LEADS),
    "withdraw": ("selected", {"reason": "Leaving"}, LEADS),
    "defer": ("selected", {"reason": "Leave"}, LEADS),
    "resume": ("deferred", {}, LEADS),
    "advance": ("selected", {}, LEADS),
    "record": ("selected", {"milestone": "launch_attended"}, STAFF_ROLES),
}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, sqlite_template) -> dict:
    """One database: hubs north and south, each with a nominated, a selected and a deferred
    specialist, and staff of every role in north (passwords set)."""
    folder = tmp_path_factory.mktemp("web-authz")
    path = folder / "template.db"
    shutil.copyfile(sqlite_template, path)
    clock = FixedClock(NOW)
    runtime = bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=clock)
    world = build_world(runtime, clock)
    add_people(runtime, clock)
    targets = {}
    for hub, school in (("north", world.school), ("south", world.other_school)):
        nominated, selected, deferred = world.nominate(3, school=school)
        for sid in (selected, deferred):
            transition(runtime.uow(), SYSTEM, sid, "select", clock.now())
        transition(runtime.uow(), SYSTEM, deferred, "defer", clock.now(), reason="r")
        targets[hub] = {"nominated": nominated, "selected": selected, "deferred": deferred}
    runtime.close()
    return {"path": path, "targets": targets}


def app_on_copy(prepared, tmp_path: Path):
    path = tmp_path / "case.db"
    shutil.copyfile(prepared["path"], path)
    runtime = bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=FixedClock(NOW))
    runtime.settings.require_admin_totp = False
    app = create_app(runtime)
    return app, runtime


def fingerprint(runtime) -> tuple:
    with runtime.uow() as uow:
        s = uow.session
        return (
            s.scalar(select(func.count(AuditEntry.id))),
            tuple(s.execute(select(Specialist.id, Specialist.state, Specialist.version)).all()),
        )


@pytest.fixture(scope="module")
def shared(prepared, tmp_path_factory):
    """For GET cases (which change nothing): one app, one signed-in client per role."""
    app, runtime = app_on_copy(prepared, tmp_path_factory.mktemp("web-authz-get"))
    clients = {}
    for role, who in ROLES.items():
        clients[role] = app.test_client()
        sign_in(clients[role], STAFF[who][0])
    yield clients, runtime
    runtime.close()


def get_cases():
    for role in ROLES:
        for hub in ("north", "south"):
            yield role, hub, "dashboard", EVERYONE
            yield role, hub, "list", EVERYONE
            yield role, hub, "csv", EVERYONE
            yield role, hub, "report", EVERYONE
            yield role, hub, "report csv", EVERYONE
            yield role, hub, "show", EVERYONE
            yield role, hub, "nominate form", STAFF_ROLES
            yield role, hub, "import form", STAFF_ROLES
            for action, (_, _, allowed) in ACTIONS.items():
                yield role, hub, action, allowed


def _get_path(name: str, hub: str, targets: dict) -> str:
    if name == "dashboard":
        return "/"
    if name == "list":
        return f"/specialists?hub={hub}"
    if name == "csv":
        return "/specialists.csv"
    if name == "report":  # a hub's staff see their own hub's row (tests/web/test_report_web.py)
        return "/report?cohort=9"
    if name == "report csv":
        return "/report.csv?cohort=9"
    if name == "show":
        return f"/specialists/{targets['selected']}"
    if name == "nominate form":
        return "/nominations/new"
    if name == "import form":
        return "/nominations/import"
    return f"/specialists/{targets[ACTIONS[name][0]]}/{name}"


@pytest.mark.parametrize(("role", "hub", "name", "allowed"), list(get_cases()))
def test_get(shared, prepared, role, hub, name, allowed):
    clients, _ = shared
    targets = prepared["targets"][hub]
    response = clients[role].get(_get_path(name, hub, targets))
    hub_bound = name not in ("dashboard", "csv", "report", "report csv", "nominate form",
                             "import form")  # fmt: skip
    if hub == "south" and role != "national_admin" and hub_bound:
        assert response.status_code == 404
        assert "Page not found" in response.get_data(as_text=True)
    elif role in allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def post_cases():
    for role in ROLES:
        for hub in ("north", "south"):
            for action, (_, _, allowed) in ACTIONS.items():
                yield role, hub, action, allowed


@pytest.mark.parametrize(("role", "hub", "action", "allowed"), list(post_cases()))
def test_post(prepared, tmp_path, role, hub, action, allowed):
    app, runtime = app_on_copy(prepared, tmp_path)
    try:
        client = app.test_client()
        sign_in(client, STAFF[ROLES[role]][0])
        target_state, data, _ = ACTIONS[action]
        specialist_id = prepared["targets"][hub][target_state]
        token = csrf_token(client, "/specialists")
        before = fingerprint(runtime)
        response = client.post(
            f"/specialists/{specialist_id}/{action}", data={"csrf_token": token, **data}
        )
        if hub == "south" and role != "national_admin":
            assert response.status_code == 404
        elif role in allowed:
            assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
            assert fingerprint(runtime) != before
            return
        else:
            assert response.status_code == 403
        assert fingerprint(runtime) == before
    finally:
        runtime.close()


def test_the_page_offers_only_what_the_role_may_do(shared, prepared):
    clients, _ = shared
    nominated = prepared["targets"]["north"]["nominated"]
    lead = clients["hub_lead"].get(f"/specialists/{nominated}").get_data(as_text=True)
    staff = clients["hub_staff"].get(f"/specialists/{nominated}").get_data(as_text=True)
    viewer = clients["viewer"].get(f"/specialists/{nominated}").get_data(as_text=True)
    assert f"/specialists/{nominated}/select" in lead
    assert f"/specialists/{nominated}/decline" in lead
    assert "/select" not in staff and "/decline" not in staff
    assert "/specialists/" + str(nominated) + "/" not in viewer
    assert "Nominate a teacher" not in viewer


#: role -> (the bulk action it posts, status of the list's POST)
BULK = {
    "national_admin": ("defer", 200),
    "hub_lead": ("defer", 200),
    "hub_staff": ("record", 200),
    "viewer": ("record", 403),
}


@pytest.mark.parametrize("role", list(ROLES))
def test_bulk_actions(prepared, tmp_path, role):
    """``/specialists/bulk``: signed out, to sign in; GET, to the list; a POST by a role with
    no bulk action (a viewer), or of an action the role may not take, 403 and nothing
    changes; another hub's specialist in the form: not found to hub staff, left alone."""
    app, runtime = app_on_copy(prepared, tmp_path)
    try:
        assert (
            app.test_client()
            .get("/specialists/bulk")
            .headers["Location"]
            .startswith("/sign-in?next=")
        )
        client = app.test_client()
        sign_in(client, STAFF[ROLES[role]][0])
        assert client.get("/specialists/bulk").status_code == 302
        token = csrf_token(client, "/specialists")
        north, south = (prepared["targets"][h]["selected"] for h in ("north", "south"))
        action, status = BULK[role]
        data = {"csrf_token": token, "bulk_action": action, "specialist": [north, south],
                "reason": "Leave", "milestone": "launch_attended"}  # fmt: skip
        before = fingerprint(runtime)
        if role == "hub_staff":  # the list does not offer staff a deferral
            refused = client.post("/specialists/bulk", data={**data, "bulk_action": "defer"})
            assert refused.status_code == 403
        response = client.post("/specialists/bulk", data=data)
        assert response.status_code == status
        assert fingerprint(runtime) == before
        if status != 200:
            return
        page = response.get_data(as_text=True)
        assert ("Will not apply</strong> Not found" in page) == (role != "national_admin")
        response = client.post("/specialists/bulk", data={**data, "step": "confirm"})
        assert response.status_code == 200
        with runtime.uow() as uow:
            changed = {
                sid
                for sid in (north, south)
                if uow.session.get(Specialist, sid).version
                != dict((i, v) for i, _, v in before[1])[sid]
            }
        assert changed == ({north, south} if role == "national_admin" else {north})
    finally:
        runtime.close()
