"""``workflow worker`` and ``workflow dead-letters`` as a user runs them (subprocesses)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.integration._workers_support import flush_redis, wait_for
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.db.models import OutboxMessage
from workflow.services import dead_letters, staff
from workflow.services.outbox import SEND_EMAIL, emit

WORKFLOW = [sys.executable, "-m", "workflow.cli.main"]


def environment(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOW_")}
    env.update(variables)
    return env


def run(args: list[str], cwd: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        WORKFLOW + args,
        cwd=cwd,
        env=environment(**variables),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def runtime(database_url, clock):
    rt = bootstrap(Settings(database_url=database_url), clock=clock)
    yield rt
    rt.close()


def worker_children(parent: int) -> list[int]:
    """The worker processes the command spawned (not multiprocessing's resource tracker)."""
    children = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"spawn_main" in cmdline:
            children.append(int(entry.name))
    return children


def pending(runtime) -> int:
    with runtime.uow() as uow:
        return uow.session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None)))


def test_worker_processes_relay_the_outbox_and_stop_on_sigterm(
    runtime, database_url, redis_url, tmp_path
):
    flush_redis(redis_url)
    with runtime.uow() as uow:
        for n in range(5):
            emit(uow.session, SEND_EMAIL, {"key": f"k{n}"}, runtime.clock.now())
        uow.commit()
    command = subprocess.Popen(
        [*WORKFLOW, "worker", "--processes", "2", "--threads", "2"],
        cwd=tmp_path,
        env=environment(
            WORKFLOW_DATABASE_URL=database_url,
            WORKFLOW_BROKER_URL=redis_url,
            WORKFLOW_WORKER_MAX_RETRIES="0",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        wait_for(lambda: len(worker_children(command.pid)) == 2, what="two worker processes")
        wait_for(lambda: pending(runtime) == 0, what="the relay")
        command.send_signal(signal.SIGTERM)
        assert command.wait(timeout=30) == 0
    finally:
        if command.poll() is None:
            command.kill()
    output = command.stdout.read()
    assert "2 process(es) of 2 threads on Redis" in output
    assert output.rstrip().endswith("workflow worker: stopped")


def test_a_worker_process_that_dies_stops_the_command_with_one_line(
    database_url, redis_url, tmp_path
):
    command = subprocess.Popen(
        [*WORKFLOW, "worker", "--processes", "2", "--threads", "1"],
        cwd=tmp_path,
        env=environment(WORKFLOW_DATABASE_URL=database_url, WORKFLOW_BROKER_URL=redis_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        children = wait_for(lambda: worker_children(command.pid), what="worker processes")
        os.kill(children[0], signal.SIGKILL)
        assert command.wait(timeout=30) == 1
    finally:
        if command.poll() is None:
            command.kill()
    last_line = command.stderr.read().rstrip().splitlines()[-1]
    assert last_line.startswith("workflow: worker process worker-")
    assert "exited with code -9; stopped the others" in last_line


def test_a_bad_thread_count_is_a_usage_error(tmp_path):
    result = run(["worker", "--threads", "0"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1


def test_dead_letters_are_listed_and_retried_through_the_outbox(runtime, database_url, tmp_path):
    payload = {"key": "7:selected:specialist:1", "to": "specialist"}
    dead_letters.record(
        runtime.uow(),
        message_id="outbox-41",
        queue="emails",
        actor=SEND_EMAIL,
        args=[payload],
        kwargs={},
        error="PermanentDeliveryError: 550 no such user",
        attempts=1,
        now=runtime.clock.now(),
    )
    token = staff.init(runtime.uow(), "ops@ncetm.example", "Ops Admin", runtime.clock.now())
    env = {"WORKFLOW_DATABASE_URL": database_url, "WORKFLOW_TOKEN": token}

    listed = run(["dead-letters", "list"], tmp_path, **env)
    assert listed.returncode == 0, listed.stderr
    assert "send_email" in listed.stdout and "550 no such user" in listed.stdout
    assert "7:selected:specialist:1" in listed.stdout

    retried = run(["dead-letters", "retry", "--all"], tmp_path, **env)
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.strip() == "re-enqueued 1 dead letter(s): 1"
    with runtime.uow() as uow:
        (row,) = uow.session.scalars(select(OutboxMessage))
        assert (row.topic, row.payload, row.sent_at) == (SEND_EMAIL, payload, None)

    again = run(["dead-letters", "retry", "1"], tmp_path, **env)
    assert again.returncode == 1
    assert again.stderr.startswith("workflow: dead letter 1 was already retried at ")
    assert again.stderr.count("\n") == 1
    assert run(["dead-letters", "list"], tmp_path, **env).stdout.strip() == "no dead letters"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["dead-letters", "retry"], 2, "give either a dead letter ID or --all"),
        (["dead-letters", "retry", "3", "--all"], 2, "give either a dead letter ID or --all"),
        (["dead-letters", "retry", "999"], 1, "no dead letter with id 999"),
    ],
)
def test_dead_letter_retry_refusals_are_one_line(
    runtime, database_url, tmp_path, args, code, message
):
    token = staff.init(runtime.uow(), "ops@ncetm.example", "Ops Admin", runtime.clock.now())
    result = run(args, tmp_path, WORKFLOW_DATABASE_URL=database_url, WORKFLOW_TOKEN=token)
    assert result.returncode == code
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
