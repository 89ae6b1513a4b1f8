"""``db.bulk.insert_rows`` stores the same rows as the ORM would, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from workflow.db.bulk import OPTIMISTIC_COPY_ROWS, among, insert_rows
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
        insert_rows(uow.session, OutboxMessage.__table__, rows)
        uow.commit()
    with runtime.uow() as uow:
        stored = uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.payload for m in stored] == [r["payload"] for r in rows]
    assert {m.created_at for m in stored} == {datetime(2026, 9, 2, 8, 30, tzinfo=UTC)}
    # attempts was not given: its model default (0) applies, as with the ORM
    assert [m.attempts for m in stored] == [0, 0, 0]
    assert [m.sent_at for m in stored] == [None, None, None]


@pytest.mark.parametrize("many", [False, True], ids=["few", "many"])
def test_existing_and_repeated_keys_are_skipped(runtime, many):
    # "many" is the optimistic COPY's size; its COPY meets "a" and falls back to the INSERT
    extra = [_due(f"x{i}", 12) for i in range(OPTIMISTIC_COPY_ROWS if many else 0)]
    with runtime.uow() as uow:
        insert_rows(uow.session, DueItem.__table__, [_due("a", 9)], skip_conflicts_on=["key"])
        uow.commit()
    with runtime.uow() as uow:
        rows = [_due("a", 10), _due("b", 11), _due("b", 12), *extra]
        insert_rows(uow.session, DueItem.__table__, rows, skip_conflicts_on=["key"])
        uow.commit()
    with runtime.uow() as uow:
        stored = dict(uow.session.execute(select(DueItem.key, DueItem.due_at)).tuples().all())
    # "a" kept its first time and "b" its first row: the later ones were skipped
    assert stored == {
        "a": datetime(2026, 10, 8, 8, tzinfo=UTC),
        "b": datetime(2026, 10, 8, 10, tzinfo=UTC),
        **{r["key"]: datetime(2026, 10, 8, 11, tzinfo=UTC) for r in extra},
    }


def test_many_new_keys_are_all_written(runtime):
    rows = [_due(f"k{i}", 9) for i in range(OPTIMISTIC_COPY_ROWS + 1)]
    with runtime.uow() as uow:
        insert_rows(uow.session, DueItem.__table__, rows, skip_conflicts_on=["key"])
        uow.commit()
    with runtime.uow() as uow:
        assert len(uow.session.scalars(select(DueItem.key)).all()) == len(rows)


def test_ids_are_returned_in_the_order_of_the_rows(runtime):
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
             "origin": "rules", "amount_pence": 1000 * n, "due_date": date(2027, 1, 15),
             "status": "scheduled", "created_at": now}
            for n in (3, 1, 2)
        ]  # fmt: skip
        ids = insert_rows(session, FundingEntry.__table__, rows, return_ids=True)
        # the sequence goes on from the reserved ids: the ORM's next row gets a new one
        session.add(FundingEntry(**{**rows[0], "instalment": 4}))
        uow.commit()
    with runtime.uow() as uow:
        stored = dict(uow.session.execute(select(FundingEntry.id, FundingEntry.instalment)).all())
    assert [stored[i] for i in ids] == [3, 1, 2]
    assert sorted(stored.values()) == [1, 2, 3, 4]


def test_skipping_conflicts_cannot_return_ids(runtime):
    with runtime.uow() as uow, pytest.raises(ValueError):
        insert_rows(
            uow.session, DueItem.__table__, [_due("a", 9)], skip_conflicts_on=["key"],
            return_ids=True,
        )  # fmt: skip


def test_nothing_to_insert_is_no_statement(runtime):
    with runtime.uow() as uow:
        assert insert_rows(uow.session, FundingEntry.__table__, [], return_ids=True) == []


def test_among_matches_exactly_the_values_given(runtime):
    with runtime.uow() as uow:
        insert_rows(uow.session, DueItem.__table__, [_due(k, 9) for k in "abcd"])
        keys = uow.session.scalars(
            select(DueItem.key).where(among(uow.session, DueItem.key, ["b", "d", "z"]))
        ).all()
        nothing = uow.session.scalars(select(DueItem.key).where(among(uow.session, DueItem.id, [])))
        assert sorted(keys) == ["b", "d"]
        assert nothing.all() == []
