"""Which actions on a specialist a member of staff may take now: what the web offers
(also: editing a school, managing staff, exporting and erasing personal data).

Derived from the same ``authorize`` the services call (one authorisation) and from the
lifecycle's transitions: an action is offered when the role may take it in that hub and the
specialist's state allows it. The services still check again when the action is taken.
"""

from __future__ import annotations

from workflow.errors import NotPermitted
from workflow.services.auth import Action, Actor, authorize
from workflow.services.gdpr.erase import ERASE_ROLES
from workflow.services.gdpr.export import EXPORT_ROLES
from workflow.services.specialists import MILESTONES
from workflow.states.lifecycle import ACTIVE, NEXT_YEAR_TRIGGER, State, allowed_triggers

#: The web's actions: the trigger each fires (None: advance or record) and what it needs.
ACTIONS: dict[str, tuple[str | None, Action]] = {
    "select": ("select", Action.DECIDE),
    "decline": ("decline", Action.DECIDE),
    "withdraw": ("withdraw", Action.DECIDE),
    "defer": ("defer", Action.DECIDE),
    "resume": ("resume", Action.DECIDE),
    "advance": (None, Action.DECIDE),
    "record": (None, Action.RECORD),
}


def may(actor: Actor, action: str, hub_id: int) -> bool:
    """Whether the role may take ``action`` in this hub, whatever the state."""
    try:
        authorize(actor, ACTIONS[action][1], hub_id)
    except NotPermitted:
        return False
    return True


def state_allows(action: str, state: State | str) -> bool:
    state = State(state)
    trigger = ACTIONS[action][0]
    if trigger is not None:
        return trigger in allowed_triggers(state)
    if action == "advance":
        return state in NEXT_YEAR_TRIGGER
    return any(state in states for states, _ in MILESTONES.values())


def offered(actor: Actor, state: State | str, hub_id: int) -> list[str]:
    """The actions to show as buttons on a specialist's page, in a fixed order."""
    return [a for a in ACTIONS if may(actor, a, hub_id) and state_allows(a, state)]


def may_nominate(actor: Actor) -> bool:
    """Whether the role may nominate at all (the form is offered)."""
    try:
        authorize(actor, Action.NOMINATE)
    except NotPermitted:
        return False
    return True


def may_override(actor: Actor, hub_id: int) -> bool:
    try:
        authorize(actor, Action.OVERRIDE, hub_id)
    except NotPermitted:
        return False
    return True


def milestones_in(state: State | str) -> list[str]:
    """The milestones that may be recorded for a specialist in ``state``."""
    return [kind for kind, (states, _) in MILESTONES.items() if State(state) in states]


def may_take_register(actor: Actor, hub_id: int | None = None) -> bool:
    """Whether the role may take an event's register (in this hub, when given)."""
    try:
        authorize(actor, Action.RECORD, hub_id)
    except NotPermitted:
        return False
    return True


def may_mark_paid(actor: Actor, hub_id: int) -> bool:
    """Whether the role may record a statement of this hub as paid (``mark_paid``)."""
    try:
        authorize(actor, Action.DECIDE, hub_id)
    except NotPermitted:
        return False
    return True


#: The corrections the web offers on a specialist's page (``web/corrections.py``), in order,
#: and the states each applies to (None: any state). Each needs ``Action.CORRECT``; the
#: services check again, and decide what is refused (a move across hubs, an override).
CORRECTIONS: dict[str, tuple[State, ...] | None] = {
    "undo-withdrawal": (State.WITHDRAWN,),
    "reinstate": (State.NOT_SELECTED,),
    "change-cohort": (State.DEFERRED,),
    "move": tuple(ACTIVE),
    "edit": None,
}


def may_correct(actor: Actor, hub_id: int) -> bool:
    """Whether the role may correct a specialist of this hub (reinstate, void, edit, move)."""
    try:
        authorize(actor, Action.CORRECT, hub_id)
    except NotPermitted:
        return False
    return True


def may_set_up(actor: Actor) -> bool:
    """Whether the role may set up hubs, allocations and cohorts' windows (offered as forms)."""
    try:
        authorize(actor, Action.SETUP)
    except NotPermitted:
        return False
    return True


def correction_applies(correction: str, state: State | str) -> bool:
    states = CORRECTIONS[correction]
    return states is None or State(state) in states


def corrections_offered(actor: Actor, state: State | str, hub_id: int) -> list[str]:
    """The corrections to offer on a specialist's page (voids are offered per milestone)."""
    if not may_correct(actor, hub_id):
        return []
    return [c for c in CORRECTIONS if correction_applies(c, state)]


def may_admit(actor: Actor) -> bool:
    """Whether the role may accept a late nomination (the late nomination form is offered)."""
    try:
        authorize(actor, Action.ADMIT)
    except NotPermitted:
        return False
    return True


def _allowed(actor: Actor, action: Action, hub_id: int | None = None) -> bool:
    try:
        authorize(actor, action, hub_id)
    except NotPermitted:
        return False
    return True


def may_edit_school(actor: Actor, hub_id: int) -> bool:
    """The school's contacts may be edited (national admins; a hub lead in their hub)."""
    return _allowed(actor, Action.SCHOOLS, hub_id)


def may_manage_staff(actor: Actor) -> bool:
    """The staff page is offered (national admins; hub leads for their hub)."""
    return _allowed(actor, Action.STAFF)


def may_export(actor: Actor) -> bool:
    """A person's data may be exported (UK GDPR Article 15): national admins."""
    return actor.role in EXPORT_ROLES


def may_erase(actor: Actor) -> bool:
    """A person's data may be erased (Article 17): national admins."""
    return actor.role in ERASE_ROLES


def moves_across_hubs(actor: Actor) -> bool:
    """Whether a move may go to another hub's school: only someone who sees both hubs (a
    national admin; ``changes.move`` finds no school of a hub the actor cannot see)."""
    return actor.national and may_correct(actor, 0)


def may_operate(actor: Actor) -> bool:
    """Whether the role operates the system: dead letters, the system's health."""
    try:
        authorize(actor, Action.OPERATE)
    except NotPermitted:
        return False
    return True
