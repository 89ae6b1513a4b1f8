"""The machine's cost per specialist: load 100,000 specialists, fire one trigger on each.

Reported at 1,000, 10,000 and 100,000 specialists, so that "flat" can be read off: the
cost per specialist of deciding ``start_year2`` (guards judged, no database writes)
through the one shared definition, beside the raw bound of the same decision made by a
hand-written dict lookup in the same run. Peak memory is the process's maximum RSS.
Target: under 20 microseconds per specialist at 100,000, flat from 1,000, peak < 400 MB.
"""

from __future__ import annotations

import resource
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert, select

from workflow.db import models
from workflow.db.engine import make_engine
from workflow.db.migrate import upgrade
from workflow.states.guards import Facts
from workflow.states.lifecycle import State, fire
from workflow.states.rules import load_rules

SIZES = (1_000, 10_000, 100_000)


def _seed(url: str, n: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(insert(models.Hub), [{"id": 1, "code": "h", "name": "Hub"}])
        conn.execute(
            insert(models.Cohort),
            [
                {
                    "id": 1,
                    "number": 9,
                    "rules_name": "cohort-9",
                    "rules": {},
                    "start_date": now.date(),
                }
            ],
        )
        conn.execute(
            insert(models.School),
            [{"id": 1, "urn": "100000", "name": "S", "phase": "secondary", "state_funded": True,
              "head_name": "H", "head_email": "h@s.example", "hub_id": 1}],
        )  # fmt: skip
        conn.execute(
            insert(models.Specialist),
            [
                {"name": f"T{i}", "email": f"t{i}@s.example", "qts": True,
                 "teaching_since": date(2015, 9, 1), "school_id": 1, "cohort_id": 1,
                 "state": "year1", "version": 1, "created_at": now, "updated_at": now}
                for i in range(n)
            ],
        )  # fmt: skip
    engine.dispose()


def _load(url: str) -> list:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(models.Specialist.id, models.Specialist.state)).all()
    engine.dispose()
    return rows


def run() -> dict[str, dict]:
    rules = load_rules("cohort-9")
    done = {"central_day": 11, "development_day": 4}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        _seed(url, max(SIZES))
        rows = _load(url)

    raw_table = {("year1", "start_year2"): "year2"}
    results: dict[str, dict] = {}
    per_size = {}
    for n in SIZES:
        subset = rows[:n]
        started = time.perf_counter()
        for _id, state in subset:
            facts = Facts(year1_half_days=done, launch_attended=True, rules=rules)
            assert fire(state, "start_year2", facts).dest == State.YEAR2
        machine = (time.perf_counter() - started) / n * 1e6

        started = time.perf_counter()
        for _id, state in subset:
            reasons = [] if done["central_day"] >= 11 and done["development_day"] >= 4 else ["x"]
            assert not reasons and raw_table[(state, "start_year2")] == "year2"
        raw = (time.perf_counter() - started) / n * 1e6
        per_size[n] = machine
        results[f"lifecycle_fire_us_per_specialist_{n}"] = {
            "value": round(machine, 2),
            "unit": "us/specialist",
            "raw_bound": round(raw, 3),
            "ratio": round(machine / raw, 1),
            "target": "< 20 us at 100,000, flat from 1,000",
        }
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["lifecycle_peak_rss_mb_100000"] = {
        "value": round(peak_mb, 1),
        "unit": "MB",
        "raw_bound": None,
        "ratio": None,
        "target": "< 400 MB",
    }
    results["lifecycle_flatness_100000_vs_1000"] = {
        "value": round(per_size[100_000] / per_size[1_000], 2),
        "unit": "ratio of us/specialist",
        "raw_bound": 1.0,
        "ratio": round(per_size[100_000] / per_size[1_000], 2),
        "target": "about 1 (flat)",
    }
    return results
