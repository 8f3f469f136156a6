"""Putting article ids on the ``summarize`` queue, at most once at a time per id.

Every way in (``newsum enqueue``, the HTTP API, the sweeper, a backfill) calls
:func:`enqueue`. An id is first *claimed* in the database (``claim_for_queue``), and
only the ids this call claimed are sent: an id already queued or in flight is reported
as ``already_queued`` instead of being queued twice. If the broker is down the claims
are released and :class:`~newsum.errors.BrokerUnavailable` is raised within seconds.

A claim is first stamped as if made ``queue_claim_timeout_s - CLAIM_PENDING_S`` ago and
gets its full lifetime only once its message is on the queue: if the send fails and the
release fails too (the database went with the broker, the process died), the claim
expires within ``CLAIM_PENDING_S`` and a retry really queues.

Every wait on the broker is bounded: a Redis that does not answer fails a command after
``broker_read_timeout_s``, a publish is retried ``broker_publish_retries`` times, and a
thread waits at most ``broker_connect_timeout_s`` for a producer from the pool.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from itertools import islice

import kombu.exceptions
import redis
from celery import Celery
from kombu import Producer
from sqlalchemy import Engine

from newsum.broker.app import TASK_SUMMARIZE, celery_app_for
from newsum.broker.message import SummarizeMessage
from newsum.broker.redis import redis_client
from newsum.config import Settings, is_redis_url
from newsum.db.articles import parse_article_id
from newsum.db.engine import engine_for, transaction
from newsum.db.models import utcnow
from newsum.db.queries import claim_for_queue, confirm_claims, release_claims
from newsum.db.registry import resolve_model_version
from newsum.errors import BrokerUnavailable

# How long a claim made by an enqueue lives until its message is confirmed on the queue.
CLAIM_PENDING_S = 30

BROKER_ERRORS: tuple[type[BaseException], ...] = (
    kombu.exceptions.OperationalError,
    kombu.exceptions.LimitExceeded,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)


@dataclass
class EnqueueResult:
    """Which ids this call queued, and which were already queued or in flight."""

    queued: list[int] = field(default_factory=list)
    already_queued: list[int] = field(default_factory=list)


def resolve_model_version_id(engine: Engine, model_version: str | int | None) -> int:
    """The id of a version given by name (str) or id (int), or of the active one.

    Raises NoActiveModelVersion or UnknownModelVersion.
    """
    with transaction(engine) as session:
        return resolve_model_version(session, model_version).id


def _chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    iterator = iter(ids)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _repeats(ids: list[int]) -> list[int]:
    seen: set[int] = set()
    repeats = []
    for article_id in ids:
        if article_id in seen:
            repeats.append(article_id)
        seen.add(article_id)
    return repeats


def _retry_policy(settings: Settings) -> dict[str, float]:
    """Kombu's publish retry: a few quick tries, then give up (no hang)."""
    return {"max_retries": settings.broker_publish_retries, "interval_start": 0.2,
            "interval_step": 0.5, "interval_max": 1.0}


@contextmanager
def _producer(celery: Celery, settings: Settings) -> Iterator[Producer]:
    """A producer from the app's pool, waiting at most ``broker_connect_timeout_s``.

    Celery's own helper waits forever for a free one, so threads stuck on a stalled broker
    would hold every producer and the next thread would never return.
    """
    producer = celery.producer_pool.acquire(block=True,
                                            timeout=settings.broker_connect_timeout_s)
    try:
        yield producer
    finally:
        producer.release()


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


def broker_unavailable(settings: Settings, exc: BaseException) -> BrokerUnavailable:
    from newsum.config import mask_url

    return BrokerUnavailable(
        f"cannot reach the broker at {mask_url(settings.broker_url)}: {exc}"
        " (check NEWSUM_BROKER_URL and that Redis is running)"
    )


def send_summarize(
    celery: Celery, settings: Settings, article_ids: list[int], model_version_id: int,
    force: bool, override_review: bool = False,
) -> None:
    """Publish one ``newsum.summarize`` message per id over a single connection."""
    with _producer(celery, settings) as producer:
        for article_id in article_ids:
            message = SummarizeMessage(
                article_id=article_id, model_version_id=model_version_id, force=force,
                override_review=override_review,
            )
            celery.send_task(
                TASK_SUMMARIZE,
                kwargs=message.as_kwargs(),
                queue=settings.queue_name,
                producer=producer,
                retry=True,
                retry_policy=_retry_policy(settings),
            )


def enqueue(
    article_ids: Iterable[int],
    *,
    settings: Settings,
    model_version: str | int | None = None,
    force: bool = False,
    override_review: bool = False,
    engine: Engine | None = None,
) -> EnqueueResult:
    """Queue each id for summarisation by ``model_version`` (name or id; default: active).

    ``force`` summarises again what is current; only ``override_review`` lets a worker
    replace a summary an editor approved or edited.

    Ids are claimed and sent in chunks of ``settings.enqueue_chunk_size``, so an
    iterator of any length runs in constant memory apart from the returned lists.
    Raises InvalidArticleId (its chunk not queued), NoActiveModelVersion/UnknownModelVersion,
    and BrokerUnavailable (claims of unsent ids released; ids sent before stay queued).
    ``engine`` is the process's own (the API's, with its short timeouts); default: the
    shared one for the settings' database.
    """
    engine = engine or engine_for(settings.database_url)
    version_id = resolve_model_version_id(engine, model_version)
    celery = celery_app_for(settings)
    check_broker(celery, settings)
    stale_after = timedelta(seconds=settings.queue_claim_timeout_s)
    result = EnqueueResult()
    for chunk in _chunks(article_ids, settings.enqueue_chunk_size):
        ids = [parse_article_id(value) for value in chunk]
        pending_at = utcnow() - stale_after + timedelta(seconds=CLAIM_PENDING_S)
        with transaction(engine) as session:
            claimed = set(claim_for_queue(session, ids, version_id, stale_after=stale_after,
                                          claimed_at=pending_at))
        to_send = [article_id for article_id in dict.fromkeys(ids) if article_id in claimed]
        try:
            send_summarize(celery, settings, to_send, version_id, force, override_review)
        except BaseException as exc:
            # Whatever stopped the send, ids that never reached the queue must not stay
            # claimed, or every later enqueue would take them for queued.
            with transaction(engine) as session:
                release_claims(session, to_send, version_id)
            if isinstance(exc, BROKER_ERRORS):
                raise broker_unavailable(settings, exc) from exc
            raise
        with transaction(engine) as session:
            confirm_claims(session, to_send, version_id, pending_at)
        result.queued += to_send
        # Ids not claimed, and repeats of an id within the chunk, were queued before.
        unique = dict.fromkeys(ids)
        result.already_queued += [article_id for article_id in unique if article_id not in claimed]
        result.already_queued += _repeats(ids)
    return result
