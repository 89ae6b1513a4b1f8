"""The one place that builds what a process shares: engine, sessions, clock (later broker, senders).

Nothing is built at import time: ``bootstrap()`` is called once by each entry point
(a CLI command, a worker process, the scheduler) and the result is passed down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from workflow.clock import Clock, FixedClock, SystemClock
from workflow.config import Settings, load_settings
from workflow.db.engine import make_engine
from workflow.db.uow import UnitOfWork, session_factory


@dataclass
class Runtime:
    """What one process shares: settings, the database, the clock."""

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
        return session_factory(self.engine)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def bootstrap(settings: Settings | None = None, clock: Clock | None = None) -> Runtime:
    settings = settings or load_settings()
    if clock is None:
        clock = FixedClock(settings.now) if settings.now else SystemClock()
    return Runtime(settings=settings, clock=clock)
