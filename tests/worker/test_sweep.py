"""The sweeper in-process: recent articles without a current summary, bounded, stale claims."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update

from harness.newsroom import add_version, insert_articles
from newsum.broker.enqueue import enqueue
from newsum.broker.stats import queue_depth
from newsum.config import Settings
from newsum.db.articles import create_articles_table
from newsum.db.engine import transaction
from newsum.db.models import Summary
from newsum.worker.sweep import sweep


def test_sweep_queues_recent_articles_lacking_a_summary_up_to_the_limit(
    engine: Engine, worker_settings: Settings
) -> None:
    add_version(engine)
    now = datetime.now(UTC)
    old = now - timedelta(days=30)
    insert_articles(engine, worker_settings, [
        *({"id": i, "title": "t", "body": "b", "published_at": now, "updated_at": now}
          for i in range(1, 8)),
        # An old article edited an hour ago is swept too; an old untouched one is not.
        {"id": 50, "title": "t", "body": "b", "published_at": old,
         "updated_at": now - timedelta(hours=1)},
        {"id": 60, "title": "t", "body": "b", "published_at": old, "updated_at": old},
    ])
    settings = worker_settings.model_copy(update={"sweeper_limit": 5})

    first = sweep(settings)
    assert first.queued == 5 and queue_depth(settings) == 5
    second = sweep(settings)
    assert (second.queued, second.already_queued) == (3, 5)
    assert queue_depth(settings) == 8  # ids 1-7 and 50, never 60


def test_sweep_requeues_claims_whose_message_was_lost(
    engine: Engine, worker_settings: Settings
) -> None:
    version_id = add_version(engine)
    create_articles_table(engine, worker_settings.articles)
    enqueue([70, 71], settings=worker_settings)
    with transaction(engine) as session:
        session.execute(
            update(Summary).where(Summary.article_id == 70)
            .values(queued_at=datetime.now(UTC) - timedelta(days=1))
        )
    report = sweep(worker_settings)
    assert report.stale_requeued == 1
    assert queue_depth(worker_settings) == 3
    with transaction(engine) as session:
        claim = session.get(Summary, 1)
        assert claim is not None and claim.model_version_id == version_id
        claimed_at = claim.queued_at
        if claimed_at.tzinfo is None:  # SQLite returns it naive (in UTC)
            claimed_at = claimed_at.replace(tzinfo=UTC)
        assert claimed_at > datetime.now(UTC) - timedelta(minutes=1)
