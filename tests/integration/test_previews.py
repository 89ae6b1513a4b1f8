"""The rehearsal behind a correction's confirmation page (``services/previews.py``), on SQLite
and PostgreSQL: it says what the service will change and leaves the database as it was; a
refusal is the service's own; the version it reports is the one a confirmation checks."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import ADMIN
from workflow.db.models import AuditEntry, OutboxMessage, Specialist
from workflow.errors import Conflict, GuardFailed
from workflow.services import changes, corrections, setup
from workflow.services.auth import Actor, Role
from workflow.services.previews import rehearse
from workflow.services.specialists import transition

LEAD = Actor("lead@north.example", Role.HUB_LEAD, 1)


def fingerprint(runtime) -> tuple:
    with runtime.uow() as uow:
        s = uow.session
        return (
            s.scalar(select(func.count(AuditEntry.id))),
            s.scalar(select(func.count(OutboxMessage.id))),
            tuple(s.execute(select(Specialist.id, Specialist.school_id, Specialist.version)).all()),
        )


def test_a_rehearsed_move_says_what_changes_and_changes_nothing(world):
    (sid,) = world.nominate()
    transition(world.runtime.uow(), ADMIN, sid, "select", world.clock.now())
    before = fingerprint(world.runtime)
    preview = rehearse(
        world.runtime.uow(), ADMIN, sid,
        lambda u: changes.move(u, ADMIN, sid, "200001", "moved", world.clock.now()),
    )  # fmt: skip
    assert fingerprint(world.runtime) == before
    assert preview.changed["hub"] == ("North Maths Hub", "South Maths Hub")
    assert [p.sentence for p in preview.places] == [
        "This frees 1 of North Maths Hub's 4 places for cohort 9: 1 used now, 0 after",
        "This uses 1 of South Maths Hub's 4 places for cohort 9: 0 used now, 1 after",
    ]
    assert {e.to for e in preview.emails} >= {"head@north.example"}
    assert preview.result == {"from": "100001", "to": "200001", "hub_changed": True}
    # Done for real with the version the preview saw: the same change.
    changes.move(world.runtime.uow(), ADMIN, sid, "200001", "moved", world.clock.now(),
                 expected_version=preview.version)  # fmt: skip
    with world.runtime.uow() as uow:
        assert uow.session.get(Specialist, sid).version > preview.version


def test_a_refusal_is_the_services_and_a_stale_version_conflicts(world):
    (sid,) = world.nominate()
    transition(world.runtime.uow(), ADMIN, sid, "select", world.clock.now())
    transition(world.runtime.uow(), ADMIN, sid, "defer", world.clock.now(), reason="leave")
    setup.add_cohort(world.runtime.uow(), ADMIN, 10, "cohort-10")
    before = fingerprint(world.runtime)
    with pytest.raises(GuardFailed, match="allocation for cohort 10 is full"):
        rehearse(
            world.runtime.uow(), LEAD, sid,
            lambda u: corrections.change_cohort(u, LEAD, sid, 10, "r", world.clock.now()),
        )  # fmt: skip
    assert fingerprint(world.runtime) == before
    with pytest.raises(Conflict):
        changes.edit_specialist(world.runtime.uow(), LEAD, sid, world.clock.now(), name="New",
                                reason="r", expected_version=1)  # fmt: skip
    assert fingerprint(world.runtime) == before
