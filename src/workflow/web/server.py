"""Serving the web application with gunicorn (``workflow web``), in this process."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from workflow.runtime import Runtime
from workflow.web.app import create_app


class _Gunicorn(BaseApplication):
    def __init__(self, runtime: Runtime, options: dict):
        self.runtime = runtime
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return create_app(self.runtime)


def serve(runtime: Runtime, host: str, port: int, workers: int, threads: int) -> None:
    """Run gunicorn on ``host:port`` until stopped (SIGINT or SIGTERM)."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 60,
        "graceful_timeout": 10,
        # Access logs would carry paths and queries (names, addresses): the app logs its own
        # line per request without them.
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "forwarded_allow_ips": "*" if runtime.settings.trust_proxy else "127.0.0.1",
    }
    _Gunicorn(runtime, options).run()
