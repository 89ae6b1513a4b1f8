"""Who is acting and what their role lets them do, checked in the service layer.

A hub's staff see only their own hub: another hub's specialist is "not found" to them,
so that existence does not leak.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.exc import SQLAlchemyError

from workflow.db.models import Refusal
from workflow.db.uow import UnitOfWork
from workflow.errors import NotFound, NotPermitted

logger = logging.getLogger(__name__)


class Role(StrEnum):
    NATIONAL_ADMIN = "national_admin"
    HUB_LEAD = "hub_lead"
    HUB_STAFF = "hub_staff"
    VIEWER = "viewer"
    SYSTEM = "system"  # the scheduler and workers


class Action(StrEnum):
    VIEW = "view"
    NOMINATE = "nominate"
    RECORD = "record"
    REMIND = "remind"  # send a specialist one of the reminders now (services/reminders_now.py)
    DECIDE = "decide"  # select, decline, advance, withdraw, defer, resume
    OVERRIDE = "override"
    CORRECT = "correct"  # reinstate, void a milestone, edit, move, change cohort
    SCHOOLS = "schools"  # add and edit schools (a hub lead: in their own hub)
    STAFF = "staff"  # invite, change the role of, deactivate staff (a hub lead: their hub's)
    ADMIT = "admit"  # accept a late nomination or one beyond a school's nominees
    SETUP = "setup"  # hubs, cohorts and their windows, allocations, staff
    OPERATE = "operate"  # simulate the scheduler's jobs, re-drive dead letters (national team)


ALLOWED: dict[Role, set[Action]] = {
    Role.NATIONAL_ADMIN: set(Action),
    Role.SYSTEM: set(Action),
    Role.HUB_LEAD: {
        Action.VIEW,
        Action.NOMINATE,
        Action.RECORD,
        Action.REMIND,
        Action.DECIDE,
        Action.OVERRIDE,
        Action.CORRECT,
        Action.SCHOOLS,
        Action.STAFF,
    },
    Role.HUB_STAFF: {Action.VIEW, Action.NOMINATE, Action.RECORD, Action.REMIND},
    Role.VIEWER: {Action.VIEW},
}


@dataclass(frozen=True, slots=True)
class Actor:
    email: str
    role: Role
    hub_id: int | None = None

    @property
    def national(self) -> bool:
        return self.role in (Role.NATIONAL_ADMIN, Role.SYSTEM)

    def sees_hub(self, hub_id: int) -> bool:
        return self.national or self.hub_id == hub_id


SYSTEM = Actor("system", Role.SYSTEM)


WHAT = {
    Action.VIEW: "view records",
    Action.NOMINATE: "nominate teachers",
    Action.RECORD: "record milestones",
    Action.REMIND: "send reminders to specialists",
    Action.DECIDE: "select, decline, advance, withdraw, defer or resume specialists",
    Action.OVERRIDE: "override a requirement",
    Action.CORRECT: "correct a record (reinstate, void, edit, move or change cohort)",
    Action.SCHOOLS: "add or edit schools",
    Action.STAFF: "invite or manage staff",
    Action.ADMIT: "accept a late nomination or one beyond the school's nominees",
    Action.SETUP: "set up hubs, schools, cohorts or staff",
    Action.OPERATE: "operate the system (simulate, dead letters): ask the national team",
}


def authorize(actor: Actor, action: Action, hub_id: int | None = None) -> None:
    """Refuse unless ``actor`` may do ``action`` (in ``hub_id`` when given)."""
    if action not in ALLOWED[actor.role]:
        raise NotPermitted(f"a {actor.role.value.replace('_', ' ')} may not {WHAT[action]}")
    if hub_id is not None and not actor.sees_hub(hub_id):
        raise NotPermitted("that belongs to another hub")


def not_found_unless_visible(actor: Actor, hub_id: int, what: str) -> None:
    if not actor.sees_hub(hub_id):
        raise NotFound(f"{what} not found")


def logs_refusals(command: str) -> Callable:
    """Decorate a service ``f(uow, actor, target, ...)``: a refusal (not permitted, not
    found) is recorded with the actor in its own transaction, then raised as before."""

    def decorate(service: Callable) -> Callable:
        @functools.wraps(service)
        def wrapper(uow, actor: Actor, *args, **kwargs):
            try:
                return service(uow, actor, *args, **kwargs)
            except (NotPermitted, NotFound) as refusal:
                target = str(args[0]) if args else None
                try:
                    record_refusal(uow, actor, command, target, str(refusal), uow.clock.now())
                except SQLAlchemyError as exc:  # a read-only database: still say why
                    logger.warning("could not record a refusal: %s", type(exc).__name__)
                raise

        return wrapper

    return decorate


def record_refusal(
    uow: UnitOfWork, actor: Actor, command: str, target: str | None, reason: str, at: datetime
) -> None:
    fresh = uow.fresh()
    with fresh:
        fresh.session.add(
            Refusal(
                actor=actor.email,
                command=command,
                target=(target or "")[:200] or None,
                reason=reason,
                at=at,
            )
        )
        fresh.commit()
