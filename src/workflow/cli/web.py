"""``workflow web``: serve the web application with gunicorn."""

from __future__ import annotations

import logging

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
def web(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the web application for hub staff (needs no token: staff sign in there)."""
    from workflow.bootstrap import bootstrap
    from workflow.web.server import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    runtime = bootstrap()  # the schema comes from `workflow db upgrade`, as for the workers
    base = runtime.settings.base_url
    click.echo(f"serving on http://{host}:{port} (links in emails use {base})", err=True)
    serve(runtime, host, port, workers, threads)


COMMANDS = [web]
