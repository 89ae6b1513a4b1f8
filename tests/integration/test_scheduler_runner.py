"""The APScheduler runner: ticks do the due work, a failing or stalled tick ends the process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import inspect, select

from workflow.db.migrate import schema_differences
from workflow.db.models import DueItem
from workflow.scheduler.dispatch import tick
from workflow.scheduler.runner import JOBSTORE_TABLE, run_scheduler
from workflow.services import due

T0 = datetime(2025, 9, 1, 8, tzinfo=UTC)


def test_the_first_tick_does_what_fell_due_and_the_job_is_stored(runtime, clock):
    clock.set(T0)
    with runtime.uow() as uow:
        payload = {"template": "accreditation_reminder", "specialist_id": None, "to": "x@y.example"}
        due.schedule(uow.session, "r:1", "reminder", T0, {**payload, "extra": {}})
        uow.commit()
    stop = threading.Event()
    ticks = []

    def tick_then_stop(rt):
        ticks.append(tick(rt))
        stop.set()

    assert run_scheduler(runtime, tick=tick_then_stop, interval=60, stop=stop) == 0
    assert ticks[0].done == {"reminder": 1}
    with runtime.uow() as uow:
        assert uow.session.scalar(select(DueItem.done_at)) is not None
    # APScheduler's own table exists, and the schema comparison leaves it out
    assert JOBSTORE_TABLE in inspect(runtime.engine).get_table_names()
    assert schema_differences(runtime.engine) == []


def test_a_failing_tick_ends_the_runner_with_exit_code_1(runtime):
    def broken(_rt):
        raise RuntimeError("database went away")

    started = time.monotonic()
    assert run_scheduler(runtime, tick=broken, interval=0.2, persistent=False) == 1
    assert time.monotonic() - started < 30


def test_a_stalled_tick_ends_the_runner_with_exit_code_1(runtime):
    release = threading.Event()

    def hangs(_rt):
        release.wait(20)

    try:
        code = run_scheduler(runtime, tick=hangs, interval=0.2, stall_intervals=3, persistent=False)
    finally:
        release.set()
    assert code == 1


def test_the_scheduler_command_stops_cleanly_on_sigterm(database_url, tmp_path):
    env = {
        **os.environ,
        "WORKFLOW_DATABASE_URL": database_url,
        "WORKFLOW_MAIL_DIR": str(tmp_path / "mail"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "workflow.cli.main", "scheduler", "--interval", "0.5"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    lines = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        lines.append(line)
        if "scheduler started" in line:
            break
    time.sleep(1.2)  # a couple of ticks
    process.send_signal(signal.SIGTERM)
    _, rest = process.communicate(timeout=30)
    assert process.returncode == 0, "".join(lines) + rest
    assert "scheduler stopped" in rest


def test_a_long_tick_that_makes_progress_is_not_taken_for_a_stall(runtime):
    """The watchdog hears the work's own heartbeat: a 1.5 s tick beating every 0.1 s
    outlives a stall window of 0.6 s (3 intervals of 0.2 s)."""
    stop = threading.Event()

    def long_tick(rt):
        for _ in range(15):
            time.sleep(0.1)
            rt.heartbeat()
        stop.set()

    code = run_scheduler(
        runtime, tick=long_tick, interval=0.2, stall_intervals=3, stop=stop, persistent=False
    )
    assert code == 0
