"""A worker killed mid-batch loses nothing and summarises nothing twice (PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from sqlalchemy import Engine, func, select

from harness.newsroom import insert_articles, served_version
from harness.processes import (
    WorkerProcess,
    all_summaries,
    problems_in_status,
    wait_until_final,
)
from newsum.broker.enqueue import enqueue
from newsum.broker.stats import in_flight
from newsum.config import Settings
from newsum.db.engine import make_engine, transaction
from newsum.db.migrate import upgrade
from newsum.db.models import GENERATED_STATES, Summary
from tests.conftest import REDIS_SERVER

STORY = (
    "Firefighters contained a warehouse fire near the harbour on Thursday night, and "
    "no one was hurt, the fire service said. Article {n}. "
)
# Long articles (about 36 KB), so that a batch of eight takes seconds and a kill lands
# in the middle of one.
IDS = range(1, 17)


@pytest.fixture
def crash_settings(
    postgres_url: str, redis_prefix: str, settings_for: Callable[..., Settings]
) -> Settings:
    # A short visibility timeout so that the killed worker's messages come back within
    # seconds; still longer than one batch, as it must be in production.
    return settings_for(
        postgres_url, broker_url=REDIS_SERVER, broker_key_prefix=redis_prefix,
        precision="fp32", device="cpu", batch_size=8, batch_flush_interval_s=0.3,
        visibility_timeout_s=20, task_time_limit_s=18, task_soft_time_limit_s=15,
    )


@pytest.fixture
def crash_engine(crash_settings: Settings, trained_adapter_dir: Path) -> Iterator[Engine]:
    engine = make_engine(crash_settings.database_url)
    upgrade(engine)
    insert_articles(engine, crash_settings, [
        {"id": i, "title": f"Harbour fire {i}", "body": STORY.format(n=i) * 300} for i in IDS
    ])
    yield engine
    engine.dispose()


def done_count(engine: Engine) -> int:
    with transaction(engine) as session:
        return session.scalar(
            select(func.count()).select_from(Summary).where(Summary.status.in_(GENERATED_STATES))
        ) or 0


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting until {what}")


def assert_each_summarised_once(engine: Engine, version_id: int, worker: WorkerProcess) -> None:
    rows = wait_until_final(engine, IDS, version_id, timeout=240, worker=worker)
    assert all(row.status in GENERATED_STATES for row in rows.values())
    summaries = all_summaries(engine)
    assert len(summaries) == len(IDS)
    assert [s.attempts for s in summaries] == [1] * len(IDS)  # none generated twice


def test_worker_killed_mid_batch_then_restarted_summarises_everything_once(
    crash_engine: Engine, crash_settings: Settings, trained_adapter_dir: Path, tmp_path: Path
) -> None:
    version_id = served_version(crash_engine, "tiny-qlora", trained_adapter_dir)
    first = WorkerProcess(crash_settings, tmp_path / "first.log").start()
    try:
        first.wait_ready()
        enqueue(IDS, settings=crash_settings)
        # The first batch is written and the second is being generated.
        wait_for(lambda: done_count(crash_engine) == 8 and in_flight(crash_settings) == 8,
                 "the second batch is in flight")
        first.kill()  # SIGKILL to the parent and its pool child at once
    finally:
        first.stop()
    assert done_count(crash_engine) == 8
    assert in_flight(crash_settings) > 0  # the killed batch was never acknowledged

    second = WorkerProcess(crash_settings, tmp_path / "second.log").start()
    try:
        second.wait_ready()
        assert_each_summarised_once(crash_engine, version_id, second)
    finally:
        second.stop()
    assert in_flight(crash_settings) == 0
    # `newsum status` says the killed batch came back to a worker.
    problems = problems_in_status(crash_settings)
    assert "redelivered" in problems and " 8  " in problems, problems


def test_pool_child_killed_mid_batch_the_same_worker_finishes_everything_once(
    crash_engine: Engine, crash_settings: Settings, trained_adapter_dir: Path, tmp_path: Path
) -> None:
    """The kernel's OOM killer picks the biggest process: the pool child holding the model.
    The worker's main process survives, forks a new child, and the killed batch is
    requeued and summarised without a restart."""
    version_id = served_version(crash_engine, "tiny-qlora", trained_adapter_dir)
    worker = WorkerProcess(crash_settings, tmp_path / "worker.log").start()
    try:
        worker.wait_ready()
        worker.wait_for_log(r"model loaded pid=")
        enqueue(IDS, settings=crash_settings)
        wait_for(lambda: done_count(crash_engine) == 8 and in_flight(crash_settings) == 8,
                 "the second batch is in flight")
        child = psutil.Process(worker.pid).children()[0]
        child.kill()
        assert_each_summarised_once(crash_engine, version_id, worker)
        assert worker.process is not None and worker.process.poll() is None
    finally:
        worker.stop()
    assert in_flight(crash_settings) == 0
    assert "worker lost mid-batch" in worker.log()
    assert "worker lost" in problems_in_status(crash_settings)
