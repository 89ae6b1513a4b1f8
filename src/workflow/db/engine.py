"""Building the SQLAlchemy engine for the configured database (only bootstrap and tests call it)."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

#: A pooled connection unused for this long is checked before it is used again.
IDLE_BEFORE_PING_SECONDS = 2.0


def make_engine(url: str, **kwargs) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and one writer at a time.

    Statement parameters are left out of SQLAlchemy's errors and logs (``hide_parameters``):
    they hold names and addresses, and an error's text ends up in logs.
    """
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, **kwargs)
        if not kwargs.get("pool_pre_ping"):
            _ping_when_idle(engine)
        return engine

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None hands transaction control to us (pysqlite's own is unreliable);
    # the "begin" hook then opens every transaction with BEGIN IMMEDIATE, so writers queue
    # on the database lock (busy timeout) instead of failing half-way through an upgrade.
    engine = create_engine(url, connect_args={"timeout": 30, "isolation_level": None}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Check that the server still holds a pooled connection that sat idle, before using it.

    A dead one (the server restarted, say) is replaced, unseen by the caller. SQLAlchemy's
    ``pool_pre_ping`` asks on every checkout: a round trip more for every transaction,
    while a busy worker reuses each connection within milliseconds of returning it (if the
    server went in between, that one transaction fails and its message is retried).
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING_SECONDS:
            return
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise DisconnectionError(str(exc)) from exc  # the pool connects anew
            raise
