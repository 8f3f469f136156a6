"""The sweeper: a periodic safety net for lost webhooks and lost messages.

Celery beat sends ``newsum.sweep`` every ``sweeper_interval_s``. A run first queues again
the ids whose queue claim went stale (their message was lost, e.g. with a broker
restart), then the articles published or updated within ``sweeper_window_s`` that have
no current summary by the active version. It queues at most ``sweeper_limit`` ids.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import chain, islice

from celery import Task, shared_task
from sqlalchemy import Engine, select

from newsum.broker.app import TASK_SWEEP, app_settings
from newsum.broker.enqueue import enqueue, resolve_model_version_id
from newsum.config import Settings
from newsum.db.engine import engine_for, transaction
from newsum.db.events import EventKind, prune_events, record_event
from newsum.db.models import Summary, articles_table, utcnow
from newsum.db.queries import stream_unsummarized_ids
from newsum.errors import NoActiveModelVersion

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    """What one sweep queued."""

    stale_requeued: int = 0
    queued: int = 0
    already_queued: int = 0


def stale_claims(engine: Engine, older_than: timedelta, limit: int) -> dict[int, list[int]]:
    """Ids whose queue claim is older than ``older_than``, by model version id."""
    table = Summary.__table__
    cutoff = utcnow() - older_than
    with transaction(engine) as session:
        rows = session.execute(
            select(table.c.model_version_id, table.c.article_id)
            .where(table.c.queued_at < cutoff)
            .order_by(table.c.queued_at)
            .limit(limit)
        ).all()
    by_version: dict[int, list[int]] = {}
    for version_id, article_id in rows:
        by_version.setdefault(version_id, []).append(article_id)
    return by_version


def _unique(ids: Iterable[int]) -> Iterator[int]:
    seen: set[int] = set()
    for article_id in ids:
        if article_id not in seen:
            seen.add(article_id)
            yield article_id


def recent_unsummarized(settings: Settings, version_id: int) -> Iterator[int]:
    """Ids published or updated within the window that lack a current summary."""
    engine = engine_for(settings.database_url)
    table = articles_table(settings.articles)
    since = utcnow() - timedelta(seconds=settings.sweeper_window_s)
    streams = (
        stream_unsummarized_ids(engine, table, version_id, since=since, date_field=field)
        for field in ("updated_at", "published_at")
    )
    return _unique(chain.from_iterable(streams))


def sweep(settings: Settings) -> SweepReport:
    """One sweeper run; returns what it queued (nothing when no version is active)."""
    engine = engine_for(settings.database_url)
    report = SweepReport()
    stale = stale_claims(
        engine, timedelta(seconds=settings.queue_claim_timeout_s), settings.sweeper_limit
    )
    for version_id, ids in stale.items():
        result = enqueue(ids, settings=settings, model_version=version_id)
        report.stale_requeued += len(result.queued)
    if report.stale_requeued:
        record_event(engine, EventKind.STALE_CLAIMS,
                     f"{report.stale_requeued} id(s) queued again: their messages were not "
                     f"done within {settings.queue_claim_timeout_s} s (lost with a broker "
                     "restart, or retries exhausted)", count=report.stale_requeued)
    prune_events(engine, timedelta(days=settings.event_retention_days))
    try:
        version_id = resolve_model_version_id(engine, None)
    except NoActiveModelVersion:
        log.warning("sweep: no active model version, nothing to summarise")
        return report
    candidates = recent_unsummarized(settings, version_id)
    # Ids already queued do not count against the limit, but they bound the run too.
    budget = settings.sweeper_limit - report.stale_requeued
    looked_at = 0
    while budget > 0 and looked_at < 10 * settings.sweeper_limit:
        chunk = list(islice(candidates, min(budget, settings.enqueue_chunk_size)))
        if not chunk:
            break
        looked_at += len(chunk)
        result = enqueue(chunk, settings=settings, model_version=version_id)
        report.queued += len(result.queued)
        report.already_queued += len(result.already_queued)
        budget -= len(result.queued)
    return report


@shared_task(name=TASK_SWEEP, bind=True, ignore_result=True)
def sweep_task(self: Task) -> dict[str, int]:
    """Celery beat's entry point: one sweep with the worker's settings."""
    report = sweep(app_settings(self.app))
    log.info(
        "sweep queued=%d stale_requeued=%d already_queued=%d",
        report.queued, report.stale_requeued, report.already_queued,
    )
    return {"queued": report.queued, "stale_requeued": report.stale_requeued}
