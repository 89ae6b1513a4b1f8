"""Listing what is set up: hubs, schools and cohorts, as each actor may see them.

A national admin sees everything; hub staff see their own hub and its schools (every
cohort, since cohorts are national). Plain dicts, the shapes ``--json`` prints.
"""

from __future__ import annotations

from sqlalchemy import func, select

from workflow.db.models import Cohort, Hub, HubAllocation, School, Specialist
from workflow.db.uow import UnitOfWork
from workflow.services.auth import Action, Actor, authorize, logs_refusals


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
        people = select(Specialist.cohort_id, func.count(Specialist.id).label("n"))
        if not actor.national:
            places = places.where(HubAllocation.hub_id == actor.hub_id)
            people = people.join(School, School.id == Specialist.school_id).where(
                School.hub_id == actor.hub_id
            )
        places_q = places.group_by(HubAllocation.cohort_id).subquery()
        people_q = people.group_by(Specialist.cohort_id).subquery()
        rows = uow.session.execute(
            select(
                Cohort.number,
                Cohort.rules_name,
                Cohort.start_date,
                func.coalesce(places_q.c.p, 0),
                func.coalesce(people_q.c.n, 0),
            )
            .outerjoin(places_q, places_q.c.cohort_id == Cohort.id)
            .outerjoin(people_q, people_q.c.cohort_id == Cohort.id)
            .order_by(Cohort.number)
        )
        return [
            {
                "number": number,
                "rules": rules,
                "start_date": start.isoformat(),
                "places": int(p),
                "specialists": int(n),
            }
            for number, rules, start, p, n in rows
        ]
