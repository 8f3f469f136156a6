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
import random
import time
from collections.abc import Collection, Sequence
from typing import Any

import kombu.exceptions
import redis
from billiard.einfo import ExceptionInfo, ExceptionWithTraceback
from billiard.exceptions import TimeLimitExceeded, WorkerLostError
from celery import current_app, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import celeryd_after_setup
from celery_batches import Batches, SimpleRequest
from sqlalchemy import Table
from sqlalchemy import exc as sa_exc

from newsum.broker.app import TASK_SUMMARIZE, app_settings
from newsum.broker.message import SummarizeMessage, parse_request
from newsum.config import ArticleSource, Settings
from newsum.db.engine import engine_for, take_dropped, transaction
from newsum.db.events import EventKind, record_event, set_node_name
from newsum.db.models import SummaryStatus, articles_table
from newsum.db.queries import record_failure
from newsum.worker.batch import BatchOutcome, summarize_requests
from newsum.worker.runtime import process_runtime

log = logging.getLogger(__name__)


def worker_settings() -> Settings:
    """The settings of the app this worker runs (read when the app was built, not when
    this module was imported)."""
    return app_settings(current_app)


_article_tables: dict[str, Table] = {}


def worker_articles_table(source: ArticleSource) -> Table:
    """The CMS's article table as ``source`` describes it, built once per process.

    SQLAlchemy caches a compiled statement per table object: a table built for every
    batch would have the batch's article query compiled again each time.
    """
    key = source.model_dump_json()
    if key not in _article_tables:
        _article_tables[key] = articles_table(source)
    return _article_tables[key]


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
    """Batches with Celery's worker-lost and time-limit handling for late-acked batches.

    Its sizes and retry policy come from the settings of the app it is bound to, read
    when the worker runs, so importing this module reads no settings.
    """

    @property
    def flush_every(self) -> int:  # type: ignore[override]
        return app_settings(self.app).batch_size

    @property
    def flush_interval(self) -> float:  # type: ignore[override]
        return app_settings(self.app).batch_flush_interval_s

    @property
    def max_retries(self) -> int:  # type: ignore[override]
        return app_settings(self.app).task_max_retries

    @property
    def retry_backoff(self) -> float:  # type: ignore[override]
        return app_settings(self.app).task_retry_backoff_s

    @property
    def retry_backoff_max(self) -> float:  # type: ignore[override]
        return app_settings(self.app).task_retry_backoff_max_s

    def flush(self, requests: Collection[Any]) -> Any:
        """Run the batch in the pool; settle its messages however the run ends."""
        requests = list(requests)
        serializable = ([SimpleRequest.from_request(r) for r in requests],)

        def on_return(_result: Any) -> None:
            for request in requests:
                request.acknowledge()

        def on_error(einfo: ExceptionInfo) -> None:
            exc = pool_exception(einfo)
            if isinstance(exc, WorkerLostError) and self.reject_on_worker_lost:
                log.warning("worker lost mid-batch: %d message(s) requeued (%s)",
                            len(requests), exc)
                _event(EventKind.WORKER_LOST,
                       f"a pool process died mid-batch ({exc}); "
                       f"{len(requests)} message(s) requeued", len(requests))
                for request in requests:
                    request.reject(requeue=True)
                return
            if isinstance(exc, TimeLimitExceeded):
                log.error("a batch of %d passed the hard time limit (%s s); its pool process "
                          "was killed and its articles recorded failed", len(requests), exc)
                _record_batch_failure(serializable[0], "time limit exceeded")
                _event(EventKind.TIME_LIMIT,
                       f"a batch of {len(requests)} passed the hard time limit and failed",
                       len(requests))
            for request in requests:
                request.acknowledge()

        from celery_batches.trace import apply_batches_task

        return self._pool.apply_async(
            apply_batches_task,
            (self, serializable, 0, None),
            callback=on_return,
            error_callback=on_error,
        )


def pool_exception(einfo: ExceptionInfo) -> BaseException:
    """The exception a pool job ended with.

    billiard hands error callbacks the exception wrapped in ``ExceptionWithTraceback``
    (so that it pickles across processes); Celery unwraps it in its own requests, and a
    check of the wrapper against ``WorkerLostError`` never matches.
    """
    exc = einfo.exception
    return exc.exc if isinstance(exc, ExceptionWithTraceback) else exc


def _parse_all(
    requests: Sequence[SimpleRequest], *, report: bool = True
) -> tuple[list[SummarizeMessage], int]:
    """The valid payloads of a batch; invalid ones are logged and dropped (acknowledged)."""
    valid: list[SummarizeMessage] = []
    rejected = 0
    for request in requests:
        try:
            valid.append(parse_request({**(request.kwargs or {}), **_positional(request)}))
        except (ValueError, TypeError) as exc:
            rejected += 1
            if report:
                log.error("rejected message %s: %s", request.id, exc)
    if rejected and report:
        _event(EventKind.BAD_MESSAGE, f"{rejected} message(s) with an invalid payload dropped",
               rejected)
    return valid, rejected


def _positional(request: SimpleRequest) -> dict[str, Any]:
    """A payload sent as one positional dict (``summarize.delay({...})``) is accepted too."""
    if len(request.args) == 1 and isinstance(request.args[0], dict):
        return dict(request.args[0])
    if request.args:
        return {"args": list(request.args)}
    return {}


