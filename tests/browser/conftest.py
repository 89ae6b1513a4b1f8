"""Browser fixtures: the web app served on a free port of 127.0.0.1 (a real HTTP server in a
thread, on a real database) and headless Chromium. Without Chromium the tests are skipped,
except under ``CI=true``, where they fail (``make test`` installs it from Debian)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from tests.browser.harness import Browser, available
from tests.conftest import fresh_sqlite_url
from tests.integration.conftest import build_world
from tests.web.conftest import add_people
from workflow.web.app import create_app

pytestmark = pytest.mark.browser


def serving(runtime, clock, world) -> Iterator[tuple[str, object]]:
    """Staff added, the app on a real HTTP server in a thread; yields (base URL, world)."""
    add_people(runtime, clock)
    app = create_app(runtime)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    runtime.settings.base_url = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, world
    server.shutdown()
    thread.join(5)


@pytest.fixture
def served(runtime, clock):
    """The app on a real HTTP server; yields (base URL, world)."""
    yield from serving(runtime, clock, build_world(runtime, clock))


@pytest.fixture
def browser(served) -> Iterator[Browser]:
    why = available()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run: {why}")
        pytest.skip(f"browser tests skipped: {why}")
    b = Browser(served[0])
    yield b
    b.close()


@pytest.fixture
def database_url(sqlite_template, tmp_path) -> str:
    """The browser tests run on SQLite only (the demo's database); every page's behaviour on
    PostgreSQL is covered by tests/web, which run on both."""
    return fresh_sqlite_url(sqlite_template, tmp_path)
