"""Hubs and their places per cohort, as the national team sees them (the web's ``/hubs``).

Places are allocated per hub and cohort (``setup.allocate``, the same as ``workflow hub
allocate``, never below the places used); a place is used by a specialist who holds one
(``states.lifecycle.HOLDS_PLACE``: selected, in a programme year, or deferred).

These pages are the national team's: to anyone else they do not exist ("not found", as
another hub's records are), whatever their hub.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.db.models import Cohort, Hub, HubAllocation, School
from workflow.db.uow import UnitOfWork
from workflow.errors import NotFound
from workflow.services.auth import Action, Actor, authorize, logs_refusals
from workflow.services.setup import cohort_by_number, hub_by_code
from workflow.services.views import cohort_totals, places_used


def national_only(actor: Actor, what: str) -> None:
    """The national team's pages: not found to hub staff (their existence is not theirs)."""
    if not actor.national:
        raise NotFound(f"{what} not found")
    authorize(actor, Action.VIEW)


def _places(session: Session) -> dict[tuple[int, int], int]:
    rows = session.execute(
        select(HubAllocation.hub_id, HubAllocation.cohort_id, HubAllocation.places)
    ).all()
    return {(hub_id, cohort_id): places for hub_id, cohort_id, places in rows}


@logs_refusals("hubs")
def hubs_with_places(uow: UnitOfWork, actor: Actor) -> dict:
    """Every hub with its places allocated and used in each cohort (newest cohort first)."""
    national_only(actor, "hubs")
    with uow:
        session = uow.session
        cohorts = session.execute(
            select(Cohort.id, Cohort.number).order_by(Cohort.number.desc())
        ).all()
        places, used = _places(session), places_used(session)
        hubs = []
        for hub in session.scalars(select(Hub).order_by(Hub.name)):
            hubs.append(
                {
                    "code": hub.code,
                    "name": hub.name,
                    "region": hub.region,
                    "cohorts": [
                        {
                            "number": number,
                            "places": places.get((hub.id, cohort_id), 0),
                            "used": used.get((hub.id, cohort_id), 0),
                        }
                        for cohort_id, number in cohorts
                    ],
                }
            )
        return {"cohorts": [number for _, number in cohorts], "hubs": hubs}


@logs_refusals("hub")
def hub_with_places(uow: UnitOfWork, actor: Actor, code: str) -> dict:
    """One hub, its schools and specialists, and its places in every cohort."""
    national_only(actor, f"hub {code!r}")
    with uow:
        session = uow.session
        hub = hub_by_code(session, code)
        places, used = _places(session), places_used(session, hub.id)
        schools = session.scalar(select(func.count(School.id)).where(School.hub_id == hub.id))
        totals = cohort_totals(session, hub.id)
        cohorts = [
            {
                "number": number,
                "allocated": (hub.id, cohort_id) in places,
                "places": places.get((hub.id, cohort_id), 0),
                "used": used.get((hub.id, cohort_id), 0),
                "specialists": totals.get(cohort_id, (0, 0))[0],
            }
            for cohort_id, number in session.execute(
                select(Cohort.id, Cohort.number).order_by(Cohort.number.desc())
            )
        ]
        return {
            "code": hub.code,
            "name": hub.name,
            "region": hub.region,
            "secondary_schools": hub.secondary_schools,
            "schools": schools,
            "cohorts": cohorts,
        }


@logs_refusals("hub places")
def hub_places(uow: UnitOfWork, actor: Actor, code: str, cohort_number: int) -> dict:
    """A hub's places in one cohort: allocated and used (the least it may be set to)."""
    national_only(actor, f"hub {code!r}")
    with uow:
        session = uow.session
        hub = hub_by_code(session, code)
        cohort = cohort_by_number(session, cohort_number)
        return {
            "code": hub.code,
            "name": hub.name,
            "cohort": cohort.number,
            "places": _places(session).get((hub.id, cohort.id), 0),
            "used": places_used(session, hub.id, cohort.id).get((hub.id, cohort.id), 0),
        }
