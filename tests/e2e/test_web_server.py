"""``workflow web`` serves the application with gunicorn: pages answer over HTTP, and the
log has one line per request without the path's query (names, addresses) or any email."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from tests.conftest import fresh_sqlite_url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_workflow_web_serves_with_gunicorn_and_logs_no_personal_data(sqlite_template, tmp_path):
    url = fresh_sqlite_url(sqlite_template, tmp_path)
    port = _free_port()
    env = {**os.environ, "WORKFLOW_DATABASE_URL": url, "WORKFLOW_MAIL_DIR": str(tmp_path)}
    log = tmp_path / "web.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "workflow.cli.main", "web", "--port", str(port),
             "--workers", "1", "--threads", "2"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                page = urllib.request.urlopen(base + "/sign-in", timeout=2).read().decode()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("workflow web did not answer: " + log.read_text())
        assert "Sign in – Mastery Specialists" in page
        # Signed out: redirected to /sign-in?next=... (the query is in the URL, not the log).
        urllib.request.urlopen(base + "/specialists?q=jane.doe@school.example", timeout=5)
        missing = urllib.request.Request(base + "/nowhere?email=jane.doe@school.example")
        try:
            urllib.request.urlopen(missing, timeout=5)
            raise AssertionError("expected 404")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404
    finally:
        server.terminate()
        server.wait(15)
    text = log.read_text()
    assert "Starting gunicorn" in text
    assert "GET /sign-in 200" in text
    assert "GET (no route) 404" in text
    assert "jane.doe" not in text and "school.example" not in text
