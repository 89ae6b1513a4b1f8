"""``db.bulk.insert_rows`` stores the same rows as the ORM would, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import select

from workflow.db.bulk import among, insert_rows
from workflow.db.models import Cohort, DueItem, FundingEntry, Hub, OutboxMessage, School, Specialist

SUMMER = timezone(timedelta(hours=1))


def _due(key: str, hour: int) -> dict:
    at = datetime(2026, 10, 8, hour, tzinfo=SUMMER)
    return {"key": key, "kind": "reminder", "due_at": at, "payload": {"to": "specialist", "n": [1]}}


def test_rows_keep_their_values_times_in_utc_and_json_as_given(runtime):
    at = datetime(2026, 9, 2, 9, 30, tzinfo=SUMMER)
    rows = [
        {"topic": "send_email", "payload": {"key": f"k{i}", "extra": {"é": i}}, "created_at": at}
        for i in range(3)
    ]
    with runtime.uow() as uow:
        assert insert_rows(uow.session, OutboxMessage.__table__, rows) == []
        uow.commit()
    with runtime.uow() as uow:
        stored = uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.payload for m in stored] == [r["payload"] for r in rows]
    assert {m.created_at for m in stored} == {datetime(2026, 9, 2, 8, 30, tzinfo=UTC)}
    # attempts was not given: its model default (0) applies, as with the ORM
    assert [m.attempts for m in stored] == [0, 0, 0]
    assert [m.sent_at for m in stored] == [None, None, None]


def test_existing_keys_are_skipped_and_not_returned(runtime):
    with runtime.uow() as uow:
        insert_rows(uow.session, DueItem.__table__, [_due("a", 9)], skip_conflicts_on=["key"])
        uow.commit()
    with runtime.uow() as uow:
        created = insert_rows(
            uow.session,
            DueItem.__table__,
            [_due("a", 10), _due("b", 11)],
            skip_conflicts_on=["key"],
            returning=["key", "due_at"],
        )
        uow.commit()
    assert created == [("b", datetime(2026, 10, 8, 10, tzinfo=UTC))]
    with runtime.uow() as uow:
        stored = dict(uow.session.execute(select(DueItem.key, DueItem.due_at)).tuples().all())
    # "a" kept its first time: the second insert skipped it
    assert stored == {
        "a": datetime(2026, 10, 8, 8, tzinfo=UTC),
        "b": datetime(2026, 10, 8, 10, tzinfo=UTC),
    }


def test_returning_gives_the_new_ids_with_their_rows(runtime):
    now = datetime(2026, 9, 2, 8, tzinfo=UTC)
    with runtime.uow() as uow:
        session = uow.session
        # ORM objects pending in the session are written first (foreign keys)
        session.add(Hub(id=1, code="h", name="Hub"))
        session.add(Cohort(id=1, number=9, rules_name="r", rules={}, start_date=date(2025, 9, 1)))
        session.add(
            School(id=1, urn="100000", name="S", phase="secondary", state_funded=True,
                   head_name="H", head_email="h@s.example", hub_id=1)
        )  # fmt: skip
        session.add(
            Specialist(id=7, name="T", email="t@s.example", qts=True,
                       teaching_since=date(2015, 9, 1), school_id=1, cohort_id=1,
                       state="year2", created_at=now, updated_at=now)
        )  # fmt: skip
        rows = [
            {"specialist_id": 7, "school_id": 1, "programme_year": 2, "instalment": n,
             "amount_pence": 75_000, "due_date": date(2027, 1, 15), "status": "scheduled",
             "created_at": now}
            for n in (1, 2)
        ]  # fmt: skip
        created = insert_rows(
            session, FundingEntry.__table__, rows, returning=["id", "instalment", "due_date"]
        )
        uow.commit()
    with runtime.uow() as uow:
        ids = dict(uow.session.execute(select(FundingEntry.instalment, FundingEntry.id)).all())
    assert sorted(created) == sorted((ids[n], n, date(2027, 1, 15)) for n in (1, 2))


def test_nothing_to_insert_is_no_statement(runtime):
    with runtime.uow() as uow:
        assert insert_rows(uow.session, DueItem.__table__, [], returning=["id"]) == []


def test_among_matches_exactly_the_values_given(runtime):
    with runtime.uow() as uow:
        insert_rows(uow.session, DueItem.__table__, [_due(k, 9) for k in "abcd"])
        keys = uow.session.scalars(
            select(DueItem.key).where(among(uow.session, DueItem.key, ["b", "d", "z"]))
        ).all()
        nothing = uow.session.scalars(select(DueItem.key).where(among(uow.session, DueItem.id, [])))
        assert sorted(keys) == ["b", "d"]
        assert nothing.all() == []
