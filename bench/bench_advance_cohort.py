"""Bulk advancement on PostgreSQL: 100,000 specialists from Year 1 to Year 2.

``advance_cohort`` (batches: lock, judge each specialist's guards through the machine,
write states, audit entries, outbox rows, reminder due items and, when the funding
service is installed, funding rows) beside the raw bound: the same rows written by plain
bulk SQL in the same run (one ``UPDATE ... FROM unnest``, then ``INSERT``s of the audit,
outbox and due rows), on a clone of the same seeded database. Peak memory is the
process's maximum RSS. Targets: within 3x the raw bound, peak RSS < 400 MB.
Needs ``WORKFLOW_TEST_POSTGRES_URL`` (``make bench`` starts a server).
"""

from __future__ import annotations

import os
import resource
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from workflow.bootstrap import bootstrap
from workflow.clock import FixedClock
from workflow.config import Settings
from workflow.db import models
from workflow.db.engine import make_engine
from workflow.db.migrate import upgrade
from workflow.scheduler.calendar import Calendar
from workflow.services import effects
from workflow.services.reminders import planned
from workflow.states.lifecycle import State
from workflow.states.rules import load_rules, rules_snapshot

N = 100_000
BATCH = int(os.environ.get("BENCH_BATCH", "2000"))
NOW = datetime(2026, 9, 2, 8, tzinfo=UTC)


def _url(admin: str, name: str) -> str:
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def _seed(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    rules = load_rules("cohort-9")
    with engine.begin() as conn:
        conn.execute(insert(models.Hub), [{"id": 1, "code": "h", "name": "Hub"}])
        conn.execute(
            insert(models.Cohort),
            [{"id": 1, "number": 9, "rules_name": "cohort-9", "rules": rules_snapshot(rules),
              "start_date": rules.dates.year1_start}],
        )  # fmt: skip
        conn.execute(
            insert(models.School),
            [{"id": 1, "urn": "100000", "name": "S", "phase": "secondary", "state_funded": True,
              "head_name": "H", "head_email": "h@s.example", "hub_id": 1}],
        )  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO specialists (name, email, qts, teaching_since, school_id, cohort_id,"
                " state, version, created_at, updated_at)"
                " SELECT 'T' || g, 't' || g || '@s.example', true, DATE '2015-09-01', 1, 1,"
                " 'year1', 1, now(), now() FROM generate_series(1, :n) g"
            ),
            {"n": N},
        )
        # Everyone met Year 1's requirements, except every 50th (no development days).
        conn.execute(
            text(
                "INSERT INTO audit_log (specialist_id, kind, name, from_state, to_state,"
                " half_days, occurred_on, programme_year, actor, at, override)"
                " SELECT s.id, 'milestone', m.name, 'year1', 'year1', m.half_days,"
                " DATE '2026-03-01', 1, 'bench', now(), false FROM specialists s"
                " CROSS JOIN (VALUES ('launch_attended', NULL), ('central_day', 11),"
                " ('development_day', 4)) AS m(name, half_days)"
                " WHERE m.name <> 'development_day' OR s.id % 50 <> 0"
            )
        )
        conn.execute(text("ANALYZE"))
    engine.dispose()


def _advance(url: str) -> tuple[float, int]:
    from workflow.services.advancement import advance_cohort
    from workflow.services.auth import SYSTEM

    runtime = bootstrap(Settings(database_url=url), clock=FixedClock(NOW))
    started = time.perf_counter()
    report = advance_cohort(runtime.uow, SYSTEM, 9, "start_year2", NOW, batch_size=BATCH)
    elapsed = time.perf_counter() - started
    runtime.close()
    return elapsed, report.advanced


def _raw(url: str) -> tuple[float, int]:
    """The same writes with no machine, no guards judged (the ready ones known), bulk SQL."""
    engine = make_engine(url)
    rules = load_rules("cohort-9")
    cal = Calendar()
    started = time.perf_counter()
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                "SELECT id, version FROM specialists WHERE cohort_id = 1 AND state = 'year1'"
                " AND id % 50 <> 0 ORDER BY id FOR UPDATE"
            )
        ).all()
        ids = [r.id for r in rows]
        conn.execute(
            text(
                "UPDATE specialists s SET state = 'year2', version = s.version + 1,"
                " updated_at = :now FROM unnest(CAST(:ids AS integer[])) AS u(id)"
                " WHERE s.id = u.id"
            ),
            {"ids": ids, "now": NOW},
        )
        conn.execute(
            insert(models.AuditEntry),
            [{"specialist_id": i, "kind": "transition", "name": "start_year2",
              "from_state": "year1", "to_state": "year2", "actor": "system", "at": NOW,
              "override": False} for i in ids],
        )  # fmt: skip
        conn.execute(
            insert(models.OutboxMessage),
            [row for r in rows
             for row in effects.transition_rows(r.id, "start_year2", NOW, f"v{r.version}")],
        )  # fmt: skip
        reminders = [row for i in ids for row in planned(i, rules, State.YEAR2, NOW, cal)]
        conn.execute(insert(models.DueItem), reminders)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, len(ids)


def run() -> dict[str, dict]:
    admin_url = os.environ.get("WORKFLOW_TEST_POSTGRES_URL")
    if not admin_url:
        raise SystemExit("bench_advance_cohort needs WORKFLOW_TEST_POSTGRES_URL (make bench)")
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    seeded, clone = f"bench_{uuid.uuid4().hex[:8]}", f"bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{seeded}"'))
        _seed(_url(admin_url, seeded))
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{clone}" TEMPLATE "{seeded}"'))
        service_seconds, moved = _advance(_url(admin_url, seeded))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        raw_seconds, raw_moved = _raw(_url(admin_url, clone))
    finally:
        with admin.connect() as conn:
            for name in (seeded, clone):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    assert moved == raw_moved == N - N // 50, (moved, raw_moved)
    ratio = service_seconds / raw_seconds
    return {
        "advance_cohort_100k_seconds": {
            "value": round(service_seconds, 2),
            "unit": "s",
            "raw_bound": round(raw_seconds, 2),
            "ratio": round(ratio, 2),
            "target": "ratio <= 3",
            "transitions_per_second": round(moved / service_seconds),
            "batch_size": BATCH,
        },
        "advance_cohort_100k_peak_rss": {
            "value": round(peak_mb),
            "unit": "MB",
            "raw_bound": None,
            "ratio": None,
            "target": "< 400 MB",
        },
    }
