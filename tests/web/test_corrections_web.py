"""Corrections through the web (issue 17 point 4), on SQLite and PostgreSQL: each correction's
form, its confirmation page (what will change, the money and places included) and its
confirm; the page's stated money and places checked against what then happened; who is
offered what and whose POST is refused; bad input and a stale version change nothing."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.integration._funding_support import release_due
from tests.integration.conftest import ADMIN, build_world, instalment_rules
from tests.web.conftest import STAFF, WebWorld, add_people, csrf_token
from workflow.db.models import (
    AuditEntry,
    FundingEntry,
    FundingLine,
    FundingYear,
    LedgerEntry,
    OutboxMessage,
    School,
    Specialist,
)
from workflow.services import changes, setup
from workflow.services.queries import places_used
from workflow.services.specialists import record_milestone, transition
from workflow.web.app import create_app

LONDON = ZoneInfo("Europe/London")
LEAD_EMAIL = "lead@north.example"


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON).astimezone(UTC)


def fire(web, sid, trigger, **kwargs):
    return transition(web.runtime.uow(), ADMIN, sid, trigger, web.clock.now(), **kwargs)


def record(web, sid, kind, half_days=None):
    record_milestone(web.runtime.uow(), ADMIN, sid, kind, web.clock.now(), half_days=half_days)


def in_year1(web, school: str | None = None) -> int:
    (sid,) = web.world.nominate(school=school)
    fire(web, sid, "select")
    web.clock.set(at(date(2025, 9, 1), 9))
    fire(web, sid, "start_year1")
    record(web, sid, "central_day", 4)
    web.clock.set(at(date(2025, 9, 2)))
    return sid


def withdrawn_in_year1(web) -> int:
    sid = in_year1(web)
    fire(web, sid, "withdraw", reason="Entered by mistake.")
    return sid


def check(client, path: str, data: dict):
    """POST the correction's form: the confirmation page (or the form with its errors)."""
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def confirm(client, page) -> object:
    """POST the confirmation page's own form (its hidden fields), as "Confirm" does."""
    text = page.get_data(as_text=True)
    action = html.unescape(
        re.search(r'<form method="post" action="([^"]+/confirm)"', text).group(1)
    )
    form = text.split(f'action="{action}"')[1].split("</form>")[0]
    values = [
        (html.unescape(n), html.unescape(v))
        for n, v in re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', form)
    ]
    data: dict[str, list[str]] = {}
    for name, value in values:
        data.setdefault(name, []).append(value)
    return client.post(action, data=data)


