"""How long emails lost by the broker take to go out, and that each goes out once.

Two losses, each with the shipped re-publish bound (``outbox_redeliver_after_s``, 60 s):

- ``outbox_recovery_redis_seconds``: 2,000 ``send_email`` rows relayed into Redis (on
  PostgreSQL), then Redis killed (SIGKILL) and restarted empty; a worker (threads and
  relay in this process, a recording sender) starts at once. Timed from the restart to
  the last email sent. Raw bound: the re-publish bound plus one reconcile period
  (a quarter of it), 75 s: nothing is published again sooner, by design.
- ``outbox_recovery_embedded_seconds``: 5,000 rows relayed into the in-process broker (on
  SQLite, the embedded default) whose worker is stopped after 1 s, as Ctrl-C on
  ``workflow worker`` does; its queue is handed back to the outbox; a new process starts.
  Timed from the new start to the last email. Raw bound: the same emails sent by the same
  worker from a fresh outbox (nothing lost), measured in the same run.

Each run fails unless every email was sent exactly once. Needs
``WORKFLOW_TEST_POSTGRES_URL`` and ``WORKFLOW_TEST_REDIS_SERVER`` (``make bench``).
Run alone: ``scripts/with-test-servers .venv/bin/python -m bench recovery``.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select, text, update
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
from workflow.db.engine import make_engine
from workflow.db.migrate import upgrade
from workflow.db.models import OutboxMessage
from workflow.workers.relay import relay_once

REDIS_EMAILS = 2_000
EMBEDDED_EMAILS = 5_000


def run() -> dict[str, dict]:
    bound = Settings().outbox_redeliver_after_s
    redis_seconds = _redis_killed(bound)
    embedded, fresh = _embedded_stopped()
    return {
        "outbox_recovery_redis_seconds": {
            "value": round(redis_seconds, 1),
            "unit": f"s from Redis restarted empty to the last of {REDIS_EMAILS} emails",
            "raw_bound": bound * 1.25,
            "ratio": round(redis_seconds / (bound * 1.25), 2),
            "target": "<= the raw bound (re-publish bound + one reconcile period)",
        },
        "outbox_recovery_embedded_seconds": {
            "value": round(embedded, 1),
            "unit": f"s from the restart to the last of {EMBEDDED_EMAILS} emails handed back",
            "raw_bound": round(fresh, 1),
            "ratio": round(embedded / fresh, 2),
            "target": "about 1: a handed-back queue goes out as fast as a fresh one",
        },
    }


def _open(runtime) -> int:
    with runtime.uow() as uow:
        return uow.session.scalar(select(func.count()).where(OutboxMessage.done_at.is_(None)))


def _redis_killed(bound: float) -> float:
    postgres = os.environ["WORKFLOW_TEST_POSTGRES_URL"]
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    database_url = postgres.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    server = RedisServer(
        os.environ.get("WORKFLOW_TEST_REDIS_SERVER", "redis-server"), Path(tempfile.mkdtemp())
    )
    server.start()
    runtime = bootstrap(
        Settings(database_url=database_url, broker_url=server.url, worker_threads=8),
        clock=SystemClock(),
    )
    runtime.renderer = render_for_tests
    runtime.sender = sender = RecordingSender()
    try:
        keys = emit_emails(runtime, REDIS_EMAILS)
        while relay_once(runtime):
            pass
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        server.start()
        started = time.monotonic()
        with serving(runtime):
            wait_for(lambda: _open(runtime) == 0, timeout=bound * 3, what="every email")
            seconds = time.monotonic() - started
    finally:
        runtime.close()
        server.stop()
    assert sender.keys() == {key: 1 for key in keys}, "an email was lost or sent twice"
    return seconds


def _embedded_stopped() -> tuple[float, float]:
    folder = Path(tempfile.mkdtemp(prefix="bench-recovery-"))
    sender = RecordingSender()

    def runtime_on(db: str):
        runtime = bootstrap(
            Settings(database_url=f"sqlite:///{folder / db}", mail_dir=folder / "mail"),
            clock=SystemClock(),
        )
        runtime.renderer = render_for_tests
        runtime.sender = sender
        return runtime

    def timed_start(runtime) -> float:
        started = time.monotonic()
        with serving(runtime):
            wait_for(lambda: _open(runtime) == 0, timeout=600, what="every email")
            seconds = time.monotonic() - started
        runtime.close()
        return seconds

    for db in ("stopped.db", "fresh.db"):
        engine = make_engine(f"sqlite:///{folder / db}")
        upgrade(engine)
        engine.dispose()

    first = runtime_on("stopped.db")
    keys = emit_emails(first, EMBEDDED_EMAILS)
    while relay_once(first):
        pass
    time.sleep(1)
    first.broker.close(drain_seconds=0.1)  # Ctrl-C: the queue is handed back
    first.close()
    sent_before = len(sender.sent)
    embedded = timed_start(runtime_on("stopped.db"))
    assert sender.keys() == {key: 1 for key in keys}, "an email was lost or sent twice"
    assert sent_before < EMBEDDED_EMAILS, "nothing was left to hand back"

    sender.sent.clear()
    fresh_runtime = runtime_on("fresh.db")
    fresh_keys = emit_emails(fresh_runtime, EMBEDDED_EMAILS - sent_before)
    with fresh_runtime.uow() as uow:  # as the handed-back rows are: pending, not yet relayed
        uow.session.execute(update(OutboxMessage).values(sent_at=None))
        uow.commit()
    fresh = timed_start(fresh_runtime)
    assert sender.keys() == {key: 1 for key in fresh_keys}
    return embedded, fresh
