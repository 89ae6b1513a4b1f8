"""Wall time of ``workflow select ID`` on the embedded default, Python start-up included.

Beside it, the raw bound measured in the same run: starting the same Python and doing
nothing. Target: under 0.5 s (median of 15 runs).

Also measured in the same run, to show what no change to this project's code can remove:
the stack's floor, a Python that imports the libraries the command cannot do without
(SQLAlchemy's ORM, click, msgspec with one struct) and computes one token hash with the
same scrypt parameters as ``services.staff``, and does nothing else.

Measured as installed: ``pip install`` writes the package's bytecode, so one untimed
warm-up run writes it here (with ``PYTHONDONTWRITEBYTECODE`` cleared for the runs;
otherwise every run would compile the project's modules again, about 25 ms here).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

RUNS = 15
WARM_UP = 1
STACK_FLOOR = """
import hashlib, click, msgspec, sqlalchemy.orm
class Probe(msgspec.Struct):
    value: int = 1
msgspec.convert(dict(value=2), Probe)
hashlib.scrypt(b"secret", salt=b"salt" * 4, dklen=32, **{scrypt})
"""


def _timed(args: list[str], env: dict[str, str], cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def run() -> dict[str, dict]:
    from workflow.bootstrap import bootstrap
    from workflow.clock import FixedClock
    from workflow.config import Settings
    from workflow.db.migrate import upgrade
    from workflow.services import setup, staff
    from workflow.services.auth import SYSTEM
    from workflow.services.specialists import NominationRequest, nominate

    now = datetime(2025, 6, 2, 9, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'workflow.db'}"
        runtime = bootstrap(Settings(database_url=url), clock=FixedClock(now))
        upgrade(runtime.engine)
        token = staff.init(runtime.uow(), "admin@bench.example", "Bench Admin", now)
        setup.add_cohort(runtime.uow(), SYSTEM, 9, "cohort-9")
        setup.add_hub(runtime.uow(), SYSTEM, "bench", "Bench Hub")
        setup.allocate(runtime.uow(), SYSTEM, "bench", 9, WARM_UP + RUNS)
        setup.add_school(runtime.uow(), SYSTEM, urn="100000", name="S", hub_code="bench",
                         phase="secondary", funding="state", head_name="H",
                         head_email="h@s.example")  # fmt: skip
        ids = [
            nominate(runtime.uow(), SYSTEM, NominationRequest(
                9, "100000", f"T {i}", f"t{i}@s.example", True, date(2015, 9, 1),
                accept=frozenset({"extra_nominee"}), reason="bench: one school"), now)
            for i in range(WARM_UP + RUNS)
        ]  # fmt: skip
        runtime.close()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("WORKFLOW_") and k != "PYTHONDONTWRITEBYTECODE"
        }
        env.update(WORKFLOW_DATABASE_URL=url, WORKFLOW_TOKEN=token, WORKFLOW_NOW="2025-06-03")
        workflow = str(Path(sys.executable).parent / "workflow")
        for i in ids[:WARM_UP]:
            _timed([workflow, "select", str(i)], env, tmp)
        selects = [_timed([workflow, "select", str(i)], env, tmp) for i in ids[WARM_UP:]]
        bare = [_timed([sys.executable, "-c", "pass"], env, tmp) for _ in range(RUNS)]
        probe = STACK_FLOOR.format(scrypt=staff.SCRYPT)
        floor = [_timed([sys.executable, "-c", probe], env, tmp) for _ in range(RUNS)]
    value, raw = statistics.median(selects), statistics.median(bare)
    floor_value = statistics.median(floor)
    return {
        "cli_select_seconds": {
            "value": round(value, 3),
            "unit": "s (median wall time)",
            "raw_bound": round(raw, 3),
            "ratio": round(value / raw, 1),
            "target": "< 0.5 s",
        },
        "cli_select_stack_floor_seconds": {
            "value": round(floor_value, 3),
            "unit": "s (median wall time)",
            "raw_bound": round(raw, 3),
            "ratio": round(value / floor_value, 2),
            "target": "the part of cli_select_seconds the project's code adds: ratio",
        },
    }
