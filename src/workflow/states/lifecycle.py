"""The specialist lifecycle, declared once: the states, the transitions, and how a trigger is fired.

One ``transitions.Machine`` serves every specialist. It holds no models: a trigger is
fired on a throwaway ``Cursor`` that carries one specialist's state and the facts the
guards need, so firing costs the same for the first specialist as for the hundred-
thousandth (no model list grows, nothing is attached or detached), and threads never
share a cursor. The state itself lives in the specialist's database column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

from transitions import Machine, MachineError

from workflow.errors import GuardFailed, TransitionNotAllowed
from workflow.states.guards import Facts, guard_reasons


class State(StrEnum):
    NOMINATED = "nominated"
    SELECTED = "selected"
    NOT_SELECTED = "not_selected"
    YEAR1 = "year1"
    YEAR2 = "year2"
    WORK_GROUP_LEAD = "work_group_lead"
    DEFERRED = "deferred"
    WITHDRAWN = "withdrawn"


S = State
ACTIVE = [S.NOMINATED, S.SELECTED, S.YEAR1, S.YEAR2, S.WORK_GROUP_LEAD, S.DEFERRED]
DEFERRABLE = [S.SELECTED, S.YEAR1, S.YEAR2]
FINAL = [S.NOT_SELECTED, S.WITHDRAWN]
# A specialist in one of these states holds one of the hub's places for the cohort.
HOLDS_PLACE = [S.SELECTED, S.YEAR1, S.YEAR2, S.WORK_GROUP_LEAD, S.DEFERRED]

TRANSITIONS: list[dict] = [
    {"trigger": "select", "source": S.NOMINATED, "dest": S.SELECTED, "conditions": "allows"},
    {"trigger": "decline", "source": S.NOMINATED, "dest": S.NOT_SELECTED},
    {"trigger": "start_year1", "source": S.SELECTED, "dest": S.YEAR1},
    {"trigger": "start_year2", "source": S.YEAR1, "dest": S.YEAR2, "conditions": "allows"},
    {
        "trigger": "start_work_group",
        "source": S.YEAR2,
        "dest": S.WORK_GROUP_LEAD,
        "conditions": "allows",
    },
    {"trigger": "defer", "source": DEFERRABLE, "dest": S.DEFERRED},
    # resume goes back to the state the specialist left: one transition per possible state.
    *(
        {"trigger": "resume", "source": S.DEFERRED, "dest": left, "conditions": f"left_{left}"}
        for left in DEFERRABLE
    ),
    {"trigger": "withdraw", "source": ACTIVE, "dest": S.WITHDRAWN},
    # Corrections (a reason is required): back from the reserve list while the cohort's
    # Year 1 has not begun, and the undo of a withdrawal, to the state it left.
    {"trigger": "reinstate", "source": S.NOT_SELECTED, "dest": S.NOMINATED, "conditions": "allows"},
    *(
        {
            "trigger": "reinstate",
            "source": S.WITHDRAWN,
            "dest": left,
            "conditions": [f"left_{left}", "allows"],  # the state left first: one guard check
        }
        for left in ACTIVE
    ),
]

TRIGGERS = list(dict.fromkeys(t["trigger"] for t in TRANSITIONS))
CORRECTIONS = ("reinstate",)  # triggers that correct a record: they need a written reason
# The year trigger each state advances with (``workflow advance``).
NEXT_YEAR_TRIGGER = {
    S.SELECTED: "start_year1",
    S.YEAR1: "start_year2",
    S.YEAR2: "start_work_group",
}


@dataclass(slots=True)
class Cursor:
    """One specialist's state and facts while a trigger is decided; never stored.

    ``resume_state`` is the state the specialist left: deferral's for ``resume``, and
    withdrawal's for ``reinstate``.
    """

    state: State
    trigger: str
    facts: Facts
    resume_state: State | None = None
    override: bool = False
    refused: list[str] = field(default_factory=list)
    overridden: list[str] = field(default_factory=list)

    def allows(self) -> bool:
        reasons = guard_reasons(self.trigger, self.facts)
        if reasons and self.override:
            self.overridden = reasons
            return True
        self.refused = reasons
        return not reasons

    def __getattr__(self, name: str):
        # The resume conditions "left_<state>": true when the specialist left that state.
        if name.startswith("left_"):
            target = name.removeprefix("left_")
            return lambda: self.resume_state == target
        raise AttributeError(name)


@dataclass(frozen=True, slots=True)
class Outcome:
    source: State
    dest: State
    overridden: list[str]


@cache
def machine() -> Machine:
    """The one definition, built on first use (not at import)."""
    return Machine(
        model=None,
        states=list(State),
        transitions=TRANSITIONS,
        initial=S.NOMINATED,
        auto_transitions=False,
    )


def allowed_triggers(state: State) -> list[str]:
    """Triggers that have a transition out of ``state`` (guards not considered)."""
    events = machine().events
    return [t for t in TRIGGERS if events[t].transitions.get(State(state).name)]


def fire(
    state: State | str,
    trigger: str,
    facts: Facts | None = None,
    *,
    resume_state: State | str | None = None,
    override: bool = False,
) -> Outcome:
    """Decide ``trigger`` from ``state``: the new state, or a domain error saying why not."""
    state = State(state)
    event = machine().events.get(trigger)
    cursor = Cursor(
        state=state,
        trigger=trigger,
        facts=facts or Facts(),
        resume_state=State(resume_state) if resume_state else None,
        override=override,
    )
    try:
        moved = event is not None and event.trigger(cursor)
    except MachineError:
        moved = False
    if not moved:
        if cursor.refused:
            raise GuardFailed(cursor.refused)
        raise TransitionNotAllowed(trigger, state.value, allowed_triggers(state))
    return Outcome(source=state, dest=State(cursor.state), overridden=cursor.overridden)


def replay(entries: list[tuple[str, str, str]]) -> State:
    """The state a specialist's audit trail leads to: ``(trigger, from, to)`` in order.

    Every step is re-decided by the machine (guards waived: they were judged at the
    time); a step that the machine would not take, or that disagrees with the trail,
    raises ``ValueError``.
    """
    state: State | None = None
    left: State | None = None  # the state deferral left
    withdrawn_from: State | None = None
    for trigger, source, dest in entries:
        if trigger == "nominate":
            if state is not None:
                raise ValueError("nominated twice")
            state = State(dest)
            continue
        if state is None or State(source) != state:
            raise ValueError(f"{trigger}: trail says from {source}, replay is at {state}")
        try:
            came_back_to = withdrawn_from if state == S.WITHDRAWN else left
            outcome = fire(state, trigger, resume_state=came_back_to, override=True)
        except TransitionNotAllowed as exc:
            raise ValueError(f"the machine refuses the trail: {exc}") from None
        if outcome.dest != State(dest):
            raise ValueError(f"{trigger}: trail says to {dest}, the machine says {outcome.dest}")
        left = state if outcome.dest == S.DEFERRED else left
        withdrawn_from = state if outcome.dest == S.WITHDRAWN else withdrawn_from
        state = outcome.dest
    if state is None:
        raise ValueError("empty audit trail")
    return state
