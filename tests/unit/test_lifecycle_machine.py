"""The machine, table-driven: every trigger in every state, allowed or refused."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from workflow.errors import GuardFailed, TransitionNotAllowed
from workflow.states.guards import Facts
from workflow.states.lifecycle import TRIGGERS, State, allowed_triggers, fire, replay

S = State
# The specification, written by hand: (state, trigger) -> destination, None when refused.
# Every pair must appear, so adding a state or a trigger fails here until it is specified.
EXPECTED: dict[tuple[State, str], State | None] = {}
for _state in State:
    for _trigger in TRIGGERS:
        EXPECTED[(_state, _trigger)] = None
EXPECTED.update(
    {
        (S.NOMINATED, "select"): S.SELECTED,
        (S.NOMINATED, "decline"): S.NOT_SELECTED,
        (S.NOMINATED, "withdraw"): S.WITHDRAWN,
        (S.SELECTED, "start_year1"): S.YEAR1,
        (S.SELECTED, "defer"): S.DEFERRED,
        (S.SELECTED, "withdraw"): S.WITHDRAWN,
        (S.YEAR1, "start_year2"): S.YEAR2,
        (S.YEAR1, "defer"): S.DEFERRED,
        (S.YEAR1, "withdraw"): S.WITHDRAWN,
        (S.YEAR2, "start_work_group"): S.WORK_GROUP_LEAD,
        (S.YEAR2, "defer"): S.DEFERRED,
        (S.YEAR2, "withdraw"): S.WITHDRAWN,
        (S.WORK_GROUP_LEAD, "withdraw"): S.WITHDRAWN,
        (S.DEFERRED, "withdraw"): S.WITHDRAWN,
        (S.DEFERRED, "resume"): "left",  # back to the state it left
        (S.NOT_SELECTED, "reinstate"): S.NOMINATED,  # from the reserve list
        (S.WITHDRAWN, "reinstate"): "left",  # the undo of a withdrawal
    }
)

EVERYTHING_MET = Facts(places=1, places_used=0, launch_attended=True, accredited=True)


def test_the_specification_covers_every_state_and_trigger():
    assert set(EXPECTED) == set(itertools.product(State, TRIGGERS))
    assert set(TRIGGERS) == {
        "select", "decline", "start_year1", "start_year2", "start_work_group",
        "defer", "resume", "withdraw", "reinstate",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("state", "trigger"), list(EXPECTED), ids=[f"{s.value}-{t}" for s, t in EXPECTED]
)
def test_every_trigger_in_every_state(state, trigger, cohort9_rules):
    expected = EXPECTED[(state, trigger)]
    facts = Facts(
        places=1,
        launch_attended=True,
        accredited=True,
        year1_half_days={"central_day": 11, "development_day": 4},
        rules=cohort9_rules,
    )
    if expected is None:
        with pytest.raises(TransitionNotAllowed) as caught:
            fire(state, trigger, facts, resume_state=S.YEAR1)
        assert state.value in str(caught.value)
        assert caught.value.allowed == allowed_triggers(state)
        assert trigger not in caught.value.allowed
    elif expected == "left":
        for left in (S.SELECTED, S.YEAR1, S.YEAR2):
            assert fire(state, trigger, facts, resume_state=left).dest == left
    else:
        assert fire(state, trigger, facts).dest == expected
        assert trigger in allowed_triggers(state)


def test_refusal_names_state_and_allowed_triggers():
    with pytest.raises(TransitionNotAllowed) as caught:
        fire(S.WITHDRAWN, "select")
    assert (
        str(caught.value)
        == "cannot select a specialist who is withdrawn; from withdrawn you may: reinstate"
    )
    with pytest.raises(TransitionNotAllowed) as caught:
        fire(S.YEAR1, "select")
    assert "from year1 you may: advance, defer, withdraw" in str(caught.value)


def test_unknown_trigger_is_refused_like_any_other():
    with pytest.raises(TransitionNotAllowed):
        fire(S.NOMINATED, "promote")


def test_select_refused_when_allocation_full():
    with pytest.raises(GuardFailed) as caught:
        fire(S.NOMINATED, "select", Facts(places=4, places_used=4))
    assert "4 of 4 places used" in str(caught.value)


def test_year2_guard_lists_every_missing_requirement(cohort9_rules):
    facts = Facts(year1_half_days={"central_day": 6}, rules=cohort9_rules)
    with pytest.raises(GuardFailed) as caught:
        fire(S.YEAR1, "start_year2", facts)
    assert caught.value.reasons == [
        "the headteacher's attendance at the launch event is not recorded",
        "central days recorded in Year 1: 3 of 5.5",
        "development days recorded in Year 1: 0 of 2",
    ]


def test_override_passes_a_guard_and_says_what_it_overrode():
    outcome = fire(S.YEAR2, "start_work_group", Facts(accredited=False), override=True)
    assert outcome.dest == S.WORK_GROUP_LEAD
    assert outcome.overridden == ["PD Lead accreditation is not recorded"]


def test_override_cannot_make_an_impossible_transition():
    with pytest.raises(TransitionNotAllowed):
        fire(S.WITHDRAWN, "start_year1", override=True)


def test_replay_reproduces_the_state():
    trail = [
        ("nominate", "none", "nominated"),
        ("select", "nominated", "selected"),
        ("start_year1", "selected", "year1"),
        ("defer", "year1", "deferred"),
        ("resume", "deferred", "year1"),
    ]
    assert replay(trail) == S.YEAR1


def test_replay_rejects_a_trail_the_machine_would_not_follow():
    with pytest.raises(ValueError):
        replay([("nominate", "none", "nominated"), ("start_year2", "nominated", "year2")])


def test_states_package_imports_no_infrastructure():
    code = (
        "import sys, pkgutil, importlib, workflow.states as s\n"
        "for m in pkgutil.walk_packages(s.__path__, 'workflow.states.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'dramatiq', 'apscheduler', 'redis', 'alembic', 'psycopg')]\n"
        "print(bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
