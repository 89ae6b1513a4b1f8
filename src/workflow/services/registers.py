"""Registers as staff see them: a cohort's events with how many attended, one event's
attendance across hubs, and the sheet a hub's register is taken on.

The read side of ``events.register`` (which saves a register). Scoped like every read:
national staff see every hub, hub staff and viewers their own hub only; another hub asked
for by code is "not found". Taking a register needs ``RECORD`` in that hub; taking someone
off it is a correction (``CORRECT``), so the sheet says whether the actor may
(``may_remove``) and the page offers it only then.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.db.models import Hub, RegisterMark, School, Specialist
from workflow.db.uow import UnitOfWork
from workflow.errors import InvalidInput, NotPermitted
from workflow.services.auth import Action, Actor, authorize, logs_refusals
from workflow.services.events import (
    MILESTONE_OF,
    describe_event,
    event_of,
    joining_links,
    register_scope,
)
from workflow.services.setup import cohort_by_number
from workflow.services.specialists import MILESTONES
from workflow.states.rules import rules_from_snapshot


def _visible_hub(actor: Actor) -> int | None:
    return None if actor.national else actor.hub_id


def _marks(session: Session, cohort_id: int, hub_id: int | None, event_id: str | None = None):
    """(event id, specialist id, name, school name, hub code, hub name) of register marks."""
    query = (
        select(
            RegisterMark.event_id, Specialist.id, Specialist.name, School.name, Hub.code, Hub.name
        )
        .join(Specialist, Specialist.id == RegisterMark.specialist_id)
        .join(School, School.id == Specialist.school_id)
        .join(Hub, Hub.id == School.hub_id)
        .where(RegisterMark.cohort_id == cohort_id)
        .order_by(Hub.code, Specialist.name, Specialist.id)
    )
    if hub_id is not None:
        query = query.where(School.hub_id == hub_id)
    if event_id is not None:
        query = query.where(RegisterMark.event_id == event_id)
    return session.execute(query).all()


@logs_refusals("events")
def cohort_events(uow: UnitOfWork, actor: Actor, cohort_number: int) -> list[dict[str, Any]]:
    """The cohort's events in the rules' order, each with its joining link and how many
    attended (of the hubs the actor sees)."""
    authorize(actor, Action.VIEW)
    with uow:
        session = uow.session
        cohort = cohort_by_number(session, cohort_number)
        rules = rules_from_snapshot(cohort.rules)
        links = joining_links(session, cohort.id)
        attended: dict[str, int] = defaultdict(int)
        for event_id, *_ in _marks(session, cohort.id, _visible_hub(actor)):
            attended[event_id] += 1
        return [
            {**describe_event(event_id, event, links.get(event_id)), "attended": attended[event_id]}
            for event_id, event in zip(rules.event_ids(), rules.events, strict=True)
        ]


@logs_refusals("event attendance")
def attendance(uow: UnitOfWork, actor: Actor, cohort_number: int, event_id: str) -> dict:
    """One event and who attended, per hub (national staff: every hub with specialists in
    the cohort, with counts; hub staff and viewers: their own hub)."""
    authorize(actor, Action.VIEW)
    with uow:
        session = uow.session
        cohort = cohort_by_number(session, cohort_number)
        event = event_of(rules_from_snapshot(cohort.rules), event_id)
        hub_id = _visible_hub(actor)
        hubs_query = (
            select(Hub.code, Hub.name)
            .join(School, School.hub_id == Hub.id)
            .join(Specialist, Specialist.school_id == School.id)
            .where(Specialist.cohort_id == cohort.id)
            .distinct()
            .order_by(Hub.code)
        )
        if hub_id is not None:
            hubs_query = select(Hub.code, Hub.name).where(Hub.id == hub_id)
        hubs = {code: {"code": code, "name": name, "attended": []}
                for code, name in session.execute(hubs_query)}  # fmt: skip
        for _, sid, name, school, code, hub_name in _marks(session, cohort.id, hub_id, event_id):
            hub = hubs.setdefault(code, {"code": code, "name": hub_name, "attended": []})
            hub["attended"].append({"id": sid, "name": name, "school": school})
        link = joining_links(session, cohort.id).get(event_id)
        return {
            "cohort": cohort_number,
            "event": describe_event(event_id, event, link),
            "hubs": sorted(hubs.values(), key=lambda h: h["code"]),
            "total": sum(len(h["attended"]) for h in hubs.values()),
        }


@logs_refusals("register")
def register_sheet(
    uow: UnitOfWork, actor: Actor, cohort_number: int, event_id: str, hub_code: str | None
) -> dict:
    """The register of one event for one hub (``hub_code``; hub staff: their own hub):
    every specialist of the hub in the cohort who may be recorded at the event, and those
    already on its register, each with ``ticked``. A national admin must name the hub."""
    with uow:
        session = uow.session
        cohort = cohort_by_number(session, cohort_number)
        event = event_of(rules_from_snapshot(cohort.rules), event_id)
        hub_id = register_scope(session, actor, hub_code)
        authorize(actor, Action.RECORD, hub_id)
        if hub_id is None:
            raise InvalidInput("choose the hub whose register to take")
        hub = session.get(Hub, hub_id)
        ticked = {sid for _, sid, *_ in _marks(session, cohort.id, hub_id, event_id)}
        states = [s.value for s in MILESTONES[MILESTONE_OF[event.kind]][0]]
        rows = session.execute(
            select(Specialist.id, Specialist.name, School.name, Specialist.state)
            .join(School, School.id == Specialist.school_id)
            .where(Specialist.cohort_id == cohort.id, School.hub_id == hub_id)
            .where(Specialist.state.in_(states) | Specialist.id.in_(ticked or {-1}))
            .order_by(Specialist.name, Specialist.id)
        ).all()
        try:
            authorize(actor, Action.CORRECT, hub_id)
            may_remove = True
        except NotPermitted:
            may_remove = False
        link = joining_links(session, cohort.id).get(event_id)
        return {
            "cohort": cohort_number,
            "event": describe_event(event_id, event, link),
            "hub": {"code": hub.code, "name": hub.name},
            "specialists": [
                {"id": sid, "name": name, "school": school, "state": state, "ticked": sid in ticked}
                for sid, name, school, state in rows
            ],
            "may_remove": may_remove,
        }
