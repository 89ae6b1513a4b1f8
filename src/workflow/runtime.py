"""What one process shares: settings, the database, the clock, the broker, the sender.

``bootstrap.bootstrap()`` builds a ``Runtime`` once per process (a CLI command, a worker
process, the scheduler, the web application) and passes it down. The broker is built by
the factory the composition root gives (``workers.broker.make_broker``), so this module
depends on nothing above the services; the broker, sender and renderer are built on first
use (a command that sends nothing never connects to Redis), and a test may assign its
own before that.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from workflow.clock import Clock
from workflow.config import Settings
from workflow.db.engine import make_engine
from workflow.db.uow import UnitOfWork, session_factory
from workflow.notify.senders import Sender, make_sender

if TYPE_CHECKING:
    from dramatiq import Broker

    from workflow.services.emails import Renderer


def _no_broker(runtime: Runtime) -> Broker:
    raise RuntimeError("this process was built without a broker")


def _close(broker: Broker) -> None:
    broker.close()


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    build_broker: Callable[[Runtime], Broker] = field(default=_no_broker, repr=False)
    close_broker: Callable[[Broker], None] = field(
        default=lambda broker: broker.close(), repr=False
    )
    _engine: Engine | None = field(default=None, repr=False)
    #: Called by long work as it makes progress (the scheduler's watchdog listens).
    heartbeat: Callable[[], None] = field(default=lambda: None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine, self.settings.timezone, self.settings.erasure_key)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.clock)

    @cached_property
    def broker(self) -> Broker:
        return self.build_broker(self)

    @cached_property
    def sender(self) -> Sender:
        return make_sender(self.settings)

    @cached_property
    def renderer(self) -> Renderer:
        # Imported on first use: Jinja2 adds about 20 ms to commands that render nothing.
        from workflow.notify.render import render_email

        return functools.partial(render_email, timezone=self.settings.timezone)

    def close(self) -> None:
        if "broker" in self.__dict__:
            self.close_broker(self.__dict__.pop("broker"))
        if "sender" in self.__dict__:
            self.__dict__.pop("sender").close()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
