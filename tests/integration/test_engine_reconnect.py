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


def test_a_hot_statement_that_finds_its_connection_dead_does_not_return_it_to_the_pool(
    postgres_url, postgres_admin_url, monkeypatch
):
    from workflow.db.driver import HotStatement

    pid_now = HotStatement("SELECT pg_backend_pid()")
    monkeypatch.setattr(engine_module, "IDLE_BEFORE_PING_SECONDS", 3600)  # no ping: only this
    engine = make_engine(postgres_url, pool_size=1)
    admin = make_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            [(first,)] = pid_now.execute(connection, {})
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            try:
                pid_now.execute(connection, {})
            except Exception as exc:  # psycopg's OperationalError: the server went away
                assert "terminat" in str(exc) or "closed" in str(exc), exc
            else:
                raise AssertionError("the statement ran on a terminated connection")
        with engine.connect() as connection:
            [(second,)] = pid_now.execute(connection, {})
        assert second != first
    finally:
        engine.dispose()
        admin.dispose()
