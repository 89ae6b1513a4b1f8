"""The national report in the browser's terms: who sees what, the CSV equals the service's
numbers, each chart is an accessible SVG (title, description) with a table beside it."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.integration.conftest import ADMIN
from tests.integration.national_report_support import Programme, independent
from tests.web.conftest import WebWorld, add_people
from workflow.services.auth import Actor, Role
from workflow.services.national_report import MEASURES, national_report
from workflow.services.setup import hub_by_code
from workflow.web.app import create_app

KEYS = [key for key, _, _ in MEASURES]


@pytest.fixture
def web(runtime, clock) -> WebWorld:
    runtime.settings.require_admin_totp = False
    programme = Programme(runtime, clock).build()
    add_people(runtime, clock)
    app = create_app(runtime)
    app.config["TESTING"] = True
    return WebWorld(world=programme.world, app=app, runtime=runtime, clock=clock)


def text(response) -> str:
    return response.get_data(as_text=True)


def test_signed_out_goes_to_sign_in(web):
    for path in ("/report", "/report.csv?cohort=9"):
        response = web.client().get(path)
        assert response.status_code == 302
        assert "/sign-in?next=" in response.headers["Location"]


def test_national_staff_see_every_hub_and_the_national_total(web):
    page = text(web.client("admin").get("/report?cohort=9"))
    assert "<title>National report – Mastery Specialists</title>" in page
    assert page.count("<h1") == 1
    for name in ("North Maths Hub", "South Maths Hub", "East Maths Hub", "National total"):
        assert name in page
    assert 'href="/report"' in page  # the navigation's "Report"
    assert "Cohort 9" in page and "All cohorts" in page


def test_hub_staff_see_their_hub_only(web):
    for who in ("lead", "staff", "viewer"):
        response = web.client(who).get("/report?cohort=9")
        assert response.status_code == 200
        page = text(response)
        assert "<title>Report – Mastery Specialists</title>" in page
        assert "North Maths Hub" in page
        assert "South Maths Hub" not in page and "East Maths Hub" not in page
        assert "National total" not in page
    page = text(web.client("south_lead").get("/report?cohort=9"))
    assert "South Maths Hub" in page and "North Maths Hub" not in page


def test_an_unknown_cohort_is_not_found_and_nonsense_is_a_bad_request(web):
    client = web.client("admin")
    assert client.get("/report?cohort=99").status_code == 404
    assert client.get("/report.csv?cohort=99").status_code == 404
    assert client.get("/report?cohort=abc").status_code == 400


def test_without_a_cohort_the_newest_is_shown_and_all_cohorts_can_be(web):
    client = web.client("admin")
    assert "Cohort 10</span>" in text(client.get("/report"))
    assert "All cohorts</span>" in text(client.get("/report?cohort=all"))


def test_each_chart_is_an_accessible_svg_with_a_table_beside_it(web):
    page = text(web.client("admin").get("/report?cohort=9"))
    charts = re.findall(r"<svg[^>]*>.*?</svg>", page, re.S)
    assert len(charts) == 3
    for chart in charts:
        assert 'role="img"' in chart
        ids = re.search(r'aria-labelledby="([^"]+)"', chart).group(1).split()
        assert f'<title id="{ids[0]}">' in chart and f'<desc id="{ids[1]}">' in chart
        assert "<script" not in chart
        # the table with the same numbers follows in the same row
        after = page[page.index(chart) + len(chart) :]
        assert after.index('<table class="govuk-table') < after.index("<h2")
    assert "Goal 65%" in page
    main = page[page.index("<main") : page.index("</main>")]
    assert "<script" not in main  # drawn on the server: nothing runs in the browser


def rows_of(response) -> list[dict]:
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(text(response))))


def as_csv(measures) -> list[str]:
    return ["" if getattr(measures, k) is None else str(getattr(measures, k)) for k in KEYS]


def test_the_csv_has_the_services_numbers_one_row_a_hub_and_a_national_row(web):
    for cohort in ("9", "10", "all"):
        check_csv(web, cohort)


def check_csv(web, cohort: str) -> None:
    response = web.client("admin").get(f"/report.csv?cohort={cohort}")
    rows = rows_of(response)
    number = None if cohort == "all" else int(cohort)
    report = national_report(web.runtime.uow(), ADMIN, number if number else "all")
    labels = [label for _, label, _ in MEASURES]
    expected = {h.code: as_csv(h.measures) for h in report.hubs}
    expected["national"] = as_csv(report.national)
    assert {r["Hub code"]: [r[label] for label in labels] for r in rows} == expected
    # and the service's numbers are the ones worked out from the tables
    worked_out = independent(web.runtime, number)
    assert {h: [str(v) if v is not None else "" for v in m.values()]
            for h, m in worked_out["hubs"].items()} == {
        k: v for k, v in expected.items() if k != "national"
    }  # fmt: skip
    national = next(r for r in rows if r["Hub code"] == "national")
    share = national["Share of secondary schools reached (%)"]
    assert float(share) <= 100 * report.national.share < float(share) + 0.1  # rounded down
    assert (
        f"national-report-{'all-cohorts' if cohort == 'all' else 'cohort-' + cohort}"
        in (response.headers["Content-Disposition"])
    )


def test_a_hub_leads_csv_has_their_hub_only(web):
    rows = rows_of(web.client("lead").get("/report.csv?cohort=9"))
    assert [r["Hub code"] for r in rows] == ["north"]
    with web.runtime.uow() as uow:
        north = hub_by_code(uow.session, "north").id
    lead = Actor("lead@north.example", Role.HUB_LEAD, north)
    (hub,) = national_report(web.runtime.uow(), lead, 9).hubs
    assert [rows[0][label] for _, label, _ in MEASURES] == as_csv(hub.measures)
