"""Issue 15's "done when", on the days basis: claims from the days recorded, statements per
school per release date, lapses at year end, clawbacks, and the daily invariant check."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from tests.integration.conftest import ADMIN
from workflow.db.models import (
    AuditEntry,
    FundingLine,
    OutboxMessage,
    School,
    Specialist,
    Statement,
)
from workflow.errors import DomainError, NotPermitted
from workflow.notify.notifications import FUNDING_INVARIANT_VIOLATION
from workflow.scheduler.dispatch import dispatch_due
from workflow.scheduler.jobs import default_handlers
from workflow.services import changes, corrections, emails, funding, setup, staff
from workflow.services.advancement import advance_cohort
from workflow.services.auth import Actor, Role
from workflow.services.funding import invariants
from workflow.services.funding.statements import list_statements, mark_paid
from workflow.services.specialists import record_milestone, transition
from workflow.services.views import stuck_specialists

LONDON = ZoneInfo("Europe/London")
HANDLERS = default_handlers()
STATEMENTS = {funding.GATHER_STATEMENTS: HANDLERS[funding.GATHER_STATEMENTS]}
CHECK = {invariants.FUNDING_CHECK: HANDLERS[invariants.FUNDING_CHECK]}


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON).astimezone(UTC)


def fire(world, sid, trigger, **kwargs):
    return transition(world.runtime.uow(), ADMIN, sid, trigger, world.clock.now(), **kwargs)


def days(world, sid, kind: str, half_days: int, on: date) -> None:
    world.clock.set(at(on))
    record_milestone(
        world.runtime.uow(), ADMIN, sid, kind, world.clock.now(), half_days=half_days, on=on
    )


def statements_on(world, day: date) -> None:
    world.clock.set(at(day))
    dispatch_due(world.runtime, STATEMENTS, now=world.clock.now())


def report(world, cohort: int) -> dict:
    return funding.report(world.runtime.uow(), ADMIN, cohort).as_dict()


def statement_totals(world, cohort: int) -> list[tuple[str, int, str]]:
    return [
        (s.release_date.isoformat(), s.total_pence, s.status)
        for s in list_statements(world.runtime.uow(), ADMIN, cohort)
    ]


def started_cohort_9(world) -> int:
    (sid,) = world.nominate()
    fire(world, sid, "select")
    world.clock.set(at(date(2025, 9, 1)))
    fire(world, sid, "start_year1")
    return sid


def identity_holds(totals: dict) -> bool:
    return totals["entitled_pence"] == (
        totals["released_pence"] + totals["scheduled_pence"] + totals["cancelled_pence"]
    )


def test_cohort_9_all_seven_and_a_half_days_are_paid_on_the_release_dates_after_them(world):
    sid = started_cohort_9(world)
    days(world, sid, "central_day", 2, date(2025, 10, 16))  # before the first release date
    days(world, sid, "development_day", 2, date(2025, 11, 20))
    statements_on(world, date(2026, 1, 15))
    days(world, sid, "central_day", 2, date(2026, 1, 29))  # after it: the second statement
    days(world, sid, "central_day", 7, date(2026, 5, 14))
    days(world, sid, "development_day", 2, date(2026, 6, 10))
    days(world, sid, "development_day", 2, date(2026, 6, 11))  # beyond 7.5 days: not paid
    statements_on(world, date(2026, 7, 15))
    statements_on(world, date(2026, 7, 15))  # run twice: nothing more

    assert statement_totals(world, 9) == [
        ("2026-01-15", 2 * 20000, "payable"),
        ("2026-07-15", int(5.5 * 20000), "payable"),
    ]
    totals = report(world, 9)["totals"]
    assert totals["released_pence"] == totals["claimed_pence"] == 15 * 20000 // 2  # 7.5 days
    assert (totals["scheduled_pence"], totals["cancelled_pence"]) == (0, 0)
    assert identity_holds(totals)


def test_cohort_9_four_central_days_are_paid_and_the_rest_lapses_at_year_end(world):
    sid = started_cohort_9(world)
    days(world, sid, "central_day", 2, date(2025, 10, 16))
    days(world, sid, "central_day", 2, date(2026, 1, 29))
    days(world, sid, "central_day", 4, date(2026, 5, 14))
    statements_on(world, date(2026, 1, 15))
    before_year_end = report(world, 9)["totals"]
    assert before_year_end["cancelled_pence"] == 0
    assert before_year_end["scheduled_pence"] == 150000 - 20000
    statements_on(world, date(2026, 7, 15))  # the year's last release date

    totals = report(world, 9)["totals"]
    assert totals["released_pence"] == 4 * 20000
    assert totals["cancelled_pence"] == 150000 - 4 * 20000
    assert totals["scheduled_pence"] == 0 and identity_holds(totals)
    days(world, sid, "development_day", 2, date(2026, 7, 16))  # after the year closed
    assert report(world, 9)["totals"] == totals


def test_cohort_2_is_paid_3000_pounds_each_year_with_the_bursary_as_its_own_line(world):
    rt = world.runtime
    setup.add_cohort(rt.uow(), ADMIN, 2, "cohort-2")
    setup.allocate(rt.uow(), ADMIN, "north", 2, 4)
    world.clock.set(at(date(2018, 2, 1)))
    (sid,) = world.nominate(cohort=2, teaching_since=date(2010, 9, 1))
    fire(world, sid, "select")
    world.clock.set(at(date(2018, 3, 1)))
    fire(world, sid, "start_year1")
    days(world, sid, "central_day", 4, date(2018, 3, 27))  # residential 1 (London)
    days(world, sid, "development_day", 4, date(2018, 4, 10))  # two days in the hub
    statements_on(world, date(2018, 4, 30))
    days(world, sid, "central_day", 4, date(2018, 7, 4))  # residential 2
    days(world, sid, "development_day", 8, date(2018, 7, 9))  # four days' departmental work
    statements_on(world, date(2018, 7, 20))
    with rt.uow() as uow:
        bursary = uow.session.execute(
            select(FundingLine.amount_pence, Statement.release_date)
            .join(Statement, Statement.id == FundingLine.statement_id)
            .where(FundingLine.kind == "bursary")
        ).all()
    assert [tuple(b) for b in bursary] == [(100000, date(2018, 7, 20))]
    year1 = sum(total for _, total, _ in statement_totals(world, 2))
    assert year1 == 300000

    world.clock.set(at(date(2018, 9, 3)))
    assert advance_cohort(rt.uow(), ADMIN, 2, "start_year2", world.clock.now()).advanced == 1
    for n, on in enumerate((date(2018, 11, 1), date(2019, 2, 1), date(2019, 6, 1))):
        days(world, sid, "central_day", 4, on)  # three residentials
        days(world, sid, "development_day", 6, on.replace(day=2 + n))
    for release in (date(2018, 12, 14), date(2019, 3, 29), date(2019, 7, 19)):
        statements_on(world, release)
    year2 = sum(total for _, total, _ in statement_totals(world, 2)) - year1
    assert year2 == 300000  # fifteen days at 200 pounds
    totals = report(world, 2)["totals"]
    assert totals["entitled_pence"] == totals["released_pence"] == 600000
    assert identity_holds(totals)


def void(world, sid: int, milestone_id: int) -> int:
    """``workflow milestone void``: issue 14's service, which calls the funding reaction."""
    return corrections.void_milestone(
        world.runtime.uow(), ADMIN, sid, milestone_id, "recorded by mistake", world.clock.now()
    )


