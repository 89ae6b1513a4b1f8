"""Property (issue 15): over random histories of days recorded, voids, withdrawals,
statements and payments, money is never paid twice for one day nor beyond a year's
entitlement, ``entitled = released + scheduled + cancelled`` holds, the daily check finds
nothing wrong, and replaying the audit trail gives the claims on the ledger."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import count

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.integration.conftest import ADMIN
from workflow.clock import local_date
from workflow.db.models import AuditEntry, FundingLine, FundingYear
from workflow.errors import DomainError
from workflow.scheduler.dispatch import dispatch_due
from workflow.scheduler.jobs import default_handlers
from workflow.services import corrections, funding, setup
from workflow.services.funding import invariants, planning
from workflow.services.funding.statements import list_statements, mark_paid
from workflow.services.specialists import record_milestone, transition
from workflow.states.rules import load_rules

RULES = load_rules("cohort-9")
STATEMENTS = {funding.GATHER_STATEMENTS: default_handlers()[funding.GATHER_STATEMENTS]}
DAYS = st.tuples(
    st.just("days"),
    st.sampled_from(["central_day", "development_day", "hub_support"]),
    st.integers(min_value=1, max_value=12),
)
STEPS = st.lists(
    st.one_of(
        DAYS,
        DAYS,
        DAYS,
        st.tuples(st.just("void"), st.integers(min_value=0, max_value=20)),
        st.tuples(st.just("pay"), st.just(0)),
        st.tuples(st.just("jump"), st.integers(min_value=1, max_value=120)),
        st.tuples(st.just("jump"), st.integers(min_value=1, max_value=120)),
        st.tuples(st.just("withdraw"), st.just(0)),
        st.tuples(st.just("advance"), st.just(0)),
    ),
    min_size=5,
    max_size=25,
)
SERIAL = count(1)
START = datetime(2025, 9, 1, 9, tzinfo=UTC)


def replay(session, sid: int) -> dict[int, int]:
    """The net pence claimed per year from the audit trail alone, in order: each paid day
    capped at the year's funded days while the year was open; a void (a correction entry
    naming the milestone) gives its day back, and the room under the cap with it."""
    closed = {
        y.programme_year: y.closed_at
        for y in session.scalars(select(FundingYear).where(FundingYear.specialist_id == sid))
    }
    milestones = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.specialist_id == sid, AuditEntry.kind == "milestone")
        .order_by(AuditEntry.id)
    ).all()
    voids = session.execute(
        select(AuditEntry.at, AuditEntry.voids_id).where(
            AuditEntry.specialist_id == sid, AuditEntry.voids_id.is_not(None)
        )
    ).all()
    history = sorted(
        [(m.at, 0, m) for m in milestones] + [(at, 1, mid) for at, mid in voids],
        key=lambda event: (event[0], event[1]),
    )
    claimed: dict[int, int] = defaultdict(int)  # half-days
    pence: dict[int, int] = defaultdict(int)
    paid_for: dict[int, tuple[int, int, int]] = {}
    for _, is_void, what in history:
        if is_void:
            if what in paid_for:
                year, half, amount = paid_for.pop(what)
                claimed[year] -= half
                pence[year] -= amount
            continue
        year = what.programme_year
        if what.name not in RULES.funding.paid_milestones or year not in closed:
            continue
        if closed[year] is not None and what.at > closed[year]:
            continue
        half, amount = planning.claim_for(
            what.half_days, claimed[year], RULES.year(year).funded_half_days,
            RULES.funding.daily_rate_pence,
        )  # fmt: skip
        if half:
            claimed[year] += half
            pence[year] += amount
            paid_for[what.id] = (year, half, amount)
    return dict(pence)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
@example(steps=[("days", "central_day", 8)] * 3 + [("jump", 140), ("pay", 0), ("void", 0)])
def test_random_histories_of_days_voids_and_payments_keep_the_money_straight(world, steps):
    rt, clock = world.runtime, world.clock
    setup.allocate(rt.uow(), ADMIN, "north", 9, 1000)  # examples share the database
    # ... and each starts the clock again: a school of its own, whose statements alone it
    # pays, so that no example pays another's statement "before" a line of it was removed.
    serial = next(SERIAL)
    urn = str(300000 + serial)
    setup.add_school(rt.uow(), ADMIN, urn=urn, name=f"Example {serial} Academy",
                     hub_code="north", phase="secondary", funding="state", head_name="A Head",
                     head_email=f"head{serial}@north.example", finance_email=None)  # fmt: skip
    clock.set(START - timedelta(days=60))
    (sid,) = world.nominate(school=urn, email=f"days{serial}@school.example")
    transition(rt.uow(), ADMIN, sid, "select", clock.now())
    clock.set(START)
    transition(rt.uow(), ADMIN, sid, "start_year1", clock.now())
    voided: set[int] = set()
    for step in steps:
        clock.set(clock.now() + timedelta(minutes=1))  # no two steps share an instant
        now = clock.now()
        try:
            if step[0] == "days":
                record_milestone(
                    rt.uow(), ADMIN, sid, step[1], now, half_days=step[2],
                    on=local_date(now, "Europe/London"),
                )  # fmt: skip
            elif step[0] == "void":
                with rt.uow() as uow:
                    ids = list(
                        uow.session.scalars(
                            select(AuditEntry.id)
                            .where(AuditEntry.specialist_id == sid, AuditEntry.kind == "milestone")
                            .order_by(AuditEntry.id)
                        )
                    )
                candidates = [i for i in ids if i not in voided]
                if candidates:
                    target = candidates[step[1] % len(candidates)]
                    voided.add(target)
                    corrections.void_milestone(rt.uow(), ADMIN, sid, target, "property", now)
            elif step[0] == "pay":
                for statement in list_statements(rt.uow(), ADMIN, 9):
                    if statement.status == "payable" and statement.school_urn == urn:
                        mark_paid(rt.uow(), ADMIN, statement.id, now)
            elif step[0] == "withdraw":
                transition(rt.uow(), ADMIN, sid, "withdraw", now, reason="property")
            elif step[0] == "advance":
                transition(rt.uow(), ADMIN, sid, "start_year2", now, override=True, reason="p")
            else:
                clock.set(now + timedelta(days=step[1]))
                dispatch_due(rt, STATEMENTS, now=clock.now())
        except DomainError:
            pass
        with rt.uow() as uow:
            assert invariants.violations(uow.session) == []
            lines = list(
                uow.session.scalars(
                    select(FundingLine).where(
                        FundingLine.specialist_id == sid, FundingLine.removed_at.is_(None)
                    )
                )
            )
            per_day = Counter(ln.milestone_id for ln in lines if ln.kind == "claim")
            reversed_ = Counter(ln.milestone_id for ln in lines if ln.kind == "clawback")
            assert all(n == 1 for n in per_day.values())  # one claim per day recorded
            assert all(per_day[m] - n >= 0 for m, n in reversed_.items())
            net: dict[int, int] = defaultdict(int)
            for ln in lines:
                if ln.kind in ("claim", "clawback"):
                    net[ln.programme_year] += ln.amount_pence
            for year, amount in net.items():
                assert 0 <= amount <= RULES.entitlement_pence(year)
            # Replaying the trail (with voids in the order they were made) gives the ledger.
            # A void within a closed year lapses the day instead, which replay ignores.
            assert {y: a for y, a in replay(uow.session, sid).items() if a} == {
                y: a for y, a in net.items() if a
            }
    totals = funding.report(rt.uow(), ADMIN, 9).as_dict()["totals"]
    assert totals["entitled_pence"] == (
        totals["released_pence"] + totals["scheduled_pence"] + totals["cancelled_pence"]
    )
