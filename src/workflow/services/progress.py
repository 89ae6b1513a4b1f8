"""Each hub's progress figures for a cohort at a term: what the term digest and
``workflow report progress`` both print.

The facts come from the database as they stand (milestones recorded, funding paid and
still due); what is expected of each specialist depends on the term (``states.progress``
judges, this module only gathers). A specialist counts while in Year 1 or Year 2.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.db.models import Hub, School, Specialist
from workflow.db.uow import UnitOfWork, session_timezone
from workflow.notify.figures import (
    HubCount,
    HubFigures,
    RequirementFigures,
    SpecialistFigures,
    TermInfo,
)
from workflow.notify.notifications import EventInfo
from workflow.services import funding
from workflow.services.auth import (
    SYSTEM,
    Action,
    Actor,
    authorize,
    logs_refusals,
    not_found_unless_visible,
)
from workflow.services.calendar import Calendar, calendar
from workflow.services.events import joining_links
from workflow.services.queries import facts_for, milestone_totals
from workflow.services.reminders import event_info
from workflow.services.setup import cohort_by_number, hub_by_code
from workflow.states.programme import YEARS, funded_year
from workflow.states.progress import Recorded, progress
from workflow.states.rules import CohortRules, rules_from_snapshot


@dataclass(frozen=True)
class CohortProgress:
    """A cohort's figures at one term, per hub (hubs with a specialist in Year 1 or 2)."""

    cohort: int
    term: TermInfo
    hubs: list[tuple[int, HubFigures]]  # (hub id, figures)
    events: list[EventInfo]  # the term's central and launch events
    later_events: list[EventInfo]  # those after the term, to the end of its academic year

    def counts(self) -> list[HubCount]:
        return [HubCount(h.hub, h.name, h.on_track, h.behind) for _, h in self.hubs]

    def as_dict(self) -> dict:
        return {
            "cohort": self.cohort,
            "term": {
                "name": self.term.name,
                "academic_year": self.term.academic_year,
                "start": self.term.start.isoformat(),
                "end": self.term.end.isoformat(),
            },
            "hubs": [msgspec.to_builtins(figures) for _, figures in self.hubs],
            "events": [msgspec.to_builtins(event) for event in self.events],
            "later_events": [msgspec.to_builtins(event) for event in self.later_events],
            "totals": {
                "on_track": sum(h.on_track for _, h in self.hubs),
                "behind": sum(h.behind for _, h in self.hubs),
            },
        }


def term_info(cal: Calendar, day: date) -> TermInfo:
    """The term holding ``day`` (or the next one, in the holidays)."""
    academic, term, dates = cal.term_at(day)
    return TermInfo(term.value, academic.label, dates.start, dates.end)


@logs_refusals("report progress")
def report(
    uow: UnitOfWork,
    actor: Actor,
    cohort_number: int,
    day: date | None,
    now: datetime,
    hub_code: str | None = None,
) -> CohortProgress:
    """``cohort_progress`` at the term holding ``day`` (default: today, in the configured
    zone) for a person: hub staff see their own hub only."""
    if day is None:
        day = now.astimezone(calendar(uow.timezone).tz).date()
    with uow:
        hub_id = None
        if hub_code is not None:
            hub_id = hub_by_code(uow.session, hub_code).id
            not_found_unless_visible(actor, hub_id, f"hub {hub_code!r}")
            authorize(actor, Action.VIEW, hub_id)
        else:
            authorize(actor, Action.VIEW)
            if not actor.national:
                hub_id = actor.hub_id
        return cohort_progress(uow.session, cohort_number, day, hub_id=hub_id)


