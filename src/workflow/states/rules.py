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
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from workflow.errors import RulesError


def to_half_days(value: Decimal | float | int) -> int:
    if isinstance(value, bool) or not isinstance(value, Decimal | float | int):
        raise ValueError(f"{value!r} is not a number of days")
    doubled = Decimal(str(value)) * 2
    if doubled != doubled.to_integral_value() or doubled < 0:
        raise ValueError(f"{value} is not a whole number of half-days")
    return int(doubled)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Instalment(_Strict):
    due: date
    percent: int = Field(gt=0, le=100)


class YearRules(_Strict):
    funded_half_days: int = Field(ge=0)
    central_half_days: int = Field(ge=0)
    development_half_days: int = Field(ge=0)
    hub_support_half_days: int = Field(default=0, ge=0)
    bursary_pence: int = Field(default=0, ge=0)
    launch_attendance_required: bool = False
    instalments: list[Instalment] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _days_to_half_days(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for name in ("funded", "central", "development"):
                if f"{name}_days" in data:
                    try:
                        data[f"{name}_half_days"] = to_half_days(data.pop(f"{name}_days"))
                    except (ValueError, ArithmeticError) as exc:
                        raise ValueError(f"{name}_days: {exc}") from None
        return data

    @model_validator(mode="after")
    def _consistent(self) -> YearRules:
        if self.central_half_days + self.development_half_days > self.funded_half_days:
            raise ValueError("central and development days add up to more than the funded days")
        if sum(i.percent for i in self.instalments) != 100:
            raise ValueError("instalment percentages must add up to 100")
        dues = [i.due for i in self.instalments]
        if dues != sorted(dues):
            raise ValueError("instalments must be in date order")
        return self


class Event(_Strict):
    kind: Literal["launch", "central"]
    title: str = Field(min_length=1)
    programme_year: int = Field(ge=1, le=2)
    starts_at: datetime
    ends_at: datetime
    location: str = "Online"
    online: bool = True
    headteacher_half_day: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Event:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("event times need a UTC offset, e.g. 2025-09-30T09:30:00+01:00")
        if self.ends_at <= self.starts_at:
            raise ValueError("the event ends before it starts")
        return self


class Dates(_Strict):
    year1_start: date
    year2_start: date
    work_group_start: date

    @model_validator(mode="after")
    def _ordered(self) -> Dates:
        if not self.year1_start < self.year2_start < self.work_group_start:
            raise ValueError("year1_start, year2_start and work_group_start must be in order")
        return self


class Funding(_Strict):
    daily_rate_pence: int = Field(ge=0)
    # What a school is paid when its specialist withdraws: released instalments always
    # stay; "pro_rata" also pays the days recorded that year beyond what was released.
    on_withdrawal: Literal["pro_rata", "nothing"] = "nothing"


class CohortRules(_Strict):
    name: str = Field(min_length=1)
    cohort: int = Field(ge=1)
    title: str
    dates: Dates
    funding: Funding
    year1: YearRules
    year2: YearRules
    events: list[Event] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.replace("-", "").isalnum():
            raise ValueError("use letters, digits and dashes only")
        return value

    @model_validator(mode="after")
    def _whole_pence(self) -> CohortRules:
        for year in (self.year1, self.year2):
            if year.funded_half_days * self.funding.daily_rate_pence % 2:
                raise ValueError("funded days times the daily rate is not a whole number of pence")
        return self

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
    try:
        return CohortRules.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "(file)"
            problems.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
        raise RulesError(f"{source}: " + "; ".join(problems)) from None


def rules_snapshot(rules: CohortRules) -> dict[str, Any]:
    """The rules as plain JSON values, kept with the cohort for life."""
    return rules.model_dump(mode="json")


def rules_from_snapshot(snapshot: dict[str, Any]) -> CohortRules:
    return CohortRules.model_validate(snapshot)
