"""Small builders of valid rows for tests that need a hub, school, cohort or specialist."""

from __future__ import annotations

from datetime import date, datetime
from itertools import count

from sqlalchemy.orm import Session

from workflow.db import models

_serial = count(1)


def add_hub(session: Session, code: str | None = None) -> models.Hub:
    n = next(_serial)
    hub = models.Hub(code=code or f"hub-{n}", name=f"Hub {n}", region="North West")
    session.add(hub)
    session.flush()
    return hub


def add_school(session: Session, hub: models.Hub | None = None, **fields) -> models.School:
    hub = hub or add_hub(session)
    n = next(_serial)
    values = dict(
        urn=f"{100000 + n:06d}",
        name=f"School {n}",
        phase="secondary",
        state_funded=True,
        head_name="Pat Head",
        head_email=f"head{n}@school.example",
        finance_email=f"finance{n}@school.example",
        hub_id=hub.id,
    )
    values.update(fields)
    school = models.School(**values)
    session.add(school)
    session.flush()
    return school


def add_cohort(session: Session, number: int | None = None) -> models.Cohort:
    cohort = models.Cohort(
        number=number or 1000 + next(_serial),
        rules_name="cohort-9",
        rules={},
        start_date=date(2025, 9, 1),
    )
    session.add(cohort)
    session.flush()
    return cohort


def add_specialist(session: Session, now: datetime, **fields) -> models.Specialist:
    school = fields.pop("school", None) or add_school(session)
    cohort = fields.pop("cohort", None) or add_cohort(session)
    n = next(_serial)
    values = dict(
        name=f"Sam Teacher {n}",
        email=f"sam{n}@school.example",
        qts=True,
        teaching_since=date(2019, 9, 1),
        school_id=school.id,
        cohort_id=cohort.id,
        state="nominated",
        created_at=now,
        updated_at=now,
    )
    values.update(fields)
    specialist = models.Specialist(**values)
    session.add(specialist)
    session.flush()
    return specialist