def _event(kind: EventKind, detail: str, count: int = 1) -> None:
    """Record a fault for ``newsum status`` (best effort, never raises)."""
    record_event(engine_for(worker_settings().database_url), kind, detail, count=count)


@celeryd_after_setup.connect
def _name_events_after_the_node(sender: Any, **_: Any) -> None:
    """Events of this worker and its pool children name the node (``celery@host``)."""
    set_node_name(str(sender))


def _record_batch_failure(requests: Sequence[SimpleRequest], reason: str) -> None:
    """Record ``reason`` as the failure of every valid request of a batch."""
    valid, _ = _parse_all(requests, report=False)  # the rejects were reported already
    engine = engine_for(worker_settings().database_url)
    with transaction(engine) as session:
        for request in valid:
            record_failure(session, request.article_id, request.model_version_id, reason,
                           status=SummaryStatus.FAILED)


def retry_delay(factor: float, retries: int, maximum: float, *, jitter: bool = True) -> float:
    """Seconds before retry number ``retries + 1``: ``factor * 2**retries`` capped at
    ``maximum``, drawn uniformly below that with ``jitter`` (so that workers hit by the
    same outage do not all come back at once).

    Celery's own helper draws with ``random.randrange`` and raises on a fractional
    factor such as 0.5; this one takes any positive float.
    """
    delay = min(float(maximum), float(factor) * 2.0 ** max(retries, 0))
    return random.uniform(0.0, delay) if jitter else delay


def _retry(task: Batches, requests: Sequence[SimpleRequest], exc: BaseException) -> None:
    """Send each message again after an exponential backoff, up to ``max_retries``.

    Past the limit the ids keep their queue claims: once the claims are stale the
    sweeper queues them again, so nothing is lost while the outage lasts.
    """
    gave_up = 0
    for request in requests:
        retries = int((request.request_dict or {}).get("retries") or 0)
        if retries >= task.max_retries:
            log.error("giving up on message %s after %d retries: %s", request.id, retries, exc)
            gave_up += 1
            continue
        countdown = retry_delay(task.retry_backoff, retries, task.retry_backoff_max,
                                jitter=task.retry_jitter)
        task.apply_async(
            args=request.args, kwargs=request.kwargs, countdown=countdown, retries=retries + 1
        )
    log.warning("batch of %d will be retried after a transient fault: %s", len(requests), exc)
    fault = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
    _event(EventKind.TRANSIENT_FAULT, f"batch of {len(requests)} retried after {fault}",
           len(requests) - gave_up)
    if gave_up:
        _event(EventKind.GAVE_UP, f"{gave_up} message(s) past {task.max_retries} retries "
               "(their claims go stale and the sweeper queues them again)", gave_up)


@shared_task(
    base=SummarizeBatches,
    name=TASK_SUMMARIZE,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    retry_jitter=True,
)
def summarize(self: Batches, requests: Sequence[SimpleRequest]) -> dict[str, int]:
    """Summarise the articles of a batch of messages and write the results back."""
    started = time.perf_counter()
    settings = app_settings(self.app)
    redelivered = sum(1 for r in requests if (r.delivery_info or {}).get("redelivered"))
    if redelivered:
        _event(EventKind.REDELIVERED, f"{redelivered} message(s) handed out again: a worker "
               "stopped before acknowledging them", redelivered)
    outcome = BatchOutcome()
    with outcome.timings.phase("parse"):
        valid, outcome.rejected = _parse_all(requests)
    try:
        outcome.add(
            summarize_requests(
                valid,
                engine=engine_for(settings.database_url),
                articles=worker_articles_table(settings.articles),
                runtime=process_runtime(settings),
                settings=settings,
            )
        )
    except TRANSIENT_ERRORS as exc:
        _retry(self, requests, exc)
        return {"retried": len(requests)}
    except SoftTimeLimitExceeded:
        log.error("a batch of %d passed the soft time limit; its articles are recorded failed",
                  len(requests))
        _record_batch_failure(requests, "time limit exceeded")
        _event(EventKind.TIME_LIMIT,
               f"a batch of {len(requests)} passed the soft time limit and failed",
               len(requests))
        raise
    except Exception as exc:  # a bug or a misconfiguration must not strand its articles
        log.exception("batch of %d failed unexpectedly", len(requests))
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        reason = f"internal error: {type(exc).__name__}: {first_line}"[:500]
        _record_batch_failure(requests, reason)
        _event(EventKind.INTERNAL_ERROR, f"a batch of {len(requests)} failed: {reason}",
               len(requests))
        return {"failed": len(valid)}
    finally:
        dropped = take_dropped()
        if dropped:
            _event(EventKind.DATABASE_DROPPED,
                   f"{dropped} pooled connection(s) found dead and replaced", dropped)
    # Counts, then the batch's seconds and where they went (bench_worker reads this line).
    log.info(
        "batch messages=%d done=%d needs_review=%d failed=%d skipped=%d current=%d rejected=%d"
        " seconds=%.3f %s",
        len(requests), outcome.done, outcome.needs_review, outcome.failed, outcome.skipped,
        outcome.current, outcome.rejected, time.perf_counter() - started,
        outcome.timings.log_fields(),
    )
    for reason in outcome.reasons[:5]:
        log.warning("failed article %s", reason)
    return {"done": outcome.done, "needs_review": outcome.needs_review,
            "failed": outcome.failed, "skipped": outcome.skipped}
