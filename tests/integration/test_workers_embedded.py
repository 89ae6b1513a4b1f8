"""The embedded default: no broker URL, an in-process broker whose threads do the work."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.integration._workers_support import (
    RecordingSender,
    emit_emails,
    render_for_tests,
    serving,
    wait_for,
)
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.db.models import EmailLog
from workflow.errors import TransientDeliveryError
from workflow.workers.broker import InProcessBroker
from workflow.workers.relay import relay_once


@pytest.fixture
def runtime(database_url, clock, tmp_path):
    settings = Settings(
        database_url=database_url,
        mail_dir=tmp_path / "mail",
        worker_threads=3,
        worker_min_backoff_ms=10,
        worker_max_backoff_ms=50,
    )
    rt = bootstrap(settings, clock=clock)
    rt.renderer = render_for_tests
    rt.sender = RecordingSender()
    yield rt
    rt.close()


def sent_rows(runtime) -> int:
    with runtime.uow() as uow:
        return uow.session.scalar(
            select(func.count()).select_from(EmailLog).where(EmailLog.status == "sent")
        )


def test_without_a_broker_url_the_worker_threads_are_in_process(runtime):
    keys = emit_emails(runtime, 20)
    runtime.sender.failures["flaky@school.example"] = [TransientDeliveryError("421 busy")]
    keys += emit_emails(runtime, 1, to="flaky@school.example")

    with serving(runtime):
        assert isinstance(runtime.broker, InProcessBroker)
        wait_for(lambda: sent_rows(runtime) == 21, what="every email")

    assert runtime.sender.keys() == {key: 1 for key in keys}


def test_a_relay_call_alone_is_enough_the_broker_brings_its_threads(runtime):
    """As the scheduler's tick does: relay, and the in-process threads send."""
    keys = emit_emails(runtime, 5)

    assert relay_once(runtime) == 5
    wait_for(lambda: sent_rows(runtime) == 5, what="the emails")

    assert runtime.sender.keys() == {key: 1 for key in keys}
