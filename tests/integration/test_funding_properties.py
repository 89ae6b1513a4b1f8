"""Property: whatever happens to a specialist, and however often releases are asked for,
no instalment is paid twice, no year pays more than it is worth, and
entitled == released + scheduled + cancelled for every specialist and year."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.integration._funding_support import release_due
from tests.integration.conftest import ADMIN
from workflow.db.models import AuditEntry, FundingEntry, LedgerEntry
from workflow.errors import DomainError
from workflow.services import setup
from workflow.services.funding import funding_report, release_instalment
from workflow.services.funding.ledger import RESUME, WITHDRAWAL
from workflow.services.specialists import record_milestone, transition
from workflow.states.rules import load_rules


@pytest.fixture
def world(instalment_world):
    """These tests cover the fixed-instalments basis (``basis = "instalments"``)."""
    return instalment_world


TRIGGERS = ["select", "start_year1", "start_year2", "withdraw", "defer", "resume", "reinstate"]
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("trigger"), st.sampled_from(TRIGGERS)),
        st.tuples(
            st.just("trigger"), st.sampled_from(["defer", "resume", "resume", "start_year2"])
        ),
        st.tuples(st.just("trigger"), st.sampled_from(["withdraw", "reinstate"])),
        st.tuples(
            st.just("days"),
            st.sampled_from(["central_day", "development_day"]),
            st.integers(min_value=1, max_value=12),
        ),
        st.tuples(st.just("release_due"), st.integers(min_value=1, max_value=2)),
        st.tuples(st.just("release_due"), st.integers(min_value=1, max_value=2)),
        st.tuples(st.just("release_again"), st.integers(min_value=0, max_value=5)),
        st.tuples(st.just("jump"), st.integers(min_value=1, max_value=300)),
        st.tuples(st.just("jump"), st.integers(min_value=1, max_value=300)),
    ),
    min_size=8,
    max_size=30,
)
SERIAL = count(1)  # a new teacher for each example: examples share the database
START = datetime(2025, 6, 2, 9, tzinfo=UTC)
RULES = load_rules("cohort-9")


def check_invariants(session, specialist_id: int) -> None:
    entries = list(
        session.scalars(select(FundingEntry).where(FundingEntry.specialist_id == specialist_id))
    )
    ledger = list(
        session.scalars(select(LedgerEntry).where(LedgerEntry.specialist_id == specialist_id))
    )
    releases = Counter(e.funding_entry_id for e in ledger if e.kind == "release")
    assert all(n == 1 for n in releases.values()), releases
    for entry in entries:
        assert (entry.status == "released") == (entry.id in releases)
    amounts = {e.id: e.amount_pence for e in entries}
    for row in ledger:
        if row.kind == "release":
            assert row.amount_pence == amounts[row.funding_entry_id]
    figures: dict[int, Counter] = defaultdict(Counter)
    for entry in entries:
        year = figures[entry.programme_year]
        year["scheduled"] += entry.amount_pence if entry.status == "scheduled" else 0
        year["cancelled"] += entry.amount_pence if entry.status == "cancelled" else 0
        if entry.origin == RESUME:
            year["cancelled"] -= entry.amount_pence  # scheduled again on resume
            assert entry.instalment > len(RULES.year(entry.programme_year).instalments)
    for row in ledger:
        figures[row.programme_year]["released"] += row.amount_pence
        if row.origin == WITHDRAWAL:
            figures[row.programme_year]["cancelled"] -= row.amount_pence
    for year, f in figures.items():
        entitled = RULES.entitlement_pence(year)
        assert f["released"] <= entitled
        assert min(f["scheduled"], f["cancelled"]) >= 0, (year, f)
        assert entitled == f["released"] + f["scheduled"] + f["cancelled"], (year, f)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(started=st.sampled_from([True, True, True, False]), steps=STEPS)
def test_random_histories_keep_the_money_straight(world, started, steps):
    rt, clock = world.runtime, world.clock
    setup.allocate(rt.uow(), ADMIN, "north", 9, 1000)  # examples share the database
    clock.set(START)
    (sid,) = world.nominate(email=f"prop{next(SERIAL)}@school.example")
    if started:  # most histories begin in Year 1, where the money is
        steps = [("trigger", "select"), ("trigger", "start_year1"), *steps]
    for step in steps:
        now = clock.now()
        try:
            if step[0] == "trigger":
                transition(rt.uow(), ADMIN, sid, step[1], now, override=True, reason="property")
            elif step[0] == "days":
                record_milestone(rt.uow(), ADMIN, sid, step[1], now, half_days=step[2])
            elif step[0] == "release_due":
                for _ in range(step[1]):
                    release_due(rt, now, limit=2)
            elif step[0] == "release_again":
                with rt.uow() as uow:
                    ids = uow.session.scalars(
                        select(FundingEntry.id)
                        .where(FundingEntry.specialist_id == sid)
                        .order_by(FundingEntry.id)
                    ).all()
                if ids:
                    entry_id = ids[step[1] % len(ids)]
                    first = release_instalment(rt.uow(), entry_id, now)
                    again = release_instalment(rt.uow(), entry_id, now)
                    assert again != "released" or first != "released"
            else:
                clock.set(now + timedelta(days=step[1]))
        except DomainError:
            pass
        with rt.uow() as uow:
            check_invariants(uow.session, sid)
    with rt.uow() as uow:
        kinds = set(
            uow.session.scalars(select(LedgerEntry.reason).where(LedgerEntry.specialist_id == sid))
        )
        instalments = uow.session.scalar(
            select(func.max(FundingEntry.instalment)).where(FundingEntry.specialist_id == sid)
        )
    event(f"ledger rows: {sorted(map(str, kinds))}")
    event(f"resumed: {bool(instalments and instalments > 2)}")
    with rt.uow() as uow:
        reinstated = uow.session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.specialist_id == sid, AuditEntry.name == "reinstate"
            )
        )
    event(f"withdrawal undone: {bool(reinstated)}")
    with rt.uow() as uow:
        totals = funding_report(uow.session, ADMIN, 9).as_dict()["totals"]
    assert totals["entitled_pence"] == (
        totals["released_pence"] + totals["scheduled_pence"] + totals["cancelled_pence"]
    )
