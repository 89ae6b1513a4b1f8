"""The unit of work: one database transaction per service call, committed explicitly.

Most services work through the ORM ``session``. A service that only runs statements (the
workers' email delivery and start count, several per email) asks for ``connection()``
instead: a plain connection from the pool, without the ORM session's bookkeeping, which
costs about 0.07 ms a transaction. A unit of work uses one or the other, never both
(they would be two transactions).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from workflow.errors import Conflict

if TYPE_CHECKING:
    from workflow.clock import Clock


class UnitOfWork:
    """``with uow: ...; uow.commit()``. Leaving the block without commit rolls back.

    A concurrent change to a versioned row (SQLAlchemy's ``StaleDataError``, raised at any
    flush inside the block) leaves it as ``Conflict``.

    Services take one unit of work; a service that needs several transactions (bulk
    advancement, a refusal recorded apart from the refused change) opens them with
    ``fresh()``. The unit of work also carries the process's clock and time zone, so that
    a service never reaches for the real time or a hard-coded zone.
    """

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock):
        self._session_factory = session_factory
        self.clock = clock
        self._session: Session | None = None
        self._connection: Connection | None = None
        self._open = False

    def fresh(self) -> UnitOfWork:
        """Another, independent unit of work on the same database."""
        return UnitOfWork(self._session_factory, self.clock)

    def rehearsal(
        self, before: Callable[[Session], None], after: Callable[[Session], None]
    ) -> Rehearsal:
        """A unit of work that never commits (``Rehearsal``), on the same database."""
        return Rehearsal(self._session_factory, self.clock, before, after)

    @property
    def timezone(self) -> str:
        """The configured zone (``WORKFLOW_TIMEZONE``) in which people read dates and times."""
        return self._session_factory.kw["info"][TIMEZONE]

    def __enter__(self) -> UnitOfWork:
        self._open = True
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        # Closing rolls back whatever was not committed; objects already loaded stay readable.
        self._open = False
        session, self._session = self._session, None
        connection, self._connection = self._connection, None
        if session is not None:
            session.close()
        if connection is not None:
            connection.close()
        if isinstance(exc, StaleDataError):
            raise _conflict() from exc

    @property
    def session(self) -> Session:
        """The ORM session of this unit of work (made on first use)."""
        if self._session is None:
            self._check_open(wanted="a session", other=self._connection)
            self._session = self._session_factory()
        return self._session

    def connection(self, **execution_options: Any) -> Connection:
        """A plain connection for this unit of work, its transaction begun; the options
        (e.g. ``isolation_level="AUTOCOMMIT"``) apply on the first call only."""
        if self._connection is None:
            self._check_open(wanted="a plain connection", other=self._session)
            connection = self._engine.connect()
            if execution_options:
                connection.execution_options(**execution_options)
            # Begun here, not at the first statement: db/driver.py may run statements on
            # the driver's cursor, which SQLAlchemy does not see, and commit must commit.
            connection.begin()
            self._connection = connection
        return self._connection

    @property
    def dialect_name(self) -> str:
        """``postgresql`` or ``sqlite``."""
        return self._engine.dialect.name

    @property
    def _engine(self) -> Engine:
        return self._session_factory.kw["bind"]

    def _check_open(self, wanted: str, other: object) -> None:
        if not self._open:
            raise RuntimeError("a unit of work is used inside `with uow:` only")
        if other is not None:
            raise RuntimeError(f"this unit of work has begun otherwise; it cannot take {wanted}")

    def flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError as exc:
            raise _conflict() from exc

    def commit(self) -> None:
        if self._connection is not None:
            self._connection.commit()
            return
        try:
            self.session.commit()
        except StaleDataError as exc:
            raise _conflict() from exc


class Rehearsal(UnitOfWork):
    """A service call run to its end and then undone: what a confirmation page says.

    ``before(session)`` reads the database when the service first asks for its session;
    ``commit`` only flushes and calls ``after(session)``, which reads the result inside the
    same transaction; leaving the block rolls every change back. The service runs its own
    code, checks and all, so what is read is exactly what doing it would change. Nothing
    outside the transaction happens (emails are outbox rows, rolled back with the rest).
    """

    def __init__(self, factory, clock, before, after):
        super().__init__(factory, clock)
        self._before, self._after = before, after

    @property
    def session(self) -> Session:
        fresh = self._session is None
        session = UnitOfWork.session.fget(self)
        if fresh:
            self._before(session)
        return session

    def connection(self, **execution_options: Any) -> Connection:
        raise RuntimeError("a rehearsal works through the ORM session only")

    def commit(self) -> None:
        self.flush()
        self._after(self.session)


def _conflict() -> Conflict:
    return Conflict("someone else changed this specialist at the same time; nothing was saved")


TIMEZONE = "timezone"
ERASURE_KEY = "erasure_key"


def session_factory(
    engine: Engine, timezone: str, erasure_key: str | None = None
) -> sessionmaker[Session]:
    """Sessions on ``engine``; each carries in ``session.info`` the configured zone and the
    erasure key (``services/gdpr/``: it recognises an erased address at a new nomination)."""
    return sessionmaker(
        bind=engine,
        expire_on_commit=False,
        info={TIMEZONE: timezone, ERASURE_KEY: erasure_key},
    )


def session_timezone(session: Session) -> str:
    """The configured zone of a session made by ``session_factory``."""
    return session.info[TIMEZONE]


def session_erasure_key(session: Session) -> str | None:
    """The erasure key of a session made by ``session_factory`` (None when unset)."""
    return session.info.get(ERASURE_KEY)