def milestone_ids(world, sid) -> list[int]:
    with world.runtime.uow() as uow:
        return list(
            uow.session.scalars(
                select(AuditEntry.id)
                .where(AuditEntry.specialist_id == sid, AuditEntry.kind == "milestone")
                .order_by(AuditEntry.id)
            )
        )


def test_a_voided_unpaid_day_leaves_its_statement_and_a_paid_one_is_clawed_back(world):
    rt = world.runtime
    sid = started_cohort_9(world)
    days(world, sid, "central_day", 2, date(2025, 10, 16))
    days(world, sid, "central_day", 2, date(2025, 11, 13))
    statements_on(world, date(2026, 1, 15))
    first, second = milestone_ids(world, sid)
    (statement,) = list_statements(rt.uow(), ADMIN, 9)
    void(world, sid, second)  # the statement is not paid yet: the line leaves it
    assert statement_totals(world, 9) == [("2026-01-15", 20000, "payable")]

    lead = Actor("lead@north.example", Role.HUB_LEAD, hub_id=statement_hub(world, statement.id))
    world.clock.set(at(date(2026, 1, 20)))
    mark_paid(rt.uow(), lead, statement.id, world.clock.now(), reference="BACS 1234")
    with pytest.raises(DomainError, match="already paid"):
        mark_paid(rt.uow(), ADMIN, statement.id, world.clock.now())
    hub_staff = Actor("staff@north.example", Role.HUB_STAFF, hub_id=lead.hub_id)
    with pytest.raises(NotPermitted):
        mark_paid(rt.uow(), hub_staff, statement.id, world.clock.now())

    world.clock.set(at(date(2026, 2, 1)))
    void(world, sid, first)  # paid: never edited, reversed on the next statement
    with pytest.raises(DomainError, match="already voided"):
        void(world, sid, first)
    days(world, sid, "central_day", 4, date(2026, 5, 14))
    statements_on(world, date(2026, 7, 15))
    assert statement_totals(world, 9) == [
        ("2026-01-15", 20000, "paid"),
        ("2026-07-15", 40000 - 20000, "payable"),
    ]
    with rt.uow() as uow:
        email = uow.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.payload["template"].as_string() == "funding_statement")
            .order_by(OutboxMessage.id.desc())
        ).first()
    with rt.uow() as uow:
        finished = emails.compose(
            uow.connection(), rt.renderer, email.payload, at(date(2026, 7, 15)), "hub@example.org"
        )
    text = finished.message().get_body(("plain",)).get_content()
    assert finished.recipients == ("finance@north.example",)
    assert "clawback" in text and "-£200.00" in text
    totals = report(world, 9)["totals"]
    assert totals["clawed_back_pence"] == 20000 and totals["paid_pence"] == 20000
    assert identity_holds(totals)
    with rt.uow() as uow:
        assert invariants.violations(uow.session) == []


