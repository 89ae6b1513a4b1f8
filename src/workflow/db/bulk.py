"""Writing many rows of one table at once: one statement (or one COPY), not one per row.

``session.execute(insert(table), rows)`` is an executemany: on PostgreSQL (psycopg 3)
every row is still its own statement on the server, and SQLAlchemy prepares each row's
parameters in Python. ``insert_rows`` sends the whole list at once instead:

- PostgreSQL: ``COPY table (columns) FROM STDIN`` on the session's own connection, so
  inside its transaction. New ids, when asked for, are taken from the primary key's
  sequence first (as the column default would) and copied with the rows. Rows that
  must skip an existing unique key: a few rows, or many when the COPY (tried first, in
  a savepoint) met an existing key, go in one ``INSERT ... SELECT * FROM unnest(arrays)
  ON CONFLICT (...) DO NOTHING``, the columns sent as arrays;
- SQLite (one process, in-memory driver): the driver's ``executemany``, with
  SQLite's ``ON CONFLICT DO NOTHING`` and SQLAlchemy's batched ``RETURNING``.

``among`` is the matching condition for a long list of keys (``= ANY`` of one array).

Values pass through each column type's own bind conversion (UTC timestamps stored naive,
JSON serialised) on every path, so the rows stored are the same whichever path wrote them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, JSON, ColumnElement, Table, any_, bindparam
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

# From this many rows on, rows that may hit a unique key are first tried with COPY (in a
# savepoint): much faster than an INSERT when, as usual, none of them exists yet.
OPTIMISTIC_COPY_ROWS = 100


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
    return_ids: bool = False,
) -> list[int]:
    """Insert ``rows`` (dicts with the same keys) into ``table``.

    ``skip_conflicts_on``: the columns of a unique constraint; a row whose key exists
    already (or repeats an earlier row's) is skipped, as ``ON CONFLICT (...) DO NOTHING``.
    ``return_ids``: return the new rows' primary keys, in the order of ``rows``.
    """
    if skip_conflicts_on and return_ids:
        raise ValueError("return_ids cannot say which rows a skipped conflict left out")
    if not rows:
        return []
    session.flush()  # objects added to the session go first (foreign keys)
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return _executemany_sqlite(session, table, rows, skip_conflicts_on, return_ids)
    columns = _columns(table, rows[0])
    values = _bind_values(connection.dialect, columns, rows)
    ids = []
    if return_ids:
        ids = _reserve_ids(connection, table, len(rows))
        columns.append(_primary_key(table))
        values.append(ids)
    if not skip_conflicts_on:
        _copy(connection, table, columns, values)
    elif len(rows) < OPTIMISTIC_COPY_ROWS or not _copy_unless_conflict(
        connection, table, columns, values
    ):
        _insert_skipping_conflicts(connection, table, columns, values, skip_conflicts_on)
    return ids


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
        if convert is None:
            values.append(raw)
        elif isinstance(column.type, JSON):
            values.append([convert(v) for v in raw])
        else:  # scalars, mostly repeated (one time for a whole batch): convert each once
            converted = {v: convert(v) for v in set(raw)}
            values.append([converted[v] for v in raw])
    return values


def _primary_key(table: Table):
    (key,) = table.primary_key.columns
    return key


def _reserve_ids(connection, table: Table, count: int) -> list[int]:
    """``count`` new values of the primary key's sequence (the ids the rows would get)."""
    result = connection.exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence(%(table)s, %(column)s))"
        " FROM generate_series(1, %(count)s)",
        {"table": table.name, "column": _primary_key(table).name, "count": count},
    )
    return [i for (i,) in result]


def _copy(connection, table: Table, columns: list, values: list[list]) -> None:
    names = ", ".join(_quote(connection, c.name) for c in columns)
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {_quote(connection, table.name)} ({names}) FROM STDIN") as copy:
        for row in zip(*values, strict=True):
            copy.write_row(row)


def _copy_unless_conflict(connection, table: Table, columns: list, values: list[list]) -> bool:
    """COPY inside a savepoint; False, with nothing written, if a row hit a unique key."""
    import psycopg.errors

    cursor = connection.connection.driver_connection.cursor()
    cursor.execute("SAVEPOINT bulk_insert")
    try:
        _copy(connection, table, columns, values)
    except psycopg.errors.UniqueViolation:
        cursor.execute("ROLLBACK TO SAVEPOINT bulk_insert")
        return False
    cursor.execute("RELEASE SAVEPOINT bulk_insert")
    return True


def _insert_skipping_conflicts(connection, table, columns, values, keys) -> None:
    """One ``INSERT ... SELECT * FROM unnest(arrays) ON CONFLICT (keys) DO NOTHING``."""
    dialect = connection.dialect
    names = ", ".join(_quote(connection, c.name) for c in columns)
    # %(cN)b: each column as one array in binary (a text array of JSON is slow to escape)
    arrays = ", ".join(
        f"%(c{i})b::{c.type.compile(dialect=dialect)}[]" for i, c in enumerate(columns)
    )
    conflict = ", ".join(_quote(connection, name) for name in keys)
    connection.exec_driver_sql(
        f"INSERT INTO {_quote(connection, table.name)} ({names}) SELECT * FROM unnest({arrays})"
        f" ON CONFLICT ({conflict}) DO NOTHING",
        {f"c{i}": v for i, v in enumerate(values)},
    )


def _executemany_sqlite(session, table, rows, skip_conflicts_on, return_ids) -> list[int]:
    statement = sqlite.insert(table)
    if skip_conflicts_on:
        statement = statement.on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
    if return_ids:
        statement = statement.returning(_primary_key(table), sort_by_parameter_order=True)
        return list(session.scalars(statement, list(rows)))
    session.execute(statement, list(rows))
    return []


def _quote(connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)
