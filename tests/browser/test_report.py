"""The national report in a real browser, as a national programme lead reads it: a cohort of
a dozen hubs, the charts (accessible SVG, axe-core checked) with their tables beside them,
the cohort chooser, and a hub lead who sees their hub only. Screenshot:
docs/screenshots/national-report.png."""

from __future__ import annotations

import csv
import random
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import func, select

from tests.browser.test_refusals import sign_in
from workflow.db.models import (
    AuditEntry,
    Cohort,
    Hub,
    HubAllocation,
    School,
    Specialist,
    WorkGroup,
    WorkGroupSchool,
)
from workflow.services import standing

START = datetime(2025, 7, 1, 9, tzinfo=UTC)


def populate(runtime, hubs: int = 12, seed: int = 17) -> None:
    """A plausible cohort 9 in a dozen real hubs' names, written straight to the tables (the
    numbers are tested in tests/integration; here the page is looked at)."""
    rng = random.Random(seed)
    names = list(csv.DictReader((files("workflow.data") / "maths_hubs.csv").open()))[:hubs]
    urn = iter(range(500001, 599999))
    with runtime.uow() as uow:
        s = uow.session
        cohort = s.scalar(select(Cohort).where(Cohort.number == 9))
        for row in names:
            hub = Hub(code=row["code"], name=row["name"], region=row["region"],
                      secondary_schools=rng.randint(60, 140))  # fmt: skip
            s.add(hub)
            s.flush()
            places = rng.randint(8, 16)
            s.add(HubAllocation(hub_id=hub.id, cohort_id=cohort.id, places=places))
            for i in range(places - rng.randint(0, 2)):
                school = School(
                    urn=str(next(urn)), name=f"{row['name'][:20]} School {i}", phase="secondary",
                    state_funded=True, head_name="Head", head_email=f"h{i}@{row['code']}.example",
                    finance_email=None, hub_id=hub.id,
                )  # fmt: skip
                s.add(school)
                s.flush()
                _journey(s, rng, school, cohort.id, urn)
        uow.commit()
    # Written behind the services' back: read every trail, as `workflow db upgrade` does.
    standing.rebuild(runtime.uow())


def _journey(s, rng, school, cohort_id: int, urn) -> None:
    """One specialist: selected, then on through the years, sometimes withdrawing."""
    path = ["selected", "year1"]
    if rng.random() < 0.85:
        path.append("year2")
        if rng.random() < 0.7:
            path.append("work_group_lead")
    withdrawn = rng.random() < 0.12
    state = "withdrawn" if withdrawn else path[-1]
    person = Specialist(
        name="A Teacher", email=f"t{school.urn}@school.example", qts=True,
        teaching_since=date(2018, 9, 1), school_id=school.id, cohort_id=cohort_id,
        state=state, created_at=START, updated_at=START,
    )  # fmt: skip
    s.add(person)
    s.flush()
    previous = "nominated"
    for step, to in enumerate([*path, *(["withdrawn"] if withdrawn else [])]):
        s.add(AuditEntry(
            specialist_id=person.id, kind="transition", name=f"to_{to}", from_state=previous,
            to_state=to, actor="lead@hub.example", at=START + timedelta(days=100 * step),
            override=False,
        ))  # fmt: skip
        previous = to
    if "year2" in path and rng.random() < 0.6:
        s.add(AuditEntry(
            specialist_id=person.id, kind="milestone", name="accreditation", from_state="year2",
            to_state="year2", actor="lead@hub.example", at=START + timedelta(days=400),
            override=False, programme_year=2,
        ))  # fmt: skip
    if state == "work_group_lead":
        group = WorkGroup(specialist_id=person.id, name="Work Group", role="leads",
                          actor="lead@hub.example", created_at=START)  # fmt: skip
        s.add(group)
        s.flush()
        for _ in range(rng.randint(3, 9)):
            s.add(WorkGroupSchool(work_group_id=group.id, urn=str(next(urn))))


def test_a_national_lead_reads_the_report(browser, served, runtime):
    populate(runtime)
    runtime.settings.require_admin_totp = False
    sign_in(browser, "admin")
    browser.click_link("Report")
    assert browser.heading == "National report"
    assert browser.driver.title == "National report – Mastery Specialists"
    charts = browser.driver.find_elements(By.CSS_SELECTOR, "main svg[role=img]")
    assert len(charts) == 3
    for chart in charts:
        title = chart.find_element(By.TAG_NAME, "title").get_attribute("textContent")
        desc = chart.find_element(By.TAG_NAME, "desc").get_attribute("textContent")
        assert title and desc
        assert chart.size["width"] > 300 and chart.size["height"] > 100  # drawn, visibly
    text = browser.text
    assert "Great North Maths Hub" in text and "National total" in text
    assert "Goal 65%" in text
    with runtime.uow() as uow:  # everyone populated was selected; the page says so
        selected = uow.session.scalar(select(func.count()).select_from(Specialist))
    assert selected > 100 and f"of {selected} selected" in text
    browser.shoot("national-report")
    Select(browser.field("Cohort")).select_by_visible_text("All cohorts")
    browser.click_button("Show report")
    assert "cohort=all" in browser.path
    assert "All cohorts" in browser.driver.find_element(By.CSS_SELECTOR, ".govuk-caption-l").text


def test_a_hub_lead_sees_their_hub_only(browser, served, runtime):
    populate(runtime, hubs=3)
    sign_in(browser, "lead")
    browser.click_link("Report")
    assert browser.heading == "Report"
    text = browser.text
    assert "North Maths Hub" in text
    assert "Great North Maths Hub" not in text and "National total" not in text
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, "main svg[role=img]")) == 3
