"""Writing many rows of one table at once: one statement (or one COPY), not one per row.

``session.execute(insert(table), rows)`` is an executemany: on PostgreSQL (psycopg 3)
every row is still its own statement on the server, and SQLAlchemy prepares each row's
parameters in Python. ``insert_rows`` sends the whole list at once instead:

- PostgreSQL, plain insert: ``COPY table (columns) FROM STDIN`` on the session's own
  connection, so inside its transaction;
- PostgreSQL, skipping rows whose unique key exists, or returning columns: one
  ``INSERT ... SELECT ... FROM unnest(array, array, ...)`` with the columns as arrays
  (sent in binary), ``ON CONFLICT (...) DO NOTHING`` and ``RETURNING`` as asked;
- SQLite (one process, in-memory driver): the driver's ``executemany``, with
  SQLite's ``ON CONFLICT DO NOTHING`` and SQLAlchemy's batched ``RETURNING``.

``among`` is the matching condition for a long list of keys (``= ANY`` of one array).

Values pass through each column type's own bind conversion (UTC timestamps stored naive,
JSON serialised) on every path, so the rows stored are the same whichever path wrote them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Table, any_, bindparam
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session


def among(session: Session, column, values: Sequence) -> ColumnElement[bool]:
    """``column IN (values)`` for a long list: on PostgreSQL ``column = ANY(array)``, one
    parameter, where ``IN`` would render, send and parse one parameter per value."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    skip_conflicts_on: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple]:
    """Insert ``rows`` (dicts with the same keys) into ``table``; returns the ``returning``
    columns (tuples, in that order) of the rows inserted, in no particular order.

    ``skip_conflicts_on``: the columns of a unique constraint; a row whose key exists
    already is skipped (``ON CONFLICT (...) DO NOTHING``) and not returned.
    """
    if not rows:
        return []
    session.flush()  # objects added to the session go first (foreign keys)
    columns = _columns(table, rows[0])
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return _executemany(session, table, columns, rows, skip_conflicts_on, returning)
    values = _bind_values(connection.dialect, columns, rows)
    if not skip_conflicts_on and not returning:
        _copy(connection, table, columns, values)
        return []
    return _insert_unnest(connection, table, columns, values, skip_conflicts_on, returning)


def _columns(table: Table, first: dict[str, Any]) -> list:
    """The columns the rows give, plus those with a plain Python default (e.g. version=1),
    which the ORM would fill in and COPY would not."""
    given = [table.c[name] for name in first]
    defaulted = [
        c for c in table.c if c.name not in first and c.default is not None and c.default.is_scalar
    ]
    return given + defaulted


def _bind_values(dialect, columns: list, rows: Sequence[dict[str, Any]]) -> list[list]:
    """One list per column, each value converted by the column type for ``dialect``."""
    values = []
    for column in columns:
        if column.name in rows[0]:
            raw = [row[column.name] for row in rows]
        else:
            raw = [column.default.arg] * len(rows)
        convert = column.type.dialect_impl(dialect).bind_processor(dialect)
        values.append([convert(v) for v in raw] if convert else raw)
    return values


def _copy(connection, table: Table, columns: list, values: list[list]) -> None:
    names = ", ".join(_quote(connection, c.name) for c in columns)
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {_quote(connection, table.name)} ({names}) FROM STDIN") as copy:
        for row in zip(*values, strict=True):
            copy.write_row(row)


def _insert_unnest(connection, table, columns, values, skip_conflicts_on, returning) -> list:
    dialect = connection.dialect
    names = [_quote(connection, c.name) for c in columns]
    arrays = ", ".join(
        f"%(c{i})b::{c.type.compile(dialect=dialect)}[]" for i, c in enumerate(columns)
    )
    sql = (
        f"INSERT INTO {_quote(connection, table.name)} ({', '.join(names)})"
        f" SELECT * FROM unnest({arrays})"
    )
    if skip_conflicts_on:
        keys = ", ".join(_quote(connection, name) for name in skip_conflicts_on)
        sql += f" ON CONFLICT ({keys}) DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(_quote(connection, name) for name in returning)
    result = connection.exec_driver_sql(sql, {f"c{i}": v for i, v in enumerate(values)})
    if not returning:
        return []
    # exec_driver_sql skips the column types' result conversion: apply it here.
    convert = [
        table.c[name].type.dialect_impl(dialect).result_processor(dialect, None)
        for name in returning
    ]
    return [tuple(f(v) if f else v for f, v in zip(convert, row, strict=True)) for row in result]


def _executemany(session, table, columns, rows, skip_conflicts_on, returning) -> list:
    statement = sqlite.insert(table)
    if skip_conflicts_on:
        statement = statement.on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
    if returning:
        statement = statement.returning(*(table.c[name] for name in returning))
        return [tuple(row) for row in session.execute(statement, list(rows))]
    session.execute(statement, list(rows))
    return []


def _quote(connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)