def statement_hub(world, statement_id: int) -> int:
    with world.runtime.uow() as uow:
        return uow.session.scalar(
            select(School.hub_id)
            .join(Statement, Statement.school_id == School.id)
            .where(Statement.id == statement_id)
        )


def test_withdrawal_pays_the_days_recorded_and_nothing_after(world):
    sid = started_cohort_9(world)
    days(world, sid, "central_day", 3, date(2025, 10, 16))
    world.clock.set(at(date(2025, 12, 1)))
    fire(world, sid, "withdraw", reason="left the school")
    statements_on(world, date(2026, 1, 15))
    statements_on(world, date(2026, 7, 15))
    assert statement_totals(world, 9) == [("2026-01-15", 30000, "payable")]
    totals = report(world, 9)["totals"]
    assert totals["cancelled_pence"] == 150000 - 30000 and identity_holds(totals)


def test_a_manual_adjustment_is_a_line_of_its_own_kind_on_the_next_statement(world):
    sid = started_cohort_9(world)
    world.clock.set(at(date(2025, 12, 1)))
    funding.adjust(
        world.runtime.uow(), ADMIN, sid, None, 2500, "travel to the residential", world.clock.now()
    )
    statements_on(world, date(2026, 1, 15))
    assert statement_totals(world, 9) == [("2026-01-15", 2500, "payable")]
    with world.runtime.uow() as uow:
        kinds = list(uow.session.scalars(select(FundingLine.kind)))
    assert kinds == ["adjustment"]
    totals = report(world, 9)["totals"]
    assert totals["entitled_pence"] == 152500 and identity_holds(totals)


