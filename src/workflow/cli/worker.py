"""``workflow worker``: start worker processes that send the emails."""

from __future__ import annotations

from typing import Any

import click


@click.command("worker")
@click.option(
    "--processes",
    "-p",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes to start.",
)
@click.option(
    "--threads",
    "-t",
    type=click.IntRange(min=1),
    default=None,
    help="Threads per process (default: WORKFLOW_WORKER_THREADS, 8).",
)
def worker(processes: int, threads: int | None) -> None:
    """Handle queued messages and relay the outbox until SIGTERM or Ctrl-C."""
    from workflow.config import load_settings
    from workflow.workers.runner import run_processes

    overrides = {} if threads is None else {"worker_threads": threads}
    settings = load_settings(**overrides)  # a bad setting stops here, before any process
    broker = "Redis" if settings.broker_url else "an in-process broker (embedded)"
    click.echo(
        f"workflow worker: {processes} process(es) of {settings.worker_threads} threads"
        f" on {broker}; stop with Ctrl-C or SIGTERM"
    )
    run_processes(processes, worker_process, overrides)
    click.echo("workflow worker: stopped")


def worker_process(overrides: dict[str, Any]) -> None:
    """The body of one worker process (spawned): settings from the environment plus
    ``overrides``, its own runtime, logging to stderr, then serve until stopped."""
    from workflow.bootstrap import bootstrap
    from workflow.config import load_settings
    from workflow.workers.runner import configure_logging, run

    configure_logging()
    run(bootstrap(load_settings(**overrides)))


COMMANDS = [worker]
