"""The actors: each turns one outbox message (its topic and payload) into one service call.

An actor is named after its outbox topic and takes the payload (ids and plain values) as
its one argument. ``HANDLERS`` is the registry from topic to the service call; no business
rule lives here. Retries: a handler that raises one of ``PERMANENT`` is not retried (the
message goes to the dead letters at once); any other exception is retried with backoff by
dramatiq's Retries middleware (configured in ``broker.py``) and dead-lettered once the
retries are exhausted.

Actors are declared by ``declare_actors(broker, runtime)``, with ``broker=`` passed to
``dramatiq.actor``, rather than by ``@dramatiq.actor`` at module level: a decorator at
import time would bind each actor to dramatiq's global broker, building one (a RabbitMQ
or Redis client) just because a module was imported; here the broker and the runtime the
actors use (database, sender, clock) are built by ``bootstrap`` and handed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import dramatiq
from dramatiq import Actor, Broker

from workflow.errors import InvalidInput, NotFound, PermanentDeliveryError
from workflow.services import emails, outbox
from workflow.services.outbox import SEND_EMAIL

if TYPE_CHECKING:
    from workflow.runtime import Runtime

Handler = Callable[["Runtime", dict[str, Any]], object]

#: Failures that retrying cannot cure.
PERMANENT = (PermanentDeliveryError, InvalidInput, NotFound)


def send_email(runtime: Runtime, payload: dict[str, Any]) -> object:
    outcome = emails.deliver(
        runtime.uow(),
        runtime.renderer,
        runtime.sender,
        payload,
        runtime.clock.now(),
        runtime.settings.mail_from,
    )
    # Another delivery of the key holds it: its effect is not recorded by this message.
    return outbox.UNFINISHED if outcome is emails.Outcome.IN_FLIGHT else None


HANDLERS: dict[str, Handler] = {SEND_EMAIL: send_email}

#: One queue per kind of work (funding is released by the scheduler, not through a queue).
QUEUES: dict[str, str] = {SEND_EMAIL: "emails"}


def declare_actors(
    broker: Broker, runtime: Runtime, handlers: Mapping[str, Handler] | None = None
) -> dict[str, Actor]:
    """Declare one actor per topic on ``broker``; returns them by topic."""
    actors = {}
    for topic, handler in (HANDLERS if handlers is None else handlers).items():

        def perform(payload: dict[str, Any], _handler: Handler = handler) -> object:
            # Only ``outbox.UNFINISHED`` is passed on (to the OutboxEffects middleware).
            result = _handler(runtime, payload)
            return result if isinstance(result, outbox.Unfinished) else None

        actors[topic] = dramatiq.actor(
            perform,
            broker=broker,
            actor_name=topic,
            queue_name=QUEUES.get(topic, "default"),
            throws=PERMANENT,
        )
    return actors
