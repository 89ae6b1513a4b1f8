"""Listing what is set up: hubs, schools and cohorts, as each actor may see them; finding
a school by URN or name, and one school's page (contacts and specialists).

A national admin sees everything; hub staff see their own hub and its schools (every
cohort, since cohorts are national); another hub's school is "not found". Plain dicts,
the shapes ``--json`` prints.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select

from workflow.db.models import Cohort, Hub, HubAllocation, School, Specialist
from workflow.db.uow import UnitOfWork
from workflow.errors import NotFound
from workflow.services.auth import (
    Action,
    Actor,
    authorize,
    logs_refusals,
    not_found_unless_visible,
)
from workflow.services.paging import PAGE_SIZE, Page, place
from workflow.services.views import cohort_totals


@logs_refusals("hub list")
def list_hubs(uow: UnitOfWork, actor: Actor) -> list[dict]:
    authorize(actor, Action.VIEW)
    with uow:
        schools = (
            select(School.hub_id, func.count(School.id).label("n"))
            .group_by(School.hub_id)
            .subquery()
        )
        query = (
            select(Hub.code, Hub.name, Hub.region, func.coalesce(schools.c.n, 0))
            .outerjoin(schools, schools.c.hub_id == Hub.id)
            .order_by(Hub.code)
        )
        if not actor.national:
            query = query.where(Hub.id == actor.hub_id)
        return [
            {"code": code, "name": name, "region": region, "schools": n}
            for code, name, region, n in uow.session.execute(query)
        ]


@logs_refusals("school list")
def list_schools(uow: UnitOfWork, actor: Actor, hub: str | None = None) -> list[dict]:
    authorize(actor, Action.VIEW)
    with uow:
        query = (
            select(School.urn, School.name, School.phase, School.state_funded, Hub.code)
            .join(Hub, Hub.id == School.hub_id)
            .order_by(Hub.code, School.urn)
        )
        if not actor.national:
            query = query.where(School.hub_id == actor.hub_id)
        if hub is not None:
            query = query.where(Hub.code == hub)
        return [
            {
                "urn": urn,
                "name": name,
                "phase": phase,
                "funding": "state" if state_funded else "independent",
                "hub": code,
            }
            for urn, name, phase, state_funded, code in uow.session.execute(query)
        ]


@logs_refusals("cohort list")
def list_cohorts(uow: UnitOfWork, actor: Actor) -> list[dict]:
    """Every cohort with its rules, start, places (the actor's hub's, unless national)
    and how many specialists it has."""
    authorize(actor, Action.VIEW)
    with uow:
        places = select(HubAllocation.cohort_id, func.sum(HubAllocation.places).label("p"))
        if not actor.national:
            places = places.where(HubAllocation.hub_id == actor.hub_id)
        places_q = places.group_by(HubAllocation.cohort_id).subquery()
        hub_id = None if actor.national else actor.hub_id
        totals = cohort_totals(uow.session, hub_id)
        rows = uow.session.execute(
            select(
                Cohort.id,
                Cohort.number,
                Cohort.rules_name,
                Cohort.start_date,
                func.coalesce(places_q.c.p, 0),
            )
            .outerjoin(places_q, places_q.c.cohort_id == Cohort.id)
            .order_by(Cohort.number)
        )
        return [
            {
                "number": number,
                "rules": rules,
                "start_date": start.isoformat(),
                "places": int(p),
                "specialists": totals.get(cohort_id, (0, 0))[0],
            }
            for cohort_id, number, rules, start, p in rows
        ]


@logs_refusals("school search")
def find_schools(uow: UnitOfWork, actor: Actor, q: str | None, page: int = 1) -> Page:
    """One page of the schools the actor sees whose URN starts with ``q`` or whose name
    contains it (any case); every school they see when ``q`` is empty."""
    authorize(actor, Action.VIEW)
    with uow:
        session = uow.session
        query = select(School.urn, School.name, Hub.code, Hub.name.label("hub_name")).join(
            Hub, Hub.id == School.hub_id
        )
        if not actor.national:
            query = query.where(School.hub_id == actor.hub_id)
        text = (q or "").strip()[:200]
        if text:
            query = query.where(
                or_(
                    School.urn.startswith(text, autoescape=True),
                    func.lower(School.name).contains(text.lower(), autoescape=True),
                )
            )
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        page, pages = place(total, page, PAGE_SIZE)
        rows = session.execute(
            query.order_by(School.name, School.urn).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        )
        return Page(
            rows=[
                {"urn": r.urn, "name": r.name, "hub": r.code, "hub_name": r.hub_name} for r in rows
            ],
            total=total,
            page=page,
            pages=pages,
        )


@logs_refusals("school show")
def school_page(uow: UnitOfWork, actor: Actor, urn: str) -> dict:
    """A school with its hub, headteacher and finance contact, and its specialists."""
    authorize(actor, Action.VIEW)
    with uow:
        session = uow.session
        school = session.scalar(select(School).where(School.urn == urn))
        if school is None:
            raise NotFound(f"school with URN {urn} not found")
        not_found_unless_visible(actor, school.hub_id, f"school with URN {urn}")
        hub = session.get(Hub, school.hub_id)
        specialists = session.execute(
            select(Specialist.id, Specialist.name, Specialist.state, Cohort.number)
            .join(Cohort, Cohort.id == Specialist.cohort_id)
            .where(Specialist.school_id == school.id)
            .order_by(Cohort.number, Specialist.name, Specialist.id)
        )
        return {
            "urn": school.urn,
            "name": school.name,
            "phase": school.phase,
            "funding": "state" if school.state_funded else "independent",
            "hub": hub.code,
            "hub_id": hub.id,
            "hub_name": hub.name,
            "head_name": school.head_name,
            "head_email": school.head_email,
            "finance_email": school.finance_email,
            "finance_name": school.finance_name,
            "specialists": [
                {"id": r.id, "name": r.name, "state": r.state, "cohort": r.number}
                for r in specialists
            ],
        }
