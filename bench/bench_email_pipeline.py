"""Emails per second through the whole pipeline, against the raw SMTP bound of the same machine.

Pipeline: 20,000 ``send_email`` outbox rows (template ``selected``, to 1,000 specialists)
committed at once into PostgreSQL, relayed to Redis and handled by ``workflow worker
--processes 2`` (the real command: relay thread, dramatiq worker threads, start counting,
email log, the Jinja2 renderer and ``notify.smtp.SmtpSender`` built by bootstrap from
``WORKFLOW_SMTP_URL``), each email sent to a sink (aiosmtpd on 127.0.0.1). Timed from the
commit of the rows to the sink's receipt of the last email. The sink counts by Message-ID
(stable per email key, ``services.emails.message_id_for``) and the run fails unless every
expected email arrived exactly once.

Raw bound: the same finished emails, rendered beforehand outside the timed section (the
stricter bound: only the sending is timed), their bytes sent one after another over one
plain ``smtplib`` connection (``sendmail``, as ``SmtpSender`` sends them) to the same
sink, in the same run. The rate with the rendering counted too is reported beside it
(``raw_with_render``).

Where the time goes (2-core machine, CPU per email from /proc over a steady 10 s window;
shares inside a worker from py-spy --gil): at ~610 emails/s the machine is ~88% busy.
The worker processes take ~1.8 ms per email, the sink (aiosmtpd, in this process)
~1.0 ms, Redis ~0.1 ms and PostgreSQL ~0.05 ms. Inside a worker: the delivery ~45%
(rendering ~16%: Jinja2, the address check, writing the MIME bytes; the SMTP exchange
~12%; its three statements and commit ~15%), the start count ~8%, dramatiq's fetch and
ack ~12%, the relay ~8%. The profile is flat now: no one part is worth more than a few
per cent.

What brought the workers from ~4.2 ms to ~1.8 ms per email: writing the
message as bytes instead of building an ``email.message.EmailMessage`` and flattening it
(``notify/mime.py``; that was over 40% of a worker), running the hot statements on
psycopg's cursor (``db/driver.py``) on a plain connection without an ORM session
(``UnitOfWork.connection()``), and publishing the relay's batches in one Redis round trip.
Before that: one transaction per delivery instead of three, pooled connections pinged
only after sitting idle, SQL text instead of ORM loading and flushing. Thread count (4 or
8 per process) and the queue prefetch (16 or 128) made no difference beyond the noise.

Run to run the figures move: over four runs on a quiet machine the pipeline gave 568 to
654 emails/s and the raw bound 1,048 to 1,128, ratios 0.51 to 0.61. The raw bound moves
most: its client and sink share one process and hand the interpreter back and forth on
every SMTP reply.

Needs ``WORKFLOW_TEST_POSTGRES_URL`` and ``WORKFLOW_TEST_REDIS_URL`` (``make bench``).
Run alone: ``scripts/with-test-servers .venv/bin/python -m bench email``
(``BENCH_EMAILS=2000`` for a quick run, ``BENCH_THREADS=N`` for another thread count).
"""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

EMAILS = int(os.environ.get("BENCH_EMAILS", 20_000))  # fewer while tuning
SPECIALISTS = 1_000
WORKER_PROCESSES = 2
WORKER_THREADS = int(os.environ.get("BENCH_THREADS", 8))  # the default of WORKFLOW_WORKER_THREADS
TEMPLATE = "selected"
ROOT = Path(__file__).resolve().parents[1]


class SmtpSink:
    """An SMTP server on 127.0.0.1 that counts what it receives, by Message-ID."""

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
        message_id = _header(content, b"Message-ID")
        with self.lock:
            self.received[message_id] += 1
        return "250 OK"

    def total(self) -> int:
        with self.lock:
            return sum(self.received.values())

    def reset(self) -> None:
        with self.lock:
            self.received.clear()

    def check(self, expected: set[str]) -> None:
        """Every expected email arrived, once; nothing else did."""
        with self.lock:
            received = dict(self.received)
        missing = len(expected - received.keys())
        unexpected = len(received.keys() - expected)
        duplicates = sum(count - 1 for count in received.values())
        if missing or unexpected or duplicates:
            raise AssertionError(
                f"bench: {missing} missing, {unexpected} unexpected, {duplicates} duplicates"
            )


