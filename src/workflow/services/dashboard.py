"""The web's first page: per cohort, places and states by hub, who is stuck, the next dates."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select

from workflow.clock import local_date
from workflow.db.models import Cohort, DueItem
from workflow.db.uow import UnitOfWork, session_timezone
from workflow.services.auth import Action, Actor, authorize, logs_refusals
from workflow.services.funding import RELEASE_FUNDING
from workflow.services.queries import cohort_rules
from workflow.services.views import _cohort_report, _stuck

#: What the next dates are called, by due item kind (other kinds are not shown).
DATE_KINDS = {
    RELEASE_FUNDING: "Funding release",
    "advance_cohort": "Term start: the cohort moves on",
}
NEXT_DATES = 8
STUCK_SHOWN = 20


@logs_refusals("dashboard")
def dashboard(uow: UnitOfWork, actor: Actor, now: datetime) -> dict:
    with uow:
        session = uow.session
        authorize(actor, Action.VIEW)
        cohorts = []
        for number in session.scalars(select(Cohort.number).order_by(Cohort.number.desc())):
            report = _cohort_report(session, actor, number, None)
            stuck = _stuck(session, actor, number, None, lapses=False)
            cohorts.append(
                {
                    "number": number,
                    "hubs": report["hubs"],
                    "places": sum(h["places"] for h in report["hubs"]),
                    "used": sum(h["used"] for h in report["hubs"]),
                    "by_state": _total_by_state(report["hubs"]),
                    "stuck": stuck[:STUCK_SHOWN],
                    "stuck_total": len(stuck),
                }
            )
        return {"cohorts": cohorts, "next_dates": _next_dates(session, now)}


def _events(session, now: datetime) -> list[tuple]:
    """Every cohort's events still to come, from the rules each cohort keeps."""
    found = []
    for cohort_id, number in session.execute(select(Cohort.id, Cohort.number)):
        for event in cohort_rules(session, cohort_id).events:
            if event.starts_at >= now:
                named = f"Cohort {number}" in event.title
                found.append(
                    (event.starts_at, event.title if named else f"Cohort {number}: {event.title}")
                )
    return found


def _total_by_state(hubs: list[dict]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for hub in hubs:
        total.update(hub["by_state"])
    return {state: count for state, count in total.items() if count}


def _next_dates(session, now: datetime) -> list[dict]:
    """The next events, funding releases and term starts (releases counted per day): no
    names, only what and when."""
    rows = session.execute(
        select(DueItem.kind, DueItem.due_at)
        .where(
            DueItem.done_at.is_(None),
            DueItem.cancelled_at.is_(None),
            DueItem.due_at >= now,
            DueItem.kind.in_(list(DATE_KINDS)),
        )
        .order_by(DueItem.due_at)
        .limit(500)
    ).all()
    zone = session_timezone(session)
    dated = sorted([(due_at, DATE_KINDS[kind]) for kind, due_at in rows] + _events(session, now))
    grouped: Counter[tuple] = Counter()
    order: list[tuple] = []
    for at, what in dated:
        key = (at, what) if what not in DATE_KINDS.values() else (local_date(at, zone), what)
        if key not in grouped:
            order.append(key)
        grouped[key] += 1
    return [{"on": at, "what": what, "count": grouped[(at, what)]} for at, what in order][
        :NEXT_DATES
    ]
