"""Read models for staff: one specialist in full, lists, and the cohort report.

Plain dicts in the shapes of the CLI contract (docs/cli.md), scoped to the
actor's hub: another hub's specialists are not there for a hub's staff.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.db.models import (
    AuditEntry,
    Cohort,
    DueItem,
    EmailLog,
    FundingEntry,
    Hub,
    HubAllocation,
    School,
    Specialist,
    SpecialistTally,
)
from workflow.db.uow import UnitOfWork
from workflow.services import workgroups
from workflow.services.auth import Action, Actor, authorize, logs_refusals, not_found_unless_visible
from workflow.services.funding.claims import lapsing
from workflow.services.funding.reports import specialist_lines
from workflow.services.queries import CORRECTION, MILESTONE, TRANSITION
from workflow.services.reminders import key_prefix as reminder_key_prefix
from workflow.services.setup import cohort_by_number, hub_by_code
from workflow.services.specialists import load_specialist
from workflow.states.lifecycle import HOLDS_PLACE, State


@logs_refusals("show")
def show(uow: UnitOfWork, actor: Actor, specialist_id: int) -> dict:
    with uow:
        return _show(uow.session, actor, specialist_id)


def _show(session: Session, actor: Actor, specialist_id: int) -> dict:
    specialist = load_specialist(session, actor, specialist_id)
    authorize(actor, Action.VIEW)
    school = session.get(School, specialist.school_id)
    hub = session.get(Hub, school.hub_id)
    cohort = session.get(Cohort, specialist.cohort_id)
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.specialist_id == specialist.id).order_by(AuditEntry.id)
    ).all()
    funding = session.scalars(
        select(FundingEntry)
        .where(FundingEntry.specialist_id == specialist.id)
        .order_by(FundingEntry.programme_year, FundingEntry.instalment)
    ).all()
    voided = {e.voids_id: e for e in entries if e.voids_id is not None}
    emails = session.scalars(
        select(EmailLog).where(EmailLog.specialist_id == specialist.id).order_by(EmailLog.id)
    ).all()
    reminders = session.scalars(
        select(DueItem)
        .where(DueItem.key.startswith(reminder_key_prefix(specialist.id), autoescape=True))
        .order_by(DueItem.due_at, DueItem.id)
    ).all()
    return {
        "id": specialist.id,
        "name": specialist.name,
        "email": specialist.email,
        "state": specialist.state,
        "cohort": cohort.number,
        "rules": cohort.rules_name,
        "hub": hub.code,
        "school_urn": school.urn,
        "school": school.name,
        "version": specialist.version,
        "history": [
            {
                "trigger": e.name,
                "from": e.from_state,
                "to": e.to_state,
                "actor": e.actor,
                "at": e.at.isoformat(),
                "reason": e.reason,
                "override": e.override,
                "kind": e.kind,
                "details": e.details,
                **({"milestone_id": e.voids_id} if e.voids_id is not None else {}),
            }
            for e in entries
            if e.kind in (TRANSITION, CORRECTION)
        ],
        "milestones": [
            {
                "id": e.id,
                "kind": e.name,
                "amount": e.half_days / 2 if e.half_days is not None else None,
                "date": e.occurred_on.isoformat() if e.occurred_on else None,
                "programme_year": e.programme_year,
                "actor": e.actor,
                "reason": e.reason,
                "voided": e.id in voided,
                "voided_reason": voided[e.id].reason if e.id in voided else None,
            }
            for e in entries
            if e.kind == MILESTONE
        ],
        "funding": [
            {
                "year": f.programme_year,
                "instalment": f.instalment,
                "amount_pence": f.amount_pence,
                "due": f.due_date.isoformat(),
                "status": f.status,
            }
            for f in funding
        ]
        + specialist_lines(session, specialist.id),
        "emails": [{"template": e.template, "to": e.recipient, "status": e.status} for e in emails],
        "reminders": [_reminder(r) for r in reminders],
    }


def _reminder(item: DueItem) -> dict:
    """A reminder as ``show`` lists it: scheduled, sent (its email is in ``emails``),
    cancelled, or expired (came due too late) with why."""
    if item.cancelled_at is not None:
        status = "cancelled"
    elif item.done_at is None:
        status = "scheduled"
    else:
        status = "expired" if item.outcome else "done"
    return {
        "template": item.payload.get("template"),
        "to": item.payload.get("to"),
        "due": item.due_at.isoformat(),
        "status": status,
        "why": item.outcome,
    }


@logs_refusals("list")
def list_specialists(
    uow: UnitOfWork,
    actor: Actor,
    *,
    cohort: int | None = None,
    hub: str | None = None,
    state: str | None = None,
) -> list[dict]:
    with uow:
        return _list(uow.session, actor, cohort=cohort, hub=hub, state=state)


def _visible_hub(session: Session, actor: Actor, code: str) -> int:
    hub_id = hub_by_code(session, code).id
    not_found_unless_visible(actor, hub_id, f"hub {code!r}")
    return hub_id


def _list(session: Session, actor: Actor, *, cohort, hub, state) -> list[dict]:
    authorize(actor, Action.VIEW)
    query = (
        select(
            Specialist.id, Specialist.name, Specialist.state, Cohort.number, Hub.code, School.urn
        )
        .join(School, School.id == Specialist.school_id)
        .join(Hub, Hub.id == School.hub_id)
        .join(Cohort, Cohort.id == Specialist.cohort_id)
        .order_by(Specialist.id)
    )
    if not actor.national:
        query = query.where(School.hub_id == actor.hub_id)
    if cohort is not None:
        query = query.where(Cohort.number == cohort)
    if hub is not None:
        query = query.where(Hub.id == _visible_hub(session, actor, hub))
    if state is not None:
        query = query.where(Specialist.state == State(state).value)
    return [
        {"id": i, "name": n, "state": s, "cohort": c, "hub": h, "school_urn": u}
        for i, n, s, c, h, u in session.execute(query)
    ]


@logs_refusals("report cohort")
def cohort_report(uow: UnitOfWork, actor: Actor, number: int, hub: str | None = None) -> dict:
    with uow:
        return _cohort_report(uow.session, actor, number, hub)


def _cohort_report(session: Session, actor: Actor, number: int, hub: str | None) -> dict:
    authorize(actor, Action.VIEW)
    cohort = cohort_by_number(session, number)
    hubs = select(Hub).order_by(Hub.code)
    only = None if actor.national else actor.hub_id  # the one hub counted, if one
    if not actor.national:
        hubs = hubs.where(Hub.id == actor.hub_id)
    if hub:
        only = _visible_hub(session, actor, hub)
        hubs = hubs.where(Hub.id == only)
    places = dict(
        session.execute(
            select(HubAllocation.hub_id, HubAllocation.places).where(
                HubAllocation.cohort_id == cohort.id
            )
        ).all()
    )
    counts = tallies(session, only, cohort.id).get(cohort.id, {})
    reached = workgroups.schools_reached(session, cohort.id, only)
    result = []
    for h in session.scalars(hubs):
        row = hub_row(h.id, h.code, h.name, places.get(h.id, 0), counts)
        if row is not None:
            row["schools_reached"] = reached.get(h.id, 0)
            row["secondary_schools"] = h.secondary_schools
            result.append(row)
    report = {"cohort": number, "hubs": result}
    if actor.national and not hub:
        report["national"] = workgroups.national_reach(session, cohort.id)
    return report


@logs_refusals("list --stuck")
def stuck_specialists(
    uow: UnitOfWork,
    actor: Actor,
    *,
    cohort: int | None = None,
    hub: str | None = None,
    state: str | None = None,
) -> list[dict]:
    """Who would stay behind at the next term start, with every reason (only year 1 and
    year 2 can be stuck: another ``state`` gives none)."""
    with uow:
        rows = _stuck(uow.session, actor, cohort, hub)
    return rows if state is None else [row for row in rows if row["state"] == state]


def _stuck(
    session: Session, actor: Actor, cohort: int | None, hub: str | None, *, lapses: bool = True
) -> list[dict]:
    """The stuck as ``list --stuck`` shows them (by cohort, state and id), as judged when
    their facts last changed (``services/standing.py``); ``lapses=False`` leaves out what of
    their funding lapses (``funding_lapses`` empty: a few queries per person)."""
    authorize(actor, Action.VIEW)
    query = stuck_rows().order_by(Cohort.number, Specialist.state, Specialist.id)
    if cohort is not None:
        query = query.where(Specialist.cohort_id == cohort_by_number(session, cohort).id)
    for hub_id in (
        None if actor.national else actor.hub_id,
        _visible_hub(session, actor, hub) if hub else None,
    ):
        if hub_id is not None:
            query = query.where(School.hub_id == hub_id)
    return [
        {
            "id": row.id,
            "name": row.name,
            "state": row.state,
            "cohort": row.number,
            "hub": row.code,
            "school_urn": row.urn,
            "reasons": row.stuck_reasons,
            "funding_lapses": lapsing(session, row.id) if lapses else [],
        }
        for row in session.execute(query)
    ]


def stuck_rows():
    """The stuck (a query), with what a list of them shows."""
    return (
        select(
            Specialist.id, Specialist.name, Specialist.state, Specialist.stuck_reasons,
            Cohort.number, Hub.code, School.urn,
        )
        .join(School, School.id == Specialist.school_id)
        .join(Hub, Hub.id == School.hub_id)
        .join(Cohort, Cohort.id == Specialist.cohort_id)
        .where(Specialist.stuck_reasons.is_not(None))
    )  # fmt: skip


def hub_row(
    hub_id: int, code: str, name: str, places: int, counts: dict[tuple[int, str], int]
) -> dict | None:
    """A hub's line in a cohort: places, places used and how many in each state (None
    for a hub with neither places nor specialists in the cohort)."""
    by_state = {state: counts.get((hub_id, state), 0) for state in STATES}
    if not places and not any(by_state.values()):
        return None
    used = sum(by_state[state] for state in PLACE_STATES)
    return {"hub": code, "name": name, "places": places, "used": used, "by_state": by_state}


STATES = [s.value for s in State]
PLACE_STATES = [s.value for s in HOLDS_PLACE]


def total_by_state(hubs: list[dict]) -> dict[str, int]:
    """The hubs' lines (``hub_row``) added up: how many in each state, those with any."""
    total: Counter[str] = Counter()
    for hub in hubs:
        total.update(hub["by_state"])
    return {state: count for state, count in total.items() if count}


