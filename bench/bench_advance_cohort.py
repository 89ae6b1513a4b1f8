"""Bulk advancement on PostgreSQL: 100,000 specialists from Year 1 to Year 2.

Service: ``advance_cohort`` in batches of 2,000 (one transaction each: lock the batch,
read the guards' facts, fire the machine for each specialist, then write states, audit
entries, outbox rows, reminder due items, funding entries and their due items through
``db.bulk``), then one email listing the stuck to the hub's lead.

Raw bound, in the same run, on a clone of the same seeded database: exactly the same
rows written with plain bulk SQL in one transaction, with who moves and who is stuck
known in advance (no facts read, no guards judged, no idempotency checks): one
``SELECT ... FOR UPDATE`` of the movers, one ``UPDATE ... WHERE id = ANY(...)``, the
funding entries' ids reserved from their sequence in one query, and a ``COPY`` each
into audit_log, outbox, funding_entries and due_items. Every row's contents (JSON
already serialised, times already in naive UTC) are computed in Python *before* the
timed section; only the funding due items, which need the reserved ids, are built
inside it. After both runs every table of the two databases is compared (row count and
an order-independent hash of each row without its id) and must be equal.

Per mover: 1 state update, 1 audit row, 2 outbox rows, 4 reminder due items (two
central events, two accreditation reminders), 2 funding entries and their 2 due items.
Every 50th specialist lacks development days and stays (the stuck list).

COPY because it is the fastest plain bulk SQL here: in one measurement 200,000 outbox
rows took 0.9 s by COPY against 2.1 s as one ``INSERT ... SELECT FROM unnest`` of
binary arrays, 5.5 s with text arrays and 5.5 s by executemany.

Where the time goes (100,000, 2 cores, measured while tuning): the service takes about
15 s against a raw bound of about 8 s. Its PostgreSQL backend spends about 9 s of CPU
(the raw bound's about 7.4 s: most of it the two foreign-key checks per funding entry,
the unique index on the due items' key, and the JSON input of outbox and due items);
the Python side about 9 s, overlapping the server only while a COPY streams. Of those
9 s, about 40 % is serialising and COPY-formatting some 1.1 million rows (JSON payloads
above all: the raw bound does this before its timing, in the
``raw_rows_prepared_untimed_seconds`` reported), 1.3 s the machine's ``fire`` (13 us a
specialist), the rest building the row dicts, reading the guards' facts (one query a
batch) and SQLAlchemy's per-statement work. Before (47 s), the rows went by
executemany: one statement per row on the server, SQLAlchemy's per-row parameter
handling in Python; once that was gone, the cyclic garbage collector took a quarter of
the CPU time traversing each batch's rows (it is now paused during a batch).

Targets: within 3x the raw bound, peak RSS < 400 MB (the process's maximum RSS,
taken right after the service's run, before the raw bound's precomputed rows exist).
Needs ``WORKFLOW_TEST_POSTGRES_URL`` (``make bench`` starts a server). ``BENCH_N``
changes the number of specialists while tuning (the result keys carry it).
"""

from __future__ import annotations

import json
import os
import resource
import time
import uuid
from datetime import UTC, datetime

import msgspec
from sqlalchemy import JSON, insert, text
from sqlalchemy.engine import make_url

from workflow.bootstrap import bootstrap
from workflow.clock import FixedClock
from workflow.config import Settings
from workflow.db import models
from workflow.db.engine import make_engine
from workflow.db.migrate import upgrade
from workflow.db.uow import UnitOfWork, session_factory
from workflow.notify.notifications import STUCK_SPECIALISTS, StuckPerson, StuckSpecialists
from workflow.services import effects, funding, standing
from workflow.services.calendar import Calendar
from workflow.services.funding import ledger, planning, schedule
from workflow.services.queries import TRANSITION
from workflow.services.reminders import planned
from workflow.states.guards import Facts, guard_reasons
from workflow.states.lifecycle import State
from workflow.states.rules import load_rules, rules_snapshot

# The instalments basis: the raw bound below writes exactly its rows (funding_entries and
# their due items), which the days basis does not write at a year start.
_SHIPPED = load_rules("cohort-9")
RULES = msgspec.structs.replace(
    _SHIPPED, funding=msgspec.structs.replace(_SHIPPED.funding, basis="instalments")
)

N = int(os.environ.get("BENCH_N", "100000"))
BATCH = int(os.environ.get("BENCH_BATCH", "2000"))
NOW = datetime(2026, 9, 2, 8, tzinfo=UTC)
STUCK_EVERY = 50  # every 50th specialist has no development days recorded


