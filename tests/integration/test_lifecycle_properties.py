"""Property: random sequences of triggers and milestones stay inside the graph, and the
audit log always replays to the stored state."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import fresh_sqlite_url
from tests.integration.conftest import ADMIN, build_world
from workflow.bootstrap import bootstrap
from workflow.clock import FixedClock
from workflow.config import Settings
from workflow.db.models import Specialist
from workflow.errors import DomainError
from workflow.services.specialists import history, record_milestone, transition
from workflow.states.lifecycle import TRIGGERS, State, replay

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("trigger"), st.sampled_from(TRIGGERS), st.booleans()),
        st.tuples(
            st.just("milestone"),
            st.sampled_from(["launch_attended", "central_day", "development_day", "accreditation"]),
            st.integers(min_value=1, max_value=12),
        ),
    ),
    max_size=25,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=STEPS)
def test_random_sequences_stay_in_the_graph_and_replay(steps, sqlite_template, tmp_path_factory):
    url = fresh_sqlite_url(sqlite_template, tmp_path_factory.mktemp("prop"))
    clock = FixedClock(datetime(2025, 6, 2, 9, tzinfo=UTC))
    runtime = bootstrap(Settings(database_url=url), clock=clock)
    try:
        (sid,) = build_world(runtime, clock).nominate()
        for step in steps:
            try:
                if step[0] == "trigger":
                    _, trigger, override = step
                    transition(
                        runtime.uow(), ADMIN, sid, trigger, clock.now(),
                        override=override, reason="property test" if override else None,
                    )  # fmt: skip
                else:
                    _, kind, half_days = step
                    record_milestone(
                        runtime.uow(), ADMIN, sid, kind, clock.now(), half_days=half_days
                    )
            except DomainError:
                pass
            with runtime.uow() as uow:
                stored = uow.session.get(Specialist, sid).state
                entries = history(uow.session, sid)
            assert stored in set(State)
            trail = [(e.name, e.from_state, e.to_state) for e in entries if e.kind == "transition"]
            assert replay(trail) == stored
    finally:
        runtime.close()
