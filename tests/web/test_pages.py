"""The hub staff's pages: dashboard, the list (filters, search, pages, CSV), the
specialist's page and timeline, each action's form and its errors, nominating a teacher,
and the error pages."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from sqlalchemy import select

from tests.web.conftest import csrf_token
from workflow.db.models import AuditEntry, Specialist
from workflow.services import search as search_service


def post(client, path: str, data: dict):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def state(web, specialist_id: int) -> str:
    with web.runtime.uow() as uow:
        return uow.session.get(Specialist, specialist_id).state


def test_every_page_has_one_h1_a_title_and_a_skip_link(web):
    north = web.world.nominate(1)[0]
    client = web.client("lead")
    for path, title in (
        ("/", "Dashboard"), ("/specialists", "Specialists"), (f"/specialists/{north}", "Teacher 0"),
        (f"/specialists/{north}/select", "Select Teacher 0"),
        ("/nominations/new", "Nominate a teacher"), ("/nowhere", "Page not found"),
    ):  # fmt: skip
        page = client.get(path).get_data(as_text=True)
        assert page.count("<h1") == 1, path
        assert f"<title>{title} – Mastery Specialists</title>" in page, path
        assert 'href="#main-content"' in page
        assert "govuk-generic-header" in page and "crown" not in page.lower()


def test_the_dashboard_shows_the_hub_its_places_and_states(web):
    web.world.nominate(3)
    web.world.nominate(2, school=web.world.other_school)
    lead = web.client("lead").get("/").get_data(as_text=True)
    assert "Your hub" in lead and "of 4 allocated" in lead and "Nominated" in lead
    admin = web.client("admin").get("/").get_data(as_text=True)
    assert "All hubs" in admin and "of 8 allocated" in admin and "Places by hub" in admin
    # Each state and hub links to the list filtered by it, and the list agrees.
    assert 'href="/specialists?cohort=9&amp;state=nominated">Nominated</a>' in admin
    assert 'href="/specialists?cohort=9&amp;hub=south">' in admin
    south = web.client("admin").get("/specialists?cohort=9&hub=south").get_data(as_text=True)
    assert "2 specialists" in south
    # The next dates: the cohort's events from its rules, and its term starts.
    assert "Cohort 9: " in lead and "Term start: the cohort moves on" in lead


def test_the_list_filters_searches_and_never_shows_another_hub(web):
    web.world.nominate(3)
    web.world.nominate(2, school=web.world.other_school)
    client = web.client("lead")
    page = client.get("/specialists").get_data(as_text=True)
    assert "@school.example" not in page and "3 specialists" in page
    assert "South Academy" not in page
    found = client.get("/specialists?q=teacher2.100001").get_data(as_text=True)
    assert "1 specialist." in found and "Teacher 2" in found
    by_urn = client.get("/specialists?q=100001").get_data(as_text=True)
    assert "3 specialists" in by_urn
    assert "0 specialists" in client.get("/specialists?state=year1").get_data(as_text=True)
    assert client.get("/specialists?state=bogus").status_code == 400
    assert client.get("/specialists?hub=south").status_code == 404


def test_the_list_has_pages_of_50(web):
    web.world.nominate(60)
    web.world.runtime.settings  # noqa: B018
    client = web.client("admin")
    first = client.get("/specialists").get_data(as_text=True)
    second = client.get("/specialists?page=2").get_data(as_text=True)
    assert "60 specialists" in first
    assert first.count('href="/specialists/') == 50 and second.count('href="/specialists/') == 10
    assert "govuk-pagination" in first


def test_every_page_of_the_list_in_order_and_a_few_page_links(web, monkeypatch):
    """Pages in the second half are read backwards and turned round: every page in turn
    gives the whole list in the CSV's order (name, then id); the pagination links the
    first, the last and the current page's neighbours, with ellipses between."""
    monkeypatch.setattr(search_service, "PAGE_SIZE", 5)
    web.world.nominate(12)
    web.world.nominate(11, school=web.world.other_school)  # the same names: ties by id
    client = web.client("admin")
    whole = client.get("/specialists.csv").get_data(as_text=True)
    expected = [row[0] for row in csv.reader(io.StringIO(whole))][1:]
    seen, links = [], {}
    for n in range(1, 6):
        page = client.get(f"/specialists?page={n}").get_data(as_text=True)
        seen += re.findall(r'href="/specialists/(\d+)"', page)
        links[n] = sorted({int(p) for p in re.findall(r'href="/specialists\?page=(\d+)"', page)})
    assert len(expected) == 23 and seen == expected
    assert links[1] == [1, 2, 5] and links[3] == [1, 2, 3, 4, 5] and links[5] == [1, 4, 5]
    assert "govuk-pagination__item--ellipsis" in client.get("/specialists").get_data(as_text=True)
    beyond = client.get("/specialists?page=99").get_data(as_text=True)
    assert re.findall(r'href="/specialists/(\d+)"', beyond) == expected[20:]


def test_the_csv_has_the_filtered_rows_with_formulas_neutralised(web):
    web.world.nominate(1)
    web.world.nominate(1, name='=HYPERLINK("http://x")', email="f@school.example")
    web.world.nominate(1, school=web.world.other_school)
    response = web.client("lead").get("/specialists.csv?q=school.example")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["ID", "Name", "Email", "School", "URN", "Hub", "Cohort", "State"]
    names = sorted(r[1] for r in rows[1:])
    assert names == ['\'=HYPERLINK("http://x")', "Teacher 0"]


