"""The one place that builds what a process shares: engine, sessions, clock, broker, sender.

Nothing is built at import time: ``bootstrap()`` is called once by each entry point
(a CLI command, a worker process, the scheduler) and the result is passed down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from workflow.clock import Clock, FixedClock, SystemClock
from workflow.config import Settings, load_settings
from workflow.db.engine import make_engine
from workflow.db.uow import UnitOfWork, session_factory

if TYPE_CHECKING:
    from dramatiq import Broker

    from workflow.notify.senders import Sender
    from workflow.services.emails import Renderer


@dataclass
class Runtime:
    """What one process shares: settings, the database, the clock, the broker, the sender.

    The broker, sender and renderer are built on first use (a command that sends nothing
    never connects to Redis); a test may assign its own before that.
    """

    settings: Settings
    clock: Clock
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine, {"erasure_key": self.settings.erasure_key})

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    @cached_property
    def broker(self) -> Broker:
        from workflow.workers.broker import make_broker

        return make_broker(self)

    @cached_property
    def sender(self) -> Sender:
        from workflow.notify.senders import make_sender

        return make_sender(self.settings)

    @cached_property
    def renderer(self) -> Renderer:
        from workflow.notify.render import render_email

        return render_email

    def close(self) -> None:
        if "broker" in self.__dict__:
            from workflow.workers.broker import close_broker

            close_broker(self.__dict__.pop("broker"))
        if "sender" in self.__dict__:
            self.__dict__.pop("sender").close()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def bootstrap(settings: Settings | None = None, clock: Clock | None = None) -> Runtime:
    settings = settings or load_settings()
    if clock is None:
        clock = FixedClock(settings.now) if settings.now else SystemClock()
    return Runtime(settings=settings, clock=clock)
