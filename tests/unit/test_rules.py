"""Cohort rules files: the shipped ones load; a bad one names file, field and problem."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, date, datetime
from importlib import resources

import pytest

from workflow.errors import RulesError
from workflow.states.rules import (
    load_rules,
    rules_from_dict,
    rules_from_snapshot,
    rules_snapshot,
    shipped_rules,
)


def shipped_data(name: str) -> dict:
    path = resources.files("workflow.states") / "rules" / f"{name}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


def test_shipped_rules_are_cohort_2_9_and_10():
    assert {"cohort-2", "cohort-9", "cohort-10"} <= set(shipped_rules())


def test_recruitment_windows():
    two, nine, ten = (load_rules(f"cohort-{n}").recruitment for n in (2, 9, 10))
    assert two.closes == datetime(2018, 2, 19, 17, tzinfo=UTC)  # 17:00 GMT
    assert nine.opens == date(2025, 4, 28)
    assert nine.closes == datetime(2025, 7, 11, 16, tzinfo=UTC)  # 17:00 BST
    assert ten.closes == datetime(2026, 7, 10, 16, tzinfo=UTC)
    assert {two.nominees_per_school, nine.nominees_per_school, ten.nominees_per_school} == {1}
    assert load_rules("cohort-10").dates.work_group_start == date(2028, 9, 1)


def test_cohort_9_figures():
    rules = load_rules("cohort-9")
    assert rules.dates.year1_start.isoformat() == "2025-09-01"
    assert rules.year1.funded_half_days == 15  # 7.5 days
    assert rules.year1.central_half_days == 11  # 5.5 days
    assert rules.year1.development_half_days == 4
    assert rules.year1.hub_support_half_days == 3
    assert rules.year1.launch_attendance_required is True
    launch = [e for e in rules.events if e.kind == "launch"]
    assert len(launch) == 1 and launch[0].headteacher_half_day


def test_cohort_2_figures():
    rules = load_rules("cohort-2")
    assert rules.entitlement_pence(1) == 300_000  # 10 days at 200 pounds + 1,000 bursary
    assert rules.entitlement_pence(2) == 300_000  # 15 days at 200 pounds


@pytest.mark.parametrize("rate", [0, 2, 20_000, 35_000, 12_346])
def test_cohort_9_entitlement_is_days_times_rate(rate):
    data = shipped_data("cohort-9")
    data["funding"]["daily_rate_pence"] = rate
    rules = rules_from_dict(data)
    assert rules.entitlement_pence(1) == 15 * rate // 2
    assert isinstance(rules.entitlement_pence(1), int)


@pytest.mark.parametrize("name", shipped_rules())
def test_snapshot_round_trip(name):
    rules = load_rules(name)
    stored = json.loads(json.dumps(rules_snapshot(rules)))  # as the cohort row keeps it
    assert stored["year1"]["funded_half_days"] == rules.year1.funded_half_days
    assert rules_from_snapshot(stored) == rules


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["year1"].update(funded_days=7.3),
            "year1.funded_days: 7.3 is not a whole number of half-days",
        ),
        (lambda d: d["year1"].pop("central_days"), "year1.central_days: missing"),
        (
            lambda d: d["funding"].update(daily_rate_pence="lots"),
            "funding.daily_rate_pence: expected a whole number, got 'lots'",
        ),
        (
            lambda d: d["funding"].update(daily_rate_pence=-1),
            "funding.daily_rate_pence: expected a whole number >= 0, got -1",
        ),
        (
            lambda d: d["funding"].update(on_withdrawal="half"),
            "funding.on_withdrawal: expected one of 'nothing', 'pro_rata', got 'half'",
        ),
        (
            lambda d: d["year1"]["instalments"][0].update(percent=10),
            "year1.instalments: instalment percentages must add up to 100",
        ),
        (
            lambda d: d["year1"]["instalments"][1].update(due="next year"),
            "year1.instalments.1.due: expected a date such as 2025-09-03",
        ),
        (lambda d: d["year2"].update(instalments=[]), "year2.instalments: expected a list (not"),
        (lambda d: d["dates"].update(year2_start=d["dates"]["year1_start"]), "must be in order"),
        (lambda d: d["events"][2].update(title=""), "events.2.title: expected text (not empty)"),
        (
            lambda d: d["events"][1].update(ends_at=d["events"][1]["starts_at"]),
            "events.1.ends_at: the event ends before it starts",
        ),
        (lambda d: d.update(surprise=1), "surprise: unknown field"),
        (
            lambda d: d["recruitment"].update(opens=date(2025, 8, 1)),
            "recruitment.closes: the window closes before it opens",
        ),
        (
            lambda d: d["recruitment"].update(nominees_per_school=0),
            "recruitment.nominees_per_school: expected a whole number >= 1, got 0",
        ),
        (
            lambda d: d["funding"].update(daily_rate_pence=20_001),
            "funding.daily_rate_pence: funded days times the daily rate is not a whole number",
        ),
    ],
)
def test_bad_rules_name_the_field_and_problem(change, expected):
    data = shipped_data("cohort-9")
    change(data)
    with pytest.raises(RulesError) as caught:
        rules_from_dict(data, "my-rules.toml")
    message = str(caught.value)
    assert message.startswith("my-rules.toml: ")
    assert expected in message
    assert "\n" not in message


def test_a_file_that_is_not_toml(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("this is [not toml", encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert str(caught.value).startswith(f"{path}: not valid TOML")


def test_an_unknown_rules_name():
    with pytest.raises(RulesError) as caught:
        load_rules("cohort-99")
    assert "shipped rules: " in str(caught.value)
