"""Sending one specialist a reminder now, at a member of staff's request (the web's bulk
"Send a reminder").

No new email: a reminder sent now is one of the scheduled reminders' notifications
(``services/reminders.py``), queued as a ``reminder`` due item due at once, so the
dispatcher writes it to the outbox on its next tick exactly as it writes a scheduled one
(expiry, the joining link, the days counted on the day it goes out; cancelled if the
specialist is deferred or withdrawn first). It goes out within one scheduler interval
(30 seconds by default), as any outbox email does, since the tick also relays the outbox.
The reminders on offer (``CHOICES``):

- ``next_event``: the specialist's next event still to come: the launch when selected
  (``launch_reminder``), the next central event of their year in Year 1 or Year 2
  (``central_event_reminder``); to the specialist only (the headteacher's launch emails
  are the school's and keep their own schedule);
- ``accreditation``: PD Lead accreditation not yet recorded, in Year 1 or Year 2
  (``accreditation_reminder``; skipped at sending if it is recorded by then).

One of each a specialist a day: the due item's key is
``reminder:{specialist}:{template}:now-{date}:specialist:{days}``, unique, so a second
request on the same day (a form submitted twice) is refused with "already sent today" and
two requests at the same moment still send one email. Hub staff, hub leads and national
admins may send them (``Action.REMIND``), in their own hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.clock import local_date
from workflow.db.models import AuditEntry, DueItem, Specialist
from workflow.db.uow import UnitOfWork, session_timezone
from workflow.errors import DomainError, InvalidInput
from workflow.notify.notifications import (
    ACCREDITATION_REMINDER,
    CENTRAL_EVENT_REMINDER,
    LAUNCH_REMINDER,
)
from workflow.notify.registry import Notification, Role
from workflow.services import due
from workflow.services.auth import Action, Actor, authorize, logs_refusals
from workflow.services.queries import cohort_rules, counted_milestones
from workflow.services.reminders import REMINDER, _events, days_left, event_extra, key_prefix
from workflow.services.specialists import MILESTONES, load_with_hub
from workflow.states.lifecycle import State
from workflow.states.programme import funded_year

#: The reminders staff may send now, and how each is named on the page.
CHOICES: dict[str, str] = {
    "next_event": "Their next event (the launch, or the next central event of their year)",
    "accreditation": "PD Lead accreditation, when it is not recorded yet",
}


@dataclass(frozen=True)
class Planned:
    """The reminder a specialist would be sent now."""

    notification: Notification
    days: int
    extra: dict[str, Any]
    what: str  # for people: "Central event 2 on 18 November 2025"


def check_choice(which: str) -> None:
    if which not in CHOICES:
        raise InvalidInput(f"unknown reminder {which!r}; expected one of {', '.join(CHOICES)}")


def plan_in(session: Session, specialist: Specialist, which: str, now: datetime) -> Planned:
    """The reminder ``which`` for this specialist now, or a ``DomainError`` saying why not."""
    check_choice(which)
    state = State(specialist.state)
    zone = ZoneInfo(session_timezone(session))
    if which == "accreditation":
        states = MILESTONES["accreditation"][0]
        if state not in states:
            allowed = " or ".join(s.value for s in states)
            raise DomainError(
                f"no accreditation reminder for a specialist who is {state.value} "
                f"(only when {allowed})"
            )
        if session.scalar(
            select(AuditEntry.id).where(
                AuditEntry.specialist_id == specialist.id,
                counted_milestones(),
                AuditEntry.name == "accreditation",
            )
        ):
            raise DomainError("accreditation is already recorded")
        return Planned(ACCREDITATION_REMINDER, 0, {}, "PD Lead accreditation")
    if state == State.SELECTED:
        kind, year, note = "launch", 1, LAUNCH_REMINDER
    elif funded_year(state):
        kind, year, note = "central", funded_year(state), CENTRAL_EVENT_REMINDER
    else:
        raise DomainError(f"no event to remind a specialist who is {state.value} of")
    rules = cohort_rules(session, specialist.cohort_id)
    ids = rules.event_ids()
    coming = [(i, e) for i, e in _events(rules, kind, year) if e.starts_at > now]
    if not coming:
        raise DomainError(f"no {kind} event of Year {year} is still to come")
    index, event = min(coming, key=lambda pair: pair[1].starts_at)
    days = days_left(event.starts_at, now, zone)
    extra = note.payload_extra({"event": event_extra(event, ids[index]), "days_before": days})
    on = event.starts_at.astimezone(zone).date()
    return Planned(note, days, extra, f"{event.title} on {on.day} {on:%B %Y}")


def key_for(session: Session, specialist_id: int, planned: Planned, now: datetime) -> str:
    today = local_date(now, session_timezone(session)).isoformat()
    return (
        f"{key_prefix(specialist_id)}{planned.notification.name}:now-{today}:"
        f"{Role.SPECIALIST.value}:{planned.days}"
    )


def check_in(
    session: Session, actor: Actor, specialist_id: int, which: str, now: datetime
) -> Planned:
    """What ``remind`` would queue, checked (not found, not permitted, not applicable,
    already sent today), in the caller's transaction; writes nothing."""
    specialist, hub_id = load_with_hub(session, actor, specialist_id)
    authorize(actor, Action.REMIND, hub_id)
    planned = plan_in(session, specialist, which, now)
    key = key_for(session, specialist_id, planned, now)
    if session.scalar(select(DueItem.id).where(DueItem.key == key)):
        raise DomainError("this reminder was already sent to them today")
    return planned


@logs_refusals("remind")
def remind(uow: UnitOfWork, actor: Actor, specialist_id: int, which: str, now: datetime) -> str:
    """Queue the reminder ``which`` to the specialist now; returns what it is about."""
    with uow:
        session = uow.session
        planned = check_in(session, actor, specialist_id, which, now)
        payload = {
            "template": planned.notification.name,
            "specialist_id": specialist_id,
            "to": Role.SPECIALIST.value,
            "extra": planned.extra,
            "requested_by": actor.email,
        }
        if planned.notification is ACCREDITATION_REMINDER:
            payload["unless_milestone"] = "accreditation"
        key = key_for(session, specialist_id, planned, now)
        due.schedule_many(session, [due.row(key, REMINDER, now, payload)])
        uow.commit()
        return planned.what
