"""The hub lead's "stuck specialists" email reaches a real hub lead: bulk advancement ->
outbox -> Redis -> worker -> real templates -> an SMTP server on 127.0.0.1."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.integration._workers_support import flush_redis, serving, wait_for
from tests.integration.conftest import ADMIN, build_world
from tests.smtp_server import SmtpTestServer
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.db.models import EmailLog
from workflow.services import staff
from workflow.services.advancement import advance_cohort
from workflow.services.auth import SYSTEM
from workflow.services.specialists import transition


@pytest.fixture
def smtp():
    with SmtpTestServer() as server:
        yield server


@pytest.fixture
def runtime(database_url, redis_url, clock, smtp):
    flush_redis(redis_url)
    settings = Settings(
        database_url=database_url, broker_url=redis_url, smtp_url=smtp.url(), worker_threads=2
    )
    rt = bootstrap(settings, clock=clock)
    yield rt
    rt.close()


def test_the_hub_lead_receives_the_stuck_specialists(runtime, clock, smtp):
    world = build_world(runtime, clock)
    staff.add_staff(runtime.uow(), ADMIN, "lead@north.example", "Lee Lead", "hub_lead", "north",
                    clock.now())  # fmt: skip
    ada, ben = world.nominate(2)
    for sid in (ada, ben):
        transition(runtime.uow(), ADMIN, sid, "select", clock.now())
    advance_cohort(runtime.uow(), SYSTEM, 9, "start_year1", clock.now())
    report = advance_cohort(runtime.uow(), SYSTEM, 9, "start_year2", clock.now())
    assert len(report.stuck) == 2  # nothing recorded: neither can start Year 2

    with serving(runtime):
        wait_for(lambda: _statuses(runtime).get("stuck_specialists") == "sent", what="sent")

    to_lead = [m for m in smtp.messages if m.rcpt_tos == ["lead@north.example"]]
    assert len(to_lead) == 1
    message = to_lead[0].message
    assert message["Subject"] == "2 specialists could not move on at the start of term"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Dear Lee Lead" in text
    assert "North Maths Hub, Cohort 9" in text
    assert "Teacher 0 (North Academy): " in text and "Teacher 1 (North Academy): " in text


def _statuses(runtime) -> dict[str, str]:
    with runtime.uow() as uow:
        return dict(uow.session.execute(select(EmailLog.template, EmailLog.status)).all())
