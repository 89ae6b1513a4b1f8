"""No personal data in logs: a full simulated cohort (the demo: about 150 nominations, three
programme years, every email sent through the workers) logged at DEBUG by every logger,
ours and the libraries', names no one and gives no address."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError

from tests.integration._workers_support import emit_emails, flush_redis, serving, wait_for
from tests.integration.test_emails_smtp_failures import dead_letter_count
from tests.smtp_server import SmtpTestServer
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.db.models import EmailLog, Staff
from workflow.demo import run_demo
from workflow.workers.embedded import drain


def people(database_url: str, refused: list) -> set[str]:
    """Every name and address the run created: specialists, heads, finance, staff, refused."""
    engine = create_engine(database_url)
    queries = [
        "select name, email from specialists",
        "select head_name, head_email from schools",
        "select finance_email, finance_email from schools where finance_email is not null",
        "select name, email from staff",
    ]
    with engine.connect() as connection:
        found = {v for q in queries for row in connection.execute(text(q)) for v in row}
    engine.dispose()
    return found | {name for name, _urn, _reasons in refused}


def test_a_full_simulated_cohort_logs_ids_not_names_or_addresses(tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 'var' / 'workflow.db'}"
    settings = Settings(database_url=url, mail_dir=tmp_path / "mail")
    caplog.set_level(logging.DEBUG)  # the root logger: every logger of every library

    result = run_demo(settings, drain=drain)

    assert result.summary.by_state["work_group_lead"] > 50  # the whole cohort ran
    records = caplog.records
    assert len(records) > 100  # the logs were captured (the scan below is not vacuous)
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}" for r in records
    ).lower()
    persons = people(url, result.refused)
    assert len(persons) > 300
    leaks = sorted(p for p in persons if p.lower() in logged)
    assert leaks == [], f"{len(leaks)} names or addresses in the logs, e.g. {leaks[:5]}"


def test_a_database_error_does_not_quote_the_values_of_the_statement(runtime, clock):
    with runtime.uow() as uow:
        for _ in range(2):
            uow.session.add(
                Staff(email="ivy.secret@hub.example", name="Ivy Secret", role="viewer",
                      token_hash="x", token_lookup="same", created_at=clock.now())
            )  # fmt: skip
        try:
            uow.session.flush()
        except IntegrityError as exc:
            error = str(exc)
        else:
            raise AssertionError("the duplicate was accepted")
    # PostgreSQL's own message names the duplicate key's value (its DETAIL line); the other
    # values of the statement are not quoted by SQLAlchemy.
    assert "ivy secret" not in error.lower() and "parameters hidden" in error.lower()


@pytest.fixture
def smtp():
    with SmtpTestServer() as server:
        yield server


@pytest.mark.redis
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_refused_recipient_is_not_logged(database_url, redis_url, clock, smtp, caplog):
    """The SMTP server's refusals quote the address; the records name the message instead."""
    flush_redis(redis_url)
    settings = Settings(
        database_url=database_url, broker_url=redis_url, smtp_url=smtp.url(), worker_threads=2,
        worker_max_retries=5, worker_min_backoff_ms=10, worker_max_backoff_ms=50,
    )  # fmt: skip
    runtime = bootstrap(settings, clock=clock)
    caplog.set_level(logging.DEBUG)
    try:
        (key,) = emit_emails(runtime, 1)
        smtp.fail(451, stage="rcpt", times=1)  # retried: dramatiq logs the exception
        smtp.fail(550, stage="rcpt")  # then refused for good: dead-lettered
        with serving(runtime):
            wait_for(lambda: dead_letter_count(runtime) == 1, what="a dead letter")
        with runtime.uow() as uow:
            recipient, error = uow.session.execute(
                select(EmailLog.recipient, EmailLog.last_error)
                .where(EmailLog.idempotency_key == key)
            ).one()  # fmt: skip
    finally:
        runtime.close()
    assert recipient in error  # the refusal names the address: it is kept in the database
    logged = "\n".join(  # the test's SMTP server (aiosmtpd, "mail.log") is not ours
        f"{r.name} {r.getMessage()} "
        f"{logging.Formatter().formatException(r.exc_info) if r.exc_info else ''}"
        for r in caplog.records
        if not r.name.startswith("mail.log")
    )
    assert "550" in logged or "dead-letter" in logged  # the failure was logged
    assert [line for line in logged.splitlines() if recipient in line] == []
