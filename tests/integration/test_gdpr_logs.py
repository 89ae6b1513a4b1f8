"""No personal data in logs: a full simulated cohort (the demo: about 150 nominations, three
programme years, every email sent through the workers) logged at DEBUG by every logger,
ours and the libraries', names no one and gives no address."""

from __future__ import annotations

import logging

from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from workflow.config import Settings
from workflow.db.models import Staff
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
