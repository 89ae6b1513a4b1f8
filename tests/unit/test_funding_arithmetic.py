"""Funding planning without a database: splits, schedules, resumed schedules, pro rata."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st
from msgspec.structs import replace

from workflow.clock import local_date
from workflow.services.funding.planning import (
    claim_for,
    due_at,
    lapsed_pence,
    pro_rata_pence,
    resumed_schedule,
    split,
    year_schedule,
)
from workflow.states.rules import load_rules

LONDON = "Europe/London"  # the zone these figures were worked out in


def test_the_last_instalment_takes_the_remainder():
    assert split(100001, [34, 33, 33]) == [34000, 33000, 33001]
    assert split(1, [50, 50]) == [0, 1]


@given(
    total=st.integers(min_value=0, max_value=10**9),
    percents=st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=6),
)
def test_a_split_sums_exactly_to_the_total(total, percents):
    amounts = split(total, percents)
    assert sum(amounts) == total
    assert all(isinstance(a, int) and a >= 0 for a in amounts)
    assert len(amounts) == len(percents)


def test_cohort_2_years_are_worth_3000_pounds_each_on_the_files_dates():
    rules = load_rules("cohort-2")
    assert year_schedule(rules, 1) == [
        (1, date(2018, 4, 30), 150000),
        (2, date(2018, 7, 20), 150000),
    ]
    assert year_schedule(rules, 2) == [
        (1, date(2018, 12, 14), 102000),
        (2, date(2019, 3, 29), 99000),
        (3, date(2019, 7, 19), 99000),
    ]


def test_a_resumed_year_uses_the_dates_not_yet_past_and_numbers_after_the_last(cohort9_rules):
    # Year 1 of cohort 9: 50% on 2026-01-15 and 50% on 2026-07-15.
    assert resumed_schedule(cohort9_rules, 1, 75000, 2, date(2026, 3, 1)) == [
        (3, date(2026, 7, 15), 75000)
    ]
    assert resumed_schedule(cohort9_rules, 1, 150001, 2, date(2025, 12, 1)) == [
        (3, date(2026, 1, 15), 75000),
        (4, date(2026, 7, 15), 75001),
    ]
    # Every date has passed: one instalment, due today.
    assert resumed_schedule(cohort9_rules, 1, 75000, 4, date(2026, 8, 1)) == [
        (5, date(2026, 8, 1), 75000)
    ]
    assert resumed_schedule(cohort9_rules, 1, 0, 2, date(2026, 3, 1)) == []


def test_pro_rata_pays_recorded_days_capped_at_the_entitlement_less_what_was_paid(cohort9_rules):
    # 20000 pence a day, entitlement 7.5 days = 150000.
    assert pro_rata_pence(9, cohort9_rules, 1, released=75000) == 90000 - 75000
    assert pro_rata_pence(9, cohort9_rules, 1, released=0) == 90000
    assert pro_rata_pence(40, cohort9_rules, 1, released=75000) == 150000 - 75000
    assert pro_rata_pence(4, cohort9_rules, 1, released=75000) == 0


def test_pro_rata_rounds_half_days_down_to_a_whole_penny():
    # Cohort 2 funds whole days (10 and 15), so an odd daily rate is valid for it.
    cohort2 = load_rules("cohort-2")
    rules = replace(cohort2, funding=replace(cohort2.funding, daily_rate_pence=20001))
    assert pro_rata_pence(3, rules, 1, released=0) == 30001  # 1.5 days * 20001 = 30001.5


def test_instalments_fall_due_at_nine_in_london_in_summer_and_winter_time():
    assert due_at(date(2026, 1, 15), LONDON) == datetime(2026, 1, 15, 9, tzinfo=UTC)
    assert due_at(date(2026, 7, 15), LONDON) == datetime(2026, 7, 15, 8, tzinfo=UTC)
    # Half past eleven at night UTC in summer is already the next day in London.
    assert local_date(datetime(2026, 7, 14, 23, 30, tzinfo=UTC), LONDON) == date(2026, 7, 15)


def test_a_claim_is_capped_at_the_years_funded_days():
    # 20000 pence a day; 15 half-days funded (7.5 days).
    assert claim_for(4, 0, 15, 20000) == (4, 40000)
    assert claim_for(4, 13, 15, 20000) == (2, 20000)  # only what is left
    assert claim_for(4, 15, 15, 20000) == (0, 0)


@given(
    claims=st.lists(st.integers(min_value=1, max_value=12), max_size=12),
    rate=st.integers(min_value=0, max_value=40001),
)
def test_claims_never_lose_or_gain_a_penny_over_a_year(claims, rate):
    claimed = total = 0
    for half_days in claims:
        paid, pence = claim_for(half_days, claimed, 20, rate)
        claimed += paid
        total += pence
    assert claimed == min(sum(claims), 20)
    assert total == claimed * rate // 2


def test_what_lapses_is_the_unclaimed_entitlement_never_negative():
    assert lapsed_pence(150000, 80000) == 70000
    assert lapsed_pence(150000, 160000) == 0


def test_shipped_cohorts_are_paid_per_day_with_their_events_ids_and_durations():
    cohort9, cohort2 = load_rules("cohort-9"), load_rules("cohort-2")
    assert cohort9.funding.basis == cohort2.funding.basis == "days"
    assert cohort9.year1.statement_dates == [date(2026, 1, 15), date(2026, 7, 15)]
    assert cohort2.entitlement_pence(1) == 300000 and cohort2.year1.bursary_pence == 100000
    assert cohort9.event_ids()[:2] == ["y1-launch1", "y1-central1"]
    assert [e.half_days for e in cohort2.events] == [4, 4]  # two-day residentials
