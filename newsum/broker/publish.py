"""Publishing ``newsum.summarize`` messages: one producer, one connection, one round trip
per chunk.

A :class:`SummarizePublisher` holds one producer from the Celery app's pool (and so one
broker connection) for as long as it is open: a backfill opens it once for the whole run.
Each message is what ``send_task(TASK_SUMMARIZE, kwargs=...)`` sends (Celery's protocol 2,
JSON, kombu's envelope); what changes is how many are sent at once.

On Redis a chunk is one ``LPUSH`` of all its messages: kombu keeps a queue as a list and
its own publish is one ``LPUSH`` per message. Celery (``app.amqp.create_task_message``)
and kombu (serializer, ``prepare_message``, body encoding) build the chunk's first
message; it is serialised once with a blank where messages differ (the task id, the
delivery tag, the kwargs and the body that holds them), and each message fills the
blanks in, since serialising a whole message per id cost four times the rest of the
enqueue (and two JSON encodings per id still cost more than the database's part).
Elsewhere (the demo's SQL broker) each message goes through Celery's
``send_task_message`` as ``send_task`` does.

Every wait is bounded: the producer is waited for at most ``broker_connect_timeout_s``, a
Redis command fails after ``broker_read_timeout_s``, and a chunk that did not reach Redis
is sent again at most ``broker_publish_retries`` times.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import kombu.exceptions
import kombu.serialization
import kombu.transport.redis
import redis
from celery import Celery
from kombu import Producer
from kombu.entity import maybe_delivery_mode
from kombu.utils.uuid import uuid

from newsum.broker.app import TASK_SUMMARIZE
from newsum.broker.message import SummarizeMessage
from newsum.broker.redis import kept_client
from newsum.config import Settings, is_redis_url
from newsum.errors import BrokerUnavailable

# kombu's JSON (its encoder adds types these messages do not hold) writes what the stdlib's
# default encoder writes; that one is built once, kombu's once per call.
_json = json.JSONEncoder().encode

BROKER_ERRORS: tuple[type[BaseException], ...] = (
    kombu.exceptions.OperationalError,
    kombu.exceptions.LimitExceeded,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)


def broker_unavailable(settings: Settings, exc: BaseException) -> BrokerUnavailable:
    """The error a user acts on when the broker does not answer."""
    from newsum.config import mask_url

    return BrokerUnavailable(
        f"cannot reach the broker at {mask_url(settings.broker_url)}: {exc}"
        " (check NEWSUM_BROKER_URL and that Redis is running)"
    )


def check_broker(celery: Celery, settings: Settings) -> None:
    """Raise BrokerUnavailable unless the broker answers within seconds.

    On Redis a PING over a kept connection (a client that never retries, so a stall
    fails at once): one round trip, and it tells a paused or half-open Redis (which
    still accepts connections) from a live one.
    """
    try:
        if is_redis_url(settings.broker_url):
            kept_client(settings.broker_url, settings.broker_connect_timeout_s,
                        settings.broker_read_timeout_s).ping()
            return
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=settings.broker_connect_timeout_s)
    except BROKER_ERRORS as exc:
        raise broker_unavailable(settings, exc) from exc


def _retry_policy(settings: Settings) -> dict[str, float]:
    """Kombu's publish retry: a few quick tries, then give up (no hang)."""
    return {"max_retries": settings.broker_publish_retries, "interval_start": 0.2,
            "interval_step": 0.5, "interval_max": 1.0}


def _retry_wait_s(policy: dict[str, float], attempt: int) -> float:
    """Seconds before try ``attempt + 2``, on kombu's schedule for the same policy."""
    return min(policy["interval_start"] + attempt * policy["interval_step"],
               policy["interval_max"])