def test_the_daily_check_catches_a_broken_row_and_emails_the_national_admins(world):
    rt = world.runtime
    staff.init(rt.uow(), "nat@ncetm.example", "Nat Admin", world.clock.now())
    sid = started_cohort_9(world)
    days(world, sid, "central_day", 2, date(2025, 10, 16))
    statements_on(world, date(2026, 1, 15))
    world.clock.set(at(date(2026, 1, 16), 7))
    dispatch_due(rt, CHECK, now=world.clock.now())
    with rt.uow() as uow:
        assert invariants.violations(uow.session) == []
        sent = uow.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.payload["template"].as_string() == FUNDING_INVARIANT_VIOLATION.name
            )
        ).all()
    assert sent == []

    with rt.uow() as uow:  # break it: a paid day inflated beyond the year's entitlement
        uow.session.execute(
            update(FundingLine).where(FundingLine.specialist_id == sid).values(amount_pence=999999)
        )
        uow.commit()
    world.clock.set(at(date(2026, 1, 17), 7))
    dispatch_due(rt, CHECK, now=world.clock.now())
    with rt.uow() as uow:
        sent = uow.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.payload["template"].as_string() == FUNDING_INVARIANT_VIOLATION.name
            )
        ).all()
    assert [m.payload["to"] for m in sent] == ["national_admin"]  # every national admin
    assert sent[0].payload["extra"]["cohort_number"] == 9
    checks = {v["check"] for v in sent[0].payload["extra"]["violations"]}
    assert {"year above its entitlement", "statement total"} <= checks


def test_the_hub_lead_sees_what_will_lapse_on_the_stuck_list_beforehand(world):
    sid = started_cohort_9(world)
    days(world, sid, "central_day", 8, date(2026, 5, 14))
    (row,) = stuck_specialists(world.runtime.uow(), ADMIN, cohort=9)
    assert row["id"] == sid
    assert row["funding_lapses"] == [{"year": 1, "pence": 150000 - 80000, "on": "2026-07-15"}]
    statements_on(world, date(2026, 7, 15))
    (row,) = stuck_specialists(world.runtime.uow(), ADMIN, cohort=9)
    assert row["funding_lapses"] == []  # lapsed now: cancelled in the report
    assert report(world, 9)["totals"]["cancelled_pence"] == 70000


def test_undoing_a_withdrawal_reopens_the_year_for_the_reinstate_correction(world):
    """What issue 14's reinstate calls (``funding.undo_withdrawal``), on the days basis."""
    rt = world.runtime
    sid = started_cohort_9(world)
    days(world, sid, "central_day", 4, date(2025, 10, 16))
    world.clock.set(at(date(2025, 12, 1)))
    fire(world, sid, "withdraw", reason="left")
    assert report(world, 9)["totals"]["cancelled_pence"] == 150000 - 40000
    with rt.uow() as uow:
        specialist = uow.session.get(Specialist, sid)
        withdrawn_at = world.clock.now()
        funding.undo_withdrawal(uow.session, specialist, ADMIN, withdrawn_at, at(date(2025, 12, 2)))
        uow.commit()
    totals = report(world, 9)["totals"]
    assert totals["cancelled_pence"] == 0 and totals["scheduled_pence"] == 150000
    statements_on(world, date(2026, 1, 15))
    with rt.uow() as uow:
        assert funding.year_released(uow.session, sid, 1) == 40000


def test_a_hubs_own_report_has_the_same_figures_as_its_rows_in_the_national_one(world):
    """After a move to another hub's school mid-year, the year counts for the new school
    and the days claimed before stay with the old one: each hub's own report (``--hub``,
    the web's page of a hub) has the same schools and figures as that hub's rows of the
    national report. (The new hub's report took off only the claims made at its own
    schools, so it showed the days claimed in the north as still to claim.)"""
    setup.allocate(world.runtime.uow(), ADMIN, "south", 9, 1)
    sid = started_cohort_9(world)
    days(world, sid, "central_day", 2, date(2025, 10, 16))
    statements_on(world, date(2026, 1, 15))  # a statement of the northern school
    days(world, sid, "central_day", 2, date(2026, 1, 29))  # claimed, waiting
    world.clock.set(at(date(2026, 2, 2)))
    changes.move(world.runtime.uow(), ADMIN, sid, world.other_school, "New post.",
                 world.clock.now())  # fmt: skip
    days(world, sid, "development_day", 2, date(2026, 3, 5))
    national = funding.report(world.runtime.uow(), ADMIN, 9)
    assert [s.hub for s in national.schools] == ["north", "south"]
    for hub in ("north", "south"):
        own = funding.report(world.runtime.uow(), ADMIN, 9, hub)
        rows = [s.as_dict() for s in national.schools if s.hub == hub]
        assert [s.as_dict() for s in own.schools] == rows
    south = national.schools[1]
    assert south.scheduled_pence == 11 * 20000 // 2  # 4.5 days to claim, 1 claimed and waiting
    assert identity_holds(national.totals)
