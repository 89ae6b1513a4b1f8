"""Erasure (``services/gdpr/erase.py``) on SQLite and PostgreSQL: nothing of the person left,
the money trail and the audit replay unchanged, the erasure recorded, the address refused."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import ADMIN
from tests.integration.gdpr_support import (
    ACCEPT,
    EMAIL,
    KEY,
    NAME,
    OLD_EMAIL,
    OLD_NAME,
    find_everywhere,
    keyed_runtime,
    money_trail,
    paid_year1_specialist,
    replays_to_stored_state,
)
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.db.models import Erasure, Specialist
from workflow.errors import DomainError, GuardFailed, InvalidInput, NotPermitted, SettingsError
from workflow.services.auth import SYSTEM, Actor, Role
from workflow.services.gdpr.erase import erase_specialist
from workflow.services.gdpr.scrub import keyed_hash
from workflow.services.specialists import NominationRequest, nominate

NEEDLES = [NAME, *NAME.split(), EMAIL, EMAIL.split("@")[0], OLD_NAME, OLD_EMAIL]


@pytest.fixture
def rt(database_url, clock, tmp_path):
    runtime = keyed_runtime(database_url, clock, tmp_path)
    yield runtime
    runtime.close()


def test_erasing_a_paid_year1_specialist_leaves_nothing_of_them_and_the_money_as_it_was(rt, clock):
    paid = paid_year1_specialist(rt, clock)
    before = find_everywhere(rt.engine, NEEDLES)
    tables = {t for t, _, _ in before}
    # The person is spread through the database before (the test would prove nothing else).
    assert {"specialists", "audit_log", "ledger", "email_log", "refusals", "outbox"} <= tables
    trail = money_trail(rt)

    erased = erase_specialist(
        rt.uow(), ADMIN, paid.subject, f"Article 17 request from {NAME}", clock.now()
    )

    assert find_everywhere(rt.engine, NEEDLES) == []
    after = money_trail(rt)
    assert after == trail
    for line in [*after["report"]["schools"], after["report"]["totals"]]:  # the report's invariant
        assert line["entitled_pence"] == sum(
            line[f"{k}_pence"] for k in ("released", "scheduled", "cancelled")
        )
    replays = replays_to_stored_state(rt)
    assert all(replayed == stored for replayed, stored in replays.values()), replays
    assert replays[paid.subject] == ("withdrawn", "withdrawn")
    with rt.uow() as uow:
        subject = uow.session.get(Specialist, paid.subject)
        assert subject.name == f"Specialist {paid.subject}"
        assert subject.email == f"specialist-{paid.subject}@erased.invalid"
        bystander = uow.session.get(Specialist, paid.bystander)
        assert bystander.name == "Teacher 0"  # nobody else is touched
        record = uow.session.get(Erasure, erased.erasure_id)
    assert record.actor == ADMIN.email
    assert record.reason == f"Article 17 request from Specialist {paid.subject}"
    assert record.at == clock.now()
    assert record.email_hash == keyed_hash(KEY, EMAIL)
    assert record.changed["specialists.name"] == 1
    assert record.changed["audit_log.reason"] >= 1
    assert record.changed["refusals.target"] >= 1
    assert erased.also == ()


def test_an_erased_address_cannot_be_nominated_again(rt, clock):
    paid = paid_year1_specialist(rt, clock)
    erase_specialist(rt.uow(), ADMIN, paid.subject, "asked", clock.now())
    again = NominationRequest(
        9, paid.world.school, "Z. Q.", EMAIL.upper(), True, date(2018, 9, 1), **ACCEPT
    )
    with pytest.raises(GuardFailed, match="erased at their request"):
        nominate(rt.uow(), ADMIN, again, clock.now())
    # Another address is welcome.
    other = NominationRequest(
        9, paid.world.school, "Z. Q.", "zq@else.example", True, date(2018, 9, 1), **ACCEPT
    )
    assert nominate(rt.uow(), ADMIN, other, clock.now()) > paid.subject


def test_erasure_is_refused_and_changes_nothing_when_it_should_not_happen(rt, clock):
    paid = paid_year1_specialist(rt, clock)
    hub_lead = Actor("lead@north.example", Role.HUB_LEAD, hub_id=1)
    keyless = bootstrap(Settings(database_url=rt.settings.database_url), clock=clock)
    cases = [
        (DomainError, "withdraw them first", ADMIN, paid.bystander, "asked", rt),
        (NotPermitted, "national admin", hub_lead, paid.subject, "asked", rt),
        (InvalidInput, "needs a reason", ADMIN, paid.subject, "  ", rt),
        (SettingsError, "WORKFLOW_ERASURE_KEY", ADMIN, paid.subject, "asked", keyless),
    ]
    before = find_everywhere(rt.engine, NEEDLES)
    for error, message, actor, sid, reason, runtime in cases:
        with pytest.raises(error, match=message):
            erase_specialist(runtime.uow(), actor, sid, reason, clock.now())
    keyless.close()
    assert find_everywhere(rt.engine, NEEDLES) == before
    erase_specialist(rt.uow(), SYSTEM, paid.subject, "asked", clock.now())
    with pytest.raises(DomainError, match="already erased"):
        erase_specialist(rt.uow(), ADMIN, paid.subject, "again", clock.now())
    with rt.uow() as uow:
        assert uow.session.scalar(select(func.count(Erasure.id))) == 1


def test_another_record_with_the_same_address_is_named_not_erased(rt, clock):
    paid = paid_year1_specialist(rt, clock)  # withdrawn: the address may be nominated again
    request = NominationRequest(
        9, paid.world.other_school, NAME, EMAIL, True, date(2018, 9, 1), **ACCEPT
    )
    later = nominate(rt.uow(), ADMIN, request, clock.now())
    erased = erase_specialist(rt.uow(), ADMIN, paid.subject, "asked", clock.now())
    assert erased.also == (later,)
    with rt.uow() as uow:
        assert uow.session.get(Specialist, later).name == NAME
