"""Putting article ids on the ``summarize`` queue, at most once at a time per id.

Every way in (``newsum enqueue``, the HTTP API, the sweeper, a backfill) goes through an
:class:`Enqueuer` (:func:`enqueue` opens one for one call; a backfill keeps one open for
the whole run: one database engine, one broker connection). An id is first *claimed* in
the database (``claim_rows_for_queue``), and only the ids this call claimed are sent: an
id already queued or in flight is reported as ``already_queued`` instead of being queued
twice. If the broker is down the claims are released and
:class:`~newsum.errors.BrokerUnavailable` is raised within seconds.

Ids go in chunks of ``enqueue_chunk_size``: one statement claims a chunk, one batch of
messages (one round trip on Redis) sends it, one statement confirms it.

A claim is first stamped as if made ``queue_claim_timeout_s - CLAIM_PENDING_S`` ago and
gets its full lifetime only once its message is on the queue: if the send fails and the
release fails too (the database went with the broker, the process died), the claim
expires within ``CLAIM_PENDING_S`` and a retry really queues.

Every wait on the broker is bounded (see :mod:`newsum.broker.publish`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice
from types import TracebackType

from sqlalchemy import Engine

from newsum.broker.app import celery_app_for
from newsum.broker.publish import (
    BROKER_ERRORS,
    SummarizePublisher,
    broker_unavailable,
    check_broker,
)
from newsum.config import Settings
from newsum.db.articles import parse_article_id
from newsum.db.engine import engine_for, transaction
from newsum.db.models import utcnow
from newsum.db.queries import claim_rows_for_queue, confirm_claims, release_claims
from newsum.db.registry import resolve_model_version

# How long a claim made by an enqueue lives until its message is confirmed on the queue.
CLAIM_PENDING_S = 30


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


class Enqueuer:
    """Claims and queues ids for one model version while open (a context manager).

    Opening resolves the version (NoActiveModelVersion/UnknownModelVersion), checks the
    broker and takes one producer (BrokerUnavailable); :meth:`enqueue` may then be called
    any number of times over that one connection. ``model_version``, ``force``,
    ``override_review`` and ``engine`` mean what they mean for :func:`enqueue`.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        model_version: str | int | None = None,
        force: bool = False,
        override_review: bool = False,
        engine: Engine | None = None,
    ) -> None:
        self._settings = settings
        self._engine = engine or engine_for(settings.database_url)
        self._model_version = model_version
        self._force = force
        self._override_review = override_review
        self._stale_after = timedelta(seconds=settings.queue_claim_timeout_s)
        self._publisher: SummarizePublisher | None = None
        self.version_id = 0

    def __enter__(self) -> Enqueuer:
        self.version_id = resolve_model_version_id(self._engine, self._model_version)
        celery = celery_app_for(self._settings)
        check_broker(celery, self._settings)
        publisher = SummarizePublisher(celery, self._settings)
        try:
            self._publisher = publisher.__enter__()
        except BROKER_ERRORS as exc:
            raise broker_unavailable(self._settings, exc) from exc
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._publisher is not None:
            self._publisher.__exit__(exc_type, exc, traceback)
            self._publisher = None

    def enqueue(self, article_ids: Iterable[int]) -> EnqueueResult:
        """Claim and queue ``article_ids`` chunk by chunk; see :func:`enqueue`."""
        result = EnqueueResult()
        for chunk in _chunks(article_ids, self._settings.enqueue_chunk_size):
            self._enqueue_chunk(chunk, result)
        return result

    def _enqueue_chunk(self, chunk: list[int], result: EnqueueResult) -> None:
        if self._publisher is None:
            raise RuntimeError("Enqueuer.enqueue outside its `with` block")
        ids = [parse_article_id(value) for value in chunk]
        unique = list(dict.fromkeys(ids))
        pending_at = utcnow() - self._stale_after + timedelta(seconds=CLAIM_PENDING_S)
        with transaction(self._engine) as session:
            claimed = claim_rows_for_queue(session, unique, self.version_id,
                                           stale_after=self._stale_after,
                                           claimed_at=pending_at)
        to_send = [article_id for article_id in unique if article_id in claimed]
        try:
            self._publisher.publish(to_send, self.version_id, force=self._force,
                                    override_review=self._override_review)
        except BaseException as exc:
            # Whatever stopped the send, ids that never reached the queue must not stay
            # claimed, or every later enqueue would take them for queued.
            with transaction(self._engine) as session:
                release_claims(session, to_send, self.version_id)
            if isinstance(exc, BROKER_ERRORS):
                raise broker_unavailable(self._settings, exc) from exc
            raise
        with transaction(self._engine) as session:
            confirm_claims(session, [claimed[article_id] for article_id in to_send], pending_at)
        result.queued += to_send
        # Ids not claimed, and repeats of an id within the chunk, were queued before.
        result.already_queued += [article_id for article_id in unique if article_id not in claimed]
        result.already_queued += _repeats(ids)


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
    with Enqueuer(settings, model_version=model_version, force=force,
                  override_review=override_review, engine=engine) as enqueuer:
        return enqueuer.enqueue(article_ids)
