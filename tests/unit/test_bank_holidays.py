"""The shipped bank-holiday snapshot agrees with the ``holidays`` package it was taken from."""

from __future__ import annotations

from datetime import date
from importlib.resources import files

import pytest

from workflow.services import bank_holidays


def test_the_snapshot_is_what_the_package_says_today():
    shipped = files("workflow.services").joinpath("bank_holidays.toml").read_text("utf-8")
    # Differs after an upgrade of `holidays` that learns of a new special bank holiday:
    # write the snapshot again (see bank_holidays.py).
    assert shipped == bank_holidays.snapshot_text()


@pytest.mark.parametrize("year", [bank_holidays.FIRST_YEAR, 2027, bank_holidays.LAST_YEAR])
def test_snapshot_years_match_the_package(year):
    assert bank_holidays.in_england(year) == bank_holidays.from_package(year)


def test_years_outside_the_snapshot_are_asked_of_the_package():
    year = bank_holidays.LAST_YEAR + 1
    assert date(year, 12, 25) in bank_holidays.in_england(year)
    assert date(year, 1, 1) in bank_holidays.in_england(year)


def test_special_bank_holidays_are_in_the_snapshot():
    # The coronation of King Charles III and the state funeral of Queen Elizabeth II.
    assert date(2023, 5, 8) in bank_holidays.in_england(2023)
    assert date(2022, 9, 19) in bank_holidays.in_england(2022)
