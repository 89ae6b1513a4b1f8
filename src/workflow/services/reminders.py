"""Reminder emails: which are scheduled when a specialist moves, and which are cancelled.

Each reminder is a ``due_items`` row of kind ``reminder`` whose payload says what to
send (``template``, ``specialist_id``, ``to``, ``extra``); the dispatcher writes it to the
outbox when it falls due, with the due key as the email's occurrence. Keys are
``reminder:{specialist}:{template}:{event index}:{to}:{days}``, so scheduling twice
is harmless and one specialist's reminders share a prefix.

- select: the launch invitation now (to the specialist) and launch reminders 14 and 2
  days before the launch. The headteacher gets one invitation and one of each reminder
  per school and event, naming every specialist of the school on the programme when it
  is sent: their keys are the school's (``reminder:school{id}:...``), so a second
  specialist selected from the school adds none, and the names are read at sending
  (``for_the_school``); the head's invitation goes at 09:00 on the next working day,
  so that a hub's selections of one day reach the head together;
- start_year1 / start_year2: a reminder 7 days before each of that year's central
  events (to the specialist); start_year2 also reminds of PD Lead accreditation on
  1 March and 1 June of Year 2 (skipped when accreditation is recorded by then);
- withdraw / defer: the specialist's pending reminders are cancelled; resume schedules
  again those of the state resumed into that are still in the future; reinstate (the
  undo of a withdrawal) revives those the withdrawal cancelled that are still to come.

Times come from the academic calendar: 09:00 London time on a working day.

A reminder that comes due late (the scheduler was down) is judged when it is dispatched
(``expiry``): it expires, unsent, once its event has begun or when fewer than half of its
``days_before`` are left (a 14-day reminder 6 days before, a 7-day one 3 days before, a
2-day one on the day); a reminder without an event expires when over ``LATE_LIMIT`` late.
What a sent reminder says is worked out from the day it is sent (``days_left``), not the
day it was planned for: a reminder moved off a weekend says "in 4 days", not "in 2 days".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.clock import local_date
from workflow.db.models import Specialist
from workflow.db.uow import session_timezone
from workflow.notify.notifications import (
    ACCREDITATION_REMINDER,
    CENTRAL_EVENT_REMINDER,
    LAUNCH_INVITATION,
    LAUNCH_REMINDER,
    EventInfo,
)
from workflow.notify.registry import Notification, Role
from workflow.services import due, effects
from workflow.services.calendar import Calendar, calendar
from workflow.services.queries import cohort_rules, last_transition
from workflow.states.lifecycle import State
from workflow.states.programme import funded_year, started_by
from workflow.states.rules import CohortRules, Event

REMINDER = "reminder"  # the due item kind
LAUNCH_REMINDER_DAYS = (14, 2)
CENTRAL_REMINDER_DAYS = 7
# Accreditation reminders in Year 2: (month, day) in the calendar year Year 2 ends in.
ACCREDITATION_REMINDERS = ((3, 1), (6, 1))
DAY = timedelta(days=1)
#: A reminder without an event (accreditation) expires when it comes due later than this.
LATE_LIMIT = timedelta(days=14)


def key_prefix(specialist_id: int) -> str:
    return f"reminder:{specialist_id}:"


def reminder_key(specialist_id: int, template: str, index: int, to: str, days: int) -> str:
    return f"{key_prefix(specialist_id)}{template}:{index}:{to}:{days}"


def school_key(school_id: int, template: str, index: int, days: int) -> str:
    """The key of a headteacher's email about an event: one per school, not per specialist."""
    return f"reminder:school{school_id}:{template}:{index}:headteacher:{days}"


def school_specialists(session: Session, school_id: int, cohort_id: int) -> list[tuple[int, str]]:
    """The school's specialists of the cohort who are going to the launch (id, name)."""
    return [
        (row.id, row.name)
        for row in session.execute(
            select(Specialist.id, Specialist.name)
            .where(
                Specialist.school_id == school_id,
                Specialist.cohort_id == cohort_id,
                Specialist.state.in_([State.SELECTED.value, State.YEAR1.value]),
            )
            .order_by(Specialist.id)
        )
    ]


def for_the_school(session: Session, payload: dict[str, Any]) -> dict[str, Any] | None:
    """A headteacher's per-school email as sent now: every specialist of the school named,
    the first one giving the context; None when none of them is going any more."""
    if "school_id" not in payload:
        return payload
    going = school_specialists(session, payload["school_id"], payload["cohort_id"])
    if not going:
        return None
    extra = {**(payload.get("extra") or {}), "specialists": [name for _, name in going]}
    return {**payload, "specialist_id": going[0][0], "extra": extra}


