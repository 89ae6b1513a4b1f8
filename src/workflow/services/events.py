"""A cohort's events: their ids, registers of attendance, and online joining links.

The events come from the cohort's rules, each with a stable id (``CohortRules.event_ids``:
its own ``id``, else ``y1-central2``) and the release time it counts for
(``Event.half_days``: half a day for the launch, a day per calendar day of a central event,
unless the rules say ``days``). These defaults live in ``states/rules.py``.

``register`` records attendance for many specialists at once, in one transaction: each
ticked specialist gets that event's milestone (central days = the event's duration; the
launch = the headteacher's attendance, ``launch_attended``), recorded through the same
``specialists.record_in`` as ``workflow record``, and a register mark that remembers
which milestone the event recorded. Ticking someone twice records nothing more. A register
saved again without someone ticked before voids that event's milestone for them
(``corrections.void_in``, with the register as the reason; hub leads and national admins
may, as for any void), in the same transaction. A register is one hub's: hub staff save
their own hub's, and a national admin a hub's (``hub_code``) or the whole cohort's, so
saving one hub's register never takes another hub's specialists off it.

``attend`` marks one specialist present at one event of their cohort the same way (the
milestone and the mark), in a transaction of its own, leaving the rest of the register as
it is: the list's bulk "Record attendance" calls it once per specialist (``services/bulk.py``).

``set_link`` keeps an online event's joining link; reminders carry it (``with_link``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.clock import local_date
from workflow.db.models import Cohort, EventLink, RegisterMark, School, Specialist
from workflow.db.uow import UnitOfWork, session_timezone
from workflow.errors import DomainError, InvalidInput, NotFound
from workflow.services.auth import (
    Action,
    Actor,
    authorize,
    logs_refusals,
    not_found_unless_visible,
)
from workflow.services.corrections import void_in
from workflow.services.setup import cohort_by_number, hub_by_code
from workflow.services.specialists import load_with_hub, record_in
from workflow.states.rules import CohortRules, Event, rules_from_snapshot

MILESTONE_OF = {"launch": "launch_attended", "central": "central_day"}


class RegisterRefused(DomainError):
    """A register not saved: why, for each specialist who could not be recorded."""

    def __init__(self, problems: dict[int, str]):
        self.problems = problems
        super().__init__(
            "register not saved: " + "; ".join(f"{sid}: {why}" for sid, why in problems.items())
        )


def event_of(rules: CohortRules, event_id: str) -> Event:
    """The cohort's event with that id; "not found" names the cohort's events."""
    event = rules.event(event_id)
    if event is None:
        known = ", ".join(rules.event_ids()) or "none"
        raise NotFound(f"no event {event_id!r} in cohort {rules.cohort}; its events: {known}")
    return event


@logs_refusals("events")
def list_events(uow: UnitOfWork, actor: Actor, cohort_number: int) -> list[dict[str, Any]]:
    """The cohort's events in the rules' order, with ids, days and any joining link."""
    authorize(actor, Action.VIEW)
    with uow:
        session = uow.session
        cohort = cohort_by_number(session, cohort_number)
        rules = rules_from_snapshot(cohort.rules)
        links = joining_links(session, cohort.id)
        return [
            {
                **describe_event(event_id, event, links.get(event_id)),
                "starts_at": event.starts_at.isoformat(),
                "ends_at": event.ends_at.isoformat(),
            }
            for event_id, event in zip(rules.event_ids(), rules.events, strict=True)
        ]


def describe_event(event_id: str, event: Event, link: str | None) -> dict[str, Any]:
    """An event of a cohort's rules as the pages and ``events list`` show it."""
    return {
        "id": event_id,
        "kind": event.kind,
        "title": event.title,
        "programme_year": event.programme_year,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "days": event.half_days / 2,
        "online": event.online,
        "location": event.location,
        "link": link,
    }


def joining_links(session: Session, cohort_id: int) -> dict[str, str]:
    """``{event id: joining link}`` of a cohort's online events that have one."""
    return dict(
        session.execute(
            select(EventLink.event_id, EventLink.url).where(EventLink.cohort_id == cohort_id)
        ).all()
    )


