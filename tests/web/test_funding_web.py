"""Funding on the web (issue 17 point 3): per school (``/funding``, CSV), statements with
their lines and clawbacks, "Mark as paid" with a reference; who may see and do what."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import ADMIN
from tests.web.conftest import csrf_token
from tests.web.programme import NORTH, with_statements
from workflow.db.models import FundingLine, Hub, Statement
from workflow.services.auth import Actor, Role
from workflow.services.funding import report
from workflow.services.funding.statements import statement_detail


@pytest.fixture
def money(web):
    return with_statements(web.world)


def row_of(web, statement_id: int) -> tuple:
    with web.runtime.uow() as uow:
        s = uow.session.get(Statement, statement_id)
        return (s.status, s.reference, s.paid_at, s.paid_by, s.total_pence)


def pay(client, statement_id: int, reference: str = "BACS-0720"):
    path = f"/funding/statements/{statement_id}"
    token = csrf_token(client, "/funding")
    return client.post(path, data={"csrf_token": token, "reference": reference})


def pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


def test_national_staff_see_each_hub_then_its_schools(web, money):
    admin = web.client("admin")
    page = admin.get("/funding?cohort=9").get_data(as_text=True)
    found = report(web.runtime.uow(), ADMIN, 9)
    assert [s.urn for s in found.schools] == ["100001", "200001"]
    assert list(found.hubs) == ["north", "south"]
    for code, figures in found.hubs.items():
        assert f'href="/funding?cohort=9&amp;hub={code}"' in page
        for name in ("entitled_pence", "paid_pence", "scheduled_pence", "clawed_back_pence"):
            assert pounds(figures[name]) in page
    assert "North Academy" not in page  # the schools are a click away
    assert "National total" in page and "Download CSV (every school)" in page
    assert 'href="/funding/statements?cohort=9"' in page
    for school, other in zip(found.schools, reversed(found.schools), strict=True):
        hub_page = admin.get(f"/funding?cohort=9&hub={school.hub}").get_data(as_text=True)
        assert school.name in hub_page and other.name not in hub_page
        assert "Every hub" in hub_page and "National total" not in hub_page
        for pence in (school.entitled_pence, school.paid_pence, school.scheduled_pence):
            assert pounds(pence) in hub_page
        assert f'href="/funding.csv?cohort=9&amp;hub={school.hub}"' in hub_page
    north = found.schools[0]
    assert north.clawed_back_pence == 20000  # Brook Taylor's paid day, taken back
    assert north.paid_pence == 40000


def test_hub_staff_see_their_hubs_schools_only(web, money):
    page = web.client("staff").get("/funding?cohort=9").get_data(as_text=True)
    assert "North Academy" in page and "South Academy" not in page
    listed = web.client("staff").get("/funding/statements?cohort=9").get_data(as_text=True)
    assert f"/funding/statements/{money.statements['north']}" in listed
    assert f"/funding/statements/{money.statements['south']}" not in listed
    national = web.client("admin").get("/funding/statements?cohort=9").get_data(as_text=True)
    assert f"/funding/statements/{money.statements['south']}" in national


@pytest.mark.parametrize("who", ["admin", "lead"])
def test_the_csv_holds_the_service_reports_numbers(web, money, who):
    response = web.client(who).get("/funding.csv?cohort=9")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    actor = ADMIN
    if who == "lead":
        with web.runtime.uow() as uow:
            north = uow.session.scalar(select(Hub.id).where(Hub.code == "north"))
        actor = Actor("lead@north.example", Role.HUB_LEAD, north)
    found = report(web.runtime.uow(), actor, 9).as_dict()
    figures = list(found["totals"])
    assert [r["urn"] for r in rows[:-1]] == [s["urn"] for s in found["schools"]]
    for row, school in zip(rows, found["schools"], strict=False):
        assert {f: int(row[f]) for f in figures} == {f: school[f] for f in figures}
    assert rows[-1]["urn"] == "total"
    assert {f: int(rows[-1][f]) for f in figures} == found["totals"]


def test_a_statement_shows_its_lines_and_the_clawback(web, money):
    sid = money.statements["north"]
    page = web.client("lead").get(f"/funding/statements/{sid}").get_data(as_text=True)
    assert f'<h1 class="govuk-heading-l">Statement {sid}</h1>' in page
    assert "Payable" in page and "15 July 2026" in page
    assert "Clawback" in page and "-£200.00" in page
    assert NORTH[0] in page and NORTH[1] in page
    assert "29 January 2026" in page and "2 March 2026" in page
    assert "Central day" in page and "Development day" in page
    assert "£200.00" in page  # the total: two days less the clawback
    assert "Mark as paid" in page and "Payment reference" in page
    paid = web.client("lead").get(f"/funding/statements/{money.statements['north_paid']}")
    text = paid.get_data(as_text=True)
    assert "Paid</strong> on 20 January 2026, reference BACS-0120" in text
    assert "Mark as paid" not in text


def test_the_statement_csv_holds_its_lines(web, money):
    sid = money.statements["north"]
    response = web.client("staff").get(f"/funding/statements/{sid}.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    with web.runtime.uow() as uow:
        detail = statement_detail(uow.session, sid)
    assert [(r["specialist"], r["kind"], int(r["amount_pence"])) for r in rows[:-1]] == [
        (line["specialist"], line["kind"], line["amount_pence"]) for line in detail["lines"]
    ]
    assert "clawback" in [r["kind"] for r in rows]
    assert rows[-1]["specialist"] == "total" and int(rows[-1]["amount_pence"]) == 20000


def test_a_hub_lead_marks_a_statement_paid_once(web, money):
    sid = money.statements["north"]
    lead = web.client("lead")
    response = pay(lead, sid, "  BACS-0720 ")
    assert response.status_code == 302
    page = lead.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Statement {sid} marked as paid, reference BACS-0720" in page
    status, reference, paid_at, paid_by, total = row_of(web, sid)
    assert (status, reference, paid_by, total) == ("paid", "BACS-0720", "lead@north.example", 20000)
    assert paid_at is not None
    assert "Mark as paid" not in page
    again = pay(lead, sid, "BACS-AGAIN")
    assert again.status_code == 409
    assert "already paid" in again.get_data(as_text=True)
    assert row_of(web, sid) == (status, reference, paid_at, paid_by, total)


def test_a_payment_reference_is_required(web, money):
    sid = money.statements["south"]
    before = row_of(web, sid)
    response = pay(web.client("south_lead"), sid, "   ")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert 'href="#reference">Enter the payment reference' in page
    assert row_of(web, sid) == before
    too_long = pay(web.client("south_lead"), sid, "x" * 201)
    assert "200 characters or fewer" in too_long.get_data(as_text=True)
    assert row_of(web, sid) == before


def test_hub_staff_are_not_offered_mark_as_paid(web, money):
    sid = money.statements["north"]
    page = web.client("staff").get(f"/funding/statements/{sid}").get_data(as_text=True)
    assert "Lines" in page and "Mark as paid" not in page and "Payment reference" not in page


def test_every_role_sees_funding_in_the_navigation(web, money):
    for who in ("admin", "lead", "staff", "viewer"):
        page = web.client(who).get("/").get_data(as_text=True)
        nav = page[page.index("govuk-service-navigation") : page.index("</nav>")]
        assert re.search(r'href="/funding">\s*Funding\s*</a>', nav), who


# -- who may do what, on every route ------------------------------------------------------

ROLES = ("admin", "lead", "staff", "viewer", "south_lead")
EVERYONE = dict.fromkeys(ROLES, 200)


def get_cases():
    yield "/funding", EVERYONE
    yield "/funding?cohort=9", EVERYONE
    yield "/funding.csv?cohort=9", EVERYONE
    yield "/funding/statements", EVERYONE
    yield "/funding/statements?cohort=9", EVERYONE
    yield "/funding?cohort=9&hub=north", {**EVERYONE, "south_lead": 404}
    yield "/funding.csv?cohort=9&hub=north", {**EVERYONE, "south_lead": 404}
    south_only = {"admin": 200, "lead": 404, "staff": 404, "viewer": 404, "south_lead": 200}
    yield "/funding?cohort=9&hub=south", south_only
    yield "/funding?cohort=9&hub=nowhere", dict.fromkeys(ROLES, 404)
    yield "/funding?cohort=77", dict.fromkeys(ROLES, 404)
    yield "/funding?cohort=x", dict.fromkeys(ROLES, 400)
    yield "/funding.csv", dict.fromkeys(ROLES, 400)
    north = {**EVERYONE, "south_lead": 404}
    south = {"admin": 200, "lead": 404, "staff": 404, "viewer": 404, "south_lead": 200}
    for key, seen in (("north", north), ("north_paid", north), ("south", south)):
        yield f"/funding/statements/{{{key}}}", seen
        yield f"/funding/statements/{{{key}}}.csv", seen
    yield "/funding/statements/999999", dict.fromkeys(ROLES, 404)


def test_who_may_see_each_page(web, money):
    clients = {who: web.client(who) for who in ROLES}
    for pattern, expected in get_cases():
        path = pattern.format(**money.statements)
        for who, status in expected.items():
            assert clients[who].get(path).status_code == status, (path, who)
        signed_out = web.client().get(path)
        assert signed_out.status_code == 302 and "/sign-in?next=" in signed_out.headers["Location"]


@pytest.mark.parametrize(
    ("who", "which", "status"),
    [
        ("admin", "north", 302),
        ("admin", "south", 302),
        ("lead", "north", 302),
        ("staff", "north", 403),
        ("viewer", "north", 403),
        ("south_lead", "north", 404),
        ("lead", "south", 404),
        ("lead", "north_paid", 409),
    ],
)
def test_who_may_mark_a_statement_paid(web, money, who, which, status):
    sid = money.statements[which]
    before = row_of(web, sid)
    response = pay(web.client(who), sid)
    assert response.status_code == status
    after = row_of(web, sid)
    if status == 302:
        assert after[:2] == ("paid", "BACS-0720")
    else:
        assert after == before


def test_marking_paid_without_a_csrf_token_is_refused(web, money):
    sid = money.statements["north"]
    before = row_of(web, sid)
    response = web.client("lead").post(f"/funding/statements/{sid}", data={"reference": "X"})
    assert response.status_code == 400
    assert row_of(web, sid) == before


def test_a_cohort_funded_in_instalments_shows_released_and_cancelled(web, tmp_path):
    from tests.integration.conftest import instalment_rules
    from workflow.services import setup

    setup.add_cohort(web.runtime.uow(), ADMIN, 10, instalment_rules(tmp_path, "cohort-10"))
    page = web.client("lead").get("/funding?cohort=10").get_data(as_text=True)
    assert "Funding is released in fixed instalments" in page
    assert "No funding yet in cohort 10" in page
    chooser = web.client("lead").get("/funding").get_data(as_text=True)
    assert 'href="/funding?cohort=9"' in chooser and 'href="/funding?cohort=10"' in chooser


def lines_on(web, statement_id: int) -> int:
    with web.runtime.uow() as uow:
        return uow.session.scalar(
            select(func.count()).where(
                FundingLine.statement_id == statement_id, FundingLine.removed_at.is_(None)
            )
        )


def listed_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/funding/statements/(\d+)"', page)]


def test_statements_of_one_hub_or_one_school_each_with_its_own_lines(web, money):
    admin = web.client("admin")
    every = listed_ids(admin.get("/funding/statements?cohort=9").get_data(as_text=True))
    north = admin.get("/funding/statements?cohort=9&hub=north").get_data(as_text=True)
    south = admin.get("/funding/statements?cohort=9&school=200001").get_data(as_text=True)
    assert money.statements["north"] in listed_ids(north)
    assert money.statements["south"] not in listed_ids(north)
    assert listed_ids(south) and money.statements["north"] not in listed_ids(south)
    assert sorted(listed_ids(north) + listed_ids(south)) == sorted(every)
    assert f"{len(listed_ids(south))} statement" in south and ", school 200001" in south
    for statement_id in every:  # the Lines column: that statement's live lines
        cells = re.search(
            rf'/funding/statements/{statement_id}".*?</tr>', "".join(north + south), re.S
        ).group(0)
        numeric = re.findall(r'cell--numeric">([^<]*)<', cells)
        assert numeric[0] == str(lines_on(web, statement_id))
    none = admin.get("/funding/statements?cohort=9&school=999999").get_data(as_text=True)
    assert "No statements match." in none and not listed_ids(none)


def test_hub_staff_cannot_list_another_hubs_statements(web, money):
    assert web.client("staff").get("/funding/statements?cohort=9&hub=south").status_code == 404
    own = web.client("staff").get("/funding/statements?cohort=9&hub=north")
    assert own.status_code == 200 and money.statements["north"] in listed_ids(own.get_data(True))
    assert 'id="hub"' not in own.get_data(as_text=True)  # no hub to choose: their own


def test_statements_come_fifty_a_page(web, money):
    with web.runtime.uow() as uow:
        school = uow.session.scalar(select(Statement.school_id).limit(1))
        cohort = uow.session.scalar(select(Statement.cohort_id).limit(1))
        for day in range(60):  # one statement a day for sixty days, straight to the table
            uow.session.add(Statement(
                school_id=school, cohort_id=cohort, release_date=date(2030, 1, 1) + timedelta(day),
                status="payable", total_pence=100, created_at=datetime(2029, 12, 1, tzinfo=UTC),
            ))  # fmt: skip
        uow.commit()
        total = uow.session.scalar(select(func.count()).select_from(Statement))
    admin = web.client("admin")
    first = admin.get("/funding/statements?cohort=9").get_data(as_text=True)
    last = admin.get(f"/funding/statements?cohort=9&page={-(-total // 50)}").get_data(True)
    beyond = admin.get("/funding/statements?cohort=9&page=999").get_data(as_text=True)
    assert len(listed_ids(first)) == 50
    assert len(listed_ids(last)) == total - 50 * (-(-total // 50) - 1)
    assert listed_ids(beyond) == listed_ids(last)  # past the end: the last page
    assert f"{total} statements (page 1 of {-(-total // 50)})" in first
    assert 'href="/funding/statements?page=2&amp;cohort=9"' in first or (
        'href="/funding/statements?cohort=9&amp;page=2"' in first
    )
