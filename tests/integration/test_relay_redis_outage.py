"""Redis goes away while the outbox fills: the relay keeps every row, then drains it.

Every email is sent once. Starts its own redis-server (``WORKFLOW_TEST_REDIS_SERVER``,
exported by scripts/with-test-servers) on a free port, so that it may stop it.
"""

from __future__ import annotations

import logging
import socket
import subprocess

import pytest
import redis
from sqlalchemy import func, select

from tests.conftest import require_server
from tests.integration._workers_support import (
    RecordingSender,
    emit_emails,
    render_for_tests,
    serving,
    wait_for,
)
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.db.models import OutboxMessage
from workflow.workers.relay import relay_once


class RedisServer:
    def __init__(self, executable: str, directory):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.executable, self.directory, self.process = executable, directory, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.executable,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        wait_for(lambda: _pings(client), timeout=10, what="redis-server to start")
        client.close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _pings(client) -> bool:
    try:
        return client.ping()
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(require_server("WORKFLOW_TEST_REDIS_SERVER", "redis-server"), tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


def pending(runtime) -> int:
    with runtime.uow() as uow:
        return uow.session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None)))


def test_rows_written_while_redis_is_down_are_all_sent_once_it_is_back(
    database_url, redis_server, clock, tmp_path, caplog
):
    settings = Settings(database_url=database_url, broker_url=redis_server.url, worker_threads=4)
    runtime = bootstrap(settings, clock=clock)
    runtime.renderer = render_for_tests
    runtime.sender = sender = RecordingSender()
    try:
        with serving(runtime):
            before = emit_emails(runtime, 10)
            wait_for(lambda: len(sender.sent) == 10, what="the first emails")

            redis_server.stop()
            during = emit_emails(runtime, 100)
            with caplog.at_level(logging.WARNING, logger="workflow.workers.relay"):
                assert relay_once(runtime) == 0
            assert pending(runtime) == 100
            warning = next(r for r in caplog.records if "broker unavailable" in r.getMessage())
            assert warning.exc_info is None and "\n" not in warning.getMessage()

            redis_server.start()
            wait_for(lambda: len(sender.sent) >= 110, timeout=60, what="every email")
            runtime.broker.join("emails", timeout=10_000)
    finally:
        runtime.close()

    assert pending(runtime) == 0
    assert sender.keys() == {key: 1 for key in before + during}
