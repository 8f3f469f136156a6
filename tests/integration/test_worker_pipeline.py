"""End to end on PostgreSQL: articles reach a real worker through `newsum enqueue`, the
sweeper and a backfill; a promoted version is served after `newsum reload`."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from harness.newsroom import insert_articles, served_version
from harness.processes import (
    LOADED,
    WorkerProcess,
    all_summaries,
    run_cli,
    wait_until_final,
)
from newsum.broker.app import TASK_SWEEP, celery_app_for
from newsum.broker.stats import queue_depth
from newsum.config import Settings
from newsum.db.models import GENERATED_STATES

ARTICLE = (
    "The regional transport authority said on Monday that {n} new electric buses will "
    "enter service next spring. Officials expect shorter waits on the busiest routes."
)




def articles(ids: range, published_at: datetime) -> list[dict]:
    return [
        {"id": i, "title": f"Buses {i}", "body": ARTICLE.format(n=i),
         "published_at": published_at, "updated_at": published_at}
        for i in ids
    ]


def test_enqueue_sweeper_and_backfill_each_end_with_exactly_one_summary(
    pg_engine: Engine, pipeline_settings: Settings, trained_adapter_dir: Path, tmp_path: Path
) -> None:
    settings = pipeline_settings
    version_id = served_version(pg_engine, "tiny-qlora", trained_adapter_dir)
    now = datetime.now(UTC)
    insert_articles(pg_engine, settings, articles(range(1, 5), now))
    insert_articles(pg_engine, settings, articles(range(11, 14), now - timedelta(days=400)))
    worker = WorkerProcess(settings, tmp_path / "worker.log").start()
    try:
        worker.wait_ready()
        # 1. The CMS path: `newsum enqueue`.
        cli = run_cli(settings, "enqueue", "1", "2", "3", "4")
        assert cli.returncode == 0, cli.stderr
        wait_until_final(pg_engine, range(1, 5), version_id, worker=worker)

        # 2. The safety net: recent articles no webhook announced, found by a sweep.
        insert_articles(pg_engine, settings, articles(range(21, 24), now))
        celery_app_for(settings).send_task(TASK_SWEEP, queue=settings.queue_name)
        wait_until_final(pg_engine, range(21, 24), version_id, worker=worker)
        assert {s.article_id for s in all_summaries(pg_engine)} == {1, 2, 3, 4, 21, 22, 23}

        # 3. The archive (older than the sweeper's window): a backfill.
        backfill = run_cli(settings, "backfill")
        assert backfill.returncode == 0, backfill.stderr
        assert "seen 3, queued 3, already queued 0, skipped (already summarised) 7" in (
            backfill.stdout
        )
        wait_until_final(pg_engine, range(11, 14), version_id, worker=worker)

        again = run_cli(settings, "backfill")
        assert "seen 0, queued 0, already queued 0, skipped (already summarised) 10" in (
            again.stdout
        ), again.stderr
        dry = run_cli(settings, "backfill", "--dry-run", "--force")
        assert "seen 10, would queue 10" in dry.stdout, dry.stderr
        assert queue_depth(settings) == 0
    finally:
        worker.stop()

    summaries = all_summaries(pg_engine)
    assert len(summaries) == 10
    assert all(s.status in GENERATED_STATES and s.attempts == 1 for s in summaries)
    assert all(s.text is not None and s.input_tokens for s in summaries)
    loads = worker.model_loads()
    assert list(loads.values()) == [1], worker.log()[-2000:]
    assert worker.pid not in loads  # loaded in the pool child, never in the parent


def test_a_backfill_sent_in_many_chunks_over_one_connection_is_summarised_once_each(
    pg_engine: Engine, pipeline_settings: Settings, trained_adapter_dir: Path, tmp_path: Path
) -> None:
    settings = pipeline_settings.model_copy(update={"enqueue_chunk_size": 2})
    version_id = served_version(pg_engine, "tiny-qlora", trained_adapter_dir)
    insert_articles(pg_engine, settings, articles(range(1, 8), datetime.now(UTC)))
    worker = WorkerProcess(settings, tmp_path / "worker.log").start()
    try:
        worker.wait_ready()
        backfill = run_cli(settings, "backfill")
        assert "seen 7, queued 7, already queued 0" in backfill.stdout, backfill.stderr
        wait_until_final(pg_engine, range(1, 8), version_id, worker=worker)
        # --force travels in the messages: every article is summarised a second time.
        forced = run_cli(settings, "backfill", "--force")
        assert "seen 7, queued 7, already queued 0" in forced.stdout, forced.stderr
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and any(
                s.attempts < 2 or s.queued_at is not None for s in all_summaries(pg_engine)):
            time.sleep(0.2)
    finally:
        worker.stop()

    summaries = all_summaries(pg_engine)
    assert [s.article_id for s in summaries] == list(range(1, 8)), worker.log()[-2000:]
    assert all(s.status in GENERATED_STATES and s.attempts == 2 for s in summaries), (
        [(s.article_id, s.status, s.attempts) for s in summaries], worker.log()[-2000:])


def test_a_promoted_version_is_served_after_reload_and_backfilled(
    pg_engine: Engine, pipeline_settings: Settings, trained_adapter_dir: Path, tmp_path: Path
) -> None:
    settings = pipeline_settings
    first = served_version(pg_engine, "tiny-qlora", trained_adapter_dir)
    insert_articles(pg_engine, settings, articles(range(1, 4), datetime.now(UTC)))
    worker = WorkerProcess(settings, tmp_path / "worker.log").start()
    try:
        worker.wait_ready()
        worker.wait_for_log(r"model loaded pid=\d+ version=tiny-qlora")
        run_cli(settings, "enqueue", "1", "2", "3")
        wait_until_final(pg_engine, range(1, 4), first, worker=worker)

        second = served_version(pg_engine, "tiny-next", trained_adapter_dir)
        reload = run_cli(settings, "reload")
        assert reload.returncode == 0 and "1 worker(s) answered" in reload.stdout, reload.stderr
        worker.wait_for_log(r"model loaded pid=\d+ version=tiny-next")

        backfill = run_cli(settings, "backfill", "--model-version", "tiny-next")
        assert "queued 3" in backfill.stdout, backfill.stderr
        rows = wait_until_final(pg_engine, range(1, 4), second, worker=worker)
    finally:
        worker.stop()

    assert all(row.status in GENERATED_STATES for row in rows.values())
    assert len(all_summaries(pg_engine)) == 6  # one per article and version
    loads = LOADED.findall(worker.log())
    # Each pool child loaded exactly once: the first served tiny-qlora, its successor
    # (started by the reload) tiny-next.
    assert [version for _, version in loads] == ["tiny-qlora", "tiny-next"]
    assert len({pid for pid, _ in loads}) == 2
