"""``newsum status``: counts, why rows failed, recorded problems, and a broker outage."""

from __future__ import annotations

from sqlalchemy import Engine

from harness.newsroom import add_version
from harness.processes import status_counts
from newsum.config import Settings
from newsum.db.engine import transaction
from newsum.db.events import EventKind, record_event
from newsum.db.models import SummaryStatus
from newsum.db.queries import SummaryRecord, record_failure, upsert_summary
from newsum.status import collect_status, format_status


def test_status_shows_failure_reasons_and_recorded_problems(
    engine: Engine, worker_settings: Settings
) -> None:
    version_id = add_version(engine, "v7")
    with transaction(engine) as session:
        for article_id in (1, 2, 3):
            record_failure(session, article_id, version_id,
                           "model version v7 could not be loaded: no such file")
        record_failure(session, 4, version_id, "article has no text",
                       status=SummaryStatus.SKIPPED)
        upsert_summary(session, SummaryRecord(5, version_id, SummaryStatus.DONE, text="ok"))
    record_event(engine, EventKind.MODEL_LOAD_FAILED, "v7: no such file", count=3,
                 source="celery@gpu-1 pid 42")
    record_event(engine, EventKind.WORKER_LOST, "a pool process died mid-batch", count=8)

    report = collect_status(worker_settings)
    text = format_status(report)

    assert report.active_version == "v7"
    assert report.queue_depth == 0 and report.broker_error is None
    assert [(r.count, r.status, r.reason) for r in report.reasons] == [
        (3, "failed", "model version v7 could not be loaded: no such file"),
        (1, "skipped", "article has no text"),
    ]
    assert status_counts(text) == {"failed": 3, "skipped": 1, "done": 1}
    assert "why rows are failed or skipped" in text
    assert "model version v7 could not be loaded: no such file" in text
    problems = text.split("problems in the last 24 h (most recent first):", 1)[1]
    assert problems.index("worker lost") < problems.index("model load failed")
    assert "celery@gpu-1 pid 42" in problems


def test_status_with_nothing_wrong_says_so(engine: Engine, worker_settings: Settings) -> None:
    add_version(engine, "v1")
    text = format_status(collect_status(worker_settings))
    assert "problems in the last 24 h: none recorded" in text
    assert "why rows are failed" not in text


def test_status_reports_the_broker_down_instead_of_failing(
    engine: Engine, worker_settings: Settings
) -> None:
    down = worker_settings.model_copy(
        update={"broker_url": "redis://127.0.0.1:1/0", "broker_connect_timeout_s": 0.5})
    text = format_status(collect_status(down))
    assert "queue: UNAVAILABLE" in text
    assert "no summaries yet" in text
