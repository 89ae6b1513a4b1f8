"""Helpers for the worker tests: a test renderer, senders that fail or die on cue, waiting.

Also runnable as a worker process (``python -m tests.integration._workers_support``) with
the test renderer and a file sender, for the tests that kill workers: settings come from
the ``WORKFLOW_*`` environment, as for ``workflow worker``.
"""

from __future__ import annotations

import argparse
import email
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import redis

from tests import factories
from workflow.notify.mime import FinishedEmail
from workflow.notify.notifications import notification
from workflow.notify.senders import FileSender
from workflow.runtime import Runtime
from workflow.services import effects
from workflow.services.effects import email_row
from workflow.services.outbox import email_key

KEY_HEADER = "X-Test-Email-Key"


def render_for_tests(
    template: str,
    context: dict[str, Any],
    *,
    to: str,
    sender: str,
    now: datetime | None = None,
    message_id: str | None = None,
) -> FinishedEmail:
    """Stands in for ``notify.render.render_email``: the key goes in a header to count by."""
    message = EmailMessage()
    message["Message-ID"] = message_id or make_msgid(domain="test.example")
    message["From"] = sender
    message["To"] = to
    message["Subject"] = f"[test] {template}"
    message[KEY_HEADER] = context["email_key"]
    specialist = context.get("specialist") or {}
    message.set_content(f"{template} for {specialist.get('name', 'nobody')}\n")
    return FinishedEmail.from_message(message)


class RecordingSender:
    """Records each send; ``failures[address]`` lists exceptions to raise first, in order."""

    def __init__(self, delay: float = 0):
        self.sent: list[tuple[str, str]] = []  # (key, to)
        self.failures: dict[str, list[Exception]] = {}
        self.delay = delay
        self._lock = threading.Lock()

    def send(self, finished: FinishedEmail) -> str:
        message = finished.message()
        time.sleep(self.delay)
        with self._lock:
            pending = self.failures.get(message["To"])
            if pending:
                raise pending.pop(0)
            self.sent.append((message[KEY_HEADER], message["To"]))
            return f"test-{len(self.sent)}"

    def keys(self) -> Counter[str]:
        with self._lock:
            return Counter(key for key, _ in self.sent)

    def close(self) -> None:
        pass


class CueFileSender(FileSender):
    """A file sender that is slow, hangs, or kills its process, on cue.

    ``delay``: seconds before each send. ``hang_after``: once that many files exist, every
    send hangs (after leaving a ``hanging-*`` marker), so a test can kill the process while
    each thread is known to be inside a send. An address containing ``poison`` kills the
    process (SIGKILL) as it is sent.
    """

    def __init__(self, folder: Path, delay: float = 0, hang_after: int | None = None):
        super().__init__(folder)
        self.delay = delay
        self.hang_after = hang_after

    def send(self, finished: FinishedEmail) -> str:
        if any("poison" in address for address in finished.recipients):
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(self.delay)
        if self.hang_after is not None and len(eml_files(self.folder)) >= self.hang_after:
            marker = self.folder / f"hanging-{threading.get_ident()}-{os.getpid()}"
            marker.touch()
            threading.Event().wait()
        return super().send(finished)


def eml_files(folder: Path) -> list[Path]:
    return list(folder.glob("*.eml")) if folder.exists() else []


def keys_in(folder: Path) -> Counter[str]:
    """How many times each email key was written to ``folder``."""
    counts: Counter[str] = Counter()
    for path in eml_files(folder):
        counts[email.message_from_bytes(path.read_bytes())[KEY_HEADER]] += 1
    return counts


def wait_for(condition: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
    """Poll until ``condition()`` is true; fail (not a timing assertion) if it never is."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout} s")
        time.sleep(0.05)


def flush_redis(url: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def add_specialist(runtime: Runtime, **school_fields) -> int:
    with runtime.uow() as uow:
        school = factories.add_school(uow.session, **school_fields)
        specialist = factories.add_specialist(uow.session, runtime.clock.now(), school=school)
        uow.commit()
        return specialist.id


def emit_emails(
    runtime: Runtime, count: int, *, to: str = "specialist", template: str = "selected"
) -> list[str]:
    """Write ``count`` send_email outbox rows (distinct keys) for one specialist; their keys."""
    specialist_id = add_specialist(runtime)
    with runtime.uow() as uow:
        now = runtime.clock.now()
        note = notification(template)
        rows = [email_row(now, note, specialist_id, to, str(n)) for n in range(count)]
        effects.write(uow.session, rows)
        uow.commit()
    return [email_key(specialist_id, template, to, str(n)) for n in range(count)]


@contextmanager
def serving(runtime: Runtime) -> Iterator[None]:
    """Run a worker (threads and relay) in this process for the duration of the block."""
    from workflow.workers.runner import serve

    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(runtime, stop), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def main() -> None:
    from workflow.bootstrap import bootstrap
    from workflow.workers.runner import configure_logging, run

    parser = argparse.ArgumentParser()
    parser.add_argument("--mail-dir", type=Path, required=True)
    parser.add_argument("--delay", type=float, default=0)
    parser.add_argument("--hang-after", type=int, default=None)
    options = parser.parse_args()
    configure_logging()
    runtime = bootstrap()
    runtime.renderer = render_for_tests
    runtime.sender = CueFileSender(options.mail_dir, options.delay, options.hang_after)
    run(runtime)


if __name__ == "__main__":
    main()
