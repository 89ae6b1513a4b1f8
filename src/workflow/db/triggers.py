"""Running the statements that create or drop a set of triggers, for the connection's
database (PostgreSQL's or SQLite's own list): used by ``tallies`` and ``specialist_hub``."""

from __future__ import annotations

from sqlalchemy.engine import Connection


def run(connection: Connection, postgresql: list[str], sqlite: list[str]) -> None:
    """Each statement of the list for this connection's database, in order."""
    for statement in postgresql if connection.dialect.name == "postgresql" else sqlite:
        connection.exec_driver_sql(statement)
