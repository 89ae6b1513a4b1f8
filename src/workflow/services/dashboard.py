"""The web's first page: per cohort, places and states by hub, who is stuck, the next dates."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select, union_all

from workflow.clock import local_date
from workflow.db.models import Cohort, DueItem, Hub, HubAllocation, Specialist
from workflow.db.uow import UnitOfWork, session_timezone
from workflow.services.auth import Action, Actor, authorize, logs_refusals
from workflow.services.funding import RELEASE_FUNDING
from workflow.services.views import hub_row, in_hub, stuck_rows, tallies, total_by_state
from workflow.states.rules import rules_from_snapshot

#: What the next dates are called, by due item kind (other kinds are not shown).
DATE_KINDS = {
    RELEASE_FUNDING: "Funding release",
    "advance_cohort": "Term start: the cohort moves on",
}
NEXT_DATES = 8
DUE_TIMES = 50  # the first times of each kind counted (a day's releases share one or a few)
STUCK_SHOWN = 20


@logs_refusals("dashboard")
def dashboard(uow: UnitOfWork, actor: Actor, now: datetime) -> dict:
    """Per cohort: places and counts by state (from the tallies the database keeps), the
    first of the stuck by name and how many (from the partial index over the stuck), and
    the next dates. A handful of statements, none reading every specialist."""
    with uow:
        session = uow.session
        authorize(actor, Action.VIEW)
        hub_id = None if actor.national else actor.hub_id
        counts = tallies(session, hub_id)
        allocated = select(HubAllocation.cohort_id, HubAllocation.hub_id, HubAllocation.places)
        hubs = select(Hub.id, Hub.code, Hub.name).order_by(Hub.code)
        if hub_id is not None:
            allocated = allocated.where(HubAllocation.hub_id == hub_id)
            hubs = hubs.where(Hub.id == hub_id)
        places: dict[int, dict[int, int]] = {}
        for cohort_id, hub, n in session.execute(allocated):
            places.setdefault(cohort_id, {})[hub] = n
        hubs = session.execute(hubs).all()
        numbered = select(Cohort.id, Cohort.number).order_by(Cohort.number.desc())
        numbered = session.execute(numbered).all()
        stuck_totals = _stuck_totals(session, hub_id)
        first_stuck = _first_stuck(session, [cohort_id for cohort_id, _ in numbered], hub_id)
        cohorts = []
        for cohort_id, number in numbered:
            allocated_here, counted = places.get(cohort_id, {}), counts.get(cohort_id, {})
            rows = [
                row
                for hub, code, name in hubs
                if (row := hub_row(hub, code, name, allocated_here.get(hub, 0), counted))
            ]
            cohorts.append(
                {
                    "number": number,
                    "hubs": rows,
                    "places": sum(h["places"] for h in rows),
                    "used": sum(h["used"] for h in rows),
                    "by_state": total_by_state(rows),
                    "stuck": first_stuck.get(cohort_id, []),
                    "stuck_total": stuck_totals.get(cohort_id, 0),
                }
            )
        return {"cohorts": cohorts, "next_dates": _next_dates(session, now)}


def _stuck_totals(session, hub_id: int | None) -> dict[int, int]:
    query = (
        select(Specialist.cohort_id, func.count())
        .where(Specialist.stuck_reasons.is_not(None))
        .group_by(Specialist.cohort_id)
    )
    if hub_id is not None:
        query = query.where(in_hub(hub_id))
    return dict(session.execute(query).all())


def _first_stuck(session, cohort_ids: list[int], hub_id: int | None) -> dict[int, list[dict]]:
    """Each cohort's first ``STUCK_SHOWN`` stuck by name (the hub's, when given), as the list
    shows them.

    One statement: per cohort, a branch down a partial index over the stuck (by cohort and
    name; for a hub, by hub, cohort and name) stopping at ``STUCK_SHOWN``, the branches
    joined by ``UNION ALL``; numbering everyone stuck would read them all, and a query per
    cohort cost a round trip each."""
    branches = []
    for cohort_id in cohort_ids:
        query = stuck_rows().add_columns(Specialist.cohort_id)
        query = query.where(Specialist.cohort_id == cohort_id)
        if hub_id is not None:
            query = query.where(in_hub(hub_id))
        first = query.order_by(Specialist.name, Specialist.id).limit(STUCK_SHOWN)
        branches.append(select(first.subquery()))
    if not branches:
        return {}
    rows = session.execute(union_all(*branches)).all()
    found: dict[int, list[dict]] = {}
    for r in sorted(rows, key=lambda r: (r.name, r.id)):  # no order across the branches
        found.setdefault(r.cohort_id, []).append(
            {"id": r.id, "name": r.name, "state": r.state, "reasons": r.stuck_reasons}
        )
    return found


def _events(session, now: datetime) -> list[tuple]:
    """Every cohort's events still to come, from the rules each cohort keeps."""
    found = []
    for number, snapshot in session.execute(select(Cohort.number, Cohort.rules)):
        for event in rules_from_snapshot(snapshot).events:
            if event.starts_at >= now:
                named = f"Cohort {number}" in event.title
                found.append(
                    (event.starts_at, event.title if named else f"Cohort {number}: {event.title}")
                )
    return found


def _next_dates(session, now: datetime) -> list[dict]:
    """The next events, funding releases and term starts (releases counted per day): no
    names, only what and when. The due items are counted by the database, per kind and
    time, from the first times on (an index over what is still to do): not one row each."""
    dated = []
    for kind, what in DATE_KINDS.items():
        counted = session.execute(
            select(DueItem.due_at, func.count())
            .where(
                DueItem.kind == kind,
                DueItem.done_at.is_(None),
                DueItem.cancelled_at.is_(None),
                DueItem.due_at >= now,
            )
            .group_by(DueItem.due_at)
            .order_by(DueItem.due_at)
            .limit(DUE_TIMES)
        )
        dated += [(due_at, what, n) for due_at, n in counted]
    dated += [(at, title, 1) for at, title in _events(session, now)]
    zone = session_timezone(session)
    grouped: Counter[tuple] = Counter()
    order: list[tuple] = []
    for at, what, n in sorted(dated):
        key = (at, what) if what not in DATE_KINDS.values() else (local_date(at, zone), what)
        if key not in grouped:
            order.append(key)
        grouped[key] += n
    return [{"on": at, "what": what, "count": grouped[(at, what)]} for at, what in order][
        :NEXT_DATES
    ]
