"""Funding over real databases: schedules on year start, release once, cancel, resume, report."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from importlib.resources import files
from pathlib import Path
from tempfile import mkdtemp
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.integration._funding_support import release_due
from tests.integration.conftest import ADMIN, instalment_rules
from workflow.db.models import DueItem, FundingEntry, LedgerEntry, OutboxMessage
from workflow.errors import InvalidInput, NotFound, NotPermitted
from workflow.services import setup
from workflow.services.advancement import advance_cohort
from workflow.services.auth import Actor, Role
from workflow.services.funding import (
    adjust,
    funding_report,
    release_instalment,
)
from workflow.services.specialists import record_milestone, transition
from workflow.states.rules import load_rules

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def world(instalment_world):
    """These tests cover the fixed-instalments basis (``basis = "instalments"``)."""
    return instalment_world


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON).astimezone(UTC)


def fire(world, sid, trigger, **kwargs):
    return transition(world.runtime.uow(), ADMIN, sid, trigger, world.clock.now(), **kwargs)


def entries(runtime, sid) -> list[tuple[int, int, int, date, str]]:
    with runtime.uow() as uow:
        rows = uow.session.scalars(
            select(FundingEntry)
            .where(FundingEntry.specialist_id == sid)
            .order_by(FundingEntry.programme_year, FundingEntry.instalment)
        )
        return [
            (e.programme_year, e.instalment, e.amount_pence, e.due_date, e.status) for e in rows
        ]


def ledger(runtime, sid) -> list[tuple[int, str, int, str | None]]:
    with runtime.uow() as uow:
        rows = uow.session.scalars(
            select(LedgerEntry).where(LedgerEntry.specialist_id == sid).order_by(LedgerEntry.id)
        )
        return [(e.programme_year, e.kind, e.amount_pence, e.reason) for e in rows]


def released_by_year(runtime, sid) -> dict[int, int]:
    totals: dict[int, int] = {}
    for year, _, amount, _ in ledger(runtime, sid):
        totals[year] = totals.get(year, 0) + amount
    return totals


def report(runtime, cohort: int, hub: str | None = None) -> dict:
    with runtime.uow() as uow:
        return funding_report(uow.session, ADMIN, cohort, hub).as_dict()


def add_cohort_2(world) -> int:
    uow = world.runtime.uow
    setup.add_cohort(uow(), ADMIN, 2, instalment_rules(Path(mkdtemp()), "cohort-2"))
    setup.allocate(uow(), ADMIN, "north", 2, 4)
    world.clock.set(at(date(2018, 2, 1)))
    (sid,) = world.nominate(cohort=2, teaching_since=date(2010, 9, 1))
    return sid


def release_on(world, day: date) -> int:
    world.clock.set(at(day))
    return release_due(world.runtime, world.clock.now())


def test_cohort_2_is_paid_3000_pounds_a_year_on_the_rules_dates(world):
    rt = world.runtime
    sid = add_cohort_2(world)
    fire(world, sid, "select")
    world.clock.set(at(date(2018, 3, 1)))
    fire(world, sid, "start_year1")  # the single path
    assert entries(rt, sid) == [
        (1, 1, 150000, date(2018, 4, 30), "scheduled"),
        (1, 2, 150000, date(2018, 7, 20), "scheduled"),
    ]
    with rt.uow() as uow:
        due = list(
            uow.session.scalars(
                select(DueItem).where(DueItem.kind == "release_funding").order_by(DueItem.due_at)
            )
        )
    assert [(d.kind, d.due_at) for d in due] == [
        ("release_funding", datetime(2018, 4, 30, 8, tzinfo=UTC)),  # 09:00 BST
        ("release_funding", datetime(2018, 7, 20, 8, tzinfo=UTC)),
    ]

    assert release_on(world, date(2018, 4, 29)) == 0
    assert release_on(world, date(2018, 4, 30)) == 1
    assert release_on(world, date(2018, 4, 30)) == 0  # run twice: nothing more
    for kind, half_days in (("central_day", 8), ("development_day", 12)):
        record_milestone(rt.uow(), ADMIN, sid, kind, world.clock.now(), half_days=half_days)
    assert release_on(world, date(2018, 7, 20)) == 1
    assert released_by_year(rt, sid) == {1: 300000}

    world.clock.set(at(date(2018, 9, 3)))
    assert advance_cohort(rt.uow(), ADMIN, 2, "start_year2", world.clock.now()).advanced == 1
    year2 = [e for e in entries(rt, sid) if e[0] == 2]
    assert [(e[2], e[3]) for e in year2] == [
        (102000, date(2018, 12, 14)),
        (99000, date(2019, 3, 29)),
        (99000, date(2019, 7, 19)),
    ]
    for day in (date(2018, 12, 14), date(2019, 3, 29), date(2019, 7, 19)):
        assert release_on(world, day) == 1
    assert released_by_year(rt, sid) == {1: 300000, 2: 300000}
    assert {e[4] for e in entries(rt, sid)} == {"released"}

    with rt.uow() as uow:
        mails = [
            (m.payload["to"], m.payload["key"])
            for m in uow.session.scalars(select(OutboxMessage))
            if m.payload.get("template") == "funding_released"
        ]
        undone = uow.session.scalar(
            select(func.count(DueItem.id)).where(
                DueItem.done_at.is_(None), DueItem.kind == "release_funding"
            )
        )
    assert len(mails) == 10 and len(set(mails)) == 10  # head and finance, five instalments
    assert undone == 0
    assert report(rt, 2)["totals"] == {
        "entitled_pence": 600000,
        "released_pence": 600000,
        "scheduled_pence": 0,
        "cancelled_pence": 0,
    }


def test_entitlement_is_funded_days_times_the_daily_rate(world, tmp_path):
    rt = world.runtime
    assert load_rules("cohort-9").entitlement_pence(1) == 150000  # 7.5 days, no bursary
    shipped = (files("workflow.states") / "rules" / "cohort-9.toml").read_text()
    for number, rate in ((31, 15000), (32, 22222), (33, 31458)):
        path = tmp_path / f"cohort-{number}.toml"
        path.write_text(
            shipped.replace('name = "cohort-9"', f'name = "cohort-{number}"')
            .replace("cohort = 9", f"cohort = {number}")
            .replace("daily_rate_pence = 20000", f"daily_rate_pence = {rate}")
            .replace('basis = "days"', 'basis = "instalments"')
        )
        setup.add_cohort(rt.uow(), ADMIN, number, str(path))
        setup.allocate(rt.uow(), ADMIN, "north", number, 4)
        (sid,) = world.nominate(cohort=number, email=f"rate{rate}@school.example")
        fire(world, sid, "select")
        advance_cohort(rt.uow(), ADMIN, number, "start_year1", world.clock.now())  # bulk path
        amounts = [e[2] for e in entries(rt, sid)]
        assert sum(amounts) == 15 * rate // 2, rate  # 7.5 days
        assert len(amounts) == 2 and abs(amounts[0] - amounts[1]) <= 1
        assert report(rt, number)["totals"]["entitled_pence"] == 15 * rate // 2


def start_cohort_9(world) -> int:
    (sid,) = world.nominate()
    fire(world, sid, "select")
    world.clock.set(at(date(2025, 9, 1)))
    fire(world, sid, "start_year1")
    return sid


def test_withdrawal_mid_year_1_cancels_what_is_left_and_pays_pro_rata(world):
    rt = world.runtime
    sid = start_cohort_9(world)
    (other,) = world.nominate(school=world.other_school)  # another school, untouched
    assert release_on(world, date(2026, 1, 15)) == 1
    record_milestone(rt.uow(), ADMIN, sid, "central_day", world.clock.now(), half_days=7)
    record_milestone(rt.uow(), ADMIN, sid, "development_day", world.clock.now(), half_days=2)
    world.clock.set(at(date(2026, 3, 2)))
    fire(world, sid, "withdraw", reason="moved school")

    assert [e[4] for e in entries(rt, sid)] == ["released", "cancelled"]
    # 9 half-days at 200 pounds a day = 900 pounds, less the 750 already released.
    assert ledger(rt, sid) == [
        (1, "release", 75000, None),
        (1, "adjustment", 15000, "pro rata on withdrawal"),
    ]
    with rt.uow() as uow:
        cancelled = uow.session.scalar(
            select(func.count(DueItem.id)).where(
                DueItem.cancelled_at.is_not(None), DueItem.kind == "release_funding"
            )
        )
    assert cancelled == 1
    assert release_on(world, date(2026, 7, 15)) == 0  # the cancelled instalment stays unpaid

    north = report(rt, 9, "north")
    assert north["schools"] == [
        {
            "urn": "100001",
            "hub": "north",
            "entitled_pence": 150000,
            "released_pence": 90000,
            "scheduled_pence": 0,
            "cancelled_pence": 60000,
        }
    ]
    assert north["totals"] == {k: v for k, v in north["schools"][0].items() if k.endswith("pence")}
    assert other  # nominated only: no funding, so not in the report
    assert [s["urn"] for s in report(rt, 9)["schools"]] == ["100001"]


def test_withdrawal_under_nothing_pays_no_more_than_was_released(world):
    rt = world.runtime
    sid = add_cohort_2(world)
    fire(world, sid, "select")
    world.clock.set(at(date(2018, 3, 1)))
    fire(world, sid, "start_year1")
    record_milestone(rt.uow(), ADMIN, sid, "central_day", world.clock.now(), half_days=8)
    world.clock.set(at(date(2018, 3, 20)))
    fire(world, sid, "withdraw", reason="left teaching")
    assert ledger(rt, sid) == []
    assert report(rt, 2)["totals"]["cancelled_pence"] == 300000


def test_deferral_cancels_and_resume_schedules_what_is_still_owed(world):
    rt = world.runtime
    sid = start_cohort_9(world)
    assert release_on(world, date(2026, 1, 15)) == 1
    world.clock.set(at(date(2026, 2, 1)))
    fire(world, sid, "defer", reason="illness")
    assert [e[4] for e in entries(rt, sid)] == ["released", "cancelled"]
    assert report(rt, 9)["totals"]["cancelled_pence"] == 75000

    world.clock.set(at(date(2026, 3, 1)))
    fire(world, sid, "resume")
    assert entries(rt, sid)[2:] == [(1, 3, 75000, date(2026, 7, 15), "scheduled")]
    totals = report(rt, 9)["totals"]
    assert totals == {
        "entitled_pence": 150000,
        "released_pence": 75000,
        "scheduled_pence": 75000,
        "cancelled_pence": 0,
    }

    # Deferred again until every date of the year has passed: one instalment, due on resume.
    world.clock.set(at(date(2026, 4, 1)))
    fire(world, sid, "defer", reason="illness")
    world.clock.set(at(date(2026, 8, 3)))
    fire(world, sid, "resume")
    assert entries(rt, sid)[3:] == [(1, 4, 75000, date(2026, 8, 3), "scheduled")]
    assert release_due(rt, world.clock.now()) == 1
    assert released_by_year(rt, sid) == {1: 150000}


def test_a_release_happens_once_however_often_it_is_asked_for(world):
    rt = world.runtime
    sid = start_cohort_9(world)
    with rt.uow() as uow:
        first, second = uow.session.scalars(
            select(FundingEntry.id)
            .where(FundingEntry.specialist_id == sid)
            .order_by(FundingEntry.instalment)
        )
    now = at(date(2026, 1, 15))
    assert release_instalment(rt.uow(), first, at(date(2026, 1, 14))) == "not_due"
    assert release_instalment(rt.uow(), first, now) == "released"
    assert release_instalment(rt.uow(), first, now) == "already_released"
    assert release_instalment(rt.uow(), 999999, now) == "missing"
    world.clock.set(now)
    fire(world, sid, "withdraw", reason="t")
    assert release_instalment(rt.uow(), second, at(date(2026, 8, 1))) == "cancelled"
    assert ledger(rt, sid) == [(1, "release", 75000, None)]


def test_adjustments_append_and_need_a_reason_and_a_national_actor(world):
    rt = world.runtime
    sid = start_cohort_9(world)
    now = world.clock.now()
    adjust(rt.uow(), ADMIN, sid, 1, -5000, "overpaid travel", now)
    adjust(rt.uow(), ADMIN, sid, 1, 2500, "part refund", now)
    with pytest.raises(InvalidInput, match="reason"):
        adjust(rt.uow(), ADMIN, sid, 1, 100, "  ", now)
    with pytest.raises(InvalidInput, match="non-zero"):
        adjust(rt.uow(), ADMIN, sid, 1, 0, "nothing", now)
    lead = Actor("lead@north.example", Role.HUB_LEAD, hub_id=1)
    with pytest.raises(NotPermitted):
        adjust(rt.uow(), lead, sid, 1, 100, "extra", now)
    assert ledger(rt, sid) == [
        (1, "adjustment", -5000, "overpaid travel"),
        (1, "adjustment", 2500, "part refund"),
    ]
    totals = report(rt, 9)["totals"]
    assert totals["released_pence"] == -2500
    assert totals["entitled_pence"] == 150000 - 2500
    assert totals["entitled_pence"] == (
        totals["released_pence"] + totals["scheduled_pence"] + totals["cancelled_pence"]
    )


def test_hub_staff_see_only_their_hubs_funding(world):
    rt = world.runtime
    start_cohort_9(world)
    (south,) = world.nominate(school=world.other_school)
    fire(world, south, "select")
    fire(world, south, "start_year1")
    south_lead = Actor("lead@south.example", Role.HUB_LEAD, hub_id=2)
    with rt.uow() as uow:
        mine = funding_report(uow.session, south_lead, 9).as_dict()
        with pytest.raises(NotFound):
            funding_report(uow.session, south_lead, 9, "north")
    assert [s["urn"] for s in mine["schools"]] == ["200001"]
    assert [s["urn"] for s in report(rt, 9)["schools"]] == ["100001", "200001"]


def test_a_manual_adjustment_with_the_pro_rata_reason_is_reported_as_manual(world):
    rt = world.runtime
    sid = start_cohort_9(world)
    adjust(rt.uow(), ADMIN, sid, 1, 4000, "pro rata on withdrawal", world.clock.now())
    with rt.uow() as uow:
        kinds = uow.session.execute(
            select(LedgerEntry.kind, LedgerEntry.origin).where(LedgerEntry.specialist_id == sid)
        ).all()
    assert [tuple(k) for k in kinds] == [("adjustment", "manual")]
    # A manual adjustment changes what the school is owed; it is not paid out of cancelled.
    assert report(rt, 9)["totals"] == {
        "entitled_pence": 150000 + 4000,
        "released_pence": 4000,
        "scheduled_pence": 150000,
        "cancelled_pence": 0,
    }
