"""Bulk actions from the list (``/specialists/bulk``), on SQLite and PostgreSQL: the list's
checkboxes, the confirmation (who it will apply to, and why not; nothing done), "Confirm"
(each specialist done in its own transaction, each outcome shown), a confirmation posted
twice, authorisation (a viewer, an action the role may not take, another hub's id slipped
into the form), too many specialists, and bad input (an error summary, nothing changed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.web.conftest import csrf_token
from workflow.db.models import AuditEntry, DueItem, Refusal, RegisterMark, Specialist
from workflow.services.auth import SYSTEM
from workflow.services.bulk import MAX_SPECIALISTS
from workflow.services.specialists import advance, transition

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@pytest.fixture
def people(web):
    """North: Ann and Bob selected, Cat nominated, Dan deferred; south: Sue selected."""
    world, now = web.world, web.clock.now()
    ids = {}
    for name in ("Ann", "Bob", "Cat", "Dan"):
        ids[name] = world.nominate(1, name=f"{name} Teacher", email=f"{name}@school.example")[0]
    ids["Sue"] = world.nominate(
        1, school=world.other_school, name="Sue Teacher", email="sue@school.example"
    )[0]
    for name in ("Ann", "Bob", "Dan", "Sue"):
        transition(web.runtime.uow(), SYSTEM, ids[name], "select", now)
    transition(web.runtime.uow(), SYSTEM, ids["Dan"], "defer", now, reason="Leave")
    return ids


def fingerprint(web) -> tuple:
    with web.runtime.uow() as uow:
        s = uow.session
        return (
            s.scalar(select(func.count(AuditEntry.id))),
            s.scalar(select(func.count(DueItem.id))),
            tuple(s.execute(select(Specialist.id, Specialist.state, Specialist.version)).all()),
        )


def states(web, ids) -> list[str]:
    with web.runtime.uow() as uow:
        return [uow.session.get(Specialist, sid).state for sid in ids]


def send(client, ids, action, **details):
    """The list's form: ticked ``ids``, the action and its details."""
    data = {"csrf_token": csrf_token(client, "/specialists"), "bulk_action": action,
            "specialist": [str(i) for i in ids], "list_state": "selected", **details}  # fmt: skip
    return client.post("/specialists/bulk", data=data)


def confirm(client, page: str):
    """Press "Confirm" on a confirmation page: post its form's hidden fields."""
    form = page[page.index('name="step"') - 200 :]
    data: dict[str, list[str]] = {}
    for name, value in HIDDEN.findall(form):
        data.setdefault(name, []).append(value.replace("&#34;", '"').replace("&#39;", "'"))
    return client.post("/specialists/bulk", data=data)


def rows(page: str) -> dict[str, str]:
    """The outcome column of each row, by the row's first cell's text."""
    found = {}
    for row in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", page, re.S)[1:]:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        name = re.sub(r"<[^>]+>", "", cells[0]).strip()
        found[name] = " ".join(re.sub(r"<[^>]+>", " ", cells[-1]).split())
    return found


def test_the_list_offers_checkboxes_to_staff_who_may_act(web, people):
    lead = web.client("lead").get("/specialists").get_data(as_text=True)
    assert lead.count('name="specialist"') == 4
    label = f'for="specialist-{people["Ann"]}"><span class="govuk-visually-hidden">Ann Teacher'
    assert label in lead
    assert "Select all on this page" in lead
    assert all(a in lead for a in ("Record attendance", "Defer", "Send a reminder"))
    staff = web.client("staff").get("/specialists").get_data(as_text=True)
    assert 'value="record"' in staff and 'value="remind"' in staff
    assert 'value="defer"' not in staff
    viewer = web.client("viewer").get("/specialists").get_data(as_text=True)
    assert 'name="specialist"' not in viewer and "/specialists/bulk" not in viewer
    assert "Select all on this page" not in viewer


def test_select_all_ticks_every_row_of_the_page_without_javascript(web, people):
    client = web.client("lead")
    page = client.get("/specialists?state=selected&all=1").get_data(as_text=True)
    assert page.count(" checked>") == 2 and "Clear the selection" in page
    assert 'name="list_state" value="selected"' in page
    assert client.get("/specialists?state=selected").get_data(as_text=True).count(" checked>") == 0


