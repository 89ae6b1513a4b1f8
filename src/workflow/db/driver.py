"""Statements on the workers' hot path, run straight on psycopg's cursor on PostgreSQL.

Executing even a textual statement through SQLAlchemy costs about 0.08 ms of Python (its
execution context, result metadata and row processing), more than PostgreSQL takes to
run a short one; the workers run four per email (the start count, the delivery's context,
claim and mark). ``HotStatement`` writes the SQL once, with ``:name`` parameters, lets
SQLAlchemy compile it once for the connection's dialect, and on PostgreSQL hands it to the
driver's cursor of the same connection, inside the same transaction. On SQLite (the
embedded default, where speed does not matter) it runs through SQLAlchemy as usual.

What SQLAlchemy would have done to the values is done here instead, for the one kind the
hot statements use: aware datetimes become naive UTC, as ``types.UTCDateTime`` stores them.
Rows come back as plain tuples on both databases (dates as ``date``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, TextClause, bindparam, text

from workflow.db.types import UTCDateTime


class HotStatement:
    """One SQL statement; ``timestamps`` names the parameters holding aware datetimes."""

    def __init__(self, sql: str, *, timestamps: Sequence[str] = (), **columns: Any):
        clause: TextClause = text(sql)
        if timestamps:
            clause = clause.bindparams(*(bindparam(n, type_=UTCDateTime()) for n in timestamps))
        if columns:
            clause = clause.columns(**columns)  # type: ignore[assignment]
        self.clause = clause
        self._postgres_sql: str | None = None

    def execute(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple]:
        """Run it in ``connection``'s transaction; its rows (none for a plain UPDATE)."""
        values = {name: _to_database(value) for name, value in params.items()}
        if connection.dialect.name != "postgresql":
            result = connection.execute(self.clause, params)
            return [tuple(row) for row in result] if result.returns_rows else []
        if self._postgres_sql is None:
            self._postgres_sql = str(self.clause.compile(dialect=connection.dialect))
        # A connection that fails here (the server went away) is not reused: SQLAlchemy
        # finds it broken when the unit of work rolls back or returns it, and drops it.
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self._postgres_sql, values)
            return cursor.fetchall() if cursor.description is not None else []
        finally:
            cursor.close()


def _to_database(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)
    return value