def _url(admin: str, name: str) -> str:
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def _seed(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    rules = RULES
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
                " WHERE m.name <> 'development_day' OR s.id % :every <> 0"
            ),
            {"every": STUCK_EVERY},
        )
    # The trail went in by bulk SQL: read it as ``workflow db upgrade`` does, so that the
    # stuck are known before the advance, as in a database the services wrote.
    standing.rebuild(UnitOfWork(session_factory(engine, "Europe/London"), FixedClock(NOW)))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def _advance(url: str) -> tuple[float, int]:
    from workflow.services.advancement import advance_cohort
    from workflow.services.auth import SYSTEM

    runtime = bootstrap(Settings(database_url=url), clock=FixedClock(NOW))
    started = time.perf_counter()
    report = advance_cohort(runtime.uow(), SYSTEM, 9, "start_year2", NOW, batch_size=BATCH)
    elapsed = time.perf_counter() - started
    runtime.close()
    return elapsed, report.advanced


# --- The raw bound ---------------------------------------------------------------------------


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _raw_rows(url: str) -> dict:
    """Every row the raw bound writes, as COPY-ready tuples (computed before the timing)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        people = conn.execute(
            text("SELECT id, name, version, school_id FROM specialists ORDER BY id")
        ).all()
    engine.dispose()
    rules = RULES
    cal = Calendar()
    now = _naive(NOW)
    movers = [p for p in people if p.id % STUCK_EVERY]
    stuck = [p for p in people if not p.id % STUCK_EVERY]
    audit = [
        (p.id, TRANSITION, "start_year2", "year1", "year2", "system", now, False) for p in movers
    ]
    outbox = [
        (r["topic"], json.dumps(r["payload"]), now, 0)
        for p in movers
        for r in effects.transition_rows(p.id, "start_year2", NOW, f"v{p.version}")
    ]
    # The hub lead's list of the stuck: the guard's reason is the same for each of them.
    reasons = guard_reasons(
        "start_year2",
        Facts(year1_half_days={"central_day": 11}, launch_attended=True, rules=rules),
    )
    listing = StuckSpecialists(
        hub_id=1, cohort_number=9,
        specialists=[StuckPerson(id=p.id, name=p.name, school="S", reasons=reasons)
                     for p in stuck],
    )  # fmt: skip
    for email in effects.email_rows(NOW, STUCK_SPECIALISTS, None, "cohort9-start_year2-hub1",
                                    listing):  # fmt: skip
        outbox.append((email["topic"], json.dumps(email["payload"]), now, 0))
    reminders = [
        (r["key"], r["kind"], _naive(r["due_at"]), json.dumps(r["payload"]))
        for p in movers
        for r in planned(p.id, rules, State.YEAR2, NOW, cal)
    ]
    plan = planning.year_schedule(rules, 2)
    entries = [
        (p.id, p.school_id, 2, number, ledger.RULES, amount, day, schedule.SCHEDULED, now)
        for p in movers
        for number, day, amount in plan
    ]
    releasable = [_naive(planning.due_at(day, cal.tz.key)) for _, day, _ in plan]
    return {
        "ids": [p.id for p in movers],
        "audit": audit,
        "outbox": outbox,
        "reminders": reminders,
        "entries": entries,
        "releasable": releasable * len(movers),
    }


def _copy(cursor, table: str, columns: str, rows) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _raw(url: str, rows: dict) -> tuple[float, int]:
    """The same rows in one transaction of plain bulk SQL (see the module docstring)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        cursor = driver.cursor()
        started = time.perf_counter()
        cursor.execute(
            "SELECT id FROM specialists WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [rows["ids"]]
        )
        cursor.execute(  # and what their trail now says (services/standing.py)
            "UPDATE specialists SET state = 'year2', version = version + 1, updated_at = %s,"
            " stuck_reasons = %s, ever_selected = true, ever_year2 = true WHERE id = ANY(%s)",
            [_naive(NOW), '["PD Lead accreditation is not recorded"]', rows["ids"]],
        )
        _copy(
            cursor, "audit_log",
            "specialist_id, kind, name, from_state, to_state, actor, at, override", rows["audit"],
        )  # fmt: skip
        _copy(cursor, "outbox", "topic, payload, created_at, attempts", rows["outbox"])
        cursor.execute(
            "SELECT nextval('funding_entries_id_seq') FROM generate_series(1, %s)",
            [len(rows["entries"])],
        )
        entry_ids = [i for (i,) in cursor.fetchall()]
        _copy(
            cursor, "funding_entries",
            "id, specialist_id, school_id, programme_year, instalment, origin, amount_pence,"
            " due_date, status, created_at",
            ((i, *e) for i, e in zip(entry_ids, rows["entries"], strict=True)),
        )  # fmt: skip
        releases = (
            (f"funding:{i}", funding.RELEASE_FUNDING, at, f'{{"funding_entry_id": {i}}}')
            for i, at in zip(entry_ids, rows["releasable"], strict=True)
        )
        _copy(cursor, "due_items", "key, kind, due_at, payload", rows["reminders"])
        _copy(cursor, "due_items", "key, kind, due_at, payload", releases)
        driver.commit()
        elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, len(rows["ids"])


