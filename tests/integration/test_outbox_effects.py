"""Published is not delivered: a broker that loses messages loses no email.

An outbox row stays open until its effect is recorded; the relay's reconciler publishes
again rows relayed more than ``outbox_redeliver_after_s`` ago that are not done and that
the broker no longer holds. Here: real Redis killed (SIGKILL) and restarted empty while
messages are queued and in hand; the in-process broker stopped mid-queue (a clean stop
hands its queue back) or lost with its process. Every email is sent exactly once.
"""

from __future__ import annotations

import logging
import signal

import pytest
from sqlalchemy import func, select

from tests.conftest import require_server
from tests.integration._workers_support import (
    RecordingSender,
    emit_emails,
    render_for_tests,
    serving,
    wait_for,
)
from tests.integration.test_relay_redis_outage import RedisServer
from workflow.bootstrap import bootstrap
from workflow.clock import SystemClock
from workflow.config import Settings
from workflow.db.models import OutboxMessage
from workflow.workers.relay import reconcile_once, relay_once

BOUND_S = 1.0  # the re-publish bound these tests run with (the default is 60 s)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(require_server("WORKFLOW_TEST_REDIS_SERVER", "redis-server"), tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


def open_rows(runtime) -> int:
    """Outbox rows whose effect is not recorded."""
    with runtime.uow() as uow:
        return uow.session.scalar(select(func.count()).where(OutboxMessage.done_at.is_(None)))


def make_runtime(database_url, tmp_path, **settings):
    runtime = bootstrap(
        Settings(
            database_url=database_url,
            mail_dir=tmp_path / "mail",
            outbox_redeliver_after_s=BOUND_S,
            worker_min_backoff_ms=10,
            worker_max_backoff_ms=50,
            **settings,
        ),
        clock=SystemClock(),
    )
    runtime.renderer = render_for_tests
    return runtime


def kill_and_restart_empty(server: RedisServer) -> None:
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)
    server.start()  # no RDB, no AOF: it comes back empty


def test_redis_killed_and_restarted_empty_every_email_is_sent_once(
    database_url, redis_server, tmp_path, caplog
):
    runtime = make_runtime(database_url, tmp_path, broker_url=redis_server.url, worker_threads=4)
    runtime.sender = sender = RecordingSender(delay=0.005)
    try:
        # 300 published before any worker runs: all of them sit in Redis...
        queued = emit_emails(runtime, 300)
        assert relay_once(runtime) == 300
        # ...and 200 more being handled when Redis dies.
        with serving(runtime):
            in_hand = emit_emails(runtime, 200)
            wait_for(lambda: len(sender.sent) >= 100, what="some emails to go")
            kill_and_restart_empty(redis_server)
            with caplog.at_level(logging.WARNING, logger="workflow.workers.relay"):
                wait_for(
                    lambda: open_rows(runtime) == 0,
                    timeout=60,
                    what="every outbox row to be done",
                )
    finally:
        runtime.close()

    assert sender.keys() == {key: 1 for key in queued + in_hand}
    republished = [r for r in caplog.records if "published again" in r.getMessage()]
    assert republished, "the reconciler said nothing"
    assert all(r.levelno == logging.WARNING and "\n" not in r.getMessage() for r in republished)


def test_reconciler_leaves_alone_what_the_broker_still_holds(database_url, redis_server, tmp_path):
    """A backlog older than the bound is not duplicated: Redis still holds it."""
    runtime = make_runtime(database_url, tmp_path, broker_url=redis_server.url)
    try:
        emit_emails(runtime, 20)
        assert relay_once(runtime) == 20
        wait_for(lambda: _relayed_before(runtime, BOUND_S), what="the bound to pass")
        assert reconcile_once(runtime) == 0
        assert runtime.broker.client.llen(f"{runtime.broker.namespace}:emails") == 20

        runtime.broker.client.flushdb()  # now it is lost
        wait_for(lambda: _relayed_before(runtime, BOUND_S), what="the bound to pass again")
        assert reconcile_once(runtime) == 20
        assert runtime.broker.client.llen(f"{runtime.broker.namespace}:emails") == 20
    finally:
        runtime.close()


def _relayed_before(runtime, seconds: float) -> bool:
    with runtime.uow() as uow:
        newest = uow.session.scalar(select(func.max(OutboxMessage.sent_at)))
    return (runtime.clock.now() - newest).total_seconds() > seconds


def test_embedded_broker_stopped_mid_queue_hands_back_and_a_restart_sends_the_rest(
    database_url, tmp_path
):
    first = make_runtime(database_url, tmp_path, worker_threads=2)
    first.sender = sender = RecordingSender(delay=0.02)
    keys = emit_emails(first, 300)
    assert relay_once(first) == 300
    wait_for(lambda: len(sender.sent) >= 20, what="some emails to go")
    first.broker.close(drain_seconds=0.2)  # Ctrl-C with most of the queue still there
    first.close()
    sent_before_restart = len(sender.sent)
    assert sent_before_restart < 300
    with first.uow() as uow:
        handed_back = uow.session.scalar(
            select(func.count()).where(OutboxMessage.sent_at.is_(None))
        )
    assert handed_back == 300 - sent_before_restart

    second = make_runtime(database_url, tmp_path, worker_threads=4)
    second.sender = sender  # the same outside world
    try:
        with serving(second):
            wait_for(lambda: open_rows(second) == 0, timeout=60, what="every row done")
    finally:
        second.close()
    assert sender.keys() == {key: 1 for key in keys}


def test_embedded_broker_lost_with_its_process_the_reconciler_sends_the_rest(
    database_url, tmp_path
):
    dead = make_runtime(database_url, tmp_path, worker_threads=1)
    dead.sender = sender = RecordingSender()
    dead.broker.worker.stop()  # nothing handles its queue: the process "dies" holding it
    keys = emit_emails(dead, 50)
    assert relay_once(dead) == 50
    dead.broker.hand_back = None  # died: nothing is handed back
    dead.close()
    assert open_rows(dead) == 50

    second = make_runtime(database_url, tmp_path, worker_threads=4)
    second.sender = sender
    try:
        with serving(second):
            wait_for(lambda: open_rows(second) == 0, timeout=60, what="every row done")
    finally:
        second.close()
    assert sender.keys() == {key: 1 for key in keys}
