"""Fixtures for tests over real databases: a small programme set up through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from pathlib import Path

import pytest

from workflow.services import setup
from workflow.services.auth import Actor, Role
from workflow.services.specialists import NominationRequest, nominate

ADMIN = Actor("admin@mathshubs.example", Role.NATIONAL_ADMIN)


@dataclass
class World:
    runtime: object
    clock: object
    hub: str = "north"
    other_hub: str = "south"
    school: str = "100001"
    other_school: str = "200001"
    cohort: int = 9

    def nominate(self, n: int = 1, school: str | None = None, **fields) -> list[int]:
        ids = []
        for i in range(n):
            values = dict(
                cohort=self.cohort,
                school_urn=school or self.school,
                name=f"Teacher {i}",
                email=f"teacher{i}.{school or self.school}@school.example",
                qts=True,
                teaching_since=date(2019, 9, 1),
            )
            # One lead teacher per school in cohort 9's rules, "Teacher 0" at one school looks
            # like a duplicate, and some tests nominate after the window: the world accepts
            # them on purpose, as a national admin may (tests of those refusals call
            # ``nominate`` themselves).
            values.setdefault("accept", frozenset({"extra_nominee", "not_duplicate", "late"}))
            values.setdefault("reason", "test world: several nominees per school")
            values.update(fields)
            ids.append(
                nominate(self.runtime.uow(), ADMIN, NominationRequest(**values), self.clock.now())
            )
        return ids


@pytest.fixture
def world(runtime, clock) -> World:
    return build_world(runtime, clock)


@pytest.fixture
def instalment_world(runtime, clock, tmp_path) -> World:
    """The world, with cohort 9 funded in fixed instalments (``basis = "instalments"``)."""
    return build_world(runtime, clock, instalment_rules(tmp_path, "cohort-9"))


def instalment_rules(folder: Path, name: str) -> str:
    """A shipped rules file with its funding basis switched to fixed instalments."""
    shipped = (files("workflow.states") / "rules" / f"{name}.toml").read_text()
    path = folder / f"{name}-instalments.toml"
    path.write_text(shipped.replace('basis = "days"', 'basis = "instalments"'))
    return str(path)


def build_world(runtime, clock, rules: str = "cohort-9") -> World:
    """Cohort 9; hubs north and south with 4 places each and one state secondary school each."""
    uow = runtime.uow
    setup.add_cohort(uow(), ADMIN, 9, rules)
    for code, urn in (("north", "100001"), ("south", "200001")):
        setup.add_hub(uow(), ADMIN, code, f"{code.title()} Maths Hub", "North West")
        setup.allocate(uow(), ADMIN, code, 9, 4)
        setup.add_school(
            uow(),
            ADMIN,
            urn=urn,
            name=f"{code.title()} Academy",
            hub_code=code,
            phase="secondary",
            funding="state",
            head_name="Alex Head",
            head_email=f"head@{code}.example",
            finance_email=f"finance@{code}.example",
        )
    return World(runtime=runtime, clock=clock)
