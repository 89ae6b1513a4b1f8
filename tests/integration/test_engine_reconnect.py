"""A pooled PostgreSQL connection that the server dropped while it sat idle is replaced unseen."""

from __future__ import annotations

from sqlalchemy import text

from workflow.db import engine as engine_module
from workflow.db.engine import make_engine

BACKEND_PID = text("SELECT pg_backend_pid()")


def test_an_idle_connection_the_server_dropped_is_replaced(
    postgres_url, postgres_admin_url, monkeypatch
):
    engine = make_engine(postgres_url)
    admin = make_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            first = connection.execute(BACKEND_PID).scalar_one()
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        # The pooled connection is now dead; taken as idle long enough to be checked, it is
        # replaced before the statement runs.
        monkeypatch.setattr(engine_module, "IDLE_BEFORE_PING_SECONDS", 0)
        with engine.connect() as connection:
            second = connection.execute(BACKEND_PID).scalar_one()
        assert second != first
    finally:
        engine.dispose()
        admin.dispose()
