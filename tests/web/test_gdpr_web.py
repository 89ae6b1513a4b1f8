"""A specialist's personal data in the web application (UK GDPR), on SQLite and
PostgreSQL: "Export" (JSON and a readable HTML, as downloads never cached) and "Erase"
(a confirmation page with a required reason), for national admins only.

Another hub's specialist is 404 to hub roles; hub staff of the specialist's own hub get 403
and nothing changes. After erasure no name or address of the specialist is on the page; a
second erasure is refused with a clear message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from tests.web.conftest import csrf_token
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.db.models import AuditEntry, Erasure, Specialist
from workflow.runtime import Runtime
from workflow.services.auth import SYSTEM
from workflow.services.specialists import transition

KEY = "a test erasure key, 16+ characters"
ROLES = ("admin", "lead", "staff", "viewer")
REASON = "Moved abroad; asked us to forget Teacher 0"


@pytest.fixture
def runtime(database_url, clock, tmp_path) -> Iterator[Runtime]:
    """The usual runtime, with an erasure key (``WORKFLOW_ERASURE_KEY``)."""
    settings = Settings(database_url=database_url, mail_dir=tmp_path / "mail", erasure_key=KEY)
    rt = bootstrap(settings, clock=clock)
    yield rt
    rt.close()


@pytest.fixture
def people(web) -> dict[str, int]:
    """In north: one who left (declined, with a reason naming them), one in the programme;
    in south: one who left."""
    left, active = web.world.nominate(2)
    transition(web.runtime.uow(), SYSTEM, left, "decline", web.clock.now(), reason=REASON)
    transition(web.runtime.uow(), SYSTEM, active, "select", web.clock.now())
    (south,) = web.world.nominate(1, school="200001")
    transition(web.runtime.uow(), SYSTEM, south, "decline", web.clock.now(), reason="r")
    return {"left": left, "active": active, "south": south}


def person(web, sid: int) -> tuple[str, str]:
    with web.runtime.uow() as uow:
        row = uow.session.get(Specialist, sid)
        return row.name, row.email


def erasures(web) -> int:
    with web.runtime.uow() as uow:
        return uow.session.scalar(select(func.count(Erasure.id)))


def erase(client, sid: int, reason: str = REASON):
    token = csrf_token(client, f"/specialists/{sid}")
    return client.post(f"/specialists/{sid}/erase", data={"csrf_token": token, "reason": reason})


@pytest.mark.parametrize("who", ROLES)
def test_every_route_answers_each_role(web, people, who):
    client = web.client(who)
    for sid, hub in ((people["left"], "north"), (people["south"], "south")):
        for path in (f"/specialists/{sid}/export", f"/specialists/{sid}/export.html",
                     f"/specialists/{sid}/erase"):  # fmt: skip
            status = client.get(path).status_code
            if who == "admin":
                assert status == 200, path
            elif hub == "south":
                assert status == 404, path
            else:
                assert status == 403, path
    assert client.get("/specialists/999999/export").status_code == 404


def test_signed_out_goes_to_sign_in(web, people):
    client = web.client()
    sid = people["left"]
    for path in (f"/specialists/{sid}/export", f"/specialists/{sid}/export.html",
                 f"/specialists/{sid}/erase"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in?next=" in response.headers["Location"]


@pytest.mark.parametrize("who", ROLES)
def test_only_national_admins_are_offered_export_and_erase(web, people, who):
    page = web.client(who).get(f"/specialists/{people['left']}").get_data(as_text=True)
    offered = f"/specialists/{people['left']}/erase" in page
    assert offered == (who == "admin")
    assert (f"/specialists/{people['left']}/export" in page) == (who == "admin")
    assert ("Personal data" in page) == (who == "admin")


def test_export_is_a_json_download_never_cached(web, people):
    name, email = person(web, people["left"])
    response = web.client("admin").get(f"/specialists/{people['left']}/export")
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=specialist-{people['left']}.json"
    )
    assert response.headers["Cache-Control"] == "no-store"
    document = json.loads(response.get_data(as_text=True))
    text = json.dumps(document)
    assert name in text and email in text
    readable = web.client("admin").get(f"/specialists/{people['left']}/export.html")
    assert readable.mimetype == "text/html"
    assert readable.headers["Content-Disposition"].startswith("attachment; filename=specialist-")
    assert readable.headers["Cache-Control"] == "no-store"
    assert email in readable.get_data(as_text=True)


def test_the_confirmation_page_says_what_will_happen(web, people):
    name, email = person(web, people["left"])
    response = web.client("admin").get(f"/specialists/{people['left']}/erase")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and page.count("<h1") == 1
    assert f"Erase the personal data of {name} – Mastery Specialists" in page
    for words in ("their name and email address", "free-text reasons", "emails",
                  "their history", "milestones", "the money", "This cannot be undone",
                  'for="reason"', "Erase personal data", email):  # fmt: skip
        assert words in page, words
    assert erasures(web) == 0 and person(web, people["left"]) == (name, email)  # GET: nothing


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001, "two\nlines"])
def test_a_reason_is_required(web, people, reason):
    before = person(web, people["left"])
    response = erase(web.client("admin"), people["left"], reason)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and 'href="#reason"' in page
    assert person(web, people["left"]) == before and erasures(web) == 0


def test_erasing_removes_the_name_and_address_from_the_page(web, people):
    sid = people["left"]
    name, email = person(web, sid)
    client = web.client("admin")
    assert REASON in client.get(f"/specialists/{sid}").get_data(as_text=True)
    response = erase(client, sid)
    assert response.status_code == 302 and response.headers["Location"] == f"/specialists/{sid}"
    page = client.get(f"/specialists/{sid}").get_data(as_text=True)
    assert f"The personal data of specialist {sid} has been erased" in page
    assert "Personal data erased on 2 June 2025" in page
    assert name not in page and email not in page and "asked us to forget" not in page
    assert f"/specialists/{sid}/erase" not in page  # not offered twice
    with web.runtime.uow() as uow:
        row = uow.session.get(Specialist, sid)
        assert (row.name, row.email) != (name, email)
        assert row.state == "not_selected"  # the history stays
        assert (
            uow.session.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.specialist_id == sid)
            )
            == 2
        )
        erasure = uow.session.scalar(select(Erasure).where(Erasure.specialist_id == sid))
        assert erasure.actor == "national@mathshubs.example" and name not in erasure.reason


def test_erasing_twice_is_refused_with_a_clear_message(web, people):
    client = web.client("admin")
    assert erase(client, people["left"]).status_code == 302
    for response in (client.get(f"/specialists/{people['left']}/erase"),
                     erase(client, people["left"], "again")):  # fmt: skip
        assert response.status_code == 409
        page = response.get_data(as_text=True)
        assert "already erased on 2 June 2025" in page and "cannot be erased twice" in page
        assert "Erase personal data" not in page
    assert erasures(web) == 1


def test_someone_still_in_the_programme_is_not_erased(web, people):
    client = web.client("admin")
    page = client.get(f"/specialists/{people['active']}").get_data(as_text=True)
    assert f"/specialists/{people['active']}/erase" not in page
    assert "can be erased once they have left the programme" in page
    before = person(web, people["active"])
    response = erase(client, people["active"])
    assert response.status_code == 409
    assert "Withdraw them first" in response.get_data(as_text=True)
    assert person(web, people["active"]) == before and erasures(web) == 0


@pytest.mark.parametrize("who", ("lead", "staff", "viewer"))
def test_hub_roles_cannot_erase(web, people, who):
    client = web.client(who)
    before = person(web, people["left"]), person(web, people["south"])
    assert erase(client, people["left"]).status_code == 403
    token = csrf_token(client, f"/specialists/{people['left']}")
    other = client.post(f"/specialists/{people['south']}/erase",
                        data={"csrf_token": token, "reason": "r"})  # fmt: skip
    assert other.status_code == 404
    assert (person(web, people["left"]), person(web, people["south"])) == before
    assert erasures(web) == 0


def test_a_post_without_csrf_changes_nothing(web, people):
    client = web.client("admin")
    response = client.post(f"/specialists/{people['left']}/erase", data={"reason": "r"})
    assert response.status_code == 400 and erasures(web) == 0


def test_without_an_erasure_key_nothing_is_erased_and_the_page_says_why(web, people, clock):
    """A site without ``WORKFLOW_ERASURE_KEY``: the form says so (503), nothing changes."""
    from tests.web.conftest import STAFF, sign_in
    from workflow.web.app import create_app

    keyless = bootstrap(Settings(database_url=web.runtime.settings.database_url), clock=clock)
    try:
        keyless.settings.require_admin_totp = False
        client = create_app(keyless).test_client()
        sign_in(client, STAFF["admin"][0])
        before = person(web, people["left"])
        response = erase(client, people["left"])
        assert response.status_code == 503
        assert "WORKFLOW_ERASURE_KEY" in response.get_data(as_text=True)
        assert person(web, people["left"]) == before and erasures(web) == 0
    finally:
        keyless.close()