def test_the_timeline_shows_changes_milestones_and_emails_with_who_and_when(web):
    north = web.world.nominate(1)[0]
    client = web.client("lead")
    assert post(client, f"/specialists/{north}/select", {}).status_code == 302
    page = client.get(f"/specialists/{north}").get_data(as_text=True)
    assert "Teacher 0 has been selected" in page
    assert "Nominated to Selected" in page and "lead@north.example" in page
    assert "2 June 2025, 10am" in page  # 09:00 UTC shown in London time


def test_a_reason_is_required_where_the_cli_requires_one(web):
    north = web.world.nominate(1)[0]
    client = web.client("lead")
    page = post(client, f"/specialists/{north}/decline", {"reason": "  "}).get_data(as_text=True)
    assert "There is a problem" in page and "Enter the reason" in page
    assert 'href="#reason"' in page
    assert state(web, north) == "nominated"
    assert post(client, f"/specialists/{north}/decline", {"reason": "Full"}).status_code == 302
    assert state(web, north) == "not_selected"


def test_selection_beyond_the_places_needs_an_override_with_a_reason(web):
    ids = web.world.nominate(5)
    client = web.client("lead")
    for sid in ids[:4]:
        assert post(client, f"/specialists/{sid}/select", {}).status_code == 302
    refused = post(client, f"/specialists/{ids[4]}/select", {}).get_data(as_text=True)
    assert "There is a problem" in refused and state(web, ids[4]) == "nominated"
    no_reason = post(client, f"/specialists/{ids[4]}/select", {"override": "y"})
    assert "Enter the reason for overriding" in no_reason.get_data(as_text=True)
    done = post(client, f"/specialists/{ids[4]}/select", {"override": "y", "reason": "Agreed"})
    assert done.status_code == 302 and state(web, ids[4]) == "selected"
    with web.runtime.uow() as uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(
                AuditEntry.specialist_id == ids[4], AuditEntry.name == "select"
            )
        ).one()
    assert entry.override and entry.reason.startswith("Agreed")


def test_hub_staff_may_not_override(web):
    ids = web.world.nominate(1)
    page = web.client("staff").get(f"/specialists/{ids[0]}/record").get_data(as_text=True)
    assert "Override the requirements" not in page


def test_record_form_errors(web):
    sid = web.world.nominate(1)[0]
    client = web.client("lead")
    post(client, f"/specialists/{sid}/select", {})
    post(client, f"/specialists/{sid}/advance", {})
    assert state(web, sid) == "year1"
    for data, message in (
        ({}, "Select the milestone to record"),
        ({"milestone": "central_day", "days": "x"}, "Enter the number of days"),
        ({"milestone": "central_day", "days": "0.3"}, "Enter days in steps of 0.5"),
        ({"milestone": "hub_support", "half_days": ""}, "Enter the number of half-days"),
    ):
        page = post(client, f"/specialists/{sid}/record", data).get_data(as_text=True)
        assert message in page, message
    ok = post(client, f"/specialists/{sid}/record", {"milestone": "central_day", "days": "1.5"})
    assert ok.status_code == 302
    assert "Central day, 1.5 days" in client.get(f"/specialists/{sid}").get_data(as_text=True)


def test_an_action_the_state_does_not_allow_is_refused_and_changes_nothing(web):
    sid = web.world.nominate(1)[0]
    client = web.client("lead")
    response = post(client, f"/specialists/{sid}/resume", {})
    assert response.status_code == 409
    assert "You cannot resume a specialist who is nominated" in response.get_data(as_text=True)
    assert state(web, sid) == "nominated"
    assert client.get(f"/specialists/{sid}/bogus").status_code == 404


def test_nominating_a_teacher(web):
    client = web.client("staff")
    page = client.get("/nominations/new").get_data(as_text=True)
    for label in ("School URN", "Full name", "Email address", "Qualified teacher status",
                  "Started teaching", "Nominate"):  # fmt: skip
        assert label in page
    empty = post(client, "/nominations/new", {"cohort": "9"}).get_data(as_text=True)
    for message in ("Enter the school&#39;s URN", "Enter the teacher&#39;s full name",
                    "Select yes if the teacher has qualified teacher status"):  # fmt: skip
        assert message in empty
    data = {"cohort": "9", "urn": "100001", "name": "Nia Okafor", "email": "nia@school.example",
            "qts": "no", "teaching_since": ["1", "9", "2019"]}  # fmt: skip
    refused = post(client, "/nominations/new", data)
    assert "There is a problem" in refused.get_data(as_text=True)
    other = post(client, "/nominations/new", {**data, "qts": "yes", "urn": "200001"})
    assert "No school you can nominate for has this URN" in other.get_data(as_text=True)
    done = post(client, "/nominations/new", {**data, "qts": "yes"})
    assert done.status_code == 302
    with web.runtime.uow() as uow:
        made = uow.session.scalars(select(Specialist).where(Specialist.name == "Nia Okafor")).one()
    assert made.teaching_since == date(2019, 9, 1) and made.state == "nominated"
    assert "Nia Okafor has been nominated" in client.get(done.headers["Location"]).get_data(
        as_text=True
    )


def test_errors_do_not_show_tracebacks(web):
    @web.app.route("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = web.client().get("/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in text and "secret detail" not in text
