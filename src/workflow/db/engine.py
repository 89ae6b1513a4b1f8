"""Building the SQLAlchemy engine for the configured database (only bootstrap and tests call it)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def make_engine(url: str, **kwargs) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and one writer at a time."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)

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
