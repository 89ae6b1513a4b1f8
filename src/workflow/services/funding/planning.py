"""Funding planning: what a programme year is worth and how it is split, as pure arithmetic.

No database, no clock: every function takes the rules, the numbers and the time zone it
needs and returns plain values, so the arithmetic is unit-tested on its own
(``tests/unit/test_funding_arithmetic.py``). Money is integer pence; days are integer
half-days; a share is ``total * percent // sum`` and the last share takes the remainder.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from workflow.states.rules import CohortRules

RELEASE_HOUR = time(9)
# The milestones whose days withdrawal pays for (``on_withdrawal = "pro_rata"``).
PAID_DAYS = ("central_day", "development_day")

Planned = tuple[int, date, int]  # (instalment number, due date, amount in pence)


def split(total_pence: int, percents: list[int]) -> list[int]:
    """``total * percent // sum`` for each share but the last, which takes the remainder."""
    whole = sum(percents)
    amounts = [total_pence * p // whole for p in percents[:-1]]
    return [*amounts, total_pence - sum(amounts)]


def due_at(day: date, timezone: str) -> datetime:
    """When an instalment due on ``day`` becomes releasable: 09:00 in ``timezone``, in UTC."""
    return datetime.combine(day, RELEASE_HOUR, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def year_schedule(rules: CohortRules, programme_year: int) -> list[Planned]:
    """The year's instalments as ``(number, due date, amount in pence)``."""
    instalments = rules.year(programme_year).instalments
    amounts = split(rules.entitlement_pence(programme_year), [i.percent for i in instalments])
    return [(n, i.due, a) for n, (i, a) in enumerate(zip(instalments, amounts, strict=True), 1)]


def resumed_schedule(
    rules: CohortRules, programme_year: int, owed_pence: int, after: int, today: date
) -> list[Planned]:
    """What is still owed, on the rules' due dates not yet past (or one instalment today).

    Numbers continue after ``after`` (the highest number already used for the year).
    """
    if owed_pence <= 0:
        return []
    ahead = [i for i in rules.year(programme_year).instalments if i.due >= today]
    if not ahead:
        return [(after + 1, today, owed_pence)]
    amounts = split(owed_pence, [i.percent for i in ahead])
    return [(after + n, i.due, a) for n, (i, a) in enumerate(zip(ahead, amounts, strict=True), 1)]


def owed_pence(rules: CohortRules, programme_year: int, released: int, scheduled: int) -> int:
    """What a resumed year still owes: its entitlement less what was paid or is scheduled."""
    return rules.entitlement_pence(programme_year) - released - scheduled


def pro_rata_pence(half_days: int, rules: CohortRules, programme_year: int, released: int) -> int:
    """What withdrawal still pays: days recorded at the daily rate, capped, less what was paid.

    Half-days times the rate, halved and rounded down to a whole penny.
    """
    earned = half_days * rules.funding.daily_rate_pence // 2
    return max(0, min(earned, rules.entitlement_pence(programme_year)) - released)


def paid_half_days(recorded: dict[str, int]) -> int:
    """The half-days among a year's recorded milestones that withdrawal pays for."""
    return sum(recorded.get(kind, 0) for kind in PAID_DAYS)


# --- Basis "days" ----------------------------------------------------------------------------


def claim_for(
    half_days: int, claimed_half_days: int, funded_half_days: int, daily_rate_pence: int
) -> tuple[int, int]:
    """``(half-days paid, pence)`` for ``half_days`` recorded when ``claimed_half_days`` of
    the year's ``funded_half_days`` are claimed already: capped at what the year has left.

    The pence are the year's running total at the rate less what was claimed before, so
    half-days at an odd rate never lose or gain a penny over the year.
    """
    paid = max(0, min(half_days, funded_half_days - claimed_half_days))
    before = claimed_half_days * daily_rate_pence // 2
    return paid, (claimed_half_days + paid) * daily_rate_pence // 2 - before


def lapsed_pence(entitled_pence: int, claimed_pence: int) -> int:
    """What lapses when a year closes: the entitlement not claimed (never negative)."""
    return max(0, entitled_pence - claimed_pence)
