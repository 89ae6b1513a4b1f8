"""Cohort rules: the programme's numbers for one cohort, read from a TOML file and validated.

Days are given in the file as decimals in steps of half a day (7.5) and held as integer
half-days; money is integer pence. A cohort stores the rules it was created with, so a
later edit of the file changes nothing already scheduled or released for it.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from workflow.conversion import FieldProblem, Invalid, convert
from workflow.errors import RulesError

NonNegative = Annotated[int, Meta(ge=0)]
NonEmpty = Annotated[str, Meta(min_length=1)]
# Given in the file as ``funded_days = 7.5``, held as ``funded_half_days = 15``.
DAY_FIELDS = ("funded", "central", "development")


def to_half_days(value: Decimal | float | int) -> int:
    if isinstance(value, bool) or not isinstance(value, Decimal | float | int):
        raise ValueError(f"{value!r} is not a number of days")
    doubled = Decimal(str(value)) * 2
    if doubled != doubled.to_integral_value() or doubled < 0:
        raise ValueError(f"{value} is not a whole number of half-days")
    return int(doubled)


class _Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Immutable; a field the struct does not know is an error, not ignored."""


class Instalment(_Strict):
    due: date
    percent: Annotated[int, Meta(gt=0, le=100)]


class YearRules(_Strict, kw_only=True):  # kw_only: instalments follows defaults
    funded_half_days: NonNegative
    central_half_days: NonNegative
    development_half_days: NonNegative
    hub_support_half_days: NonNegative = 0
    bursary_pence: NonNegative = 0
    launch_attendance_required: bool = False
    instalments: Annotated[list[Instalment], Meta(min_length=1)]
    # Basis "days": the dates statements are gathered on (default: the instalments' dates).
    release_dates: list[date] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        if self.central_half_days + self.development_half_days > self.funded_half_days:
            raise ValueError("central and development days add up to more than the funded days")
        if sum(i.percent for i in self.instalments) != 100:
            raise FieldProblem("instalments", "instalment percentages must add up to 100")
        dues = [i.due for i in self.instalments]
        if dues != sorted(dues):
            raise FieldProblem("instalments", "instalments must be in date order")
        if self.release_dates != sorted(set(self.release_dates)):
            raise FieldProblem("release_dates", "release dates must be distinct and in order")

    @property
    def statement_dates(self) -> list[date]:
        """The release dates on which statements are gathered (basis ``days``)."""
        return self.release_dates or [i.due for i in self.instalments]


class Event(_Strict):
    kind: Literal["launch", "central"]
    title: NonEmpty
    programme_year: Annotated[int, Meta(ge=1, le=2)]
    starts_at: datetime
    ends_at: datetime
    location: str = "Online"
    online: bool = True
    headteacher_half_day: bool = False
    # A stable id for registers and links (default: ``y1-central2``, see ``event_ids``).
    id: str | None = None
    # Release time the event counts for, in days (steps of half a day). Default: half a day
    # for the launch, one day for a central event, a day per calendar day it spans.
    days: float | None = None

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("event times need a UTC offset, e.g. 2025-09-30T09:30:00+01:00")
        if self.ends_at <= self.starts_at:
            raise FieldProblem("ends_at", "the event ends before it starts")
        if self.id is not None and not self.id.replace("-", "").isalnum():
            raise FieldProblem("id", "use letters, digits and dashes only")
        if self.days is not None:
            try:
                to_half_days(self.days)
            except ValueError as exc:
                raise FieldProblem("days", str(exc)) from None

    @property
    def half_days(self) -> int:
        """The release time the event counts for, in half-days."""
        if self.days is not None:
            return to_half_days(self.days)
        if self.kind == "launch":
            return 1
        return 2 * ((self.ends_at.date() - self.starts_at.date()).days + 1)


class Dates(_Strict):
    year1_start: date
    year2_start: date
    work_group_start: date

    def __post_init__(self) -> None:
        if not self.year1_start < self.year2_start < self.work_group_start:
            raise ValueError("year1_start, year2_start and work_group_start must be in order")


class Recruitment(_Strict):
    """When nominations are taken (the window opens at the start of ``opens`` in the
    configured zone and closes at ``closes``), and how many a school may make."""

    opens: date
    closes: datetime
    nominees_per_school: Annotated[int, Meta(ge=1)] = 1

    def __post_init__(self) -> None:
        if self.closes.tzinfo is None:
            raise FieldProblem("closes", "give a UTC offset, e.g. 2025-07-11T17:00:00+01:00")
        if self.closes.date() < self.opens:
            raise FieldProblem("closes", "the window closes before it opens")


