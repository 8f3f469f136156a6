"""How deep the ``summarize`` queue is and how many messages workers hold: for
``newsum status``, ``/metrics`` and the backfill's high-water mark.

On Redis both come from the broker itself: the queue's lists (one per priority step) and
kombu's hash of unacknowledged messages. kombu's SQL transport (the demo's embedded
broker) keeps delivered messages as invisible rows forever and tracks acknowledgements
only inside the worker, so there "in flight" is derived from newsum's own claims: ids
claimed for the queue that no longer wait in it.
"""

from __future__ import annotations

import redis
import sqlalchemy.exc
from kombu.transport.redis import PRIORITY_STEPS, Channel
from sqlalchemy import func, select, text

from newsum.broker.publish import BROKER_ERRORS, broker_unavailable
from newsum.broker.redis import kept_client
from newsum.config import Settings, is_embedded_broker
from newsum.db.engine import engine_for
from newsum.db.models import Summary


def queue_depth(settings: Settings) -> int:
    """Messages waiting in the ``summarize`` queue (taken by no worker yet)."""
    if is_embedded_broker(settings.broker_url):
        return _embedded_waiting(settings)
    try:
        with _redis(settings).pipeline(transaction=False) as pipe:
            for key in _queue_keys(settings):
                pipe.llen(key)
            return int(sum(pipe.execute()))
    except BROKER_ERRORS as exc:
        raise broker_unavailable(settings, exc) from exc


def in_flight(settings: Settings) -> int:
    """Messages taken by workers and not yet acknowledged (batches being made)."""
    if is_embedded_broker(settings.broker_url):
        claimed = select(func.count()).where(Summary.__table__.c.queued_at.is_not(None))
        with engine_for(settings.database_url).connect() as connection:
            claimed_count = int(connection.execute(claimed).scalar_one())
        return max(0, claimed_count - _embedded_waiting(settings))
    try:
        return int(_redis(settings).hlen(settings.broker_key_prefix + Channel.unacked_key))
    except BROKER_ERRORS as exc:
        raise broker_unavailable(settings, exc) from exc


def _queue_keys(settings: Settings) -> list[str]:
    """The Redis lists kombu keeps for the queue: one per priority step."""
    keys = []
    for priority in PRIORITY_STEPS:
        name = settings.queue_name if not priority else (
            f"{settings.queue_name}{Channel.sep}{priority}"
        )
        keys.append(settings.broker_key_prefix + name)
    return keys


def _redis(settings: Settings) -> redis.Redis:
    return kept_client(settings.broker_url, settings.broker_connect_timeout_s,
                       settings.broker_read_timeout_s)


def _embedded_waiting(settings: Settings) -> int:
    """Visible (not yet delivered) messages of the queue on kombu's SQL transport."""
    engine = engine_for(settings.broker_url.removeprefix("sqla+"))
    query = text(
        "SELECT COUNT(*) FROM kombu_message m JOIN kombu_queue q ON q.id = m.queue_id"
        " WHERE q.name = :queue AND m.visible"
    )
    try:
        with engine.connect() as connection:
            return int(connection.execute(query, {"queue": settings.queue_name}).scalar_one())
    except sqlalchemy.exc.OperationalError:  # no message sent yet: no tables yet
        return 0
