"""`newsum backfill` in-process: what it queues, re-runs, dry runs, and the high-water pause."""

from __future__ import annotations

import base64
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine

from harness.faults import PrivateRedis
from harness.newsroom import add_version, insert_articles
from harness.processes import REPO, process_env
from newsum.broker.stats import queue_depth
from newsum.config import Settings
from newsum.db.engine import transaction
from newsum.db.models import SummaryStatus
from newsum.db.queries import SummaryRecord, upsert_summary
from newsum.errors import BrokerUnavailable
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


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis").start()
    yield server
    server.stop()


def queued_ids(server: PrivateRedis, settings: Settings) -> list[int]:
    client = redis.Redis.from_url(server.url)
    try:
        items = client.lrange(settings.broker_key_prefix + settings.queue_name, 0, -1)
    finally:
        client.close()
    return [json.loads(base64.b64decode(json.loads(item)["body"]))[1]["article_id"]
            for item in items]


def test_a_backfill_stopped_by_the_broker_is_finished_by_a_rerun_each_id_queued_once(
    engine: Engine, private_redis: PrivateRedis, settings_for  # type: ignore[no-untyped-def]
) -> None:
    settings = settings_for(engine.url.render_as_string(hide_password=False),
                            broker_url=private_redis.url, enqueue_chunk_size=10,
                            queue_high_water=20)
    newsroom(engine, settings, n=50)
    failure: list[BaseException] = []

    def backfill() -> None:
        try:
            run_backfill(settings, BackfillOptions(), poll_s=0.05)
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=backfill)
    thread.start()
    # Three chunks go out (the queue is not above high water before the third); then the
    # backfill waits for workers, and the broker goes away while it waits.
    deadline = time.monotonic() + 60
    while len(queued_ids(private_redis, settings)) < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    private_redis.stop()
    thread.join(timeout=60)
    assert [type(exc) for exc in failure] == [BrokerUnavailable]

    private_redis.start()  # its append-only file keeps what was queued
    rerun = run_backfill(settings.model_copy(update={"queue_high_water": 1000}),
                         BackfillOptions())
    assert (rerun.queued, rerun.already_queued) == (20, 30)
    assert sorted(queued_ids(private_redis, settings)) == list(range(1, 51))


def test_ctrl_c_on_a_backfill_paused_at_high_water_ends_it_at_once_leaving_no_claim_unsent(
    engine: Engine, worker_settings: Settings
) -> None:
    newsroom(engine, worker_settings, n=60)
    settings = worker_settings.model_copy(update={"queue_high_water": 16, "enqueue_chunk_size": 20})
    backfill = subprocess.Popen(
        [sys.executable, "-m", "newsum", "backfill"], env=process_env(settings), cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The first chunk goes out; with no worker taking it, the run then waits.
        deadline = time.monotonic() + 60
        while queue_depth(settings) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        assert backfill.poll() is None, backfill.communicate(timeout=10)
        assert queue_depth(settings) == 20  # high water (16) and what was sent meanwhile
        interrupted = time.monotonic()
        backfill.send_signal(signal.SIGINT)
        backfill.communicate(timeout=30)
        assert time.monotonic() - interrupted < 10
    finally:
        backfill.kill()
        backfill.communicate()
    # Only the chunk on the queue holds claims; the rest can be queued by the next run.
    rerun = run_backfill(settings.model_copy(update={"queue_high_water": 1000}),
                         BackfillOptions())
    assert (rerun.queued, rerun.already_queued) == (40, 20)
    assert queue_depth(settings) == 60
