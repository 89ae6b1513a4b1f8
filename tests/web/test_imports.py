"""Importing nominations in the browser: every row's result before anything is saved, then
"Import nominations" saves them all (or, if any row fails, nothing)."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from tests.integration.conftest import ADMIN
from tests.web.conftest import csrf_token
from workflow.db.models import Cohort, Specialist
from workflow.services.recruitment import set_window

GOOD = (
    "urn,name,email,qts,teaching_since\n"
    "100001,Ada Byron,ada@school.example,yes,2015-09-01\n"
    "100001,Alan Turing,alan@school.example,yes,2016-09-01\n"
)
BAD = GOOD + "100001,Early Career,early@school.example,yes,2024-09-01\n"
OTHER_HUB = (
    "urn,name,email,qts,teaching_since\n200001,Their Teacher,t@school.example,yes,2015-09-01\n"
)


def allow_nominees(web, per_school: int = 10) -> None:
    """The cohort's rules allow few nominees per school; these files name several."""
    with web.runtime.uow() as uow:
        cohort = uow.session.scalars(select(Cohort)).one()
        opens, closes = cohort.recruitment_opens, cohort.recruitment_closes
    set_window(web.runtime.uow(), ADMIN, 9, opens, closes, nominees_per_school=per_school)


def count(web) -> int:
    with web.runtime.uow() as uow:
        return uow.session.scalar(select(func.count(Specialist.id)))


def upload(client, text: str):
    token = csrf_token(client, "/nominations/import")
    return client.post(
        "/nominations/import",
        data={"csrf_token": token, "cohort": "9", "file": (io.BytesIO(text.encode()), "n.csv")},
        content_type="multipart/form-data",
    )


def confirm(client):
    token = csrf_token(client, "/nominations/import")
    return client.post("/nominations/import", data={"csrf_token": token, "step": "import"})


def test_every_row_is_shown_before_anything_is_saved_then_imported(web):
    allow_nominees(web)
    client = web.client("lead")
    page = upload(client, GOOD).get_data(as_text=True)
    assert "Check the nominations" in page and "Ada Byron" in page and "Alan Turing" in page
    assert page.count("Ready") == 2 and "Import nominations" in page
    assert count(web) == 0
    response = confirm(client)
    assert response.status_code == 302
    assert count(web) == 2
    assert "2 nominations imported" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert confirm(client).status_code == 302 and count(web) == 2  # not twice


def test_a_file_with_a_bad_row_shows_why_and_offers_no_import(web):
    allow_nominees(web)
    client = web.client("staff")
    page = upload(client, BAD).get_data(as_text=True)
    assert "Problem" in page and "early-career" in page
    assert "<button" not in page.split("Every row of the file")[1].split("</table>")[1]
    assert count(web) == 0


def test_another_hubs_school_is_a_row_problem_and_a_bad_file_one_message(web):
    client = web.client("lead")
    page = upload(client, OTHER_HUB).get_data(as_text=True)
    assert "Problem" in page and "not found" in page
    bad = upload(client, "not,a,csv\n1,2,3\n").get_data(as_text=True)
    assert "There is a problem" in bad and "missing column(s)" in bad
    none = client.post(
        "/nominations/import",
        data={"csrf_token": csrf_token(client, "/nominations/import"), "cohort": "9"},
    ).get_data(as_text=True)
    assert "Select a CSV file" in none
    assert count(web) == 0


def test_viewers_may_not_import(web):
    client = web.client("viewer")
    assert client.get("/nominations/import").status_code == 403
    token = csrf_token(client, "/specialists")
    response = client.post(
        "/nominations/import",
        data={"csrf_token": token, "cohort": "9", "file": (io.BytesIO(GOOD.encode()), "n.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403 and count(web) == 0
