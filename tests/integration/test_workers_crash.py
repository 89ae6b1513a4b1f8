"""Worker processes killed with SIGKILL: nothing is lost, nothing is sent twice, poison is stopped.

The workers are real processes (``python -m tests.integration._workers_support``: the
worker runner with the test renderer and a file sender) on real Redis, with a short
heartbeat timeout so that the messages of a killed worker come back within seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.integration._workers_support import (
    emit_emails,
    flush_redis,
    keys_in,
    wait_for,
)
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.db.models import DeadLetter, EmailLog, MessageAttempt

ROOT = Path(__file__).resolve().parents[2]
MAX_CRASHES = 2


@pytest.fixture
def setup(database_url, redis_url, clock, tmp_path):
    flush_redis(redis_url)
    runtime = bootstrap(Settings(database_url=database_url), clock=clock)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOW_")}
    environment.update(
        WORKFLOW_DATABASE_URL=database_url,
        WORKFLOW_BROKER_URL=redis_url,
        WORKFLOW_WORKER_THREADS="2",
        WORKFLOW_WORKER_HEARTBEAT_TIMEOUT_MS="1500",
        WORKFLOW_WORKER_MAINTENANCE_CHANCE="1000000",
        WORKFLOW_WORKER_MAX_CRASHES=str(MAX_CRASHES),
        WORKFLOW_WORKER_MIN_BACKOFF_MS="10",
    )
    workers: list[subprocess.Popen] = []

    def start_worker(*options: str) -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(workers) + 1}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [
                sys.executable,
                *("-m", "tests.integration._workers_support"),
                *("--mail-dir", str(tmp_path / "mail"), *options),
            ],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        workers.append(process)
        return process

    yield runtime, start_worker, tmp_path / "mail"
    for process in workers:
        if process.poll() is None:
            process.kill()
            process.wait()
    runtime.close()


def statuses(runtime) -> list[str]:
    with runtime.uow() as uow:
        return list(uow.session.scalars(select(EmailLog.status).order_by(EmailLog.id)))


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(setup):
    runtime, start_worker, mail = setup
    keys = emit_emails(runtime, 30)

    first = start_worker("--delay", "0.02", "--hang-after", "8")
    # Once every thread that can be is inside a send (hanging), more messages prefetched,
    # kill it. (On SQLite a send holds the write lock, so one thread sends at a time.)
    senders = 2 if runtime.engine.dialect.name == "postgresql" else 1
    wait_for(lambda: len(list(mail.glob("hanging-*"))) == senders, what="the threads to hang")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)

    second = start_worker()
    wait_for(lambda: sum(keys_in(mail).values()) >= 30, timeout=60, what="every email")
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=30) == 0

    assert keys_in(mail) == {key: 1 for key in keys}
    assert statuses(runtime) == ["sent"] * 30
    with runtime.uow() as uow:
        started_twice = uow.session.scalar(select(func.count()).where(MessageAttempt.attempts == 2))
    assert started_twice >= senders  # those killed inside a send were handled again


def test_a_message_that_kills_its_worker_every_time_is_dead_lettered(setup):
    runtime, start_worker, mail = setup
    keys = emit_emails(runtime, 5)
    (poison,) = emit_emails(runtime, 1, to="poison@school.example")

    def dead_letters() -> list[tuple[str, str]]:
        with runtime.uow() as uow:
            return [
                (letter.args["args"][0]["key"], letter.error)
                for letter in uow.session.scalars(select(DeadLetter))
            ]

    kills = 0
    for _ in range(MAX_CRASHES + 2):
        worker = start_worker()
        wait_for(lambda w=worker: w.poll() is not None or dead_letters(), timeout=60, what="a kill")
        if worker.poll() is None:
            break
        assert worker.returncode == -signal.SIGKILL
        kills += 1

    assert kills == MAX_CRASHES
    # Only the culprit: the messages that died beside it were not counted against.
    ((key, error),) = dead_letters()
    assert key == poison
    assert "did not finish 2 times" in error
    wait_for(lambda: sum(keys_in(mail).values()) >= 5, what="the other emails")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    assert keys_in(mail) == {key: 1 for key in keys}
