"""The unit of work's plain connection and the hot statements run on it (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from workflow.db.driver import HotStatement
from workflow.db.models import MessageAttempt

_INSERT = HotStatement(
    "INSERT INTO message_attempts (message_id, actor, attempts, last_started_at)"
    " VALUES (:message_id, 'send_email', 1, :now) RETURNING attempts",
    timestamps=["now"],
)
_NOTHING = HotStatement("UPDATE message_attempts SET attempts = 0 WHERE message_id = 'none'")
LATE_EVENING_IN_NEW_YORK = datetime(2025, 3, 1, 22, 30, tzinfo=timezone(timedelta(hours=-5)))


def rows(runtime) -> list[tuple[str, datetime]]:
    with runtime.uow() as uow:
        found = uow.session.execute(
            select(MessageAttempt.message_id, MessageAttempt.last_started_at).order_by(
                MessageAttempt.message_id
            )
        )
        return [tuple(row) for row in found]


def test_statements_on_the_plain_connection_commit_and_store_times_in_utc(runtime):
    with runtime.uow() as uow:
        connection = uow.connection()
        assert uow.connection() is connection
        assert _INSERT.execute(connection, {"message_id": "m1", "now": LATE_EVENING_IN_NEW_YORK})
        assert _NOTHING.execute(connection, {}) == []
        uow.commit()
    assert rows(runtime) == [("m1", datetime(2025, 3, 2, 3, 30, tzinfo=UTC))]


def test_leaving_without_commit_keeps_nothing(runtime):
    with runtime.uow() as uow:
        _INSERT.execute(uow.connection(), {"message_id": "m2", "now": datetime.now(UTC)})
    assert rows(runtime) == []


def test_a_naive_time_is_refused(runtime):
    with runtime.uow() as uow, pytest.raises(ValueError, match="naive datetime"):
        _INSERT.execute(uow.connection(), {"message_id": "m3", "now": datetime(2025, 1, 1)})


def test_one_unit_of_work_uses_a_session_or_a_connection_not_both(runtime):
    with runtime.uow() as uow:
        uow.connection()
        with pytest.raises(RuntimeError, match="cannot take a session"):
            uow.session  # noqa: B018
    with runtime.uow() as uow:
        uow.session.execute(select(func.count()).select_from(MessageAttempt))
        with pytest.raises(RuntimeError, match="cannot take a plain connection"):
            uow.connection()
    uow = runtime.uow()
    with pytest.raises(RuntimeError, match="inside `with uow:`"):
        uow.connection()
