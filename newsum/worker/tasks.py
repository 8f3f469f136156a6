"""The ``newsum.summarize`` task: single-id messages gathered into generation batches.

celery-batches buffers the messages a worker receives and calls the task with a list of
requests when ``flush_every`` (the batch size) have arrived or ``flush_interval`` seconds
passed. With ``acks_late`` it acknowledges every message of a batch after the batch
returned, so a worker killed mid-batch leaves them unacknowledged in Redis, which hands
them out again after the visibility timeout. :class:`SummarizeBatches` adds what Celery
does for ordinary tasks and celery-batches does not: a batch whose pool child died is
requeued (``task_reject_on_worker_lost``), and one that hit the hard time limit is
recorded as failed instead of vanishing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence
from typing import Any

import kombu.exceptions
import redis
from billiard.einfo import ExceptionInfo
from billiard.exceptions import TimeLimitExceeded, WorkerLostError
from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.time import get_exponential_backoff_interval
from celery_batches import Batches, SimpleRequest
from sqlalchemy import exc as sa_exc

from newsum.db.engine import transaction
from newsum.db.models import SummaryStatus, articles_table
from newsum.db.queries import record_failure
from newsum.worker.batch import BatchOutcome, SummarizeRequest, parse_request, summarize_requests
from newsum.worker.celery_app import TASK_SUMMARIZE, app, app_settings
from newsum.worker.enqueue import engine_for
from newsum.worker.runtime import process_runtime

log = logging.getLogger(__name__)
settings = app_settings(app)

# Faults that pass: the database or the broker is unreachable for a while. A batch that
# meets one is sent again later; any other error is recorded against its article.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    ConnectionError,
    TimeoutError,
)


class SummarizeBatches(Batches):
    """Batches with Celery's worker-lost and time-limit handling for late-acked batches."""

    def flush(self, requests: Collection[Any]) -> Any:
        """Run the batch in the pool; settle its messages however the run ends."""
        requests = list(requests)
        serializable = ([SimpleRequest.from_request(r) for r in requests],)

        def on_return(_result: Any) -> None:
            for request in requests:
                request.acknowledge()

        def on_error(einfo: ExceptionInfo) -> None:
            if isinstance(einfo.exception, WorkerLostError) and self.reject_on_worker_lost:
                log.warning("worker lost mid-batch: %d message(s) requeued", len(requests))
                for request in requests:
                    request.reject(requeue=True)
                return
            if isinstance(einfo.exception, TimeLimitExceeded):
                _record_batch_failure(serializable[0], "time limit exceeded")
            for request in requests:
                request.acknowledge()

        from celery_batches.trace import apply_batches_task

        return self._pool.apply_async(
            apply_batches_task,
            (self, serializable, 0, None),
            callback=on_return,
            error_callback=on_error,
        )


def _parse_all(requests: Sequence[SimpleRequest]) -> tuple[list[SummarizeRequest], int]:
    """The valid payloads of a batch; invalid ones are logged and dropped (acknowledged)."""
    valid: list[SummarizeRequest] = []
    rejected = 0
    for request in requests:
        try:
            valid.append(parse_request({**(request.kwargs or {}), **_positional(request)}))
        except (ValueError, TypeError) as exc:
            rejected += 1
            log.error("rejected message %s: %s", request.id, exc)
    return valid, rejected


def _positional(request: SimpleRequest) -> dict[str, Any]:
    """A payload sent as one positional dict (``summarize.delay({...})``) is accepted too."""
    if len(request.args) == 1 and isinstance(request.args[0], dict):
        return dict(request.args[0])
    if request.args:
        return {"args": list(request.args)}
    return {}


def _record_batch_failure(requests: Sequence[SimpleRequest], reason: str) -> None:
    """Record ``reason`` as the failure of every valid request of a batch."""
    valid, _ = _parse_all(requests)
    engine = engine_for(settings.database_url)
    with transaction(engine) as session:
        for request in valid:
            record_failure(session, request.article_id, request.model_version_id, reason,
                           status=SummaryStatus.FAILED)


def _retry(task: Batches, requests: Sequence[SimpleRequest], exc: BaseException) -> None:
    """Send each message again after an exponential backoff, up to ``max_retries``.

    Past the limit the ids keep their queue claims: once the claims are stale the
    sweeper queues them again, so nothing is lost while the outage lasts.
    """
    for request in requests:
        retries = int((request.request_dict or {}).get("retries") or 0)
        if retries >= task.max_retries:
            log.error("giving up on message %s after %d retries: %s", request.id, retries, exc)
            continue
        countdown = get_exponential_backoff_interval(
            factor=task.retry_backoff, retries=retries, maximum=task.retry_backoff_max,
            full_jitter=task.retry_jitter,
        )
        task.apply_async(
            args=request.args, kwargs=request.kwargs, countdown=countdown, retries=retries + 1
        )
    log.warning("batch of %d will be retried after a transient fault: %s", len(requests), exc)


@app.task(
    base=SummarizeBatches,
    name=TASK_SUMMARIZE,
    bind=True,
    flush_every=settings.batch_size,
    flush_interval=settings.batch_flush_interval_s,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=settings.task_max_retries,
    retry_backoff=settings.task_retry_backoff_s,
    retry_backoff_max=settings.task_retry_backoff_max_s,
    retry_jitter=True,
)
def summarize(self: Batches, requests: Sequence[SimpleRequest]) -> dict[str, int]:
    """Summarise the articles of a batch of messages and write the results back."""
    started = time.perf_counter()
    valid, rejected = _parse_all(requests)
    outcome = BatchOutcome(rejected=rejected)
    try:
        outcome.add(
            summarize_requests(
                valid,
                engine=engine_for(settings.database_url),
                articles=articles_table(settings.articles),
                runtime=process_runtime(settings),
                settings=settings,
            )
        )
    except TRANSIENT_ERRORS as exc:
        _retry(self, requests, exc)
        return {"retried": len(requests)}
    except SoftTimeLimitExceeded:
        _record_batch_failure(requests, "time limit exceeded")
        raise
    log.info(
        "batch messages=%d done=%d failed=%d skipped=%d current=%d rejected=%d seconds=%.2f",
        len(requests), outcome.done, outcome.failed, outcome.skipped, outcome.current,
        outcome.rejected, time.perf_counter() - started,
    )
    for reason in outcome.reasons[:5]:
        log.warning("failed article %s", reason)
    return {"done": outcome.done, "failed": outcome.failed, "skipped": outcome.skipped}