# --- Both databases hold the same rows -------------------------------------------------------


def _fingerprints(url: str) -> dict[str, tuple[int, int]]:
    """Per table: (rows, an order-independent hash of the rows without their ids).

    JSON is compared as jsonb text (key order and spacing aside). A funding due item's
    key and payload name its entry's id, which depends on insertion order: they are
    compared as the entry's (specialist, year, instalment) instead.
    """
    engine = make_engine(url)
    found = {}
    with engine.connect() as conn:
        for table in models.Base.metadata.sorted_tables:
            values = []
            for column in table.c:
                if column.name == "id":
                    continue
                name = f"t.{column.name}"
                if isinstance(column.type, JSON):
                    name = f"t.{column.name}::jsonb"
                if table.name == "due_items" and column.name == "payload":
                    name = "t.payload::jsonb - 'funding_entry_id'"
                if table.name == "due_items" and column.name == "key":
                    name = (
                        "coalesce('funding:' || f.specialist_id || ':' || f.programme_year"
                        " || ':' || f.instalment, t.key)"
                    )
                values.append(f"coalesce(({name})::text, '-')")
            join = ""
            if table.name == "due_items":
                join = (
                    " LEFT JOIN funding_entries f ON t.key = 'funding:' || f.id"
                    " AND (t.payload->>'funding_entry_id')::int = f.id"
                )
            row = f"concat_ws('|', {', '.join(values)})"
            count, digest = conn.execute(
                text(
                    f"SELECT count(*), coalesce(sum(('x' || left(md5({row}), 15))::bit(60)"
                    f"::bigint), 0) FROM {table.name} t{join}"
                )
            ).one()
            found[table.name] = (count, int(digest))
    engine.dispose()
    return found


def _checkpoint(admin) -> None:
    with admin.connect() as conn:
        conn.execute(text("CHECKPOINT"))


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
        # Each timed run starts with no dirty pages left by the one before (a checkpoint
        # in the middle of the second run would slow it down, not the first).
        _checkpoint(admin)
        service_seconds, moved = _advance(_url(admin_url, seeded))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        prepared = time.perf_counter()
        rows = _raw_rows(_url(admin_url, clone))
        prepare_seconds = time.perf_counter() - prepared
        _checkpoint(admin)
        raw_seconds, raw_moved = _raw(_url(admin_url, clone), rows)
        del rows
        service_tables = _fingerprints(_url(admin_url, seeded))
        raw_tables = _fingerprints(_url(admin_url, clone))
    finally:
        with admin.connect() as conn:
            for name in (seeded, clone):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    assert moved == raw_moved == N - N // STUCK_EVERY, (moved, raw_moved)
    differ = {t: (service_tables[t], raw_tables[t]) for t in raw_tables
              if service_tables[t] != raw_tables[t]}  # fmt: skip
    assert not differ, f"the raw bound wrote other rows than the service: {differ}"
    ratio = service_seconds / raw_seconds
    size = f"{N // 1000}k"
    return {
        f"advance_cohort_{size}_seconds": {
            "value": round(service_seconds, 2),
            "unit": "s",
            "raw_bound": round(raw_seconds, 2),
            "ratio": round(ratio, 2),
            "target": "ratio <= 3",
            "transitions_per_second": round(moved / service_seconds),
            "batch_size": BATCH,
            "raw_rows_prepared_untimed_seconds": round(prepare_seconds, 2),
            "rows_per_table": {t: count for t, (count, _) in sorted(raw_tables.items())},
        },
        f"advance_cohort_{size}_peak_rss": {
            "value": round(peak_mb),
            "unit": "MB",
            "raw_bound": None,
            "ratio": None,
            "target": "< 400 MB",
        },
    }
