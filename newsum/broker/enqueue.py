"""Putting article ids on the ``summarize`` queue, at most once at a time per id.

Every way in (``newsum enqueue``, the HTTP API, the sweeper, a backfill) calls
:func:`enqueue`. An id is first *claimed* in the database (``claim_for_queue``), and
only the ids this call claimed are sent: an id already queued or in flight is reported
as ``already_queued`` instead of being queued twice. If the broker is down the claims
are released and :class:`~newsum.errors.BrokerUnavailable` is raised within seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice

import kombu.exceptions
import redis
from celery import Celery
from sqlalchemy import Engine

from newsum.broker.app import TASK_SUMMARIZE, celery_app_for
from newsum.broker.message import SummarizeMessage
from newsum.config import Settings
from newsum.db.articles import parse_article_id
from newsum.db.engine import engine_for, transaction
from newsum.db.queries import claim_for_queue, release_claims
from newsum.db.registry import resolve_model_version
from newsum.errors import BrokerUnavailable

BROKER_ERRORS: tuple[type[BaseException], ...] = (
    kombu.exceptions.OperationalError,
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


def _retry_policy() -> dict[str, float]:
    """Kombu's publish retry: a couple of quick tries, then give up (no hang)."""
    return {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1.0}


def check_broker(celery: Celery, settings: Settings) -> None:
    """Raise BrokerUnavailable unless the broker accepts a connection within seconds."""
    try:
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=settings.broker_connect_timeout_s)
    except BROKER_ERRORS as exc:
        raise broker_unavailable(settings, exc) from exc


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
    with celery.producer_or_acquire() as producer:
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
                retry_policy=_retry_policy(),
            )


def enqueue(
    article_ids: Iterable[int],
    *,
    settings: Settings,
    model_version: str | int | None = None,
    force: bool = False,
    override_review: bool = False,
) -> EnqueueResult:
    """Queue each id for summarisation by ``model_version`` (name or id; default: active).

    ``force`` summarises again what is current; only ``override_review`` lets a worker
    replace a summary an editor approved or edited.

    Ids are claimed and sent in chunks of ``settings.enqueue_chunk_size``, so an
    iterator of any length runs in constant memory apart from the returned lists.
    Raises InvalidArticleId (its chunk not queued), NoActiveModelVersion/UnknownModelVersion,
    and BrokerUnavailable (claims of unsent ids released; ids sent before stay queued).
    """
    engine = engine_for(settings.database_url)
    version_id = resolve_model_version_id(engine, model_version)
    celery = celery_app_for(settings)
    check_broker(celery, settings)
    stale_after = timedelta(seconds=settings.queue_claim_timeout_s)
    result = EnqueueResult()
    for chunk in _chunks(article_ids, settings.enqueue_chunk_size):
        ids = [parse_article_id(value) for value in chunk]
        with transaction(engine) as session:
            claimed = set(claim_for_queue(session, ids, version_id, stale_after=stale_after))
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
        result.queued += to_send
        # Ids not claimed, and repeats of an id within the chunk, were queued before.
        unique = dict.fromkeys(ids)
        result.already_queued += [article_id for article_id in unique if article_id not in claimed]
        result.already_queued += _repeats(ids)
    return result
