"""Putting article ids on the ``summarize`` queue, at most once at a time per id.

Every way in (``newsum enqueue``, the HTTP API, the sweeper, a backfill) goes through an
:class:`Enqueuer` (:func:`enqueue` opens one for one call; a backfill keeps one open for
the whole run: one database engine, one broker connection). An id is first *claimed* in
the database (``claim_rows_for_queue``), and only the ids this call claimed are sent: an
id already queued or in flight is reported as ``already_queued`` instead of being queued
twice. If the broker is down the claims are released and
:class:`~newsum.errors.BrokerUnavailable` is raised within seconds.

Ids go in chunks of ``enqueue_chunk_size``: one statement claims a chunk, one batch of
messages (one round trip on Redis) sends it, one statement confirms it. A backfill
(:meth:`Enqueuer.enqueue_chunks`) does the database's part on a second thread while the
messages are built and sent.

A claim is first stamped as if made ``queue_claim_timeout_s - CLAIM_PENDING_S`` ago and
gets its full lifetime only once its message is on the queue: if the send fails and the
release fails too (the database went with the broker, the process died), the claim
expires within ``CLAIM_PENDING_S`` and a retry really queues.

Every wait on the broker is bounded (see :mod:`newsum.broker.publish`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
            claim = self._claim(chunk)
            self._send(claim)
            self._confirm(claim)
            result.queued += claim.result.queued
            result.already_queued += claim.result.already_queued
        return result

    def enqueue_chunks(
        self, chunks: Iterable[list[int]], *,
        before_claim: Callable[[ChunkRun], object] | None = None,
    ) -> Iterator[tuple[list[int], EnqueueResult]]:
        """Claim and queue chunk after chunk, yielding each chunk with what became of it.

        A chunk's messages are built and sent here while a second thread does the
        database's part: it confirms the chunk sent before and claims the next (a
        backfill waits about as long on the database as it takes to build messages).
        ``before_claim`` runs before each chunk is claimed: a backfill waits there while
        the queue is too deep, with no claim of its own pending. It is given the run's
        :class:`ChunkRun`: how many ids are being sent meanwhile (not on the queue yet),
        and an event set when the run stops, on which to stop waiting.

        The claims contract is :meth:`enqueue`'s: a chunk claimed and not sent (the send
        failed, the caller stopped early) has its claims released, and a chunk sent has
        them confirmed (or, if the database is gone too, they expire within
        ``CLAIM_PENDING_S``).
        """
        source = iter(chunks)
        run = ChunkRun()

        def claim_next() -> _Claim | None:
            chunk = next(source, None)
            if chunk is None:
                return None
            if before_claim is not None:
                before_claim(run)
            return None if run.stopping.is_set() else self._claim(chunk)

        def confirm_then_claim(sent: _Claim | None) -> _Claim | None:
            if sent is not None:
                self._confirm(sent)
            return claim_next()

        current: _Claim | None = None  # claimed, not sent
        sent: _Claim | None = None  # sent, not confirmed
        ahead: Future[_Claim | None] | None = None
        database = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsum-claims")
        try:
            current = claim_next()
            while current is not None:
                sending, current = current, None
                run.sending = len(sending.to_send)  # before the next claim looks
                ahead, sent = database.submit(confirm_then_claim, sent), None
                self._send(sending)  # releases its own claims when it fails
                run.sending = 0
                sent = sending
                failure: BaseException | None = None
                try:
                    current = ahead.result()
                except BaseException as exc:  # raised once the chunk sent is counted
                    failure = exc
                ahead = None
                yield sent.chunk, sent.result
                if failure is not None:
                    raise failure
            if sent is not None:
                self._confirm(sent)
                sent = None
        finally:
            # Stopped early: nothing claimed stays claimed unsent, nothing sent unconfirmed.
            run.stopping.set()
            if ahead is not None:
                current = _outcome(ahead)
            with suppress(Exception):  # already failing: the first error is the one raised
                if current is not None:
                    self._release(current)
                if sent is not None:
                    self._confirm(sent)
            database.shutdown()

    def _claim(self, chunk: list[int]) -> _Claim:
        """Claim a chunk's ids (InvalidArticleId before anything is claimed)."""
        ids = [parse_article_id(value) for value in chunk]
        unique = list(dict.fromkeys(ids))
        pending_at = utcnow() - self._stale_after + timedelta(seconds=CLAIM_PENDING_S)
        with transaction(self._engine) as session:
            claimed = claim_rows_for_queue(session, unique, self.version_id,
                                           stale_after=self._stale_after,
                                           claimed_at=pending_at)
        # Ids not claimed, and repeats of an id within the chunk, were queued before.
        result = EnqueueResult(already_queued=[
            *(article_id for article_id in unique if article_id not in claimed), *_repeats(ids)])
        to_send = [article_id for article_id in unique if article_id in claimed]
        return _Claim(chunk, to_send, [claimed[article_id] for article_id in to_send],
                      pending_at, result)

    def _send(self, claim: _Claim) -> None:
        """Put a claimed chunk on the queue; release its claims if that fails."""
        if self._publisher is None:
            raise RuntimeError("Enqueuer.enqueue outside its `with` block")
        try:
            self._publisher.publish(claim.to_send, self.version_id, force=self._force,
                                    override_review=self._override_review)
        except BaseException as exc:
            # Whatever stopped the send, ids that never reached the queue must not stay
            # claimed, or every later enqueue would take them for queued.
            self._release(claim)
            if isinstance(exc, BROKER_ERRORS):
                raise broker_unavailable(self._settings, exc) from exc
            raise
        claim.result.queued += claim.to_send

    def _confirm(self, claim: _Claim) -> None:
        with transaction(self._engine) as session:
            confirm_claims(session, claim.rows, claim.pending_at)

    def _release(self, claim: _Claim) -> None:
        with transaction(self._engine) as session:
            release_claims(session, claim.to_send, self.version_id)


@dataclass
class ChunkRun:
    """What a run of :meth:`Enqueuer.enqueue_chunks` tells the code it runs before each
    claim: the ids being sent meanwhile, and whether the run is stopping."""

    sending: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)


@dataclass
class _Claim:
    """A chunk claimed: the ids to send, the rows holding their claims, the stamp the
    claims carry until confirmed, and the chunk's result so far."""

    chunk: list[int]
    to_send: list[int]
    rows: list[int]
    pending_at: datetime
    result: EnqueueResult


def _outcome(job: Future[_Claim | None]) -> _Claim | None:
    """What the claiming thread claimed, once it is done (None if it failed)."""
    try:
        return job.result()
    except BaseException:
        return None


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
