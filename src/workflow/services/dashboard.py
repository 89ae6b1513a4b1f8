"""The web's first page: per cohort, places and states by hub, who is stuck, the next dates."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select

from workflow.db.models import Cohort, DueItem
from workflow.db.uow import UnitOfWork
from workflow.services.auth import Action, Actor, authorize, logs_refusals
from workflow.services.funding import RELEASE_FUNDING
from workflow.services.reminders import REMINDER
from workflow.services.views import _cohort_report, _stuck

#: What the next dates are called, by due item kind (other kinds are not shown).
DATE_KINDS = {
    RELEASE_FUNDING: "Funding release",
    "advance_cohort": "Term start: the cohort moves on",
    REMINDER: "Reminder emails",
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
            stuck = _stuck(session, actor, number, None)
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


def _total_by_state(hubs: list[dict]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for hub in hubs:
        total.update(hub["by_state"])
    return {state: count for state, count in total.items() if count}


def _next_dates(session, now: datetime) -> list[dict]:
    """The next days on which something is due, by kind: no names, only what and when."""
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
    grouped: Counter[tuple] = Counter()
    order: list[tuple] = []
    for kind, due_at in rows:
        key = (due_at.date(), DATE_KINDS[kind])
        if key not in grouped:
            order.append(key)
        grouped[key] += 1
    return [{"on": day, "what": what, "count": grouped[(day, what)]} for day, what in order][
        :NEXT_DATES
    ]