def cohort_progress(
    session: Session,
    cohort_number: int,
    day: date,
    *,
    hub_id: int | None = None,
    cal: Calendar | None = None,
) -> CohortProgress:
    """Every hub's figures (or one hub's) at the term holding ``day``, facts as they stand."""
    cal = cal or calendar(session_timezone(session))
    cohort = cohort_by_number(session, cohort_number)
    rules = rules_from_snapshot(cohort.rules)
    term = term_info(cal, day)
    query = (
        select(
            Specialist.id,
            Specialist.name,
            Specialist.state,
            School.name.label("school"),
            Hub.id.label("hub_id"),
            Hub.code,
            Hub.name.label("hub_name"),
        )
        .join(School, School.id == Specialist.school_id)
        .join(Hub, Hub.id == School.hub_id)
        .where(
            Specialist.cohort_id == cohort.id,
            Specialist.state.in_([y.state.value for y in YEARS if y.funded]),
        )
        .order_by(Hub.code, Specialist.id)
    )
    if hub_id is not None:
        query = query.where(Hub.id == hub_id)
    rows = session.execute(query).all()
    flags = facts_for(session, rows, rules)
    year_of = {row.id: funded_year(row.state) for row in rows}
    totals: dict[int, dict[str, int]] = {}
    for year in (1, 2):
        ids = [i for i, y in year_of.items() if y == year]
        if ids:
            totals.update(milestone_totals(session, ids, year))
    term_start = term.start
    launch_passed = any(
        e.kind == "launch" and _day(cal, e.starts_at) < term_start for e in rules.events
    )

    by_hub: dict[int, list] = defaultdict(list)
    names: dict[int, tuple[str, str]] = {}
    for row in rows:
        year = year_of[row.id]
        recorded = Recorded(
            half_days=totals.get(row.id, {}),
            launch_attended=flags[row.id].launch_attended,
            accredited=flags[row.id].accredited,
        )
        figures = progress(
            rules, row.id, row.name, row.school, year, recorded,
            terms_ended=terms_ended(cal, rules, year, term_start),
            launch_passed=launch_passed,
        )  # fmt: skip
        by_hub[row.hub_id].append(figures)
        names[row.hub_id] = (row.code, row.hub_name)

    hubs = []
    for hid, people in by_hub.items():
        code, name = names[hid]
        money = funding.funding_report(session, SYSTEM, cohort_number, code).totals
        specialists = [
            SpecialistFigures(
                id=p.specialist_id,
                name=p.name,
                school=p.school,
                programme_year=p.programme_year,
                behind=p.behind,
                shortfalls=p.shortfalls,
                lines=[
                    RequirementFigures(line.what, line.done, line.expected, line.required)
                    for line in p.lines
                ],
                lapsing_half_days=p.lapsing_half_days,
                lapsing_pence=p.lapsing_pence,
            )
            for p in people
        ]
        behind = sum(s.behind for s in specialists)
        hubs.append(
            (
                hid,
                HubFigures(
                    hub=code,
                    name=name,
                    on_track=len(specialists) - behind,
                    behind=behind,
                    paid_pence=money["released_pence"],
                    due_pence=money["scheduled_pence"],
                    lapsing_pence=sum(s.lapsing_pence for s in specialists),
                    specialists=specialists,
                ),
            )
        )
    links = joining_links(session, cohort.id)
    academic, _, _ = cal.term_at(term.start)
    year_end = academic.summer.end
    events, later = [], []
    for event_id, e in zip(rules.event_ids(), rules.events, strict=True):
        on = _day(cal, e.starts_at)
        if term.start <= on <= year_end:
            info = msgspec.structs.replace(event_info(e, event_id), link=links.get(event_id))
            (events if on <= term.end else later).append(info)
    return CohortProgress(
        cohort=cohort_number, term=term, hubs=hubs, events=events, later_events=later
    )


def terms_ended(cal: Calendar, rules: CohortRules, programme_year: int, day: date) -> int:
    """How many of a programme year's three terms ended before ``day``."""
    start = getattr(rules.dates, YEARS[programme_year - 1].rules_date)
    _, _, first = cal.term_at(start)
    academic = cal.academic_year(cal.academic_year_of(first.start))
    return sum(1 for _, dates in academic.terms if dates.end < day)


def _day(cal: Calendar, moment: datetime) -> date:
    return moment.astimezone(cal.tz).date()
