"""Progress against a programme year's requirements: pure figures from plain facts."""

from __future__ import annotations

import pytest

from workflow.states.progress import Recorded, expected_share, progress
from workflow.states.rules import load_rules

RULES = load_rules("cohort-9")  # Year 1: 5.5 central, 2 development, 1.5 hub support days


def year1(recorded: Recorded, terms_ended: int, launch_passed: bool = True):
    return progress(RULES, 1, "A", "S", 1, recorded, terms_ended=terms_ended,
                    launch_passed=launch_passed)  # fmt: skip


@pytest.mark.parametrize(("terms", "expected"), [(0, 0), (1, 3), (2, 7), (3, 11), (4, 11)])
def test_a_share_of_the_year_is_expected_per_term_ended(terms, expected):
    assert expected_share(11, terms) == expected


def test_nothing_is_expected_at_the_first_term_start_but_the_launch_once_it_passed():
    nothing = Recorded()
    assert not year1(nothing, 0, launch_passed=False).behind
    assert year1(nothing, 0, launch_passed=True).shortfalls == [
        "headteacher at the launch: not recorded"
    ]


def test_behind_by_how_much_in_half_days():
    done = Recorded({"central_day": 2, "development_day": 1, "hub_support": 1}, True)
    figures = year1(done, 1)
    assert figures.behind
    assert figures.shortfalls == ["central days: 1 of 1.5 expected by now (5.5 this year)"]
    assert [line.short_by for line in figures.lines] == [0, 1, 0, 0]


def test_what_lapses_is_the_funded_days_not_recorded_at_the_daily_rate():
    figures = year1(Recorded({"central_day": 11, "development_day": 1}, True), 3)
    assert (figures.lapsing_half_days, figures.lapsing_pence) == (3, 30000)  # 1.5 days at £200


def test_accreditation_is_expected_in_year2_once_the_year_is_over():
    recorded = Recorded({"central_day": 11, "development_day": 4, "hub_support": 3})
    during = progress(RULES, 1, "A", "S", 2, recorded, terms_ended=2, launch_passed=True)
    after = progress(RULES, 1, "A", "S", 2, recorded, terms_ended=3, launch_passed=True)
    assert not during.behind
    assert after.shortfalls == ["PD Lead accreditation: not recorded"]
