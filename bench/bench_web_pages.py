"""Time a page takes in the web application, on the demo database, served as in production.

Builds the demo database (``workflow.demo.run_demo``) in a temporary folder, serves it with
``workflow web`` (gunicorn, one worker with four threads) on a free port of 127.0.0.1,
signs in through the form as the demo's hub lead and national admin, and times each main
page over HTTP (``RUNS`` requests after ``WARM_UP``). Reports the median over every page
request and the slowest page's median, per page too.

Raw bound, measured in the same run: a static file (``/assets/app.css``) from the same
server, which does everything but open the session, query and render.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

RUNS = 15
WARM_UP = 2
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Client:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[float, str]:
        started = time.perf_counter()
        with self.opener.open(self.base + path, timeout=60) as response:
            body = response.read().decode()
        return time.perf_counter() - started, body

    def sign_in(self, email: str, password: str) -> None:
        _, page = self.get("/sign-in")
        data = urllib.parse.urlencode(
            {"csrf_token": CSRF.search(page).group(1), "email": email, "password": password}
        ).encode()
        with self.opener.open(self.base + "/sign-in", data=data, timeout=60) as response:
            assert response.url.endswith("/"), response.url


def _timed(client: _Client, path: str) -> list[float]:
    for _ in range(WARM_UP):
        _, body = client.get(path)
        signed_in = "/sign-out" in body or path.endswith((".csv", ".css"))
        assert signed_in, f"{path}: not the signed-in page"
    return [client.get(path)[0] for _ in range(RUNS)]


def run() -> dict[str, dict]:
    from workflow.config import Settings
    from workflow.demo import SERVED_AT, run_demo
    from workflow.workers.embedded import drain

    folder = Path(tempfile.mkdtemp(prefix="bench-web-"))
    database = f"sqlite:///{folder / 'workflow.db'}"
    result = run_demo(Settings(database_url=database, mail_dir=folder / "mail"), drain=drain)
    (admin, admin_password), (lead, lead_password) = [(e, p) for _, e, p in result.sign_ins]
    port = _free_port()
    env = {
        **os.environ,
        "WORKFLOW_DATABASE_URL": database,
        "WORKFLOW_NOW": SERVED_AT,
        "WORKFLOW_REQUIRE_ADMIN_TOTP": "false",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "workflow.cli.main", "web", "--port", str(port),
         "--workers", "1", "--threads", "4"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/sign-in", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        lead_client, admin_client = _Client(base), _Client(base)
        lead_client.sign_in(lead, lead_password)
        admin_client.sign_in(admin, admin_password)
        _, listing = lead_client.get("/specialists?state=nominated")
        nominee = re.search(r'href="/specialists/(\d+)"', listing).group(1)
        _, everyone = admin_client.get("/specialists?state=year2")
        specialist = re.search(r'href="/specialists/(\d+)"', everyone).group(1)
        pages = {
            "hub lead: dashboard": (lead_client, "/"),
            "hub lead: specialists": (lead_client, "/specialists"),
            "hub lead: search": (lead_client, "/specialists?q=nadia"),
            "hub lead: specialist": (lead_client, f"/specialists/{nominee}"),
            "hub lead: select form": (lead_client, f"/specialists/{nominee}/select"),
            "national: dashboard": (admin_client, "/"),
            "national: specialists": (admin_client, "/specialists"),
            "national: stuck": (admin_client, "/specialists?stuck=1"),
            "national: specialist": (admin_client, f"/specialists/{specialist}"),
            "national: CSV": (admin_client, "/specialists.csv"),
        }
        times = {name: _timed(client, path) for name, (client, path) in pages.items()}
        static = _timed(lead_client, "/assets/app.css")
    finally:
        server.terminate()
        server.wait(10)
    every = [t for ts in times.values() for t in ts]
    medians = {name: round(statistics.median(ts) * 1000, 1) for name, ts in times.items()}
    bound = statistics.median(static) * 1000
    median = statistics.median(every) * 1000
    slowest = max(medians.values())
    return {
        "web_page_median_ms": {
            "value": round(median, 1),
            "unit": "ms",
            "raw_bound": round(bound, 1),
            "ratio": round(median / bound, 1),
            "target": "< 200 ms",
            "pages": medians,
        },
        "web_page_slowest_ms": {
            "value": slowest,
            "unit": "ms",
            "raw_bound": round(bound, 1),
            "ratio": round(slowest / bound, 1),
            "target": "< 500 ms",
            "page": max(medians, key=medians.get),
        },
    }
