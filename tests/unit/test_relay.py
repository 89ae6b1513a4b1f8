"""The outbox relay and the actor registry, over SQLite in memory and dramatiq's StubBroker."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

import pytest
import redis
from dramatiq.brokers.stub import StubBroker
from dramatiq.message import Message
from sqlalchemy import select

from workflow.bootstrap import bootstrap
from workflow.clock import FixedClock
from workflow.config import Settings
from workflow.db.models import Base, OutboxMessage
from workflow.runtime import Runtime
from workflow.services.outbox import SEND_EMAIL, emit
from workflow.workers.actors import HANDLERS, QUEUES, declare_actors
from workflow.workers.relay import relay_forever, relay_once

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


class DownBroker(StubBroker):
    """A broker whose server is unreachable."""

    def enqueue(self, message, *, delay=None):
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379.")


def handled(calls):
    def handler(runtime, payload):
        calls.append(payload)

    return {SEND_EMAIL: handler}


@pytest.fixture
def memory_runtime() -> Runtime:
    runtime = bootstrap(Settings(database_url="sqlite://"), clock=FixedClock(NOW))
    Base.metadata.create_all(runtime.engine)
    yield runtime
    runtime.close()


def with_broker(runtime: Runtime, broker: StubBroker, calls=None) -> StubBroker:
    declare_actors(broker, runtime, handled([] if calls is None else calls))
    runtime.broker = broker
    return broker


def write_rows(runtime: Runtime, count: int) -> None:
    with runtime.uow() as uow:
        for n in range(count):
            emit(uow.session, SEND_EMAIL, {"n": n}, NOW)
        uow.commit()


def rows(runtime: Runtime) -> list[tuple[int, datetime | None, int]]:
    with runtime.uow() as uow:
        return [
            (row.id, row.sent_at, row.attempts)
            for row in uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def queued(broker: StubBroker, queue: str) -> list[Message]:
    return [Message.decode(data) for data in list(broker.queues[queue].queue)]


def test_publishes_each_pending_row_once_with_an_id_derived_from_the_row(memory_runtime):
    broker = with_broker(memory_runtime, StubBroker())
    write_rows(memory_runtime, 4)

    assert relay_once(memory_runtime) == 4
    assert relay_once(memory_runtime) == 0

    emails = queued(broker, "emails")
    ids = [row_id for row_id, _, _ in rows(memory_runtime)]
    assert [m.message_id for m in emails] == [f"outbox-{i}" for i in ids]
    assert [m.args for m in emails] == [({"n": n},) for n in range(4)]
    assert {m.actor_name for m in emails} == {SEND_EMAIL}
    assert rows(memory_runtime) == [(row_id, NOW, 1) for row_id in ids]


def test_claims_in_id_order_up_to_the_limit(memory_runtime):
    broker = with_broker(memory_runtime, StubBroker())
    write_rows(memory_runtime, 5)

    assert relay_once(memory_runtime, limit=2) == 2
    assert [sent is not None for _, sent, _ in rows(memory_runtime)] == [True] * 2 + [False] * 3
    assert relay_once(memory_runtime, limit=2) == 2
    assert relay_once(memory_runtime, limit=2) == 1
    assert len(queued(broker, "emails")) == 5


def test_a_broker_that_is_down_leaves_every_row_pending_and_says_so_once(memory_runtime, caplog):
    with_broker(memory_runtime, DownBroker())
    write_rows(memory_runtime, 3)

    with caplog.at_level(logging.WARNING, logger="workflow.workers.relay"):
        assert relay_once(memory_runtime) == 0

    assert [(sent, attempts) for _, sent, attempts in rows(memory_runtime)] == [(None, 0)] * 3
    assert len(caplog.records) == 1
    assert "broker unavailable" in caplog.records[0].getMessage()
    assert "3 messages stay pending" in caplog.records[0].getMessage()


def test_relay_forever_drains_then_stops_when_told(memory_runtime):
    broker = with_broker(memory_runtime, StubBroker())
    write_rows(memory_runtime, 7)
    stop = threading.Event()
    stopper = threading.Timer(0.3, stop.set)
    stopper.start()

    relay_forever(memory_runtime, stop, interval=0.05, limit=3)

    assert len(queued(broker, "emails")) == 7
    assert all(sent == NOW for _, sent, _ in rows(memory_runtime))


def test_the_registry_declares_one_actor_per_topic_that_calls_its_handler(memory_runtime):
    calls = []
    broker = StubBroker()
    actors = declare_actors(broker, memory_runtime, handled(calls))

    assert set(actors) == set(HANDLERS) == {SEND_EMAIL}
    assert {name: actor.queue_name for name, actor in actors.items()} == QUEUES
    actors[SEND_EMAIL]({"key": "k"})
    assert calls == [{"key": "k"}]


def test_nothing_can_write_the_removed_funding_topic(memory_runtime):
    with memory_runtime.uow() as uow, pytest.raises(ValueError, match="release_funding"):
        emit(uow.session, "release_funding", {"funding_entry_id": 7}, NOW)
