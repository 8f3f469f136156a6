"""`newsum beat` schedules the sweeper on the worker's queue."""

from __future__ import annotations

import time
from pathlib import Path

from harness.processes import NewsumProcess
from newsum.broker.stats import queue_depth
from newsum.config import Settings
from tests.broker.test_enqueue import queued_messages


def test_beat_sends_the_sweep_task_every_interval(
    worker_settings: Settings, tmp_path: Path
) -> None:
    settings = worker_settings.model_copy(update={"sweeper_interval_s": 1})
    beat = NewsumProcess(settings, tmp_path / "beat.log", "beat").start()
    try:
        deadline = time.monotonic() + 60
        while queue_depth(settings) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        beat.stop()
    messages = queued_messages(settings)
    assert len(messages) >= 2, beat.log()[-2000:]
    assert {m["task"] for m in messages} == {"newsum.sweep"}