class Funding(_Strict):
    daily_rate_pence: NonNegative
    # "instalments": each year's entitlement in fixed shares on the instalments' dates.
    # "days": each day recorded (of the milestones in ``paid_milestones``) is a claim at the
    # daily rate, capped at the year's funded days; the bursary is a line of its own; the
    # claims are gathered into statements per school on each release date.
    basis: Literal["instalments", "days"] = "instalments"
    paid_milestones: list[Literal["central_day", "development_day", "hub_support"]] = msgspec.field(
        default_factory=lambda: ["central_day", "development_day"]
    )
    # What a school is paid when its specialist withdraws: released instalments always
    # stay; "pro_rata" also pays the days recorded that year beyond what was released.
    # (Basis "days": days recorded and not yet paid are paid on the next statement.)
    on_withdrawal: Literal["pro_rata", "nothing"] = "nothing"


class CohortRules(_Strict):
    name: NonEmpty
    cohort: Annotated[int, Meta(ge=1)]
    title: str
    dates: Dates
    funding: Funding
    year1: YearRules
    year2: YearRules
    events: list[Event] = msgspec.field(default_factory=list)
    # Optional so that rules stored before windows existed still load.
    recruitment: Recruitment | None = None

    def __post_init__(self) -> None:
        if not self.name.replace("-", "").isalnum():
            raise FieldProblem("name", "use letters, digits and dashes only")
        for year in (self.year1, self.year2):
            if year.funded_half_days * self.funding.daily_rate_pence % 2:
                raise FieldProblem(
                    "funding.daily_rate_pence",
                    "funded days times the daily rate is not a whole number of pence",
                )

        ids = self.event_ids()
        if len(set(ids)) != len(ids):
            raise FieldProblem("events", "two events have the same id")

    def event_ids(self) -> list[str]:
        """Each event's stable id, in the rules' order: its ``id``, else ``y{year}-{kind}{n}``
        (n counts the events of that kind and year, from 1)."""
        seen: dict[tuple[int, str], int] = {}
        ids = []
        for event in self.events:
            key = (event.programme_year, event.kind)
            seen[key] = seen.get(key, 0) + 1
            ids.append(event.id or f"y{event.programme_year}-{event.kind}{seen[key]}")
        return ids

    def event(self, event_id: str) -> Event | None:
        """The event with that id, if any."""
        return dict(zip(self.event_ids(), self.events, strict=True)).get(event_id)

    def year(self, programme_year: int) -> YearRules:
        return {1: self.year1, 2: self.year2}[programme_year]

    def entitlement_pence(self, programme_year: int) -> int:
        """Funded days times the daily rate, plus any bursary, for one programme year."""
        year = self.year(programme_year)
        return year.funded_half_days * self.funding.daily_rate_pence // 2 + year.bursary_pence


def shipped_rules() -> list[str]:
    folder = resources.files("workflow.states") / "rules"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def load_rules(name_or_path: str | Path) -> CohortRules:
    """Rules by shipped name (``cohort-9``) or from a TOML file path."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        shipped = resources.files("workflow.states") / "rules" / f"{name_or_path}.toml"
        if not shipped.is_file():
            known = ", ".join(shipped_rules())
            raise RulesError(f"no rules named {name_or_path!r}; shipped rules: {known}")
        text, source = shipped.read_text(encoding="utf-8"), f"{name_or_path}.toml"
    else:
        try:
            text, source = path.read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise RulesError(f"{path}: cannot read the rules file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML: {exc}") from None
    return rules_from_dict(data, source)


def rules_from_dict(data: dict[str, Any], source: str = "rules") -> CohortRules:
    """Rules from a TOML document; any fault is one ``RulesError`` naming source and field."""
    try:
        return convert(_with_half_days(data), CohortRules)
    except Invalid as exc:
        raise RulesError(f"{source}: {exc.where or '(file)'}: {exc.message}") from None


def _with_half_days(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with each year's ``funded_days`` etc. (decimals) as ``*_half_days`` (integers)."""
    data = dict(data)
    for year in ("year1", "year2"):
        if not isinstance(data.get(year), dict):
            continue  # reported by convert
        fields = data[year] = dict(data[year])
        for name in DAY_FIELDS:
            if f"{name}_days" in fields:
                try:
                    fields[f"{name}_half_days"] = to_half_days(fields.pop(f"{name}_days"))
                except (ValueError, ArithmeticError) as exc:
                    raise Invalid(f"{year}.{name}_days", str(exc)) from None
            elif f"{name}_half_days" not in fields:
                raise Invalid(f"{year}.{name}_days", "missing")
    return data


def rules_snapshot(rules: CohortRules) -> dict[str, Any]:
    """The rules as plain JSON values, kept with the cohort for life."""
    return msgspec.to_builtins(rules)


def rules_from_snapshot(snapshot: dict[str, Any]) -> CohortRules:
    return rules_from_dict(snapshot, "the cohort's stored rules")
