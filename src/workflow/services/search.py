"""Finding specialists for the web's list: filters, a text search, pages, the CSV rows.

Scoped like every read: hub staff see their own hub's specialists only; a filter naming
another hub finds nothing to them (as ``list --hub``: "not found").
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflow.db.models import Cohort, Hub, School, Specialist
from workflow.db.uow import UnitOfWork
from workflow.errors import InvalidInput
from workflow.services.auth import Action, Actor, authorize, logs_refusals
from workflow.services.views import _stuck, _visible_hub
from workflow.states.lifecycle import State

PAGE_SIZE = 50


@dataclass(frozen=True)
class Filters:
    cohort: int | None = None
    hub: str | None = None
    state: str | None = None
    stuck: bool = False
    q: str | None = None


@dataclass(frozen=True)
class Found:
    rows: list[dict]
    total: int
    page: int
    pages: int


@logs_refusals("search")
def search(uow: UnitOfWork, actor: Actor, filters: Filters, page: int | None = 1) -> Found:
    """One page of the specialists matching ``filters`` (every page when ``page`` is None)."""
    with uow:
        session = uow.session
        query = _query(session, actor, filters)
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        if page is not None:
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(1, page), pages)
            query = query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        else:
            pages, page = 1, 1
        rows = [
            {
                "id": r.id,
                "name": r.name,
                "email": r.email,
                "school": r.school,
                "school_urn": r.urn,
                "hub": r.hub,
                "hub_name": r.hub_name,
                "cohort": r.number,
                "state": r.state,
            }
            for r in session.execute(query)
        ]
        return Found(rows=rows, total=total, page=page, pages=pages)


def _query(session: Session, actor: Actor, filters: Filters):
    authorize(actor, Action.VIEW)
    query = (
        select(
            Specialist.id,
            Specialist.name,
            Specialist.email,
            Specialist.state,
            School.name.label("school"),
            School.urn,
            Hub.code.label("hub"),
            Hub.name.label("hub_name"),
            Cohort.number,
        )
        .join(School, School.id == Specialist.school_id)
        .join(Hub, Hub.id == School.hub_id)
        .join(Cohort, Cohort.id == Specialist.cohort_id)
        .order_by(Specialist.name, Specialist.id)
    )
    if not actor.national:
        query = query.where(School.hub_id == actor.hub_id)
    if filters.cohort is not None:
        query = query.where(Cohort.number == filters.cohort)
    if filters.hub:
        query = query.where(Hub.id == _visible_hub(session, actor, filters.hub))
    if filters.state:
        try:
            query = query.where(Specialist.state == State(filters.state).value)
        except ValueError:
            raise InvalidInput(f"unknown state {filters.state!r}") from None
    if filters.q and filters.q.strip():
        words = filters.q.strip().lower()
        pattern = "%" + words.replace("\\", "").replace("%", "").replace("_", "") + "%"
        query = query.where(
            or_(
                func.lower(Specialist.name).like(pattern),
                func.lower(Specialist.email).like(pattern),
                School.urn == words,
            )
        )
    if filters.stuck:
        ids = [row["id"] for row in _stuck(session, actor, filters.cohort, filters.hub)]
        query = query.where(Specialist.id.in_(ids or [-1]))
    return query


def cohort_numbers(uow: UnitOfWork) -> list[int]:
    """Every cohort's number, newest first (for choosing one in a form)."""
    with uow:
        return list(uow.session.scalars(select(Cohort.number).order_by(Cohort.number.desc())))