def cohort_totals(session: Session, hub_id: int | None = None) -> dict[int, tuple[int, int]]:
    """``{cohort id: (specialists, places used)}`` of one hub or of every hub, from the
    tallies."""
    return {
        cohort_id: (
            sum(counts.values()),
            sum(n for (_, state), n in counts.items() if state in PLACE_STATES),
        )
        for cohort_id, counts in tallies(session, hub_id).items()
    }


def places_used(
    session: Session, hub_id: int | None = None, cohort_id: int | None = None
) -> dict[tuple[int, int], int]:
    """``{(hub id, cohort id): places used}`` from the tallies, for every hub and cohort with
    a specialist (0 where none holds a place); only ``hub_id``'s and ``cohort_id``'s when
    given."""
    used: dict[tuple[int, int], int] = {}
    for cohort, counts in tallies(session, hub_id, cohort_id).items():
        for (hub, state), n in counts.items():
            used[(hub, cohort)] = used.get((hub, cohort), 0) + (n if state in PLACE_STATES else 0)
    return used


def in_hub(hub_id: int):
    """A condition on ``specialists`` alone: at one of the hub's schools (their school's hub,
    kept on their row by the database: ``db/specialist_hub.py``)."""
    return Specialist.hub_id == hub_id


def tallied(
    session: Session, hubs: list[int], cohort: int | None = None, state: str | None = None
) -> int:
    """How many specialists are in every one of ``hubs`` (any hub when none), cohort number
    ``cohort`` and ``state`` (any when None), read from ``specialist_tallies``: the same
    at any size, where counting them grows with them."""
    t = SpecialistTally
    query = select(func.coalesce(func.sum(t.count), 0)).where(*(t.hub_id == h for h in hubs))
    if cohort is not None:
        query = query.where(t.cohort_id.in_(select(Cohort.id).where(Cohort.number == cohort)))
    if state is not None:
        query = query.where(t.state == state)
    return int(session.scalar(query))


def tallies(
    session: Session, hub_id: int | None = None, cohort_id: int | None = None
) -> dict[int, dict[tuple[int, str], int]]:
    """``{cohort id: {(hub id, state): how many}}``, read from ``specialist_tallies`` (kept
    by the database as specialists change): the same at any size. Only ``hub_id``'s and
    ``cohort_id``'s when given."""
    t = SpecialistTally
    query = select(t.cohort_id, t.hub_id, t.state, t.count).where(t.count > 0)
    if hub_id is not None:
        query = query.where(t.hub_id == hub_id)
    if cohort_id is not None:
        query = query.where(t.cohort_id == cohort_id)
    found: dict[int, dict[tuple[int, str], int]] = {}
    for cohort, hub, state, n in session.execute(query):
        found.setdefault(cohort, {})[(hub, state)] = n
    return found