def money_rows(page) -> list[tuple[str, str, str, str, int]]:
    """The confirmation page's money table: (change, funding, school, due, pence)."""
    text = page.get_data(as_text=True)
    if "app-money" not in text:
        return []
    body = text.split("app-money")[1].split("</tbody>")[0].split("<tbody")[1]
    rows = []
    for row in re.findall(r"<tr.*?</tr>", body, re.S):
        cells = [html.unescape(c.strip()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        pounds = cells[4].lstrip("£").replace(",", "")
        rows.append((*cells[:4], round(float(pounds) * 100)))
    return rows


def places_said(page) -> list[str]:
    text = html.unescape(page.get_data(as_text=True))
    return re.findall(r"This (?:uses|frees) [^<]*\.", text)


def state_of(web, sid) -> Specialist:
    with web.runtime.uow() as uow:
        row = uow.session.get(Specialist, sid)
        uow.session.expunge(row)
        return row


def used(web, hub: str, cohort: int) -> int:
    with web.runtime.uow() as uow:
        s = uow.session
        hub_id = s.scalar(
            select(School.hub_id).where(School.urn == {"north": "100001", "south": "200001"}[hub])
        )
        from workflow.db.models import Cohort

        cohort_id = s.scalar(select(Cohort.id).where(Cohort.number == cohort))
        return places_used(s, hub_id, cohort_id)


def fingerprint(web) -> tuple:
    """Everything a correction could change."""
    with web.runtime.uow() as uow:
        s = uow.session
        return (
            s.scalar(select(func.count(AuditEntry.id))),
            tuple(s.execute(select(Specialist.id, Specialist.state, Specialist.version,
                                   Specialist.school_id, Specialist.cohort_id, Specialist.name,
                                   Specialist.email).order_by(Specialist.id)).all()),
            tuple(s.execute(select(FundingEntry.id, FundingEntry.status, FundingEntry.school_id)
                            .order_by(FundingEntry.id)).all()),
            tuple(s.execute(select(FundingLine.id, FundingLine.removed_at)
                            .order_by(FundingLine.id)).all()),
            s.scalar(select(func.count(LedgerEntry.id))),
            s.scalar(select(func.count(OutboxMessage.id))),
        )  # fmt: skip


@pytest.fixture
def instalment_web(runtime, clock, tmp_path) -> WebWorld:
    """The web on cohort 9 paid in fixed instalments (scheduled, cancelled, restored)."""
    runtime.settings.require_admin_totp = False
    world = build_world(runtime, clock, instalment_rules(tmp_path, "cohort-9"))
    add_people(runtime, clock)
    app = create_app(runtime)
    app.config["TESTING"] = True
    return WebWorld(world=world, app=app, runtime=runtime, clock=clock)


# --- Each correction end to end ----------------------------------------------------------------


def test_a_hub_lead_undoes_a_withdrawal_seeing_the_place_and_the_year_reopened(web):
    sid = withdrawn_in_year1(web)
    client = web.client("lead")
    page = client.get(f"/specialists/{sid}").get_data(as_text=True)
    assert "Corrections" in page and "Undo the withdrawal" in page
    path = f"/specialists/{sid}/corrections/undo-withdrawal"
    form = client.get(path).get_data(as_text=True)
    assert "<title>Undo the withdrawal of Teacher 0 – Mastery Specialists</title>" in form
    before = fingerprint(web)
    shown = check(client, path, {"reason": "The withdrawal was a mistake."})
    assert shown.status_code == 200
    text = html.unescape(shown.get_data(as_text=True))
    assert "Check before you undo the withdrawal of Teacher 0" in text
    assert "Withdrawn to <strong>Year 1</strong>" in text
    assert places_said(shown) == [
        "This uses 1 of North Maths Hub's 4 places for cohort 9: 0 used now, 1 after."
    ]
    with web.runtime.uow() as uow:
        lapsed = uow.session.scalar(
            select(FundingYear.cancelled_pence).where(FundingYear.specialist_id == sid)
        )
    assert lapsed > 0
    assert money_rows(shown) == [
        ("Year reopened", "Year 1: what lapsed can be claimed again", "–", "–", lapsed)
    ]
    assert fingerprint(web) == before  # the confirmation page changed nothing

    done = confirm(client, shown)
    assert done.status_code == 302 and done.location.endswith(f"/specialists/{sid}")
    assert state_of(web, sid).state == "year1"
    assert used(web, "north", 9) == 1  # as the page said
    with web.runtime.uow() as uow:
        year = uow.session.scalar(select(FundingYear).where(FundingYear.specialist_id == sid))
        assert year.closed_on is None  # reopened, as the page said
    after = client.get(f"/specialists/{sid}").get_data(as_text=True)
    assert "The withdrawal of Teacher 0 has been undone" in after
    assert "Reinstated (a correction)" in after and f"by {LEAD_EMAIL}" in after
    assert "Reason: The withdrawal was a mistake." in after


def test_the_money_the_page_states_for_an_undo_is_what_is_scheduled_again(instalment_web):
    web = instalment_web
    sid = withdrawn_in_year1(web)
    with web.runtime.uow() as uow:
        cancelled = {
            e.id: e.amount_pence
            for e in uow.session.scalars(
                select(FundingEntry).where(FundingEntry.specialist_id == sid)
            )
        }
        paid_pro_rata = uow.session.scalar(
            select(func.sum(LedgerEntry.amount_pence)).where(LedgerEntry.specialist_id == sid)
        )
    client = web.client("admin")
    shown = check(client, f"/specialists/{sid}/corrections/undo-withdrawal", {"reason": "Mistake"})
    rows = money_rows(shown)
    again = [r for r in rows if r[0] == "Scheduled again"]
    assert again and all(r[2] == "North Academy" for r in again)
    assert [r for r in rows if r[0] == "Clawed back"] == [
        ("Clawed back", "Year 1: pro rata on withdrawal", "North Academy", "–", paid_pro_rata)
    ]
    assert [r[3] for r in again] == ["15 January 2026", "15 July 2026"]
    assert confirm(client, shown).status_code == 302
    with web.runtime.uow() as uow:
        scheduled = {
            e.id: e.amount_pence
            for e in uow.session.scalars(
                select(FundingEntry).where(
                    FundingEntry.specialist_id == sid, FundingEntry.status == "scheduled"
                )
            )
        }
        net = uow.session.scalar(
            select(func.sum(LedgerEntry.amount_pence)).where(LedgerEntry.specialist_id == sid)
        )
    assert set(scheduled) <= set(cancelled)
    assert sum(r[4] for r in again) == sum(scheduled.values()) > 0
    assert len(again) == len(scheduled)
    assert net == 0  # the pro-rata payment clawed back, as the page said


def test_a_hub_lead_reinstates_from_the_reserve_list_without_using_a_place(web):
    (sid,) = web.world.nominate()
    fire(web, sid, "decline", reason="On the reserve list")
    client = web.client("lead")
    assert "Reinstate from the reserve list" in client.get(f"/specialists/{sid}").get_data(
        as_text=True
    )
    shown = check(client, f"/specialists/{sid}/corrections/reinstate", {"reason": "A place freed"})
    text = html.unescape(shown.get_data(as_text=True))
    assert "Not selected to <strong>Nominated</strong>" in text
    assert "No hub's places change." in text and "No funding changes." in text
    assert confirm(client, shown).status_code == 302
    assert state_of(web, sid).state == "nominated"


def test_a_hub_lead_changes_the_cohort_of_a_deferred_specialist_moving_the_place(web):
    setup.add_cohort(web.runtime.uow(), ADMIN, 10, "cohort-10")
    setup.allocate(web.runtime.uow(), ADMIN, "north", 10, 1)
    (sid,) = web.world.nominate()
    fire(web, sid, "select")
    fire(web, sid, "defer", reason="Parental leave.")
    client = web.client("lead")
    path = f"/specialists/{sid}/corrections/change-cohort"
    form = client.get(path).get_data(as_text=True)
    assert "Cohort 10" in form and "Cohort 9</option>" not in form
    shown = check(client, path, {"cohort": "10", "reason": "Back next year."})
    text = shown.get_data(as_text=True)
    assert "9 to <strong>10</strong>" in text
    assert places_said(shown) == [
        "This frees 1 of North Maths Hub's 4 places for cohort 9: 1 used now, 0 after.",
        "This uses 1 of North Maths Hub's 1 place for cohort 10: 0 used now, 1 after.",
    ]
    assert confirm(client, shown).status_code == 302
    assert (used(web, "north", 9), used(web, "north", 10)) == (0, 1)
    page = client.get(f"/specialists/{sid}").get_data(as_text=True)
    assert "Correction: cohort changed" in page and "From cohort 9 to cohort 10" in page
    assert "Reason: Back next year." in page


def test_a_change_of_cohort_refused_by_the_service_shows_why_and_changes_nothing(web):
    setup.add_cohort(web.runtime.uow(), ADMIN, 10, "cohort-10")  # no places in cohort 10
    (sid,) = web.world.nominate()
    fire(web, sid, "select")
    fire(web, sid, "defer", reason="Leave")
    before = fingerprint(web)
    client = web.client("lead")
    shown = check(client, f"/specialists/{sid}/corrections/change-cohort",
                  {"cohort": "10", "reason": "r"})  # fmt: skip
    text = shown.get_data(as_text=True)
    assert "There is a problem" in text and "allocation for cohort 10 is full" in text
    assert fingerprint(web) == before


def test_a_part_paid_year_needs_the_override_to_change_cohort(instalment_web):
    web = instalment_web
    setup.add_cohort(web.runtime.uow(), ADMIN, 10, "cohort-10")
    setup.allocate(web.runtime.uow(), ADMIN, "north", 10, 2)
    (sid,) = web.world.nominate()
    fire(web, sid, "select")
    web.clock.set(at(date(2025, 9, 1), 9))
    fire(web, sid, "start_year1")
    web.clock.set(at(date(2026, 1, 16)))
    assert release_due(web.runtime, web.clock.now()) == 1
    web.clock.set(at(date(2026, 1, 20)))
    fire(web, sid, "defer", reason="Parental leave.")
    client = web.client("lead")
    path = f"/specialists/{sid}/corrections/change-cohort"
    assert "Override the requirements" in client.get(path).get_data(as_text=True)
    before = fingerprint(web)
    refused = check(client, path, {"cohort": "10", "reason": "Back next year."})
    text = refused.get_data(as_text=True)
    assert "There is a problem" in text
    assert "£750.00 of Year 1&#39;s funding was already released" in text
    assert fingerprint(web) == before
    shown = check(client, path, {"cohort": "10", "override": "y", "reason": "Back next year."})
    assert "9 to <strong>10</strong>" in shown.get_data(as_text=True)
    assert confirm(client, shown).status_code == 302
    with web.runtime.uow() as uow:
        entry = uow.session.scalar(
            select(AuditEntry).where(
                AuditEntry.specialist_id == sid, AuditEntry.name == "change_cohort"
            )
        )
        assert entry.override and entry.actor == LEAD_EMAIL
    page = client.get(f"/specialists/{sid}").get_data(as_text=True)
    assert "From cohort 9 to cohort 10 (overridden)." in page


def test_a_move_within_the_hub_tells_both_heads_and_the_money_follows(instalment_web):
    web = instalment_web
    setup.add_school(web.runtime.uow(), ADMIN, urn="100002", name="Second School",
                     hub_code="north", phase="secondary", funding="state", head_name="Sam",
                     head_email="head@second.example")  # fmt: skip
    sid = in_year1(web)
    with web.runtime.uow() as uow:
        pending = uow.session.scalar(
            select(func.sum(FundingEntry.amount_pence)).where(
                FundingEntry.specialist_id == sid, FundingEntry.status == "scheduled"
            )
        )
    client = web.client("lead")
    shown = check(client, f"/specialists/{sid}/corrections/move",
                  {"urn": "100002", "reason": "Changed school in September."})  # fmt: skip
    text = html.unescape(shown.get_data(as_text=True))
    assert "North Academy (URN 100001) to <strong>Second School (URN 100002)</strong>" in text
    assert "No hub's places change." in text
    rows = money_rows(shown)
    assert {r[0] for r in rows} == {"Moves school"} and {r[2] for r in rows} == {"Second School"}
    assert sum(r[4] for r in rows) == pending
    assert '"Specialist moved" to head@north.example' in text  # the old head is told
    assert '"Specialist moved" to the school\'s headteacher' in text  # and the new one
    assert confirm(client, shown).status_code == 302
    with web.runtime.uow() as uow:
        second = uow.session.scalar(select(School.id).where(School.urn == "100002"))
        moved = uow.session.scalar(
            select(func.sum(FundingEntry.amount_pence)).where(
                FundingEntry.specialist_id == sid, FundingEntry.school_id == second
            )
        )
    assert moved == pending and state_of(web, sid).school_id == second


def test_only_a_national_admin_moves_a_specialist_to_another_hub(web):
    (sid,) = web.world.nominate()
    fire(web, sid, "select")
    before = fingerprint(web)
    lead = web.client("lead")
    refused = check(lead, f"/specialists/{sid}/corrections/move",
                    {"urn": "200001", "reason": "Moved south"})  # fmt: skip
    text = refused.get_data(as_text=True)
    assert "There is a problem" in text
    assert "No school you can move this specialist to has this URN" in text
    assert fingerprint(web) == before
    admin = web.client("admin")
    shown = check(admin, f"/specialists/{sid}/corrections/move",
                  {"urn": "200001", "reason": "Moved south"})  # fmt: skip
    text = html.unescape(shown.get_data(as_text=True))
    assert "North Maths Hub to <strong>South Maths Hub</strong>" in text
    assert places_said(shown) == [
        "This frees 1 of North Maths Hub's 4 places for cohort 9: 1 used now, 0 after.",
        "This uses 1 of South Maths Hub's 4 places for cohort 9: 0 used now, 1 after.",
    ]
    assert confirm(admin, shown).status_code == 302
    assert (used(web, "north", 9), used(web, "south", 9)) == (0, 1)


def test_a_hub_lead_edits_the_name_and_the_old_one_stays_in_the_timeline(web):
    (sid,) = web.world.nominate()
    client = web.client("lead")
    path = f"/specialists/{sid}/corrections/edit"
    assert 'value="Teacher 0"' in client.get(path).get_data(as_text=True)
    shown = check(client, path, {"name": "Teacher Zero", "email": "teacher0.100001@school.example",
                                 "reason": "Spelt wrongly"})  # fmt: skip
    text = shown.get_data(as_text=True)
    assert "Teacher 0 to <strong>Teacher Zero</strong>" in text
    assert "No emails are sent now." in text
    assert confirm(client, shown).status_code == 302
    assert state_of(web, sid).name == "Teacher Zero"
    page = client.get(f"/specialists/{sid}").get_data(as_text=True)
    assert "Correction: details changed" in page and "Name was Teacher 0." in page
    assert "Email was" not in page  # only what changed is kept


def test_voiding_a_milestone_removes_its_claim_as_the_page_says(web):
    sid = in_year1(web)
    with web.runtime.uow() as uow:
        milestone, claim = uow.session.execute(
            select(AuditEntry.id, FundingLine.amount_pence)
            .join(FundingLine, FundingLine.milestone_id == AuditEntry.id)
            .where(AuditEntry.specialist_id == sid, AuditEntry.name == "central_day")
        ).one()
    client = web.client("lead")
    page = client.get(f"/specialists/{sid}").get_data(as_text=True)
    path = f"/specialists/{sid}/milestones/{milestone}/void"
    assert f'href="{path}"' in page
    shown = check(client, path, {"reason": "Recorded for the wrong teacher"})
    assert "Central day, 2 days" in shown.get_data(as_text=True)
    assert money_rows(shown) == [("Removed", "Year 1 claim", "North Academy", "–", claim)]
    assert confirm(client, shown).status_code == 302
    with web.runtime.uow() as uow:
        line = uow.session.scalar(select(FundingLine).where(FundingLine.milestone_id == milestone))
        assert line.removed_at is not None and line.amount_pence == claim
    page = client.get(f"/specialists/{sid}").get_data(as_text=True)
    assert "Voided" in page and "Correction: milestone voided" in page
    assert f'href="{path}"' not in page  # voided once
    assert "The milestone has been voided for Teacher 0" in page


def test_a_national_admin_nominates_late_with_a_reason(web):
    web.clock.set(at(date(2025, 7, 15)))
    assert "nominate a teacher late" not in web.client("lead").get("/nominations/new").get_data(
        as_text=True
    )
    assert web.client("lead").get("/nominations/late").status_code == 403
    client = web.client("admin")
    assert "nominate a teacher late" in client.get("/nominations/new").get_data(as_text=True)
    data = {"cohort": "9", "urn": "100001", "name": "Ada Lovelace", "email": "ada@school.example",
            "qts": "yes", "teaching_since": ["1", "9", "2015"],
            "reason": "The head was ill in July."}  # fmt: skip
    before = fingerprint(web)
    shown = check(client, "/nominations/late", data)
    text = shown.get_data(as_text=True)
    assert "Check before you nominate Ada Lovelace" in text
    assert "Nomination received" in text  # the email it sends
    assert fingerprint(web) == before
    done = confirm(client, shown)
    assert done.status_code == 302
    sid = int(done.location.rsplit("/", 1)[1])
    with web.runtime.uow() as uow:
        entry = uow.session.scalar(select(AuditEntry).where(AuditEntry.specialist_id == sid))
        assert entry.override and entry.actor == STAFF["admin"][0]
        assert entry.reason.startswith("The head was ill in July. (overrode:")


# --- Who is offered what, and whose POST is refused --------------------------------------------

CORRECTIONS = {  # name -> the state of the specialist it needs, and its form's values
    "undo-withdrawal": ("withdrawn", {"reason": "r"}),
    "reinstate": ("not_selected", {"reason": "r"}),
    "change-cohort": ("deferred", {"cohort": "10", "reason": "r"}),
    "move": ("selected", {"urn": "100002", "reason": "r"}),
    "edit": ("selected", {"name": "New Name", "email": "new@school.example", "reason": "r"}),
}
LINKS = {
    "undo-withdrawal": "Undo the withdrawal",
    "reinstate": "Reinstate from the reserve list",
    "change-cohort": "Change cohort",
    "move": "Move to another school",
    "edit": "Change name or email",
}


def _targets(web, school: str) -> dict:
    ids = web.world.nominate(4, school=school)
    nominated_then_declined, selected, deferred, withdrawn = ids
    for sid in (selected, deferred, withdrawn):
        fire(web, sid, "select")
    fire(web, nominated_then_declined, "decline", reason="reserve")
    fire(web, deferred, "defer", reason="leave")
    fire(web, withdrawn, "withdraw", reason="left")
    return {"not_selected": nominated_then_declined, "selected": selected,
            "deferred": deferred, "withdrawn": withdrawn}  # fmt: skip


def test_the_authorisation_matrix_of_corrections(web):
    setup.add_cohort(web.runtime.uow(), ADMIN, 10, "cohort-10")
    setup.allocate(web.runtime.uow(), ADMIN, "north", 10, 2)
    setup.allocate(web.runtime.uow(), ADMIN, "south", 10, 2)
    setup.add_school(web.runtime.uow(), ADMIN, urn="100002", name="Second School",
                     hub_code="north", phase="secondary", funding="state", head_name="Sam",
                     head_email="head@second.example")  # fmt: skip
    north = _targets(web, "100001")
    south = _targets(web, "200001")
    record(web, north["selected"], "launch_attended")
    with web.runtime.uow() as uow:
        launch = uow.session.scalar(
            select(AuditEntry.id).where(AuditEntry.specialist_id == north["selected"],
                                        AuditEntry.name == "launch_attended")
        )  # fmt: skip
    void_path = f"/specialists/{north['selected']}/milestones/{launch}/void"
    for who, allowed in (("admin", True), ("lead", True), ("staff", False), ("viewer", False)):
        client = web.client(who)
        for name, (state, data) in CORRECTIONS.items():
            sid = north[state]
            page = client.get(f"/specialists/{sid}").get_data(as_text=True)
            assert (LINKS[name] in page) is allowed, (who, name)
            if name == "move":  # across hubs: national admins only
                assert ("Move to another school or hub" in page) is (who == "admin")
            path = f"/specialists/{sid}/corrections/{name}"
            before = fingerprint(web)
            assert client.get(path).status_code == (200 if allowed else 403), (who, name)
            if not allowed:
                token = csrf_token(client, f"/specialists/{sid}")
                for target in (path, path + "/confirm"):
                    refused = client.post(target, data={"csrf_token": token, **data})
                    assert refused.status_code == 403, (who, name, target)
                assert fingerprint(web) == before
        page = client.get(f"/specialists/{north['selected']}").get_data(as_text=True)
        assert (f'href="{void_path}"' in page) is allowed
        assert client.get(void_path).status_code == (200 if allowed else 403)
    # Another hub's specialist: "Page not found", on GET and POST, and nothing changes.
    client = web.client("lead")
    token = csrf_token(client, f"/specialists/{north['selected']}")
    before = fingerprint(web)
    for name, (state, data) in CORRECTIONS.items():
        path = f"/specialists/{south[state]}/corrections/{name}"
        assert client.get(path).status_code == 404
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 404
        assert client.post(path + "/confirm",
                           data={"csrf_token": token, **data}).status_code == 404  # fmt: skip
    assert client.get(f"/specialists/{south['selected']}/milestones/{launch}/void").status_code \
        == 404  # fmt: skip
    assert fingerprint(web) == before
    # A correction that does not apply in the state is not offered and refused (409).
    page = client.get(f"/specialists/{north['selected']}").get_data(as_text=True)
    assert "Undo the withdrawal" not in page
    path = f"/specialists/{north['selected']}/corrections/undo-withdrawal"
    assert client.get(path).status_code == 409
    assert client.post(path, data={"csrf_token": token, "reason": "r"}).status_code == 409
    assert fingerprint(web) == before
    # A late nomination: national admins only.
    for who, status in (("admin", 200), ("lead", 403), ("staff", 403), ("viewer", 403)):
        other = web.client(who)
        assert other.get("/nominations/late").status_code == status, who
        if status == 403:
            token = csrf_token(other, f"/specialists/{north['selected']}")
            for target in ("/nominations/late", "/nominations/late/confirm"):
                data = {"csrf_token": token, "urn": "100001", "reason": "r"}
                assert other.post(target, data=data).status_code == 403
    assert fingerprint(web) == before
    # Signed out: to the sign-in page.
    for page_path in (path, void_path, "/nominations/late"):
        signed_out = web.client().get(page_path)
        assert signed_out.status_code == 302 and "/sign-in?next=" in signed_out.location


# --- Bad input and a stale version change nothing ----------------------------------------------


def test_bad_input_shows_the_error_summary_and_changes_nothing(web):
    sid = withdrawn_in_year1(web)
    client = web.client("lead")
    before = fingerprint(web)
    for path, data, message in (
        (f"/specialists/{sid}/corrections/undo-withdrawal", {"reason": "  "},
         "Enter the reason for the correction"),
        (f"/specialists/{sid}/corrections/undo-withdrawal/confirm", {"reason": ""},
         "Enter the reason for the correction"),
        (f"/specialists/{sid}/corrections/undo-withdrawal", {"reason": "x" * 2001},
         "Reason must be 2,000 characters or fewer"),
    ):  # fmt: skip
        response = check(client, path, data)
        text = response.get_data(as_text=True)
        assert "There is a problem" in text and message in text
        assert 'href="#reason"' in text
    (other,) = web.world.nominate(school="100001", name="Other", email="other@school.example")
    fire(web, other, "select")
    before = fingerprint(web)
    bad_urn = check(client, f"/specialists/{other}/corrections/move",
                    {"urn": "12", "reason": "r"})  # fmt: skip
    assert "Enter a URN of 6 digits, like 137421" in bad_urn.get_data(as_text=True)
    unknown = check(client, f"/specialists/{other}/corrections/move",
                    {"urn": "999999", "reason": "r"})  # fmt: skip
    assert "No school you can move this specialist to has this URN" in unknown.get_data(
        as_text=True
    )
    bad_email = check(client, f"/specialists/{other}/corrections/edit",
                      {"name": "Other", "email": "not an address", "reason": "r"})  # fmt: skip
    assert "There is a problem" in bad_email.get_data(as_text=True)
    same = check(client, f"/specialists/{other}/corrections/edit",
                 {"name": "Other", "email": "other@school.example", "reason": "r"})  # fmt: skip
    assert "Change the name or the email address" in same.get_data(as_text=True)
    assert fingerprint(web) == before


def test_a_change_made_meanwhile_by_someone_else_is_refused(web):
    sid = withdrawn_in_year1(web)
    client = web.client("lead")
    shown = check(client, f"/specialists/{sid}/corrections/undo-withdrawal", {"reason": "Mistake"})
    assert shown.status_code == 200
    # Meanwhile a national admin corrects the email address: the version moves on.
    changes.edit_specialist(web.runtime.uow(), ADMIN, sid, web.clock.now(),
                            email="new.address@school.example", reason="typo")  # fmt: skip
    before = fingerprint(web)
    stale = confirm(client, shown)
    assert stale.status_code == 409
    text = stale.get_data(as_text=True)
    assert "There is a problem" in text
    assert "This specialist was changed by someone else: check and try again" in text
    assert fingerprint(web) == before and state_of(web, sid).state == "withdrawn"