def event_info(event: Event, event_id: str | None = None) -> EventInfo:
    """A rules event in the shape the emails carry (reminders, invitations, digests); ``link``,
    an online event's joining link, is added when the email is due (``services.events``)."""
    return EventInfo(
        id=event_id,
        title=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        location=event.location,
        online=event.online,
        headteacher_half_day=event.headteacher_half_day,
    )


def event_extra(event: Event, event_id: str | None = None) -> dict[str, Any]:
    """An event as plain JSON values, the shape the event templates expect."""
    return msgspec.to_builtins(event_info(event, event_id))


def _events(rules: CohortRules, kind: str, programme_year: int) -> list[tuple[int, Event]]:
    """The rules' events of a kind in a year, with their index in the rules' list."""
    return [
        (index, event)
        for index, event in enumerate(rules.events)
        if event.kind == kind and event.programme_year == programme_year
    ]


def _event_day(event: Event, cal: Calendar) -> date:
    return event.starts_at.astimezone(cal.tz).date()


@dataclass(frozen=True, slots=True)
class _Reminder:
    """One reminder of a plan, the same for every specialist in the state."""

    notification: Notification
    index: int
    to: str
    days: int
    due_at: datetime
    extra: dict[str, Any]
    more: dict[str, Any]

    def row(self, specialist_id: int) -> dict[str, Any]:
        """This reminder's ``due.row`` for one specialist."""
        name = self.notification.name
        payload = {"template": name, "specialist_id": specialist_id, "to": self.to}
        payload["extra"] = self.extra
        payload.update(self.more)
        key = reminder_key(specialist_id, name, self.index, self.to, self.days)
        return due.row(key, REMINDER, self.due_at, payload)


def planned(
    specialist_id: int, rules: CohortRules, state: State, now: datetime, cal: Calendar
) -> list[dict[str, Any]]:
    """The reminder rows (``due.row``) a specialist in ``state`` should have, from now on."""
    return [reminder.row(specialist_id) for reminder in _plan(rules, state, now, cal)]


def _plan(rules: CohortRules, state: State, now: datetime, cal: Calendar) -> list[_Reminder]:
    """The reminders of ``state`` from now on; only the specialist's id differs between people."""
    plan = []
    ids = rules.event_ids()

    def add(notification, index, days, due_at, extra, recipients=None, **more):
        if due_at <= now:
            return  # already past: a reminder never goes out late
        extra = notification.payload_extra(extra)  # checked against its shape now
        for to in recipients or notification.recipients:
            plan.append(_Reminder(notification, index, str(to), days, due_at, extra, more))

    if state == State.SELECTED:
        for index, event in _events(rules, "launch", 1):
            for days in LAUNCH_REMINDER_DAYS:
                at = cal.reminder_before(_event_day(event, cal), days)
                extra = {"event": event_extra(event, ids[index]), "days_before": days}
                # the headteacher's are the school's: heads_launch_emails
                add(LAUNCH_REMINDER, index, days, at, extra, recipients=(Role.SPECIALIST,))
    year = funded_year(state)
    if year:
        for index, event in _events(rules, "central", year):
            at = cal.reminder_before(_event_day(event, cal), CENTRAL_REMINDER_DAYS)
            extra = {"event": event_extra(event, ids[index]), "days_before": CENTRAL_REMINDER_DAYS}
            add(CENTRAL_EVENT_REMINDER, index, CENTRAL_REMINDER_DAYS, at, extra)
    if year == 2:
        ends = rules.dates.year2_start.year + 1
        for index, (month, day) in enumerate(ACCREDITATION_REMINDERS):
            at = cal.reminder_time(date(ends, month, day))
            add(ACCREDITATION_REMINDER, index, 0, at, {}, unless_milestone="accreditation")
    return plan


def days_left(event_starts_at: datetime, now: datetime, tz) -> int:
    """Whole days from ``now``'s date to the event's date, both in the zone ``tz``."""
    return (event_starts_at.astimezone(tz).date() - now.astimezone(tz).date()).days


def expiry(payload: dict[str, Any], due_at: datetime, now: datetime, tz) -> str | None:
    """Why a reminder coming due at ``now`` must not be sent (None: send it); see above."""
    extra = payload.get("extra") or {}
    event = extra.get("event")
    sent_on = now.astimezone(tz).date().isoformat()
    if not event:
        if now - due_at > LATE_LIMIT:
            return (
                f"expired: due on {due_at.astimezone(tz).date().isoformat()},"
                f" {(now - due_at).days} days late when the scheduler reached it on {sent_on}"
            )
        return None
    starts_at = datetime.fromisoformat(event["starts_at"])
    event_day = starts_at.astimezone(tz).date().isoformat()
    if starts_at <= now:
        return f"expired: {event['title']} on {event_day} had begun when it came due on {sent_on}"
    left = days_left(starts_at, now, tz)
    planned_days = int(extra.get("days_before") or 0)
    if left * 2 < planned_days:
        return (
            f"expired: a {planned_days}-day reminder, only {left} days before {event['title']}"
            f" on {event_day} when it came due on {sent_on}"
        )
    return None


