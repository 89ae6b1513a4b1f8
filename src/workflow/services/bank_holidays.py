"""England's bank holidays: a snapshot shipped beside this module, else the ``holidays`` package.

The ``holidays`` package is the source. Importing its United Kingdom calendar imports
every country it knows (about 0.1 s), which a short command such as ``workflow select``
(it schedules the launch reminders, so it needs working days) cannot afford. So the
package's answer for the years the programme runs in is written once into
``bank_holidays.toml``; years outside it are asked of the package. A unit test compares
the snapshot with the package, so an upgrade of the package that learns of a new special
bank holiday fails until the snapshot is written again::

    python -m workflow.services.bank_holidays > src/workflow/services/bank_holidays.toml
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from importlib.resources import files

FIRST_YEAR, LAST_YEAR = 2020, 2045


@cache
def _snapshot() -> dict[int, frozenset[date]]:
    text = files("workflow.services").joinpath("bank_holidays.toml").read_text("utf-8")
    return {int(year): frozenset(days) for year, days in tomllib.loads(text).items()}


@cache
def from_package(year: int) -> frozenset[date]:
    """England's bank holidays in ``year``, as the ``holidays`` package knows them."""
    import holidays

    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def in_england(year: int) -> frozenset[date]:
    """England's bank holidays in one calendar year."""
    snapshot = _snapshot()
    return snapshot[year] if year in snapshot else from_package(year)


def snapshot_text() -> str:
    """The contents of ``bank_holidays.toml``, from the package."""
    import holidays

    lines = [
        f"# England's bank holidays from the holidays package {holidays.__version__}.",
        "# Written by: python -m workflow.services.bank_holidays (see bank_holidays.py).",
    ]
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        days = ", ".join(day.isoformat() for day in sorted(from_package(year)))
        lines.append(f"{year} = [{days}]")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(snapshot_text(), end="")
