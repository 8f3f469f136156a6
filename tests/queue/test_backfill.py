"""`newsum backfill` in-process: what it queues, re-runs, dry runs, and the high-water pause."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import redis
from sqlalchemy import Engine

from harness.newsroom import add_version, insert_articles
from newsum.broker.stats import queue_depth
from newsum.config import Settings
from newsum.db.engine import transaction
from newsum.db.models import SummaryStatus
from newsum.db.queries import SummaryRecord, upsert_summary
from newsum.queue.backfill import BackfillOptions, run_backfill
from tests.conftest import REDIS_SERVER

JAN = datetime(2024, 1, 15, tzinfo=UTC)


def newsroom(engine: Engine, settings: Settings, n: int = 30) -> int:
    """``n`` articles (every third in sport, one per day from JAN); returns the version id."""
    version_id = add_version(engine)
    insert_articles(engine, settings, [
        {"id": i, "title": f"T{i}", "body": f"Body {i}.", "section": "sport" if i % 3 == 0
         else "news", "published_at": JAN + timedelta(days=i), "updated_at": JAN}
        for i in range(1, n + 1)
    ])
    return version_id


def mark_done(engine: Engine, version_id: int, ids: range) -> None:
    from newsum.db.queries import content_hash

    with transaction(engine) as session:
        for i in ids:
            upsert_summary(session, SummaryRecord(
                article_id=i, model_version_id=version_id, status=SummaryStatus.DONE,
                text="s", content_hash=content_hash(f"T{i}", f"Body {i}."),
                article_updated_at=JAN,
            ))


def test_backfill_queues_what_lacks_a_summary_and_a_rerun_queues_nothing_new(
    engine: Engine, worker_settings: Settings
) -> None:
    version_id = newsroom(engine, worker_settings)
    mark_done(engine, version_id, range(1, 11))

    first = run_backfill(worker_settings, BackfillOptions())
    assert (first.seen, first.queued, first.already_queued, first.skipped) == (20, 20, 0, 10)
    assert queue_depth(worker_settings) == 20

    rerun = run_backfill(worker_settings, BackfillOptions())
    assert (rerun.queued, rerun.already_queued) == (0, 20)
    assert queue_depth(worker_settings) == 20


def test_dry_run_counts_and_queues_nothing(engine: Engine, worker_settings: Settings) -> None:
    newsroom(engine, worker_settings)
    report = run_backfill(worker_settings, BackfillOptions(dry_run=True))
    assert (report.seen, report.queued) == (30, 30)
    assert "would queue 30" in report.summary_line()
    assert queue_depth(worker_settings) == 0


def test_filters_limit_and_force_select_the_articles(
    engine: Engine, worker_settings: Settings
) -> None:
    version_id = newsroom(engine, worker_settings)
    mark_done(engine, version_id, range(1, 31))

    sport = run_backfill(worker_settings, BackfillOptions(section="sport", force=True, limit=4))
    assert sport.queued == 4
    window = run_backfill(worker_settings, BackfillOptions(
        since=JAN + timedelta(days=10), until=JAN + timedelta(days=15), force=True,
        dry_run=True,
    ))
    assert window.seen == 5
    assert run_backfill(worker_settings, BackfillOptions()).seen == 0


def test_backfill_pauses_while_the_queue_is_above_high_water(
    engine: Engine, worker_settings: Settings
) -> None:
    newsroom(engine, worker_settings, n=30)
    settings = worker_settings.model_copy(update={"queue_high_water": 5, "enqueue_chunk_size": 5})
    key = settings.broker_key_prefix + settings.queue_name
    peak = 0
    done = threading.Event()

    def slow_consumer() -> None:
        # Takes messages off the queue like a slow worker would.
        nonlocal peak
        client = redis.Redis.from_url(REDIS_SERVER)
        while not done.is_set():
            peak = max(peak, client.llen(key))
            client.rpop(key)
            time.sleep(0.05)
        client.close()

    thread = threading.Thread(target=slow_consumer)
    thread.start()
    try:
        report = run_backfill(settings, BackfillOptions(), poll_s=0.05)
    finally:
        done.set()
        thread.join()
    assert report.queued == 30
    assert report.paused_s > 0
    assert peak <= 10  # high water (5) plus one chunk (5)