def test_the_confirmation_shows_who_it_applies_to_and_does_nothing(web, people):
    before = fingerprint(web)
    ids = [people[n] for n in ("Ann", "Bob", "Cat", "Dan")]
    response = send(web.client("lead"), ids, "defer", reason="Maternity leave")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Check before you confirm – Mastery Specialists</title>" in page
    assert "Nothing has been done yet" in page and "Maternity leave" in page
    outcome = rows(page)
    assert outcome["Ann Teacher"] == "Will apply" and outcome["Bob Teacher"] == "Will apply"
    assert outcome["Cat Teacher"].startswith(
        "Will not apply Cannot defer a specialist who is nominated"
    )
    assert outcome["Dan Teacher"].startswith(
        "Will not apply Cannot defer a specialist who is deferred"
    )
    assert "it will apply to 2, not to 2" in page
    assert fingerprint(web) == before


def test_confirm_defers_each_one_and_reports_each_outcome(web, people):
    client = web.client("lead")
    ids = [people[n] for n in ("Ann", "Bob", "Cat")]
    page = send(client, ids, "defer", reason="Maternity leave").get_data(as_text=True)
    response = confirm(client, page)
    result = response.get_data(as_text=True)
    assert (
        response.status_code == 200 and '<h1 class="govuk-heading-l">What was done</h1>' in result
    )
    outcome = rows(result)
    assert outcome["Ann Teacher"] == "Done" and outcome["Bob Teacher"] == "Done"
    assert outcome["Cat Teacher"].startswith("Not done Cannot defer a specialist who is nominated")
    assert "Done for 2 of 3 specialists" in result
    assert states(web, ids) == ["deferred", "deferred", "nominated"]
    with web.runtime.uow() as uow:
        reasons = uow.session.scalars(
            select(AuditEntry.reason).where(
                AuditEntry.name == "defer", AuditEntry.specialist_id.in_(ids)
            )
        ).all()
    assert reasons == ["Maternity leave", "Maternity leave"]
    # Back to the list, its filter kept.
    assert 'href="/specialists?state=selected">Back to the list</a>' in result


def test_a_confirmation_posted_twice_does_it_once(web, people):
    client = web.client("lead")
    ids = [people["Ann"], people["Bob"]]
    page = send(client, ids, "record", milestone="launch_attended").get_data(as_text=True)
    assert confirm(client, page).status_code == 200
    once = fingerprint(web)
    again = confirm(client, page).get_data(as_text=True)
    assert all(v.startswith("Not done Changed since you confirmed") for v in rows(again).values())
    assert fingerprint(web) == once
    with web.runtime.uow() as uow:
        recorded = uow.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.name == "launch_attended")
        )
    assert recorded == 2


def test_recording_in_bulk_records_each_one_it_may(web, people):
    client = web.client("staff")
    ids = [people["Ann"], people["Cat"]]
    page = send(client, ids, "record", milestone="launch_attended",
                on=["15", "5", "2025"]).get_data(as_text=True)  # fmt: skip
    assert "Record launch attended, on 15 May 2025" in page
    result = rows(confirm(client, page).get_data(as_text=True))
    assert result["Ann Teacher"] == "Done"
    assert result["Cat Teacher"].startswith("Not done Cannot record launch attended")
    with web.runtime.uow() as uow:
        entries = uow.session.execute(
            select(AuditEntry.specialist_id, AuditEntry.occurred_on, AuditEntry.actor).where(
                AuditEntry.name == "launch_attended"
            )
        ).all()
    assert [(e[0], e[1].isoformat(), e[2]) for e in entries] == [
        (people["Ann"], "2025-05-15", "staff@north.example")
    ]


def test_a_reminder_in_bulk_is_queued_once_a_day(web, people):
    client = web.client("staff")
    ids = [people["Ann"], people["Cat"]]
    page = send(client, ids, "remind", reminder="next_event").get_data(as_text=True)
    check = rows(page)
    assert check["Ann Teacher"].startswith("Will apply Cohort 9 launch event on 30 September 2025")
    assert check["Cat Teacher"].startswith("Will not apply No event to remind")
    assert rows(confirm(client, page).get_data(as_text=True))["Ann Teacher"].startswith("Done")
    with web.runtime.uow() as uow:
        items = uow.session.execute(
            select(DueItem.key, DueItem.payload).where(DueItem.key.contains(":now-"))
        ).all()
    assert len(items) == 1
    key, payload = items[0]
    assert key.startswith(f"reminder:{people['Ann']}:launch_reminder:now-2025-06-02:")
    assert payload["to"] == "specialist" and payload["extra"]["days_before"] == 120
    again = send(client, [people["Ann"]], "remind", reminder="next_event").get_data(as_text=True)
    assert (
        rows(again)["Ann Teacher"] == "Will not apply This reminder was already sent to them today"
    )


