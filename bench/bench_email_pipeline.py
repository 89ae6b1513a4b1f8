"""Emails per second through the whole pipeline, against the raw SMTP bound of the same machine.

Pipeline: 20,000 ``send_email`` outbox rows committed at once into PostgreSQL, relayed to
Redis and handled by 2 worker processes (``workers.runner.run``, as ``workflow worker``
runs them: relay thread, dramatiq worker threads, start counting, email log), each email
sent over SMTP to a sink (aiosmtpd on 127.0.0.1). Timed from the commit of the rows to
the sink's receipt of the last email. Raw bound: the same number of emails, built by the
same renderer, sent one after another over one plain ``smtplib`` connection to the same
sink, in the same run.

Stand-ins, until the notify work lands: the renderer is the tests' renderer
(``tests.integration._workers_support.render_for_tests``), not the Jinja2 templates, and
the SMTP sender is the small one below (a connection per worker thread), not
``notify.smtp.SmtpSender``.

Where the time goes (measured while tuning): each email costs three committed transactions
(the start count, the email log row, the send's claim and mark), so on two cores shared
with PostgreSQL and the sink the workers are CPU-bound: 4 or 16 threads per process, and
a dramatiq prefetch of 16 (the default), 64 or 256 messages, all gave the same rate.

Needs ``WORKFLOW_TEST_POSTGRES_URL`` and ``WORKFLOW_TEST_REDIS_URL`` (``make bench``).
Run alone: ``scripts/with-test-servers .venv/bin/python -m bench email``.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

EMAILS = int(os.environ.get("BENCH_EMAILS", 20_000))  # fewer while tuning
SPECIALISTS = 1_000
WORKER_PROCESSES = 2
WORKER_THREADS = 8
ROOT = Path(__file__).resolve().parents[1]
KEY_PREFIX = b"X-Test-Email-Key: "


class SmtpSink:
    """An SMTP server on 127.0.0.1 that counts what it receives, by email key."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        start = content.find(KEY_PREFIX) + len(KEY_PREFIX)
        key = content[start : content.find(b"\r\n", start)].decode()
        with self.lock:
            self.received[key] += 1
        return "250 OK"

    def total(self) -> int:
        with self.lock:
            return sum(self.received.values())

    def reset(self) -> None:
        with self.lock:
            self.received.clear()


class BenchSmtpSender:
    """One SMTP connection per worker thread (the notify work's SmtpSender stands in later)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.local = threading.local()

    def send(self, message: EmailMessage) -> str:
        if "Message-ID" not in message:
            message["Message-ID"] = make_msgid(domain="mastery.local")
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = smtplib.SMTP(self.host, self.port, timeout=30)
        connection.send_message(message)
        return message["Message-ID"].strip("<>")

    def close(self) -> None:
        pass


def run() -> dict[str, dict]:
    from sqlalchemy import text
    from tests.integration._workers_support import flush_redis

    from workflow.db.engine import make_engine
    from workflow.db.migrate import upgrade

    postgres = os.environ["WORKFLOW_TEST_POSTGRES_URL"]
    redis_url = os.environ["WORKFLOW_TEST_REDIS_URL"]
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = postgres.rsplit("/", 1)[0] + f"/{name}"
    sink = SmtpSink()
    sink.controller.start()
    try:
        engine = make_engine(database_url)
        upgrade(engine)
        engine.dispose()
        flush_redis(redis_url)
        raw = _raw_bound(sink)
        sink.reset()
        pipeline = _pipeline(sink, database_url, redis_url)
    finally:
        sink.controller.stop()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return {
        "email_pipeline": {
            "value": round(pipeline, 1),
            "unit": "emails/s",
            "raw_bound": round(raw, 1),
            "ratio": round(pipeline / raw, 3),
            "target": ">= 0.5 of raw",
            "emails": EMAILS,
            "workers": f"{WORKER_PROCESSES} processes x {WORKER_THREADS} threads",
        }
    }


def _raw_bound(sink: SmtpSink) -> float:
    from tests.integration._workers_support import render_for_tests

    sender = "Maths Hubs <mastery@mathshubs.example>"
    context = {"specialist": {"name": "Sam Teacher"}}
    connection = smtplib.SMTP("127.0.0.1", sink.port, timeout=30)
    started = time.perf_counter()
    for n in range(EMAILS):
        context["email_key"] = f"raw:{n}"
        message = render_for_tests("selected", context, to="sam@school.example", sender=sender)
        message["Message-ID"] = make_msgid(domain="mastery.local")
        connection.send_message(message)
    elapsed = time.perf_counter() - started
    connection.quit()
    assert sink.total() == EMAILS
    return EMAILS / elapsed


def _pipeline(sink: SmtpSink, database_url: str, redis_url: str) -> float:
    from tests import factories

    from workflow.bootstrap import bootstrap
    from workflow.config import Settings
    from workflow.services.outbox import emit_email

    runtime = bootstrap(Settings(database_url=database_url))
    now = datetime.now(UTC)
    with runtime.uow() as uow:
        hub = factories.add_hub(uow.session)
        school = factories.add_school(uow.session, hub=hub)
        cohort = factories.add_cohort(uow.session)
        specialists = [
            factories.add_specialist(uow.session, now, school=school, cohort=cohort).id
            for _ in range(SPECIALISTS)
        ]
        uow.commit()

    environment = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOW_")}
    environment.update(
        WORKFLOW_DATABASE_URL=database_url,
        WORKFLOW_BROKER_URL=redis_url,
        WORKFLOW_WORKER_THREADS=str(WORKER_THREADS),
    )
    ready = Path(f"/tmp/bench-email-{uuid.uuid4().hex[:8]}")
    workers = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "bench.bench_email_pipeline", "worker"),
                *("--smtp-port", str(sink.port), "--ready", f"{ready}-{n}"),
            ],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(WORKER_PROCESSES)
    ]
    try:
        _wait(lambda: all(Path(f"{ready}-{n}").exists() for n in range(WORKER_PROCESSES)), 60)
        with runtime.uow() as uow:
            for n in range(EMAILS):
                emit_email(
                    uow.session,
                    now,
                    template="selected",
                    specialist_id=specialists[n % SPECIALISTS],
                    to="specialist",
                    occurrence=str(n // SPECIALISTS),
                )
            uow.commit()
        started = time.perf_counter()
        _wait(lambda: sink.total() >= EMAILS, 600)
        elapsed = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
        for n in range(WORKER_PROCESSES):
            Path(f"{ready}-{n}").unlink(missing_ok=True)
        runtime.close()
    duplicates = sum(count - 1 for count in sink.received.values())
    assert len(sink.received) == EMAILS and duplicates == 0, (len(sink.received), duplicates)
    return EMAILS / elapsed


def _wait(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("bench: gave up waiting")
        time.sleep(0.02)


def _worker_main(argv: list[str]) -> None:
    """A worker process of the benchmark: the runner, with the stand-in renderer and sender."""
    from tests.integration._workers_support import render_for_tests

    from workflow.bootstrap import bootstrap
    from workflow.workers.runner import run

    parser = argparse.ArgumentParser()
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--ready", type=Path, required=True)
    options = parser.parse_args(argv)
    runtime = bootstrap()
    runtime.renderer = render_for_tests
    runtime.sender = BenchSmtpSender("127.0.0.1", options.smtp_port)
    runtime.broker  # noqa: B018 (built before saying ready)
    options.ready.touch()
    run(runtime)


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        _worker_main(sys.argv[2:])
