"""``workflow worker``: start worker processes that send the emails."""

from __future__ import annotations

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
    run_processes(processes, overrides)
    click.echo("workflow worker: stopped")


COMMANDS = [worker]
