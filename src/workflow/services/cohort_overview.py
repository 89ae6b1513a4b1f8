"""A cohort as people read it (the web's ``/cohorts`` and ``/cohorts/N``): its rules in
plain values (dates, days, money in pence, events with their ids and joining links), its
recruitment window, and its progress by hub.

Cohorts are national: every member of staff may read them. Progress is the actor's view
(``views._cohort_report``): every hub for the national team, their own hub for hub staff.
The window is changed by ``recruitment.set_window`` (national admins), as by ``workflow
cohort window``.
"""

from __future__ import annotations

from sqlalchemy import func, select

from workflow.db.models import Cohort, HubAllocation
from workflow.db.uow import UnitOfWork
from workflow.services.auth import Action, Actor, authorize, logs_refusals
from workflow.services.events import describe_event, joining_links
from workflow.services.setup import cohort_by_number
from workflow.services.views import _cohort_report, cohort_totals, total_by_state
from workflow.states.rules import CohortRules, YearRules, rules_from_snapshot


@logs_refusals("cohorts")
def cohorts(uow: UnitOfWork, actor: Actor) -> list[dict]:
    """Every cohort, newest first: title, start, window, places allocated and used (the
    actor's hub's, unless national) and specialists."""
    authorize(actor, Action.VIEW)
    with uow:
        session = uow.session
        places_q = select(HubAllocation.cohort_id, func.sum(HubAllocation.places))
        hub_id = None if actor.national else actor.hub_id
        if hub_id is not None:
            places_q = places_q.where(HubAllocation.hub_id == hub_id)
        places = dict(session.execute(places_q.group_by(HubAllocation.cohort_id)).all())
        totals = cohort_totals(session, hub_id)
        rows = []
        for cohort in session.scalars(select(Cohort).order_by(Cohort.number.desc())):
            rules = rules_from_snapshot(cohort.rules)
            rows.append(
                {
                    "number": cohort.number,
                    "title": rules.title,
                    "start_date": cohort.start_date,
                    "opens": cohort.recruitment_opens,
                    "closes": cohort.recruitment_closes,
                    "places": int(places.get(cohort.id) or 0),
                    "used": totals.get(cohort.id, (0, 0))[1],
                    "specialists": totals.get(cohort.id, (0, 0))[0],
                }
            )
        return rows


@logs_refusals("cohort")
def cohort_overview(uow: UnitOfWork, actor: Actor, number: int) -> dict:
    """One cohort: its rules, window, events and progress by hub (the actor's view)."""
    authorize(actor, Action.VIEW)
    with uow:
        session = uow.session
        cohort = cohort_by_number(session, number)
        rules = rules_from_snapshot(cohort.rules)
        report = _cohort_report(session, actor, number, None)
        hubs = report["hubs"]
        by_state = total_by_state(hubs)
        return {
            "number": cohort.number,
            "rules_name": cohort.rules_name,
            "title": rules.title,
            "dates": {
                "year1_start": rules.dates.year1_start,
                "year2_start": rules.dates.year2_start,
                "work_group_start": rules.dates.work_group_start,
            },
            "funding": {
                "daily_rate_pence": rules.funding.daily_rate_pence,
                "basis": rules.funding.basis,
                "paid_milestones": list(rules.funding.paid_milestones),
                "on_withdrawal": rules.funding.on_withdrawal,
            },
            "years": [_year(rules, n, rules.year(n)) for n in (1, 2)],
            "events": _events(rules, joining_links(session, cohort.id)),
            "window": {
                "opens": cohort.recruitment_opens,
                "closes": cohort.recruitment_closes,
                "nominees_per_school": cohort.nominees_per_school,
            },
            "progress": {
                "hubs": hubs,
                "places": sum(h["places"] for h in hubs),
                "used": sum(h["used"] for h in hubs),
                "by_state": by_state,
                "specialists": sum(by_state.values()),
            },
        }


def _year(rules: CohortRules, number: int, year: YearRules) -> dict:
    return {
        "number": number,
        "funded_days": year.funded_half_days / 2,
        "central_days": year.central_half_days / 2,
        "development_days": year.development_half_days / 2,
        "hub_support_half_days": year.hub_support_half_days,
        "bursary_pence": year.bursary_pence,
        "entitlement_pence": rules.entitlement_pence(number),
        "launch_attendance_required": year.launch_attendance_required,
        "instalments": [{"due": i.due, "percent": i.percent} for i in year.instalments],
        "release_dates": list(year.statement_dates),
    }


def _events(rules: CohortRules, links: dict[str, str]) -> list[dict]:
    return [
        {
            **describe_event(event_id, event, links.get(event_id)),
            "headteacher": event.headteacher_half_day,
        }
        for event_id, event in zip(rules.event_ids(), rules.events, strict=True)
    ]