def test_another_hubs_id_slipped_into_the_form_is_not_found_and_left_alone(web, people):
    client = web.client("lead")
    ids = [people["Ann"], people["Sue"]]
    page = send(client, ids, "defer", reason="Leave").get_data(as_text=True)
    assert "Sue Teacher" not in page and "South" not in page
    assert rows(page)[f"Specialist {people['Sue']}"].startswith("Will not apply Not found")
    result = confirm(client, page).get_data(as_text=True)
    assert rows(result)[f"Specialist {people['Sue']}"].startswith("Not done Not found")
    assert states(web, [people["Ann"], people["Sue"]]) == ["deferred", "selected"]
    with web.runtime.uow() as uow:  # the refusal is on record, as for one specialist
        assert uow.session.scalar(
            select(func.count(Refusal.id)).where(Refusal.target == str(people["Sue"]))
        )


def test_a_viewer_may_not_post_and_staff_may_not_defer(web, people):
    before = fingerprint(web)
    viewer = web.client("viewer")
    response = send(viewer, [people["Ann"]], "record", milestone="launch_attended")
    assert response.status_code == 403
    response = send(web.client("staff"), [people["Ann"]], "defer", reason="Leave")
    assert response.status_code == 403
    assert fingerprint(web) == before


def test_signed_out_is_sent_to_sign_in_and_get_goes_to_the_list(web):
    assert web.client().get("/specialists/bulk").headers["Location"].startswith("/sign-in")
    assert web.client("lead").get("/specialists/bulk").headers["Location"] == "/specialists"


def test_too_many_specialists_is_an_error_and_nothing_is_done(web, people):
    before = fingerprint(web)
    ids = list(range(1, MAX_SPECIALISTS + 2))
    page = send(web.client("lead"), ids, "defer", reason="Leave").get_data(as_text=True)
    assert "There is a problem" in page and "Select at most 200 specialists" in page
    assert fingerprint(web) == before


@pytest.mark.parametrize(
    ("ids", "action", "details", "message"),
    [
        ("Ann", "defer", {}, "Enter the reason"),
        ("", "defer", {"reason": "Leave"}, "Select at least one specialist"),
        ("Ann", "", {}, "Select what to do to the selected specialists"),
        ("Ann", "record", {}, "Select the milestone to record"),
        (
            "Ann",
            "record",
            {"milestone": "central_day", "days": "0.3"},
            "Enter days in steps of 0.5",
        ),
        ("Ann", "remind", {}, "Select the reminder to send"),
        ("Ann", "record", {"event": "9:no-such-event"}, "Select an event from the list"),
    ],
)
def test_bad_input_shows_an_error_summary_and_changes_nothing(web, people, ids, action, details,
                                                              message):  # fmt: skip
    before = fingerprint(web)
    chosen = [people[ids]] if ids else []
    response = send(web.client("lead"), chosen, action, **details)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and message in page
    assert "<title>Error: Specialists – Mastery Specialists</title>" in page
    if chosen:  # the ticks are kept
        assert f'value="{people["Ann"]}" checked>' in page
    assert fingerprint(web) == before


def test_attendance_at_an_event_records_its_milestone_and_register_mark(web, people):
    web.clock.set(datetime(2025, 10, 20, 9, tzinfo=UTC))  # after the launch and central event 1
    advance(web.runtime.uow(), SYSTEM, people["Bob"], web.clock.now(), override=True, reason="t")
    client = web.client("staff")
    listed = client.get("/specialists").get_data(as_text=True)
    assert "Cohort 9: Cohort 9 launch event, 30 September 2025" in listed
    assert "9:y1-central1" in listed and "9:y1-central2" not in listed  # begun ones only
    ids = [people["Ann"], people["Bob"], people["Cat"]]
    page = send(client, ids, "record", event="9:y1-central1").get_data(as_text=True)
    assert "Record attendance at Cohort 9: Central event 1" in page
    check = rows(page)
    assert check["Bob Teacher"] == "Will apply"
    assert check["Ann Teacher"].startswith("Will not apply Cannot record central day")
    result = rows(confirm(client, page).get_data(as_text=True))
    assert result["Bob Teacher"] == "Done" and result["Cat Teacher"].startswith("Not done")
    with web.runtime.uow() as uow:
        marks = uow.session.execute(
            select(RegisterMark.specialist_id, AuditEntry.name, AuditEntry.half_days).join(
                AuditEntry, AuditEntry.id == RegisterMark.milestone_id
            )
        ).all()
    assert [tuple(m) for m in marks] == [(people["Bob"], "central_day", 2)]
    again = send(client, [people["Bob"]], "record", event="9:y1-central1").get_data(as_text=True)
    assert rows(again)["Bob Teacher"].startswith("Will not apply Already on the register")
