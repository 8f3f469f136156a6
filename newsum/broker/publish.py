"""Publishing ``newsum.summarize`` messages: one producer, one connection, one round trip
per chunk.

A :class:`SummarizePublisher` holds one producer from the Celery app's pool (and so one
broker connection) for as long as it is open: a backfill opens it once for the whole run.
Each message is built by Celery itself (``app.amqp.create_task_message``, protocol 2)
and handed to Celery's own ``send_task_message``, so headers, properties, routing and
body are those ``send_task`` would produce; only ``send_task``'s per-call costs (a producer
from the pool, the router, a result object) are paid once instead of once per id. A
chunk's messages go out inside a kombu publish batch: on Redis one pipeline, one round
trip; transports that cannot batch (the demo's SQL broker) publish one by one as before.

Every wait is bounded: the producer is waited for at most ``broker_connect_timeout_s``, a
Redis command fails after ``broker_read_timeout_s``, and a chunk whose link dropped is
sent again at most ``broker_publish_retries`` times.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import lru_cache
from types import TracebackType
from typing import Any

import kombu.exceptions
import redis
from celery import Celery
from kombu import Producer
from kombu.utils.uuid import uuid

from newsum.broker.app import TASK_SUMMARIZE
from newsum.broker.message import SummarizeMessage
from newsum.broker.redis import redis_client
from newsum.config import Settings, is_redis_url
from newsum.errors import BrokerUnavailable

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

    On Redis a PING over a kept connection: one round trip, and it tells a paused or
    half-open Redis (which still accepts connections) from a live one.
    """
    try:
        if is_redis_url(settings.broker_url):
            _ping_client(settings.broker_url, settings.broker_connect_timeout_s,
                         settings.broker_read_timeout_s).ping()
            return
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=settings.broker_connect_timeout_s)
    except BROKER_ERRORS as exc:
        raise broker_unavailable(settings, exc) from exc


@lru_cache(maxsize=8)
def _ping_client(url: str, connect_timeout_s: float, read_timeout_s: float) -> redis.Redis:
    """A Redis client per broker and timeouts, kept for the process (redis-py makes new
    connections after a fork by itself); it never retries, so a stall fails at once."""
    return redis_client(url, connect_timeout_s, read_timeout_s)


def _retry_policy(settings: Settings) -> dict[str, float]:
    """Kombu's publish retry: a few quick tries, then give up (no hang)."""
    return {"max_retries": settings.broker_publish_retries, "interval_start": 0.2,
            "interval_step": 0.5, "interval_max": 1.0}


def _retry_wait_s(policy: dict[str, float], attempt: int) -> float:
    """Seconds before try ``attempt + 1``, on kombu's schedule for the same policy."""
    return min(policy["interval_start"] + attempt * policy["interval_step"],
               policy["interval_max"])


def _link_error(exc: BaseException) -> BaseException | None:
    """The broker failure behind ``exc``, or None when it is not one (a batch failure
    is reported by kombu as BatchPublishError, the broker's error as its cause)."""
    if isinstance(exc, kombu.exceptions.BatchPublishError):
        exc = exc.__cause__ or exc
    return exc if isinstance(exc, BROKER_ERRORS) else None


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
        self._batched = False

    def __enter__(self) -> SummarizePublisher:
        # Celery's own helper waits forever for a free producer, so threads stuck on a
        # stalled broker would hold every producer and the next thread would never return.
        producer = self._celery.producer_pool.acquire(
            block=True, timeout=self._settings.broker_connect_timeout_s)
        try:
            # send_task declares the queue with every message; once per connection is
            # what that costs on Redis anyway (kombu remembers what it declared).
            producer.maybe_declare(self._queue, retry=True, **self._policy)
        except BaseException:
            producer.release()
            raise
        self._producer = producer
        # kombu batches only where a pipeline is never replayed by the client (no
        # redis-py retry configured); elsewhere each publish goes out on its own.
        self._batched = producer.supports_batch_publish
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._producer is not None:
            self._producer.release()
            self._producer = None

    def publish(self, article_ids: Sequence[int], model_version_id: int, *, force: bool,
                override_review: bool = False) -> None:
        """Send one message per id, the chunk in one batch.

        A batch whose link dropped is sent again whole (a message that had reached the
        queue then arrives twice, which the worker's upserts make harmless); unbatched,
        kombu retries each message as ``send_task`` would.
        """
        if not article_ids:
            return
        if self._producer is None:
            raise RuntimeError("SummarizePublisher.publish outside its `with` block")
        tries = 1 + (self._settings.broker_publish_retries if self._batched else 0)
        for attempt in range(tries):
            try:
                self._send(self._producer, article_ids, model_version_id, force,
                           override_review)
                return
            except BaseException as exc:
                link_error = _link_error(exc)
                if link_error is None:
                    raise
                if attempt + 1 == tries:
                    raise link_error from exc
            time.sleep(_retry_wait_s(self._policy, attempt))

    def _send(self, producer: Producer, article_ids: Sequence[int], model_version_id: int,
              force: bool, override_review: bool) -> None:
        send = self._celery.amqp.send_task_message
        # A batch is flushed once, at its end: one round trip for the chunk.
        with producer.batch(max_size=len(article_ids)):
            for article_id in article_ids:
                kwargs = SummarizeMessage(
                    article_id=article_id, model_version_id=model_version_id, force=force,
                    override_review=override_review,
                ).as_kwargs()
                send(producer, TASK_SUMMARIZE, self._message(kwargs), queue=self._queue,
                     declare=[], retry=not self._batched, retry_policy=self._policy)

    def _message(self, kwargs: dict[str, Any]) -> Any:
        """The task message ``send_task(TASK_SUMMARIZE, kwargs=kwargs)`` would build."""
        root_id = parent_id = None
        parent = self._celery.current_worker_task  # the sweeper runs as a task
        if parent is not None:
            root_id = parent.request.root_id or parent.request.id
            parent_id = parent.request.id
        return self._celery.amqp.create_task_message(
            uuid(), TASK_SUMMARIZE, (), kwargs,
            reply_to=self._celery.thread_oid,
            create_sent_event=self._celery.conf.task_send_sent_event,
            root_id=root_id, parent_id=parent_id,
            # send_task leaves the result to the task's configuration, as here.
            ignore_result=False,
            # Celery's saferepr of these plain dicts is their repr, at a tenth of the cost.
            argsrepr="()", kwargsrepr=repr(kwargs),
        )