def _header(content: bytes, name: bytes) -> str:
    """One header's value from the raw bytes of a message (the sink must stay cheap)."""
    head = content[: content.find(b"\r\n\r\n")]
    start = head.find(b"\r\n" + name + b": ")
    if start < 0:
        return "(none)"
    start += len(name) + 4
    end = head.find(b"\r\n", start)
    return head[start : end if end >= 0 else len(head)].decode().strip()


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
        payloads, expected, raw, raw_with_render = _seed_and_raw_bound(sink, database_url)
        sink.reset()
        pipeline = _pipeline(sink, database_url, redis_url, payloads, expected)
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
            "raw_with_render": round(raw_with_render, 1),
            "ratio": round(pipeline / raw, 3),
            "target": ">= 0.5 of raw",
            "emails": EMAILS,
            "workers": f"{WORKER_PROCESSES} processes x {WORKER_THREADS} threads",
        }
    }


def _seed_and_raw_bound(sink: SmtpSink, database_url: str):
    """Seed the specialists; render their emails, then time sending them over one connection.

    Returns the outbox payloads, the expected Message-IDs, the raw rate, and the raw rate
    with the rendering counted.
    """
    from tests import factories

    from workflow.bootstrap import bootstrap
    from workflow.config import Settings
    from workflow.db.models import Staff
    from workflow.services.emails import compose
    from workflow.services.outbox import email_key

    runtime = bootstrap(Settings(database_url=database_url))
    now = datetime.now(UTC)
    mail_from = runtime.settings.mail_from
    try:
        with runtime.uow() as uow:
            hub = factories.add_hub(uow.session)
            school = factories.add_school(uow.session, hub=hub)
            uow.session.add(
                Staff(
                    email="lead@hub.example",
                    name="Lee Lead",
                    role="hub_lead",
                    hub_id=hub.id,
                    token_hash="-",
                    token_lookup="bench-lead",
                    created_at=now,
                )
            )
            cohort = factories.add_cohort(uow.session)
            specialists = [
                factories.add_specialist(uow.session, now, school=school, cohort=cohort).id
                for _ in range(SPECIALISTS)
            ]
            uow.commit()
        payloads = []
        for n in range(EMAILS):
            specialist_id, occurrence = specialists[n % SPECIALISTS], str(n // SPECIALISTS)
            payloads.append(
                {
                    "key": email_key(specialist_id, TEMPLATE, "specialist", occurrence),
                    "template": TEMPLATE,
                    "specialist_id": specialist_id,
                    "to": "specialist",
                    "extra": {},
                }
            )
        started = time.perf_counter()
        with runtime.uow() as uow:
            messages = [
                compose(uow.connection(), runtime.renderer, payload, now, mail_from)
                for payload in payloads
            ]
        rendering = time.perf_counter() - started
    finally:
        runtime.close()
    expected = {message.message_id for message in messages}
    assert len(expected) == EMAILS

    connection = smtplib.SMTP("127.0.0.1", sink.port, timeout=30)
    started = time.perf_counter()
    for message in messages:
        connection.sendmail(message.envelope_from, list(message.recipients), message.data)
    sending = time.perf_counter() - started
    connection.quit()
    sink.check(expected)
    return payloads, expected, EMAILS / sending, EMAILS / (sending + rendering)


def _pipeline(
    sink: SmtpSink, database_url: str, redis_url: str, payloads: list[dict], expected: set[str]
) -> float:
    from workflow.bootstrap import bootstrap
    from workflow.config import Settings
    from workflow.services.outbox import SEND_EMAIL, emit

    environment = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOW_")}
    environment.update(
        WORKFLOW_DATABASE_URL=database_url,
        WORKFLOW_BROKER_URL=redis_url,
        WORKFLOW_SMTP_URL=f"smtp://127.0.0.1:{sink.port}",
        WORKFLOW_WORKER_THREADS=str(WORKER_THREADS),
    )
    log = Path(f"/tmp/bench-email-{uuid.uuid4().hex[:8]}.log")
    with log.open("wb") as output:
        command = subprocess.Popen(
            [
                *(sys.executable, "-m", "workflow.cli.main"),
                *("worker", "--processes", str(WORKER_PROCESSES)),
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    runtime = bootstrap(Settings(database_url=database_url))
    try:
        _wait(lambda: log.read_text().count("worker ready") == WORKER_PROCESSES, 60)
        now = datetime.now(UTC)
        with runtime.uow() as uow:
            for payload in payloads:
                emit(uow.session, SEND_EMAIL, payload, now)
            uow.commit()
        started = time.perf_counter()
        _wait(lambda: sink.total() >= EMAILS, 600)
        elapsed = time.perf_counter() - started
    finally:
        command.send_signal(signal.SIGTERM)
        command.wait(timeout=60)
        runtime.close()
    if "Traceback" in (text := log.read_text()):
        print(text[-4000:], file=sys.stderr)
    log.unlink(missing_ok=True)
    sink.check(expected)  # the workers have stopped: nothing more can arrive
    return EMAILS / elapsed


def _wait(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("bench: gave up waiting")
        time.sleep(0.02)
