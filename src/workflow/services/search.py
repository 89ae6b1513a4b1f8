"""Finding specialists for the web's list: filters, a text search, pages, the CSV rows.

Scoped like every read: hub staff see their own hub's specialists only; a filter naming
another hub finds nothing to them (as ``list --hub``: "not found").
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflow.db.bulk import among
from workflow.db.models import Cohort, Hub, School, Specialist
from workflow.db.uow import UnitOfWork
from workflow.errors import InvalidInput
from workflow.services.auth import Action, Actor, authorize, logs_refusals
from workflow.services.paging import PAGE_SIZE, Page, place
from workflow.services.views import _visible_hub, in_hub, tallied
from workflow.states.lifecycle import State


@dataclass(frozen=True)
class Filters:
    cohort: int | None = None
    hub: str | None = None
    state: str | None = None
    stuck: bool = False
    q: str | None = None


@logs_refusals("search")
def search(uow: UnitOfWork, actor: Actor, filters: Filters, page: int | None = 1) -> Page:
    """One page of the specialists matching ``filters`` (every page when ``page`` is None).

    A page costs about the same wherever it is: the count is the kept tallies' when the
    filters are only cohort, hub and state (``specialist_tallies``), else counted; the
    page's ids are read from ``specialists`` alone (its filters as conditions on its own
    columns, indexed by name); a page in the second half is read from the end
    (descending, then turned round); only the page's rows are then joined to their
    schools, hubs and cohorts."""
    with uow:
        session = uow.session
        conditions, hubs = _conditions(session, actor, filters)
        if page is None:
            rows = session.execute(_rows().where(*conditions).order_by(*ORDER)).all()
            return Page(rows=[_row(r) for r in rows], total=len(rows), page=1, pages=1)
        if filters.stuck or (filters.q and filters.q.strip()):
            total = session.scalar(select(func.count()).select_from(Specialist).where(*conditions))
        else:
            total = tallied(session, hubs, filters.cohort, filters.state)
        page, pages = place(total, page, PAGE_SIZE)
        first, end = (page - 1) * PAGE_SIZE, min(page * PAGE_SIZE, total)
        ids = select(Specialist.id).where(*conditions)
        if first <= total - end:
            ids = ids.order_by(*ORDER).offset(first).limit(PAGE_SIZE)
            found = list(session.scalars(ids))
        else:
            backwards = ids.order_by(*(o.desc() for o in ORDER)).offset(total - end)
            found = list(reversed(session.scalars(backwards.limit(end - first)).all()))
        position = {specialist_id: i for i, specialist_id in enumerate(found)}
        rows = session.execute(_rows().where(among(session, Specialist.id, found or [-1]))).all()
        rows = sorted(rows, key=lambda r: position[r.id])
        return Page(rows=[_row(r) for r in rows], total=total, page=page, pages=pages)


ORDER = (Specialist.name, Specialist.id)


def _rows():
    return (
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
    )


def _row(r) -> dict:
    return {
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


def _conditions(session: Session, actor: Actor, filters: Filters) -> tuple[list, list[int]]:
    """The filters as conditions on ``specialists``' own columns (schools, hubs and
    cohorts as subqueries), so that counting and paging need no join; and the hubs they
    are limited to (each one a condition)."""
    authorize(actor, Action.VIEW)
    conditions, hubs = [], []
    if not actor.national:
        hubs.append(actor.hub_id)
    if filters.cohort is not None:
        conditions.append(
            Specialist.cohort_id.in_(select(Cohort.id).where(Cohort.number == filters.cohort))
        )
    if filters.hub:
        hubs.append(_visible_hub(session, actor, filters.hub))
    conditions.extend(in_hub(hub_id) for hub_id in hubs)
    if filters.state:
        try:
            conditions.append(Specialist.state == State(filters.state).value)
        except ValueError:
            raise InvalidInput(f"unknown state {filters.state!r}") from None
    if filters.q and filters.q.strip():
        words = filters.q.strip().lower()
        pattern = "%" + words.replace("\\", "").replace("%", "").replace("_", "") + "%"
        conditions.append(
            or_(
                func.lower(Specialist.name).like(pattern),
                func.lower(Specialist.email).like(pattern),
                # One school at most (URNs are unique): an equality, so that PostgreSQL can
                # combine it with the trigram indexes of name and email (a bitmap OR).
                Specialist.school_id
                == select(School.id).where(School.urn == words).scalar_subquery(),
            )
        )
    if filters.stuck:  # as judged when their facts last changed (services/standing.py)
        conditions.append(Specialist.stuck_reasons.is_not(None))
    return conditions, hubs


def cohort_numbers(uow: UnitOfWork) -> list[int]:
    """Every cohort's number, newest first (for choosing one in a form)."""
    with uow:
        return list(uow.session.scalars(select(Cohort.number).order_by(Cohort.number.desc())))
