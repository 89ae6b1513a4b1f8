"""The unit of work: one database transaction per service call, committed explicitly."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from workflow.errors import Conflict


class UnitOfWork:
    """``with uow: ...; uow.commit()``. Leaving the block without commit rolls back.

    A concurrent change to a versioned row (SQLAlchemy's ``StaleDataError``, raised at any
    flush inside the block) leaves it as ``Conflict``.
    """

    def __init__(self, session_factory: sessionmaker[Session]):
        self._session_factory = session_factory
        self.session: Session | None = None

    def fresh(self) -> UnitOfWork:
        """Another, independent unit of work on the same database."""
        return UnitOfWork(self._session_factory)

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        # Closing rolls back whatever was not committed; objects already loaded stay readable.
        assert self.session is not None
        self.session.close()
        self.session = None
        if isinstance(exc, StaleDataError):
            raise _conflict() from exc

    def flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError as exc:
            raise _conflict() from exc

    def commit(self) -> None:
        try:
            self.session.commit()
        except StaleDataError as exc:
            raise _conflict() from exc


def _conflict() -> Conflict:
    return Conflict("someone else changed this specialist at the same time; nothing was saved")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