def as_sent(payload: dict[str, Any], now: datetime, tz) -> dict[str, Any]:
    """The reminder's ``extra`` with ``days_before`` counted from the day it is sent."""
    extra = dict(payload.get("extra") or {})
    event = extra.get("event")
    if event and "days_before" in extra:
        extra["days_before"] = days_left(datetime.fromisoformat(event["starts_at"]), now, tz)
    return extra


def launch_invitations(
    specialist_id: int,
    rules: CohortRules,
    now: datetime,
    recipients: tuple[Role, ...] = LAUNCH_INVITATION.recipients,
) -> list[dict]:
    """Outbox rows inviting ``recipients`` to a launch not yet begun."""
    ids = rules.event_ids()
    return [
        effects.email_row(
            now,
            LAUNCH_INVITATION,
            specialist_id,
            str(to),
            f"launch{index}",
            {"event": event_extra(event, ids[index])},
        )
        for index, event in _events(rules, "launch", 1)
        if event.starts_at > now
        for to in recipients
    ]


def heads_launch_emails(
    rules: CohortRules, specialist_id: int, school_id: int, cohort_id: int, now, cal: Calendar
) -> list[dict[str, Any]]:
    """The headteacher's launch invitation and reminders, one each per school and event."""
    rows = []
    ids = rules.event_ids()
    for index, event in _events(rules, "launch", 1):
        if event.starts_at <= now:
            continue
        when = [(LAUNCH_INVITATION, 0, cal.reminder_time(local_date(now, cal.tz.key) + DAY))]
        when += [
            (LAUNCH_REMINDER, days, cal.reminder_before(_event_day(event, cal), days))
            for days in LAUNCH_REMINDER_DAYS
        ]
        for note, days, at in when:
            if at <= now or at >= event.starts_at:
                continue
            extra = {"event": event_extra(event, ids[index])}
            if days:
                extra["days_before"] = days
            payload = {"template": note.name, "specialist_id": specialist_id,
                       "to": Role.HEADTEACHER.value, "extra": note.payload_extra(extra),
                       "school_id": school_id, "cohort_id": cohort_id}  # fmt: skip
            rows.append(due.row(school_key(school_id, note.name, index, days), REMINDER, at,
                                payload))  # fmt: skip
    return rows


def cancel_pending(session: Session, specialist_id: int, now: datetime) -> int:
    """Cancel every reminder of one specialist still to be sent."""
    return due.cancel(session, key_prefix(specialist_id), now)


def update_reminders(
    session: Session,
    specialist_id: int,
    cohort_id: int,
    trigger: str,
    dest: State,
    now: datetime,
) -> None:
    """The reminders one transition schedules or cancels, in the transition's transaction."""
    if dest in (State.WITHDRAWN, State.DEFERRED):
        due.cancel(session, key_prefix(specialist_id), now)
        return
    if trigger == "reinstate":
        # The undo of a withdrawal: what it cancelled and is still to come, exactly.
        withdrawal = last_transition(session, specialist_id, "withdraw")
        if withdrawal is not None and dest != State.NOMINATED:
            due.revive_cancelled(session, key_prefix(specialist_id), withdrawal.at, after=now)
        return
    if trigger not in ("select", "resume"):
        return  # year starts are planned for the whole batch: schedule_year_reminders
    rules = cohort_rules(session, cohort_id)
    cal = calendar(session_timezone(session))
    if trigger == "select":
        invitations = launch_invitations(specialist_id, rules, now, (Role.SPECIALIST,))
        effects.write(session, invitations)
    # resume revives what deferral cancelled, where it is still to come
    rows = planned(specialist_id, rules, dest, now, cal)
    due.schedule_many(session, rows, revive=trigger == "resume")
    if dest == State.SELECTED:
        school_id = session.get(Specialist, specialist_id).school_id
        heads = heads_launch_emails(rules, specialist_id, school_id, cohort_id, now, cal)
        due.schedule_many(session, heads)


def schedule_year_reminders(
    session: Session, rules: CohortRules, trigger: str, specialist_ids: list[int], now: datetime
) -> None:
    """The reminders of a batch of specialists moved together by a year trigger."""
    year = started_by(trigger)
    if year is None or not year.funded or not specialist_ids:
        return
    plan = _plan(rules, year.state, now, calendar(session_timezone(session)))
    due.schedule_many(session, [item.row(sid) for sid in specialist_ids for item in plan])