def _check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc or any(c.isspace() for c in url):
        raise InvalidInput(f"a joining link is an https:// address; got {url!r}")
    if len(url) > 500:
        raise InvalidInput("a joining link is at most 500 characters")
    return url


@logs_refusals("event link")
def set_link(
    uow: UnitOfWork, actor: Actor, cohort_number: int, event_id: str, url: str, now: datetime
) -> None:
    """Set (or replace) an online event's joining link (national admin)."""
    authorize(actor, Action.SETUP)
    url = _check_url(url)
    with uow:
        session = uow.session
        cohort = cohort_by_number(session, cohort_number)
        event = event_of(rules_from_snapshot(cohort.rules), event_id)
        if not event.online:
            raise DomainError(f"event {event_id!r} is not online ({event.location})")
        link = session.scalar(
            select(EventLink).where(
                EventLink.cohort_id == cohort.id, EventLink.event_id == event_id
            )
        )
        if link is None:
            session.add(
                EventLink(cohort_id=cohort.id, event_id=event_id, url=url, set_by=actor.email,
                          set_at=now)
            )  # fmt: skip
        else:
            link.url, link.set_by, link.set_at = url, actor.email, now
        uow.commit()


def with_link(session: Session, specialist_id: int, extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` with its event's joining link, if the event has one (for reminders)."""
    event = extra.get("event")
    if not isinstance(event, dict) or not event.get("id") or not event.get("online"):
        return extra
    url = session.scalar(
        select(EventLink.url)
        .join(Specialist, Specialist.cohort_id == EventLink.cohort_id)
        .where(Specialist.id == specialist_id, EventLink.event_id == event["id"])
    )
    return extra if url is None else {**extra, "event": {**event, "link": url}}


def register_scope(session: Session, actor: Actor, hub_code: str | None) -> int | None:
    """The hub a register is taken for: ``hub_code`` (visible to the actor), else the
    actor's own hub; ``None`` for a national actor with no hub given (the whole cohort)."""
    if hub_code is not None:
        hub_id = hub_by_code(session, hub_code).id
        not_found_unless_visible(actor, hub_id, f"hub {hub_code!r}")
        return hub_id
    return None if actor.national else actor.hub_id


@logs_refusals("register")
def register(
    uow: UnitOfWork,
    actor: Actor,
    cohort_number: int,
    event_id: str,
    attended: list[int],
    now: datetime,
    hub_code: str | None = None,
) -> dict[str, list[int]]:
    """Save one event's register: ``{"recorded", "already", "removed"}`` (ids).

    The register is one hub's (``hub_code``; hub staff: their own hub) or, for a national
    actor with no hub given, the whole cohort's: only specialists of that scope are taken
    off when left unticked. An empty register is refused unless it takes someone off.
    All or nothing: if one specialist cannot be recorded, nothing is, and the refusal
    names each one.
    """
    if len(set(attended)) != len(attended):
        raise InvalidInput("a specialist is listed twice on the register")
    with uow:
        session = uow.session
        cohort = cohort_by_number(session, cohort_number)
        event = event_of(rules_from_snapshot(cohort.rules), event_id)
        hub_id = register_scope(session, actor, hub_code)
        authorize(actor, Action.RECORD, hub_id)
        query = select(RegisterMark).where(
            RegisterMark.cohort_id == cohort.id, RegisterMark.event_id == event_id
        )
        if hub_id is not None:
            query = (
                query.join(Specialist, Specialist.id == RegisterMark.specialist_id)
                .join(School, School.id == Specialist.school_id)
                .where(School.hub_id == hub_id)
            )
        marks = {m.specialist_id: m for m in session.scalars(query)}
        if not attended and not marks:
            raise InvalidInput("a register needs at least one attended specialist id")
        removed = sorted(set(marks) - set(attended))
        for sid in removed:  # un-ticked: that event's milestone is voided
            void_in(session, actor, sid, marks[sid].milestone_id,
                    f"taken off the register of {event_id}", now)  # fmt: skip
            session.delete(marks.pop(sid))
        session.flush()
        recorded, already, problems = [], [], {}
        for sid in attended:
            if sid in marks:
                already.append(sid)
                continue
            specialist = session.get(Specialist, sid)
            if specialist is None or specialist.cohort_id != cohort.id:
                problems[sid] = f"not a specialist of cohort {cohort_number}"
                continue
            if hub_id is not None and session.get(School, specialist.school_id).hub_id != hub_id:
                problems[sid] = "not a specialist of this hub"
                continue
            try:
                _mark(session, actor, cohort.id, event_id, event, sid, now)
            except DomainError as refused:
                problems[sid] = str(refused)
                continue
            recorded.append(sid)
        if problems:
            raise RegisterRefused(problems)
        uow.commit()
        return {"recorded": recorded, "already": already, "removed": removed}


def _mark(session, actor, cohort_id, event_id, event, specialist_id, now, expected_version=None):
    """One specialist marked present: the event's milestone (``record_in``) and the mark."""
    kind = MILESTONE_OF[event.kind]
    on = local_date(event.starts_at, session_timezone(session))
    half_days = event.half_days if kind == "central_day" else None
    entry = record_in(session, actor, specialist_id, kind, now, half_days=half_days, on=on,
                      expected_version=expected_version)  # fmt: skip
    mark = RegisterMark(cohort_id=cohort_id, event_id=event_id, specialist_id=specialist_id,
                        milestone_id=entry.id, actor=actor.email, at=now)  # fmt: skip
    session.add(mark)
    return mark


def attend_in(
    session: Session,
    actor: Actor,
    specialist_id: int,
    cohort_number: int,
    event_id: str,
    now: datetime,
    expected_version: int | None = None,
) -> RegisterMark:
    """Mark one specialist present at an event of their cohort, in the caller's transaction,
    leaving the rest of its register as it is (the list's bulk "Record attendance")."""
    specialist, _ = load_with_hub(session, actor, specialist_id)
    cohort = cohort_by_number(session, cohort_number)
    event = event_of(rules_from_snapshot(cohort.rules), event_id)
    if specialist.cohort_id != cohort.id:
        raise DomainError(f"not a specialist of cohort {cohort_number}")
    if event.kind not in MILESTONE_OF:
        raise DomainError(f"{event.title} records no attendance")
    if session.scalar(
        select(RegisterMark.id).where(
            RegisterMark.cohort_id == cohort.id,
            RegisterMark.event_id == event_id,
            RegisterMark.specialist_id == specialist_id,
        )
    ):
        raise DomainError(f"already on the register of {event.title}")
    return _mark(session, actor, cohort.id, event_id, event, specialist_id, now, expected_version)


@logs_refusals("attend")
def attend(
    uow: UnitOfWork,
    actor: Actor,
    specialist_id: int,
    cohort_number: int,
    event_id: str,
    now: datetime,
    expected_version: int | None = None,
) -> None:
    """``attend_in`` in a transaction of its own."""
    with uow:
        attend_in(uow.session, actor, specialist_id, cohort_number, event_id, now,
                  expected_version)  # fmt: skip
        uow.commit()


def past_events(uow: UnitOfWork, actor: Actor, now: datetime) -> list[dict[str, Any]]:
    """Every cohort's events that record attendance and have begun by ``now``, newest cohort
    first, each ``{"cohort", "id", "title", "starts_at"}`` (to choose one in a form)."""
    authorize(actor, Action.VIEW)
    with uow:
        found = []
        for cohort in uow.session.scalars(select(Cohort).order_by(Cohort.number.desc())):
            rules = rules_from_snapshot(cohort.rules)
            for event_id, event in zip(rules.event_ids(), rules.events, strict=True):
                if event.kind in MILESTONE_OF and event.starts_at <= now:
                    found.append({"cohort": cohort.number, "id": event_id, "title": event.title,
                                  "starts_at": event.starts_at})  # fmt: skip
        return found