class SummarizePublisher:
    """Puts ``newsum.summarize`` messages on the queue over one producer while open.

    Use as a context manager; :meth:`publish` sends one chunk. Raises the broker's error
    (one of :data:`BROKER_ERRORS`) when the producer cannot be had in time or a chunk
    fails on every try.
    """

    def __init__(self, celery: Celery, settings: Settings) -> None:
        self._celery = celery
        self._settings = settings
        self._policy = _retry_policy(settings)
        self._queue = celery.amqp.queues[settings.queue_name]
        self._producer: Producer | None = None

    def __enter__(self) -> SummarizePublisher:
        # Celery's own helper waits forever for a free producer, so threads stuck on a
        # stalled broker would hold every producer and the next thread would never return.
        producer = self._celery.producer_pool.acquire(
            block=True, timeout=self._settings.broker_connect_timeout_s)
        try:
            # send_task declares the queue with every message; kombu declares it once per
            # connection anyway, so once here.
            producer.maybe_declare(self._queue, retry=True, **self._policy)
        except BaseException:
            producer.release()
            raise
        self._producer = producer
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._producer is not None:
            self._producer.release()
            self._producer = None

    def publish(self, article_ids: Sequence[int], model_version_id: int, *, force: bool,
                override_review: bool = False) -> None:
        """Send one message per id; on Redis the chunk in one command, sent again whole
        if it failed (it is one command: either all of its messages reached the queue or,
        unless only the answer was lost, none did)."""
        if self._producer is None:
            raise RuntimeError("SummarizePublisher.publish outside its `with` block")
        if not article_ids:
            return
        kwargs = [
            SummarizeMessage(article_id=article_id, model_version_id=model_version_id,
                             force=force, override_review=override_review).as_kwargs()
            for article_id in article_ids
        ]
        channel = self._producer.channel
        if not isinstance(channel, kombu.transport.redis.Channel):
            self._send_each(self._producer, kwargs)
            return
        items = self._redis_items(channel, kwargs)
        for attempt in range(self._settings.broker_publish_retries + 1):
            try:
                # kombu's key for the queue (newsum sends no priority); the channel's
                # client adds the broker's key prefix and keeps its connection.
                channel.client.lpush(self._queue.name, *items)
                return
            except BROKER_ERRORS:
                if attempt == self._settings.broker_publish_retries:
                    raise
            time.sleep(_retry_wait_s(self._policy, attempt))

    def _send_each(self, producer: Producer, kwargs: list[dict[str, Any]]) -> None:
        """What ``send_task`` does per message, less what it repeats per call."""
        send = self._celery.amqp.send_task_message
        for message_kwargs in kwargs:
            send(producer, TASK_SUMMARIZE, self._task_message(uuid(), message_kwargs),
                 queue=self._queue, declare=[], retry=True, retry_policy=self._policy)

    def _redis_items(self, channel: kombu.transport.redis.Channel,
                     kwargs: list[dict[str, Any]]) -> list[bytes]:
        """The list items kombu's Redis transport would push, one per kwargs (encoded:
        redis-py would otherwise copy each to bytes). The kwargs differ only in the
        article id: the publish call's."""
        ids = _uuids(2 * len(kwargs))  # a task id and a delivery tag each
        first_id = ids[0]
        headers, properties, body, _ = self._task_message(first_id, kwargs[0])
        content_type, content_encoding, _ = kombu.serialization.dumps(body, serializer="json")
        # What Producer.publish and the virtual channel's basic_publish add.
        properties["delivery_mode"] = maybe_delivery_mode(
            self._queue.exchange.delivery_mode or self._celery.conf.task_default_delivery_mode)
        template = channel.prepare_message(None, 0, content_type, content_encoding, headers,
                                           properties)
        template["properties"].update(body_encoding=channel.body_encoding, delivery_tag=None)
        template["properties"]["delivery_info"].update(exchange="",
                                                       routing_key=self._queue.name)
        # Without a parent task the root is the task itself; under the sweeper, its root.
        own_root = headers["root_id"] == first_id
        # The message as JSON with a blank in each place that differs from message to
        # message, filled in per message: one serialisation per chunk, not two per id.
        payload = _Blanks(_json((body[0], dict(kwargs[0], article_id=_blank("article_id")),
                                 body[2])))
        message_headers = dict(template["headers"], id=_blank("id"),
                               kwargsrepr=_blank("kwargsrepr"))
        if own_root:
            message_headers["root_id"] = _blank("id")
        envelope = _Blanks(_json(dict(
            template, body=_blank("body"), headers=message_headers,
            properties=dict(template["properties"], correlation_id=_blank("id"),
                            delivery_tag=_blank("delivery_tag")),
        )))
        items = []
        for index, message_kwargs in enumerate(kwargs):
            task_id = ids[2 * index]
            encoded = payload.fill(article_id=str(message_kwargs["article_id"]))
            items.append(envelope.fill(
                body=_json(channel.encode_body(encoded, channel.body_encoding)[0]),
                id=f'"{task_id}"', kwargsrepr=_json(repr(message_kwargs)),
                delivery_tag=f'"{ids[2 * index + 1]}"',
            ).encode())
        return items

    def _task_message(self, task_id: str, kwargs: dict[str, Any]) -> Any:
        """The task message ``send_task(TASK_SUMMARIZE, kwargs=kwargs)`` would build."""
        root_id = parent_id = None
        parent = self._celery.current_worker_task  # the sweeper runs as a task
        if parent is not None:
            root_id = parent.request.root_id or parent.request.id
            parent_id = parent.request.id
        return self._celery.amqp.create_task_message(
            task_id, TASK_SUMMARIZE, (), kwargs,
            reply_to=self._celery.thread_oid,
            create_sent_event=self._celery.conf.task_send_sent_event,
            root_id=root_id, parent_id=parent_id,
            # send_task leaves the result to the task's configuration, as here.
            ignore_result=False,
            # Celery's saferepr of these plain dicts is their repr, at a tenth of the cost.
            argsrepr="()", kwargsrepr=repr(kwargs),
        )


def _blank(name: str) -> str:
    return f"\x00{name}\x00"


class _Blanks:
    """JSON text with blanks (:func:`_blank` strings, as JSON strings) to fill in: split
    once at them, joined with each message's JSON values."""

    def __init__(self, text: str) -> None:
        self._parts: list[str] = []
        self._names: list[str] = []
        pattern = re.compile(r'"\\u0000(\w+)\\u0000"')
        position = 0
        for match in pattern.finditer(text):
            self._parts.append(text[position:match.start()])
            self._names.append(match.group(1))
            position = match.end()
        self._parts.append(text[position:])

    def fill(self, **values: str) -> str:
        """The text with each blank replaced by its value (JSON already)."""
        out = [self._parts[0]]
        for name, part in zip(self._names, self._parts[1:], strict=True):
            out += (values[name], part)
        return "".join(out)


def _uuids(count: int) -> list[str]:
    """``count`` random (version 4) UUIDs as kombu writes them, from one read of the
    system's randomness instead of one per UUID."""
    raw = os.urandom(16 * count).hex()
    uuids = []
    for start in range(0, 32 * count, 32):
        h = raw[start:start + 32]
        # The version (4) and the variant (binary 10) bits.
        uuids.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}"
                     f"-{h[20:]}")
    return uuids
